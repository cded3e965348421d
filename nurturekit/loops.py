"""Referral loops, tasks and warnings (semantics.md "Loops", "Tasks", "Warnings"). Pure."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .rotation import current_step, on_rotation
from .timeutil import Moment, after, is_past, plus_days, plus_hours, within

LOOP_ORDER = ("acknowledge", "contact-family", "close-loop", "bounce-referrer", "bounce-receiver")
LOOP_FIELD = {"acknowledge": "acknowledged", "contact-family": "family_contacted", "close-loop": "loop_closed",
              "bounce-referrer": "referrer_told", "bounce-receiver": "receiver_told"}
LOOP_DRAFT = {"acknowledge": "referral-thank-you", "contact-family": None, "close-loop": "loop-closure",
              "bounce-referrer": "bounce-notice", "bounce-receiver": "bounce-notice"}


@dataclass(frozen=True)
class Loop:
    partner: str
    loop: str
    client: str
    received: Moment
    deadline: Moment
    state: str           # overdue | late | done | open
    done: Moment | None
    path: str
    line: int
    referral_index: int

    def as_json(self):
        return {"partner": self.partner, "loop": self.loop, "client": self.client,
                "received": self.received.iso(), "deadline": self.deadline.iso(),
                "path": self.path, "line": self.line}


@dataclass(frozen=True)
class Task:
    partner: str
    task: str
    client: str | None
    deadline: date
    state: str           # overdue | late | done | open
    path: str
    line: int
    what: str | None = None
    number: int | None = None   # referral number for thank-you

    def as_json(self):
        out = {"partner": self.partner, "task": self.task, "client": self.client,
               "deadline": self.deadline.isoformat(), "path": self.path, "line": self.line}
        if self.task == "next-step":
            out["what"] = self.what
        return out


@dataclass(frozen=True)
class Warning:
    partner: str | None
    warning: str
    message: str
    path: str
    line: int
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def as_json(self):
        return {"partner": self.partner, "warning": self.warning, "message": self.message,
                "path": self.path, "line": self.line}


def _seen(m, today):
    """A moment dated after today is ignored (treated as not there yet)."""
    return m if m is not None and m.day <= today else None


def referral_loops(partner, r, loops_cfg, now: datetime):
    today = now.date()
    rec = r.received
    specs = [("acknowledge", plus_hours(rec, loops_cfg["acknowledge_hours"])),
             ("contact-family", plus_hours(rec, loops_cfg["contact_family_hours"]))]
    first, intake = _seen(r.first_session, today), _seen(r.intake, today)
    if first is not None or r.outcome in ("declined", "no-show"):
        base = first or intake or rec
        specs.append(("close-loop", plus_days(base, loops_cfg["close_loop_days"])))
    if r.outcome == "bounced" and r.bounced is not None:
        dl = plus_days(r.bounced, loops_cfg["bounce_notice_days"])
        specs += [("bounce-referrer", dl), ("bounce-receiver", dl)]
    for name, deadline in specs:
        done = _seen(getattr(r, LOOP_FIELD[name]), today)
        if done is None:
            state = "overdue" if is_past(deadline, now) else "open"
        else:
            state = "late" if after(done, deadline) else "done"
        yield Loop(partner.id, name, r.client, rec, deadline, state, done, partner.path, r.line, r.index)


def numbered_referrals(partner, today):
    """[(number, referral)] in order of received (a bare date as 00:00), ties in file order."""
    live = [r for r in partner.referrals if r.received.day <= today]
    live.sort(key=lambda r: (r.received.dt, r.index))
    return list(enumerate(live, 1))


def all_loops(workspace, now: datetime, partners=None):
    """Every loop of every referral in `partners` (default: the whole workspace)."""
    today, pb = now.date(), workspace.playbook
    since = pb.practice.get("tracking_since")
    out = []
    for p in workspace.partners if partners is None else partners:
        for r in p.referrals:
            if r.received.day > today:
                continue
            for loop in referral_loops(p, r, pb.loops, now):
                if since is None or loop.deadline.day >= since:
                    out.append(loop)
    out.sort(key=lambda x: (x.partner, x.loop, x.received.dt, x.client))
    return out


def all_tasks(workspace, now: datetime, partners=None):
    today, pb = now.date(), workspace.playbook
    cfg, since = pb.loops, pb.practice.get("tracking_since")
    out = []
    for p in workspace.partners if partners is None else partners:
        for c in p.shared_clients:
            ended = c.ended if c.ended is not None and c.ended <= today else None
            if ended is not None or c.start > today:
                continue
            ups = [u for u in c.updates if u <= today]
            base = max(ups) if ups else c.start
            dl = base + timedelta(days=cfg["care_update_days"])
            out.append(Task(p.id, "care-update", c.client, dl, "overdue" if today > dl else "open", p.path, c.line))
        for s in p.next_steps:
            promised = s.promised if s.promised is not None and s.promised <= today else None
            dl = s.due or (promised + timedelta(days=cfg["next_step_days"]) if promised else None)
            if dl is None:
                continue
            done = s.done if s.done is not None and s.done <= today else None
            state = ("late" if done > dl else "done") if done else ("overdue" if today > dl else "open")
            out.append(Task(p.id, "next-step", None, dl, state, p.path, s.line, what=s.what))
        for n, r in numbered_referrals(p, today):
            if n not in pb.thank_you:
                continue
            dl = r.received.day + timedelta(days=cfg["thank_you_days"])
            done = _seen(r.thanked, today)
            state = ("late" if done.day > dl else "done") if done else ("overdue" if today > dl else "open")
            out.append(Task(p.id, "thank-you", r.client, dl, state, p.path, r.line, number=n))
    out = [t for t in out if since is None or t.deadline >= since]
    out.sort(key=lambda t: (t.partner, t.task, t.deadline, t.client or ""))
    return out


# phrases that turn a personal touch into a sales pitch
_SALESY = re.compile(
    r"\b(send|refer|pass|direct|keep)\b[^.!?\n]{0,40}\b(us|our way|our practice|to us)\b[^.!?\n]{0,30}\b(referral|referrals|famil(y|ies)|patients|clients|kids|children)\b"
    r"|\b(send|sending|refer|referring)\s+(us|our way)\s+(any\s+|more\s+|some\s+|your\s+)?(referrals?|famil(y|ies)|patients|clients|kids)\b"
    r"|\brefer\s+(your|more|any)\s+(families|patients|clients|kids|children)\b"
    r"|\b(we('| a)re|we are)\s+(always\s+)?(looking for|accepting|welcoming|happy to take)\s+(new\s+)?referrals\b"
    r"|\b(any|more|new)\s+referrals\b(?![^.!?\n]*\b(from|to)\s+(you|your)\s+(side|end)\b)[^.!?\n]{0,20}\b(appreciated|welcome|would help)\b"
    r"|\bkeep\s+us\s+in\s+mind\b[^.!?\n]{0,40}\b(referrals?|families|patients)\b"
    r"|\bthink of us\b[^.!?\n]{0,40}\b(referr|famil|patient)",
    re.I)


def is_salesy(text: str) -> bool:
    return bool(text) and bool(_SALESY.search(text))


def warnings_for(workspace, now: datetime, touches, steps_by_partner, templates=None, partners=None):
    """The warnings of `partners` (default: the whole workspace; duplicate NPIs are always
    looked for across every file) and of the draft templates."""
    today, pb = now.date(), workspace.playbook
    w, plays, out = pb.warnings, pb.plays, []
    filter_due = []
    for p in workspace.partners if partners is None else partners:
        if p.status != "active":
            continue
        t = touches[p.id]
        last = t.last
        if on_rotation(p, today):
            ref = max(d for d in (last, p.anchor) if d is not None)
            if (today - ref).days > w["cold_days"]:
                out.append(Warning(p.id, "cold", f"no touch for {(today - ref).days} days (since {ref}); the limit is "
                                   f"{w['cold_days']}: send this week's play", p.path, 1))
            cur = current_step(steps_by_partner.get(p.id, []), today)
            if cur and cur.status == "due" and plays[cur.play].is_filter:
                filter_due.append(p.id)
        if last is not None and (today - last).days > w["burst_silence_days"] and \
                t.count_in(last - timedelta(days=6), last) >= w["burst_touches"]:
            out.append(Warning(p.id, "burst-silence", f"{t.count_in(last - timedelta(days=6), last)} touches in the week "
                               f"to {last}, then silence for {(today - last).days} days: steady beats bursts", p.path, 1))
        span = w["generic_weeks"] * 7
        recent = [x for x in t.all if within(x.day, today, span)]
        if recent and all(x.filter for x in recent):
            out.append(Warning(p.id, "generic-only", f"only availability emails in the last {w['generic_weeks']} weeks; "
                               f"add a personal touch", p.path, 1))
        received = [r.received.day for r in p.referrals if r.received.day <= today]
        if received and (today - max(received)).days >= w["stale_referrer_days"]:
            out.append(Warning(p.id, "stale-referrer", f"last referral on {max(received)}, {(today - max(received)).days} "
                               f"days ago: try a care-collaboration update or a reverse referral", p.path, 1))
        for h in p.history:
            play = plays.get(h.play)
            if play and play.kind == "personal" and h.note and is_salesy(h.note) and h.date.day <= today:
                out.append(Warning(p.id, "salesy", f"history note on {h.date.day} asks for referrals in a personal "
                                   f"{play.name}; keep personal touches free of asks", p.path, h.line))
        if p.met is None and last is not None and (today - last).days > pb.rotation["standard_days"]:
            out.append(Warning(p.id, "prospect-idle", f"prospect last contacted {last} ({(today - last).days} days "
                               f"ago): follow up", p.path, 1))
        cap = pb.compliance.get("gift_cap_per_year")
        if cap is not None:
            years = defaultdict(float)
            for g in p.gifts:
                if g.date <= today:
                    years[g.date.year] += g.value
            for year, total in sorted(years.items()):
                if total > cap:
                    out.append(Warning(p.id, "gift-cap", f"gifts in {year} add up to {total:g}, over the yearly cap "
                                       f"of {cap:g}; check your compliance rules", p.path, 1))
    wanted = None if partners is None else {p.id for p in partners}
    out += [x for x in _npi_warnings(workspace) if wanted is None or x.partner in wanted]
    upd = pb.practice.get("openings_updated")
    if filter_due and (upd is None or (today - upd).days > w["openings_stale_days"]):
        since = f"last confirmed {upd}" if upd else "never confirmed"
        line = pb.lines.get("practice.openings_updated", pb.lines.get("practice", (1, 1)))[0]
        for pid in filter_due:
            out.append(Warning(pid, "openings-stale", f"a referral-filter email is due but the openings were {since}; "
                               f"update practice.openings in playbook.yaml first", pb.path, line))
    for name, path, line in (templates or []):
        out.append(Warning(None, "salesy", f"the draft for the personal play '{name}' asks for referrals; "
                           f"keep asks in referral-filter emails", path, line))
    out.sort(key=lambda x: (x.partner or "", x.warning, x.path, x.line))
    return out


def _npi_warnings(workspace):
    by_npi = defaultdict(list)
    for p in workspace.partners:
        if p.npi:
            by_npi[p.npi].append(p)
    out = []
    for npi, ps in by_npi.items():
        if len(ps) > 1:
            for p in ps:
                others = ", ".join(o.id for o in ps if o is not p)
                if p.status == "active":
                    out.append(Warning(p.id, "duplicate-npi", f"NPI {npi} is also in {others}: merge the files",
                                       p.path, p.npi_line))
    return out
