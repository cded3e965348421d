"""Email drafts for due steps, open loops, overdue tasks and prospects (pure but for Jinja)."""
from __future__ import annotations

import re
from dataclasses import dataclass


ORG_WORDS = re.compile(r"\b(therapy|therapies|clinic|center|centre|medicine|school|program|pediatrics|counsel+ing|"
                       r"speech|language|family|group|practice|associates|services|health|elementary|academy|"
                       r"daycare|care|learning|kids|children'?s|occupational|evaluations?)\b", re.I)


@dataclass(frozen=True)
class Draft:
    slug: str
    kind: str          # step | loop | task | batch | prospect
    title: str
    todo: str          # what to do, for the person sending it
    play: str
    partner: str | None
    to: tuple          # ((name, email or ""), ...)
    bcc: tuple
    subject: str
    body: str
    due: str = ""      # when it is due, as text


STATUS_TEXT = {"open": "openings now", "waitlist": "waitlist", "closed": "not taking new clients"}


def opening_line(o) -> str:
    parts = [o.get("service") or "Service"]
    if o.get("ages"):
        parts.append(f"ages {o['ages']}")
    if o.get("area"):
        parts.append(o["area"])
    text = ", ".join(parts) + ": " + STATUS_TEXT.get(o.get("status") or "open", "openings now")
    return text + (f" ({o['note']})" if o.get("note") else "")


def how_to_refer(practice) -> str:
    ways = []
    if practice.get("phone"):
        ways.append(f"call {practice['phone']}")
    if practice.get("fax"):
        ways.append(f"fax {practice['fax']}")
    if practice.get("referral_form"):
        ways.append(f"use our form at {practice['referral_form']}")
    if practice.get("email"):
        ways.append(f"email {practice['email']}")
    if not ways:
        return "[[how to refer: phone, fax or form link]]"
    return ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + ways[-1]


def salutation(p) -> str:
    name = (p.name or "").strip()
    words = name.replace(",", " ").split()
    if words and words[0].rstrip(".").lower() == "dr":
        return f"Dr. {words[-1]}" if len(words) > 1 else name
    if ORG_WORDS.search(name) or len(words) > 3:
        return f"{name} team"
    return words[0] if words else "there"


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


class DraftMaker:
    def __init__(self, analysis, templates, diags, client=lambda c, pid=None: c):
        self.a = analysis
        self.ws = analysis.workspace
        self.pb = self.ws.playbook
        self.t = templates
        self.diags = diags
        self.client = client
        practice = dict(self.pb.practice)
        practice.setdefault("insurance", [])
        practice["insurance"] = practice.get("insurance") or []
        practice["openings"] = [{"service": o.get("service"), "ages": o.get("ages"), "area": o.get("area"),
                                 "status": o.get("status") or "open", "note": o.get("note"), "line": opening_line(o)}
                                for o in practice.get("openings") or []]
        practice["how_to_refer"] = how_to_refer(practice)
        self.practice = practice

    # -- contexts ----------------------------------------------------------------------------
    def person(self, p):
        last_note = next((h.note for h in reversed(p.history) if h.note and h.date.day <= self.a.today), None)
        return {"id": p.id, "name": p.name, "salutation": salutation(p), "practice": p.practice,
                "specialty": p.specialty, "kind": p.kind, "email": p.email or "",
                "answers": {k: p.answers.get(k) for k in ("serve", "challenge", "process", "easier")},
                "staff": [dict(s) for s in p.staff], "last_note": last_note}

    def referral(self, r, pid):
        fmt = lambda m: m.iso().replace("T", " ") if m else None  # noqa: E731
        return {"client": self.client(r.client, pid), "received": fmt(r.received), "intake": fmt(r.intake),
                "first_session": fmt(r.first_session), "family_contacted": fmt(r.family_contacted),
                "outcome": r.outcome, "reason": r.reason}

    def render(self, play, ctx):
        base = {"practice": self.practice, "play": self._play(play), "partner": None, "other": None,
                "referral": None, "shared": None, "to_receiver": False, "number": None, "action": None}
        base.update(ctx)
        text = self.t.render(f"emails/{play}.txt", base, self.diags)
        if text is None:
            return "", ""
        text = text.strip("\n")
        first, _, rest = text.partition("\n")
        if first.lower().startswith("subject:"):
            return first.split(":", 1)[1].strip(), rest.strip("\n") + "\n"
        return self.pb.plays[play].name if play in self.pb.plays else play, text + "\n"

    def _play(self, pid):
        p = self.pb.plays.get(pid)
        return {"id": pid, "name": p.name if p else pid, "purpose": (p.purpose if p else "") or ""}

    def make(self, kind, slug, title, todo, play, partner, to, ctx, bcc=(), due=""):
        subject, body = self.render(play, ctx)
        return Draft(slug, kind, title, todo, play, partner, tuple(to), tuple(bcc), subject, body, due)

    # -- the drafts ----------------------------------------------------------------------------
    def all(self):
        out = self.steps() + self.loops() + self.tasks() + self.prospects()
        seen, unique = set(), []
        for d in out:
            if d.slug not in seen:
                seen.add(d.slug)
                unique.append(d)
        return unique

    def steps(self):
        out, batch = [], []
        for p, s in self.a.current_steps():
            if s.status != "due":
                continue
            play = self.pb.plays[s.play]
            if play.is_filter:
                batch.append(p)
                continue
            if play.kind != "personal":
                continue
            who = self.person(p)
            to = [(p.name, p.email or "")]
            due = f"{s.start} to {s.end}"
            todo = play.purpose or play.name
            title = f"{play.name} for {p.name}"
            if s.play == "care-collaboration":
                active = [c for c in p.shared_clients if c.start <= self.a.today and
                          (c.ended is None or c.ended > self.a.today)]
                for c in active or [None]:
                    shared = self._shared(c, p.id) if c else None
                    slug = f"{p.id}-care-collaboration" + (f"-{slugify(c.client)}" if c else "")
                    out.append(self.make("step", slug, title, todo, s.play, p.id, to,
                                         {"partner": who, "shared": shared}, due=due))
                continue
            ctx = {"partner": who}
            if s.play == "warm-introduction":
                other = self._introduce(p)
                if other is not None:
                    ctx["other"] = self.person(other)
                    to.append((other.name, other.email or ""))
                    todo += f" Suggested: {other.name} ({other.kind}); change it if someone fits better."
            out.append(self.make("step", f"{p.id}-{s.play}", title, todo, s.play, p.id, to, ctx, due=due))
        if batch:
            play = self.pb.plays["referral-filter"] if "referral-filter" in self.pb.plays else None
            pid = "referral-filter" if play else next(k for k, v in self.pb.plays.items() if v.is_filter)
            bcc = [(p.name, p.email or "") for p in batch]
            names = ", ".join(p.name for p in batch)
            out.insert(0, self.make("batch", "referral-filter-batch", f"Availability email to {len(batch)} partner"
                                    f"{'s' if len(batch) != 1 else ''}",
                                    f"One email to everyone whose referral-filter step is due, in Bcc: {names}. "
                                    f"Check the openings in playbook.yaml first.",
                                    pid, None, [(self.practice.get("name"), self.practice.get("email") or "")],
                                    {"partner": None}, bcc=bcc, due="this week"))
        return out

    def _shared(self, c, pid):
        return {"client": self.client(c.client, pid), "goals": c.goals, "start": c.start.isoformat(),
                "progress": c.progress, "next": c.next}

    def _introduce(self, p):
        """A partner worth introducing p to: on the rotation, another kind, not introduced before;
        among those, high tier first, then by id (the same kind only when no other kind is left)."""
        if not hasattr(self, "_introduced"):   # built once: who met whom, and the candidates in order
            self._introduced = {}
            for q in self.ws.partners:
                for h in q.history:
                    if h.with_:
                        self._introduced.setdefault(q.id, set()).add(h.with_)
                        self._introduced.setdefault(h.with_, set()).add(q.id)
            self._introducible = sorted((q for q in self.ws.partners if q.status == "active" and q.met),
                                        key=lambda q: (q.tier != "high", q.id))
        done = self._introduced.get(p.id, set())
        fits = (q for same in (False, True) for q in self._introducible
                if (q.kind == p.kind) == same and q.id != p.id and q.id not in done)
        return next(fits, None)   # stops at the first fit: no pass over every partner per draft

    def loops(self):
        out = []
        for x in self.a.loops:
            if x.state not in ("overdue", "open") or x.loop == "contact-family":
                continue
            p = self.ws.by_id[x.partner]
            r = next(r for r in p.referrals if r.index == x.referral_index)
            ref = self.referral(r, p.id)
            slug = f"{p.id}-{x.loop}-{slugify(ref['client'])}-{r.received.day.isoformat()}"
            state = "overdue" if x.state == "overdue" else "due"
            due = f"{state}: {x.deadline.iso().replace('T', ' ')}"
            ctx = {"partner": self.person(p), "referral": ref}
            if x.loop == "acknowledge":
                out.append(self.make("loop", slug, f"Thank {p.name} for referring {ref['client']}",
                                     "Thank the referrer and say the family has been contacted.",
                                     "referral-thank-you", p.id, [(p.name, p.email or "")], ctx, due=due))
            elif x.loop == "close-loop":
                out.append(self.make("loop", slug, f"Close the loop with {p.name} on {ref['client']}",
                                     "Tell the referrer how it went after the first session (or what happened).",
                                     "loop-closure", p.id, [(p.name, p.email or "")], ctx, due=due))
            else:
                other = self.ws.by_id.get(r.bounced_to)
                ctx["other"] = self.person(other) if other else None
                if x.loop == "bounce-referrer":
                    out.append(self.make("loop", slug, f"Tell {p.name} where {ref['client']} went",
                                         "Tell the referrer which provider you sent the family to.",
                                         "bounce-notice", p.id, [(p.name, p.email or "")], ctx, due=due))
                elif other is not None:
                    ctx["to_receiver"] = True
                    out.append(self.make("loop", slug, f"Tell {other.name} that {ref['client']} is coming",
                                         f"Tell the receiving provider about the family {p.name} referred.",
                                         "bounce-notice", other.id, [(other.name, other.email or "")], ctx, due=due))
        return out

    def tasks(self):
        out = []
        for t in self.a.tasks:
            if t.state != "overdue":
                continue
            p = self.ws.by_id[t.partner]
            due = f"overdue: {t.deadline}"
            if t.task == "care-update":
                c = next(c for c in p.shared_clients if c.line == t.line)
                out.append(self.make("task", f"{p.id}-care-update-{slugify(c.client)}",
                                     f"Care-collaboration update on {self.client(c.client, p.id)} for {p.name}",
                                     "Send the one-page progress snapshot on a client you share.",
                                     "care-collaboration", p.id, [(p.name, p.email or "")],
                                     {"partner": self.person(p), "shared": self._shared(c, p.id)}, due=due))
            elif t.task == "thank-you":
                action = self.pb.thank_you.get(t.number, "")
                out.append(self.make("task", f"{p.id}-thank-you-{t.number}",
                                     f"Thank-you for {p.name}'s referral number {t.number}",
                                     f"Thank-you ladder, referral {t.number}: {action}.", "thank-you-gift", p.id,
                                     [(p.name, p.email or "")], {"partner": self.person(p), "number": t.number,
                                                                 "action": action}, due=due))
        return out

    def prospects(self):
        out = []
        for p, stage, last, follow in self.a.prospects():
            if stage == "new" or follow:
                todo = "A first, personal note asking for a short meeting." if stage == "new" else \
                    f"Follow up: last contact {last}."
                out.append(self.make("prospect", f"{p.id}-intro-email", f"Introduction to {p.name}", todo,
                                     "intro-email", p.id, [(p.name, p.email or "")], {"partner": self.person(p)},
                                     due="this week"))
        return out

