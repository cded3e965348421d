"""The static site: page contexts computed in Python, rendered to {path: bytes}. Never writes."""
from __future__ import annotations

import re
from collections import OrderedDict
from datetime import timedelta

from markupsafe import Markup

from . import outputs
from .drafts import DraftMaker
from .metrics import DEFINITIONS, LABELS
from .rotation import on_rotation
from .textout import LOOP_TODO, fmt_target, fmt_value, late_by

LOOP_LABEL = {"acknowledge": "Acknowledge the referrer", "contact-family": "Contact the family",
              "close-loop": "Close the loop", "bounce-referrer": "Tell the referrer (bounce)",
              "bounce-receiver": "Tell the receiving provider (bounce)"}
TASK_LABEL = {"care-update": "Care-collaboration update", "next-step": "Next step", "thank-you": "Thank-you ladder"}
STATE_LABEL = {"done": "done", "missed": "missed", "due": "due now", "upcoming": "planned",
               "overdue": "overdue", "late": "done late", "open": "open"}
KIND_LABEL = {"pediatrician": "Pediatrician", "pcp": "Primary care", "diagnostician": "Diagnostician",
              "therapist": "Therapist", "school": "School", "daycare": "Daycare", "other": "Other"}
NAV = [("index.html", "This week"), ("partners/index.html", "Partners"), ("calendar.html", "Calendar"),
       ("drafts/index.html", "Drafts"), ("pipeline.html", "Pipeline"), ("metrics.html", "Metrics"),
       ("reviews/index.html", "Reviews"), ("playbook.html", "Playbook")]
GOLDEN_RULES = [
    "Listen more than you talk: the first meeting is for their world, not your pitch.",
    "Never ask for referrals in a personal touch; availability goes in the filter email.",
    "Close every loop: thank within a day, update after the first session.",
    "Give before you ask: resources, reverse referrals, introductions.",
    "Steady beats intense: a touch a week, not three and then silence.",
    "Treat everyone in the office well, the front desk most of all.",
]


class Redactor:
    """Client initials as written, or 'Client 1', 'Client 2' ... in order of first appearance.

    With redaction on, every rendered file also gets a final pass that replaces those initials
    wherever they appear, free-text notes included.
    """

    def __init__(self, enabled: bool, workspace):
        self.enabled = enabled
        self.map = {}
        if enabled:
            for p in workspace.partners:
                for c in [r.client for r in p.referrals] + [s.client for s in p.shared_clients]:
                    self.map.setdefault(c, f"Client {len(self.map) + 1}")
        keys = sorted(self.map, key=len, reverse=True)
        self.pattern = re.compile("|".join(rf"(?<![A-Za-z0-9]){re.escape(k)}(?![A-Za-z0-9])" for k in keys)) \
            if keys else None

    def __call__(self, client, partner=None):
        return self.map.get(client, "Client") if self.enabled else client

    def scrub(self, data: bytes) -> bytes:
        if not self.enabled or self.pattern is None:
            return data
        text = data.decode("utf-8")
        return self.pattern.sub(lambda m: self.map[m.group(0)], text).encode("utf-8")


def when(m):
    return m.iso().replace("T", " ") if m is not None else ""


class Site:
    def __init__(self, analysis, templates, diags, redact=False):
        self.a, self.t, self.diags = analysis, templates, diags
        self.ws = analysis.workspace
        self.pb = self.ws.playbook
        self.today = analysis.today
        self.redactor = Redactor(redact, self.ws)
        self.drafts = []
        self.pages: "OrderedDict[str, bytes]" = OrderedDict()

    # -- helpers --------------------------------------------------------------------------------
    def client(self, c, pid):
        return self.redactor(c, pid)

    def render(self, path, template, **ctx):
        depth = path.count("/")
        root = "../" * depth
        base = {"root": root, "nav": [{"href": root + href, "label": label, "current": href == path}
                                      for href, label in NAV],
                "practice": self.pb.practice, "today": self.today.isoformat(),
                "now": self.a.now.strftime("%Y-%m-%d %H:%M"), "redacted": self.redactor.enabled,
                "path": path}
        base.update(ctx)
        html = self.t.render(template, base, self.diags)
        if html is not None:
            self.pages[path] = html.encode("utf-8")

    def partner_href(self, pid, root=""):
        return f"{root}partners/{pid}.html"

    def health(self, p):
        kinds = {w.warning for w in self.warnings_by_partner.get(p.id, ())}
        if p.status != "active":
            return {"key": p.status, "label": p.status}
        if p.met is None:
            return {"key": "prospect", "label": "prospect"}
        if p.anchor > self.today:
            return {"key": "upcoming", "label": "meeting booked"}
        if "cold" in kinds:
            return {"key": "cold", "label": "cold"}
        if "stale-referrer" in kinds:
            return {"key": "stale", "label": "stale referrer"}
        cur = self._current.get(p.id)
        if cur is not None and cur.status == "due":
            return {"key": "due", "label": "due"}
        return {"key": "ok", "label": "on cadence"}

    # -- the recipe -----------------------------------------------------------------------------
    def build(self, ids=None, shared=True, reviews=True):
        """The site's pages, in three parts that can be rendered apart and added together:
        - each partner in `ids` (default: all): its partner page and its drafts;
        - `shared`: the dashboard, partner index, calendar, practice-wide drafts and the drafts
          index, playbook, card, pipeline and assets;
        - `reviews`: metrics, monthly and quarterly reviews, the 90-day plan."""
        self._prepare()
        ids = {p.id for p in self.ws.partners} if ids is None else set(ids)
        if shared:
            self.index_page()
            self.partner_index()
            self.calendar_pages()
            self.playbook_pages()
            self.pipeline_page()
            self.asset("style.css")
            self.asset("app.js")
        for p in self.ws.partners:
            if p.id in ids:
                self.partner_page(p)
        self.draft_pages(only=ids, index=shared)
        if reviews:
            from .reviews import review_pages
            review_pages(self)
        return self._finish()

    def partner_bundle(self, ids):
        """Just the pages that belong to these partners: their partner pages and their drafts,
        byte for byte what build() makes of them (given an analysis of at least these partners).
        `serve` writes these first, so the page being edited is on disk at once."""
        return self.build(ids, shared=False, reviews=False)

    def _finish(self):
        if self.redactor.enabled:
            self.pages = OrderedDict((k, self.redactor.scrub(v)) for k, v in self.pages.items())
        return self.pages

    def _prepare(self):
        self._current = {p.id: s for p, s in self.a.current_steps()}
        self.loops_by_partner, self.tasks_by_partner, self.warnings_by_partner = {}, {}, {}
        for x in self.a.loops:
            self.loops_by_partner.setdefault(x.partner, []).append(x)
        for t in self.a.tasks:
            self.tasks_by_partner.setdefault(t.partner, []).append(t)
        for w in self.a.warnings:
            self.warnings_by_partner.setdefault(w.partner, []).append(w)
        self.drafts = DraftMaker(self.a, self.t, self.diags, client=self.redactor).all()
        self.draft_by_key = self._index_drafts()

    def _index_drafts(self):
        out = {}
        for d in self.drafts:
            out.setdefault((d.partner, d.play), d)
            out[d.slug] = d
        return out

    def _loop_slug(self, x):
        from .drafts import slugify
        pid = x.partner
        client = self.client(x.client, pid)
        return f"{pid}-{x.loop}-{slugify(client)}-{x.received.day.isoformat()}"

    def asset(self, name):
        text = self.t.source(name)
        self.pages[name] = text.encode("utf-8")

    # -- This week --------------------------------------------------------------------------------
    def loop_row(self, x, root=""):
        p = self.ws.by_id[x.partner]
        client = self.client(x.client, p.id)
        draft = self.draft_by_key.get(self._loop_slug(x))
        return {"partner": p.name, "href": root + self.partner_href(p.id), "client": client,
                "loop": LOOP_LABEL[x.loop], "todo": LOOP_TODO[x.loop], "received": when(x.received),
                "deadline": when(x.deadline), "state": x.state, "state_label": STATE_LABEL[x.state],
                "late": late_by(x.deadline, self.a.now) if x.state == "overdue" else "",
                "draft": f"{root}drafts/{draft.slug}.html" if draft else None,
                "where": f"{x.path}:{x.line}"}

    def task_row(self, t, root=""):
        p = self.ws.by_id[t.partner]
        if t.task == "next-step":
            what = t.what
        elif t.task == "thank-you":
            what = f"Referral {t.number} ({self.client(t.client, p.id)}): {self.pb.thank_you.get(t.number, '')}"
        else:
            what = f"Update on {self.client(t.client, p.id)}"
        from .drafts import slugify
        slug = None  # the draft's slug, the way drafts.py names it
        if t.task == "care-update":
            slug = f"{p.id}-care-update-{slugify(t.client)}"
        elif t.task == "thank-you":
            slug = f"{p.id}-thank-you-{t.number}"
        days = (self.today - t.deadline).days
        return {"partner": p.name, "href": root + self.partner_href(p.id), "task": TASK_LABEL[t.task],
                "what": what, "deadline": t.deadline.isoformat(), "state": t.state,
                "state_label": STATE_LABEL[t.state],
                "late": f"{days} day{'s' if days != 1 else ''} late" if t.state == "overdue" else "",
                "draft": f"{root}drafts/{slug}.html" if slug and slug in self.draft_by_key else None,
                "where": f"{t.path}:{t.line}"}

    def index_page(self):
        groups = OrderedDict()
        done = []
        for p, s in self.a.current_steps():
            play = self.pb.plays[s.play]
            row = {"partner": p.name, "id": p.id, "href": self.partner_href(p.id), "status": s.status,
                   "window": f"{s.start} to {s.end - timedelta(days=1)}", "engaged": s.engaged,
                   "week": s.week, "substituted": self.pb.plays[s.planned].name if s.play != s.planned else None,
                   "draft": self._draft_href(p.id, s.play), "health": self.health(p)}
            if s.status == "done":
                done.append(row | {"play": play.name})
                continue
            g = groups.setdefault(s.play, {"play": play.name, "purpose": play.purpose, "kind": play.kind,
                                           "rows": [], "batch": None})
            g["rows"].append(row)
        if "referral-filter" in groups and "referral-filter-batch" in self.draft_by_key:
            groups["referral-filter"]["batch"] = "drafts/referral-filter-batch.html"
        ordered = sorted(groups.values(), key=lambda g: (g["kind"] != "filter", g["play"]))
        prospects = [self._prospect_row(*x) for x in self.a.prospects()]
        warnings = [{"partner": self.ws.by_id[w.partner].name if w.partner else "Practice",
                     "href": self.partner_href(w.partner) if w.partner else None, "warning": w.warning,
                     "message": w.message, "where": f"{w.path}:{w.line}"} for w in self.a.warnings]
        loops = [self.loop_row(x) for x in self.a.overdue_loops]
        upcoming = [self.loop_row(x) for x in self.a.loops if x.state == "open"]
        tasks = [self.task_row(t) for t in self.a.overdue_tasks]
        due_count = sum(len(g["rows"]) for g in ordered)
        counts = [("Overdue loops", len(loops), "bad" if loops else "good"),
                  ("Open loops", len(upcoming), "warn" if upcoming else "good"),
                  ("Overdue tasks", len(tasks), "warn" if tasks else "good"),
                  ("Plays due", due_count, "info"),
                  ("Prospects to follow up", sum(1 for x in prospects if x["follow_up"]), "info"),
                  ("Warnings", len(warnings), "warn" if warnings else "good")]
        self.render("index.html", "index.html.j2", title="This week", counts=counts, loops=loops,
                    upcoming=upcoming, tasks=tasks, groups=ordered, done=done, prospects=prospects,
                    warnings=warnings, week_end=(self.today + timedelta(days=6)).isoformat())

    def _draft_href(self, pid, play, root=""):
        if self.pb.plays[play].is_filter:
            return root + "drafts/referral-filter-batch.html" if "referral-filter-batch" in self.draft_by_key else None
        d = self.draft_by_key.get((pid, play))
        return f"{root}drafts/{d.slug}.html" if d else None

    def _prospect_row(self, p, stage, last, follow, root=""):
        d = self.draft_by_key.get((p.id, "intro-email"))
        return {"partner": p.name, "href": root + self.partner_href(p.id), "practice": p.practice,
                "kind": KIND_LABEL[p.kind], "stage": stage, "last": last.isoformat() if last else None,
                "follow_up": follow, "owner": p.owner, "draft": f"{root}drafts/{d.slug}.html" if d else None}

    # -- Partners -------------------------------------------------------------------------------
    def partner_index(self):
        rows = []
        for p in self.ws.partners:
            cur = self._current.get(p.id)
            rows.append({"name": p.name, "id": p.id, "href": f"{p.id}.html", "practice": p.practice,
                         "kind": KIND_LABEL[p.kind], "tier": p.tier, "status": p.status, "owner": p.owner,
                         "health": self.health(p), "last": self._last(p),
                         "current": self.pb.plays[cur.play].name if cur else None,
                         "referrals": sum(1 for r in p.referrals if r.received.day <= self.today)})
        self.render("partners/index.html", "partners.html.j2", title="Partners", rows=rows)

    def _last(self, p):
        last = self.a.touches[p.id].last
        return last.isoformat() if last else None

    def partner_page(self, p):
        root = "../"
        contact = []
        if p.email:
            contact.append(("Email", p.email, outputs.safe_url(p.email, "mailto")))
        for label, value in (("Phone", p.phone), ("Fax", p.fax)):
            if value:
                contact.append((label, value, outputs.safe_url(value, "tel") if label == "Phone" else None))
        if p.address:
            contact.append(("Address", p.address, None))
        if p.npi:
            contact.append(("NPI", p.npi, None))
        self.render(f"partners/{p.id}.html", "partner.html.j2", title=p.name, p=p, kind=KIND_LABEL[p.kind],
                    health=self.health(p), contact=contact,
                    staff=[{k: s.get(k) for k in ("name", "role", "email", "phone", "note")} for s in p.staff],
                    answers=[(q, p.answers.get(k)) for k, q in (
                        ("serve", "Who do you primarily serve?"),
                        ("challenge", "What is the biggest challenge you face with these cases?"),
                        ("process", "What does your current referral process look like?"),
                        ("easier", "What would make referring to us easier?"))],
                    strategy=self.pb.strategies.get(p.kind), timeline=self._timeline(p, root),
                    referrals=self._referrals(p, root), shared=self._shared(p, root),
                    next_steps=[{"what": s.what, "promised": s.promised, "due": s.due, "done": s.done,
                                 "state": self._next_state(p, s)} for s in p.next_steps],
                    history=[{"date": when(h.date), "play": self.pb.plays[h.play].name, "note": h.note,
                              "replied": when(h.replied) if h.replied else None,
                              "with": self.ws.by_id[h.with_].name if h.with_ else None,
                              "with_href": f"{h.with_}.html" if h.with_ else None}
                             for h in reversed(p.history)],
                    gifts=[{"date": g.date.isoformat(), "what": g.what, "value": g.value} for g in p.gifts],
                    gift_total=sum(g.value for g in p.gifts if g.date.year == self.today.year),
                    notes=Markup(outputs.markdown(p.notes)),
                    warnings=self.warnings_by_partner.get(p.id, []),
                    touches=len(self.a.touches[p.id].all), last=self._last(p))

    def _next_state(self, p, s):
        t = next((t for t in self.tasks_by_partner.get(p.id, ()) if t.task == "next-step" and t.line == s.line), None)
        return t.state if t else ("done" if s.done else "open")

    def _timeline(self, p, root):
        if p.met is None:
            return []
        upto = self.today + timedelta(days=42)
        rotating = on_rotation(p, self.today)   # a paused or closed partner's steps are history, with no draft
        all_steps = [s for s in self.a.projected.get(p.id, []) if s.start <= upto] \
            if rotating or (p.anchor and p.anchor > self.today) else self.a.steps.get(p.id, [])
        past = [s for s in all_steps if s.start <= self.today]
        future = [s for s in all_steps if s.start > self.today][:4]
        shown = past[-12:] + future
        return [{"n": s.n, "week": s.week, "play": self.pb.plays[s.play].name,
                 "planned": self.pb.plays[s.planned].name if s.planned != s.play else None,
                 "start": s.start.isoformat(), "end": (s.end - timedelta(days=1)).isoformat(),
                 "status": s.status, "label": STATE_LABEL[s.status], "engaged": s.engaged,
                 "current": s.start <= self.today < s.end,
                 "draft": self._draft_href(p.id, s.play, root) if rotating and s.start <= self.today < s.end
                 and s.status == "due" else None} for s in shown]

    def _referrals(self, p, root):
        out = []
        loops = self.loops_by_partner.get(p.id, [])
        for r in sorted(p.referrals, key=lambda r: (r.received.dt, r.index)):
            mine = [self.loop_row(x, root) for x in loops if x.referral_index == r.index]
            out.append({"client": self.client(r.client, p.id), "received": when(r.received),
                        "outcome": r.outcome or "pending", "reason": r.reason,
                        "bounced_to": self.ws.by_id[r.bounced_to].name if r.bounced_to else None,
                        "bounced_href": f"{r.bounced_to}.html" if r.bounced_to else None,
                        "intake": when(r.intake), "first_session": when(r.first_session), "loops": mine})
        return out

    def _shared(self, p, root):
        out = []
        for c in p.shared_clients:
            task = next((t for t in self.tasks_by_partner.get(p.id, ()) if t.task == "care-update"
                         and t.line == c.line), None)
            out.append({"client": self.client(c.client, p.id), "goals": c.goals, "start": c.start.isoformat(),
                        "progress": c.progress, "next": c.next, "ended": c.ended.isoformat() if c.ended else None,
                        "updates": [u.isoformat() for u in c.updates],
                        "next_update": task.deadline.isoformat() if task else None,
                        "state": task.state if task else "ended"})
        return out

    # -- Calendar -------------------------------------------------------------------------------
    def calendar_pages(self):
        monday = self.today - timedelta(days=self.today.weekday())
        weeks = [monday + timedelta(weeks=i) for i in range(-4, 8)]
        horizon = weeks[-1] + timedelta(days=7)
        rows, events = [], []
        for p in self.ws.partners:
            if not (p.status == "active" and p.met is not None):
                continue
            all_steps = [s for s in self.a.projected.get(p.id, []) if s.start <= horizon]
            shown = [s for s in all_steps if s.start >= weeks[0]]   # the grid's weeks only
            cells = []
            for w in weeks:
                cell = [{"play": self.pb.plays[s.play].name, "status": s.status, "label": STATE_LABEL[s.status],
                         "number": self.pb.plays[s.play].number, "start": s.start.isoformat()}
                        for s in shown if w <= s.start < w + timedelta(days=7)]
                cells.append({"steps": cell, "this_week": w == monday})
            rows.append({"partner": p.name, "href": self.partner_href(p.id), "cells": cells})
            for s in all_steps:
                if s.end > self.today and s.start < horizon:
                    play = self.pb.plays[s.play]
                    d = self.draft_by_key.get((p.id, s.play))
                    subject = d.subject if d else (self._batch_subject() if play.is_filter else "")
                    desc = f"{play.purpose or play.name}" + (f"\nDraft subject: {subject}" if subject else "")
                    events.append({"uid": f"{p.id}-step-{s.n}@nurturekit", "start": s.start, "end": s.end,
                                   "summary": f"{play.name}: {p.name}", "description": desc})
        events.sort(key=lambda e: (e["start"], e["uid"]))
        self.render("calendar.html", "calendar.html.j2", title="Calendar", weeks=[
            {"start": w.isoformat(), "label": w.strftime("%b %d"), "this_week": w == monday} for w in weeks],
            rows=rows)
        self.pages["calendar.ics"] = outputs.ics(events, self.a.now, f"{self.pb.practice.get('name')}: plays")

    def _batch_subject(self):
        d = self.draft_by_key.get("referral-filter-batch")
        return d.subject if d else ""

    # -- Drafts ---------------------------------------------------------------------------------
    def draft_pages(self, only=None, index=True):
        """Every draft's page and .eml, and the drafts index; with `only` (a set of partner
        ids), the drafts of those partners plus, when `index`, the practice-wide drafts (the
        batch email) and the index."""
        sender = (self.pb.practice.get("sender") or "", self.pb.practice.get("email") or "")
        for d in self.drafts:
            if only is not None and d.partner not in only and not (index and d.partner is None):
                continue
            link = outputs.mailto(d.to, d.subject, d.body, d.bcc)
            self.pages[f"drafts/{d.slug}.eml"] = outputs.eml(sender, d.to, d.subject, d.body, d.bcc)
            partner = self.ws.by_id.get(d.partner) if d.partner else None
            self.render(f"drafts/{d.slug}.html", "draft.html.j2", title=d.title, d=d, mailto=link,
                        body_html=_mark_placeholders(d.body), partner=partner,
                        partner_href=f"../partners/{partner.id}.html" if partner else None,
                        missing_email=[n for n, e in d.to + d.bcc if not e],
                        placeholders=d.body.count("[["))
        order = {"loop": 0, "task": 1, "batch": 2, "step": 3, "prospect": 4}
        if index:
            rows = [{"slug": d.slug, "title": d.title, "kind": d.kind, "due": d.due, "subject": d.subject,
                     "placeholders": d.body.count("[[")} for d in self.drafts]
            rows.sort(key=lambda r: (order[r["kind"]], r["title"]))
            self.render("drafts/index.html", "drafts.html.j2", title="Drafts", rows=rows)

    # -- Playbook and card ----------------------------------------------------------------------
    def playbook_pages(self):
        plays = sorted([p for p in self.pb.plays.values() if p.number], key=lambda p: p.number)
        others = [p for p in self.pb.plays.values() if not p.number]
        calendar = [{"week": i, "play": self.pb.plays[pid].name, "kind": self.pb.plays[pid].kind,
                     "purpose": self.pb.plays[pid].purpose} for i, pid in enumerate(self.pb.calendar, 1)]
        strategies = [{"kind": KIND_LABEL[k], **v} for k, v in self.pb.strategies.items()]
        loops = self.pb.loops
        ctx = dict(plays=plays, others=others, calendar=calendar, strategies=strategies, rules=GOLDEN_RULES,
                   loops=loops, ladder=list(self.pb.thank_you.items()),
                   repeat_from=self.pb.rotation["repeat_from"], rotation=self.pb.rotation,
                   targets=[{"label": LABELS[k], "target": fmt_target(k, v)} for k, v in self.pb.targets.items()
                            if v is not None])
        self.render("playbook.html", "playbook.html.j2", title="Playbook", **ctx)
        self.render("card.html", "card.html.j2", title="Quick reference card", **ctx)

    def pipeline_page(self):
        rows = [self._prospect_row(*x) for x in self.a.prospects()]
        stages = [("new", "New: no contact yet", [r for r in rows if r["stage"] == "new"]),
                  ("follow", "Contacted: follow up now", [r for r in rows if r["follow_up"]]),
                  ("contacted", "Contacted: waiting", [r for r in rows if r["stage"] == "contacted"
                                                       and not r["follow_up"]])]
        booked = [{"partner": p.name, "href": self.partner_href(p.id), "met": p.met.isoformat()}
                  for p in self.ws.partners if p.met and p.met > self.today and p.status == "active"]
        recent = [{"partner": p.name, "href": self.partner_href(p.id), "met": p.met.isoformat()}
                  for p in self.ws.partners if p.met and self.today - timedelta(days=28) < p.met <= self.today]
        self.render("pipeline.html", "pipeline.html.j2", title="Pipeline", stages=stages, booked=booked,
                    recent=recent, metric=self.a.metrics["meetings_per_week"],
                    metric_text=fmt_value("meetings_per_week", self.a.metrics["meetings_per_week"]["value"]),
                    target_text=fmt_target("meetings_per_week", self.a.metrics["meetings_per_week"]["target"]))


def _mark_placeholders(body: str) -> Markup:
    """The body as HTML with [[...]] placeholders highlighted (everything else escaped)."""
    import re
    from markupsafe import escape
    parts = re.split(r"(\[\[.*?\]\])", body, flags=re.S)
    out = []
    for part in parts:
        if part.startswith("[[") and part.endswith("]]"):
            out.append(Markup('<mark class="fill">') + escape(part) + Markup("</mark>"))
        else:
            out.append(escape(part))
    return Markup("").join(out)


__all__ = ["Site", "DEFINITIONS"]
