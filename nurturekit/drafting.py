"""`nurturekit draft`: one draft as paste-ready text."""
from __future__ import annotations

from .diagnostics import suggest
from .drafts import DraftMaker
from .templates import Templates


def as_text(d) -> str:
    def people(pairs):
        return ", ".join(f"{n} <{e}>" if e else f"{n} (no email on file)" for n, e in pairs)
    head = [f"To: {people(d.to)}"] + ([f"Bcc: {people(d.bcc)}"] if d.bcc else []) + [f"Subject: {d.subject}"]
    return "\n".join(head) + "\n\n" + d.body


def draft_for(a, root, pid, play=None, loop=None, client=None):
    """Returns (text, problem)."""
    ws = a.workspace
    if pid not in ws.by_id:
        return None, f"no partner '{pid}'{suggest(pid, ws.by_id)}"
    p = ws.by_id[pid]
    diags = []
    maker = DraftMaker(a, Templates(root), diags)
    if loop:
        drafts = [d for d in maker.loops() if d.slug.startswith(f"{pid}-{loop}-") and
                  (client is None or d.title.find(client) >= 0)]
        if not drafts:
            return None, f"no open {loop} loop for {pid}" + (f" and client {client}" if client else "")
        return _done(drafts[-1], diags)
    pb = ws.playbook
    if play is None:
        current = dict((q.id, s) for q, s in a.current_steps())
        step = current.get(pid)
        if p.met is None:
            play = "intro-email"
        elif step is None:
            return None, f"{pid} is not on the rotation ({p.status}); name a play to draft one anyway"
        elif step.status != "due":
            return None, (f"{pid}'s {pb.plays[step.play].name} for this week is already done; "
                          f"name a play to draft another")
        else:
            play = step.play
    if play not in pb.plays:
        return None, f"unknown play '{play}'{suggest(play, pb.plays)}"
    if pb.plays[play].is_filter:
        d = maker.make("batch", "filter", "Availability email", "", play, None,
                       [(pb.practice.get("name"), pb.practice.get("email") or "")], {"partner": None},
                       bcc=[(p.name, p.email or "")])
        return _done(d, diags)
    ctx = {"partner": maker.person(p)}
    to = [(p.name, p.email or "")]
    if play == "care-collaboration":
        active = [c for c in p.shared_clients if c.start <= a.today and (c.ended is None or c.ended > a.today)]
        ctx["shared"] = maker._shared(active[0], p.id) if active else None
    if play == "warm-introduction":
        other = maker._introduce(p)
        if other is not None:
            ctx["other"] = maker.person(other)
            to.append((other.name, other.email or ""))
    if play in ("referral-thank-you", "loop-closure", "bounce-notice", "thank-you-gift"):
        refs = sorted(p.referrals, key=lambda r: (r.received.dt, r.index))
        if not refs:
            return None, f"{pid} has no referral to write about"
        r = refs[-1]
        ctx["referral"] = maker.referral(r, p.id)
        other = ws.by_id.get(r.bounced_to) if r.bounced_to else None
        ctx["other"] = maker.person(other) if other else None
        ctx["number"], ctx["action"] = len(refs), pb.thank_you.get(len(refs), "")
    d = maker.make("step", f"{pid}-{play}", "", "", play, pid, to, ctx)
    return _done(d, diags)


def _done(d, diags):
    if diags:
        return None, "\n".join(str(x) for x in diags)
    return as_text(d), None
