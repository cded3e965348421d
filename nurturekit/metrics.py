"""Metrics against targets (semantics.md "Metrics"). Pure."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from .loops import referral_loops
from .rotation import on_rotation
from .timeutil import after, is_past, plus_hours, within

DEFINITIONS = {
    "active_partners": "Partners who sent a referral in the last 90 days.",
    "touchpoints_per_partner_month": "Touches in the last 30 days per partner on the rotation.",
    "reply_rate": "Share of referral-filter emails in the last 90 days that got a reply.",
    "meetings_per_week": "Initial meetings held in the last 4 weeks, per week.",
    "referrals_per_month": "Referrals received in the last 30 days.",
    "referral_to_intake": "Share of the last 90 days' referrals that reached an intake.",
    "loop_closure": "Share of the last 90 days' referrals acknowledged within the deadline.",
    "compliance": "Share of rotation steps that ended in the last 90 days and were done.",
}
LABELS = {
    "active_partners": "Active referral partners", "touchpoints_per_partner_month": "Touches per partner per month",
    "reply_rate": "Reply rate (filter emails)", "meetings_per_week": "New meetings per week",
    "referrals_per_month": "Referrals per month", "referral_to_intake": "Referral-to-intake rate",
    "loop_closure": "Loop closure (acknowledged on time)", "compliance": "Playbook compliance",
}
RATIOS = {"touchpoints_per_partner_month", "reply_rate", "meetings_per_week", "referral_to_intake",
          "loop_closure", "compliance"}


def status(value, target):
    if value is None or target is None:
        return None
    lo, hi = target
    if lo is not None and value < lo:
        return "below"
    if hi is not None and value > hi:
        return "above"
    return "on-target"


def _ratio(num, den):
    return None if den == 0 else round(num / den, 4)


def compliance_value(workspace, steps_by_partner, today, days=90):
    done = total = 0
    for p in workspace.partners:
        if not on_rotation(p, today):
            continue
        for s in steps_by_partner.get(p.id, []):
            if within(s.end, today, days):
                total += 1
                done += s.status == "done"
    return _ratio(done, total)


def compute(workspace, now: datetime, touches, steps_by_partner):
    today, pb = now.date(), workspace.playbook
    parts = workspace.partners
    refs = [(p, r) for p in parts for r in p.referrals if r.received.day <= today]
    last90 = [(p, r) for p, r in refs if within(r.received.day, today, 90)]
    rotation = [p for p in parts if on_rotation(p, today)]
    touch_count = sum(sum(1 for t in touches[p.id].all if within(t.day, today, 30)) for p in rotation)
    filters = [h for p in parts for h in p.history
               if pb.plays[h.play].is_filter and within(h.date.day, today, 90)]
    replied = sum(1 for h in filters if h.replied is not None and h.replied.day <= today)
    ack_base = []
    for p, r in last90:
        deadline = plus_hours(r.received, pb.loops["acknowledge_hours"])
        ack = r.acknowledged if r.acknowledged is not None and r.acknowledged.day <= today else None
        if ack is not None or is_past(deadline, now):
            ack_base.append(ack is not None and not after(ack, deadline))
    values = {
        "active_partners": len({p.id for p, _ in last90}),
        "touchpoints_per_partner_month": _ratio(touch_count, len(rotation)),
        "reply_rate": _ratio(replied, len(filters)),
        "meetings_per_week": round(sum(1 for p in parts if p.met and within(p.met, today, 28)) / 4, 4),
        "referrals_per_month": sum(1 for _, r in refs if within(r.received.day, today, 30)),
        "referral_to_intake": _ratio(sum(1 for _, r in last90 if r.intake is not None and r.intake.day <= today),
                                     len(last90)),
        "loop_closure": _ratio(sum(ack_base), len(ack_base)),
        "compliance": compliance_value(workspace, steps_by_partner, today),
    }
    out = {}
    for name in DEFINITIONS:
        target = pb.targets.get(name)
        value = values[name]
        out[name] = {"value": value, "target": target, "status": status(value, target)}
    return out
