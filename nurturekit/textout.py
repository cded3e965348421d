"""Plain-text reports for people at a terminal (pure: returns lines)."""
from __future__ import annotations

from datetime import timedelta

from .loops import LOOP_DRAFT
from .metrics import LABELS, RATIOS

LOOP_TODO = {
    "acknowledge": "thank the referrer and say the family was contacted",
    "contact-family": "call the referred family",
    "close-loop": "tell the referrer how the first session went (or what happened)",
    "bounce-referrer": "tell the referrer where you sent the family",
    "bounce-receiver": "tell the receiving provider the family is coming",
}
TASK_TODO = {
    "care-update": "send a care-collaboration update",
    "next-step": "do what you promised",
    "thank-you": "thank-you ladder",
}


def _when(m):
    return m.iso().replace("T", " ")


def late_by(deadline, now):
    days = (now.date() - deadline.day).days
    if deadline.has_time:
        hours = int((now - deadline.dt).total_seconds() // 3600)
        if hours < 48:
            return f"{hours} h late"
        days = hours // 24
    return f"{days} day{'s' if days != 1 else ''} late"


def check_lines(a, style=lambda s, **k: s):
    ws, now = a.workspace, a.now
    names = {p.id: p.name for p in ws.partners}
    out = []
    loops, tasks = a.overdue_loops, a.overdue_tasks
    if loops:
        out.append(style(f"Overdue referral loops ({len(loops)})", fg="red", bold=True))
        for x in loops:
            out.append(f"  {x.path}:{x.line}  {names[x.partner]} ({x.partner}), client {x.client}, received "
                       f"{_when(x.received)}: {LOOP_TODO[x.loop]} [{x.loop}], due {_when(x.deadline)}, "
                       f"{late_by(x.deadline, now)}")
    if tasks:
        out.append(style(f"Overdue tasks ({len(tasks)})", fg="yellow", bold=True))
        for t in tasks:
            days = (now.date() - t.deadline).days
            if t.task == "next-step":
                what = f"{TASK_TODO[t.task]}: \"{t.what}\""
            elif t.task == "thank-you":
                what = f"{TASK_TODO[t.task]} for referral {t.number} (client {t.client}): " \
                       f"{ws.playbook.thank_you.get(t.number, '')}"
            else:
                what = f"{TASK_TODO[t.task]} on client {t.client}"
            out.append(f"  {t.path}:{t.line}  {names[t.partner]} ({t.partner}): {what}, due {t.deadline}, "
                       f"{days} day{'s' if days != 1 else ''} late")
    if a.warnings:
        out.append(style(f"Warnings ({len(a.warnings)})", fg="cyan", bold=True))
        for w in a.warnings:
            who = f"{names.get(w.partner, w.partner)} ({w.partner})" if w.partner else "practice"
            out.append(f"  {w.path}:{w.line}  {who}: {w.warning}: {w.message}")
    summary = f"{len(loops)} overdue loop{'s' if len(loops) != 1 else ''}, {len(tasks)} overdue " \
              f"task{'s' if len(tasks) != 1 else ''}, {len(a.warnings)} warning{'s' if len(a.warnings) != 1 else ''}" \
              f" ({len(ws.partners)} partners checked, as of {now.strftime('%Y-%m-%d %H:%M')})"
    out.append(style(summary, bold=True) if (loops or tasks) else style(summary, fg="green"))
    return out


def due_lines(a):
    ws = a.workspace
    plays = ws.playbook.plays
    out = [f"This week's plays (as of {a.today}):"]
    current = a.current_steps()
    if not current:
        out.append("  nobody is on the rotation yet: log an initial meeting with `met:` in a partner file")
    width = max((len(p.id) for p, _ in current), default=0)
    for p, s in current:
        play = plays[s.play].name
        sub = f" (instead of {plays[s.planned].name})" if s.play != s.planned else ""
        mark = "done" if s.status == "done" else "DUE "
        eng = ", engaged" if s.engaged else ""
        out.append(f"  [{mark}] {p.id.ljust(width)}  week {s.week:>2}  {play}{sub}, {s.start} to "
                   f"{s.end - timedelta(days=1)} (step {s.n}{eng})")
    pros = a.prospects()
    if pros:
        out.append("")
        out.append("Prospects (follow up first):")
        for p, stage, last, follow in sorted(pros, key=lambda x: (not x[3], x[0].id)):
            since = f"last touch {last}" if last else "no touch yet: send an introduction"
            flag = "FOLLOW UP " if follow else ""
            out.append(f"  {flag}{p.id}: {stage}, {since}")
    return out


def fmt_value(name, v):
    if v is None:
        return "n/a"
    if name in ("reply_rate", "referral_to_intake", "loop_closure", "compliance"):
        return f"{v * 100:.1f}%"
    if name in RATIOS:
        return f"{v:.2f}"
    return str(v)


def fmt_target(name, t):
    if t is None:
        return "no target"
    lo, hi = t
    if hi is None:
        return f"at least {fmt_value(name, lo)}"
    if lo is None:
        return f"at most {fmt_value(name, hi)}"
    return f"{fmt_value(name, lo)} to {fmt_value(name, hi)}"


def metrics_lines(a):
    out = [f"Metrics as of {a.today}:"]
    for name, m in a.metrics.items():
        state = {"below": "below target", "above": "above target", "on-target": "on target", None: ""}[m["status"]]
        target = f"target {fmt_target(name, m['target'])}" if m["target"] is not None else "no target set"
        out.append(f"  {LABELS[name]:<38} {fmt_value(name, m['value']):>8}   {target:<23} {state}".rstrip())
    return out


__all__ = ["check_lines", "due_lines", "metrics_lines", "LOOP_DRAFT"]
