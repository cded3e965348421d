"""Touches and the rotation (semantics.md "Touches" and "The rotation"). Pure."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import NamedTuple
from datetime import date, timedelta


class Touch(NamedTuple):
    day: date
    filter: bool
    source: str      # what made it: "history", "acknowledged", "care update", ...
    line: int
    from_partner: str  # the file the record lives in


class Step(NamedTuple):   # a NamedTuple, not a frozen dataclass: built ~100 times per partner per run
    n: int
    week: int
    planned: str
    play: str
    start: date
    end: date          # exclusive
    engaged: bool
    status: str        # done | missed | due | upcoming


class PartnerTouches:
    """A partner's touches (dated on or before today), sorted, with fast range queries."""

    def __init__(self, touches):
        self.all = sorted(touches, key=lambda t: (t.day, t.line))
        self.days = [t.day for t in self.all]
        self.personal = [t.day for t in self.all if not t.filter]
        self.filter = [t.day for t in self.all if t.filter]

    def any_in(self, start: date, end: date, filter_kind: bool) -> bool:
        days = self.filter if filter_kind else self.personal
        i = bisect_left(days, start)
        return i < len(days) and days[i] < end

    def count_in(self, start: date, end_inclusive: date) -> int:
        return bisect_right(self.days, end_inclusive) - bisect_left(self.days, start)

    @property
    def last(self) -> date | None:
        return self.days[-1] if self.days else None


def collect_touches(partners, plays, today, only=None):
    """Every partner id (or each id in `only`) -> PartnerTouches. Records dated after today
    are ignored. Every file is still read for `only`: a warm introduction or a bounce notice
    logged in another partner's file is a touch of this one."""
    raw = {p.id: [] for p in partners if only is None or p.id in only}

    def add(pid, day, is_filter, source, line, owner):
        if day <= today and pid in raw:
            raw[pid].append(Touch(day, is_filter, source, line, owner))

    # with `only`, just the files that can hold those partners' touches: their own, and the
    # ones that mention them (a warm introduction, a bounce)
    sources = partners if only is None else [p for p in partners if p.id in raw or not p.mentions.isdisjoint(raw)]
    for p in sources:
        for h in p.history:
            play = plays.get(h.play)
            add(p.id, h.date.day, bool(play and play.is_filter), h.play, h.line, p.id)
            if h.play == "warm-introduction" and h.with_:
                add(h.with_, h.date.day, False, "warm-introduction", h.line, p.id)
        for r in p.referrals:
            for key in ("acknowledged", "loop_closed", "thanked", "referrer_told"):
                m = getattr(r, key)
                if m is not None:
                    add(p.id, m.day, False, key, r.line, p.id)
            if r.receiver_told is not None and r.bounced_to:
                add(r.bounced_to, r.receiver_told.day, False, "receiver_told", r.line, p.id)
        for c in p.shared_clients:
            for u in c.updates:
                add(p.id, u, False, "care update", c.line, p.id)
    return {pid: PartnerTouches(ts) for pid, ts in raw.items()}


def on_rotation(p, today) -> bool:
    return p.status == "active" and p.met is not None and p.anchor <= today


def week_of(n: int, length: int, repeat_from: int) -> int:
    if n <= length:
        return n
    return repeat_from + (n - repeat_from) % (length - repeat_from + 1)


class Engagement:
    """Engaged on day d: a referral received in (d-R, d] or a reply in (d-Y, d]."""

    def __init__(self, partner, today, referral_days, reply_days):
        self.referrals = sorted(r.received.day for r in partner.referrals if r.received.day <= today)
        self.replies = sorted(h.replied.day for h in partner.history
                              if h.replied is not None and h.replied.day <= today)
        self.rdays, self.ydays = referral_days, reply_days

    @staticmethod
    def _hit(days, d, span):
        i = bisect_right(days, d)
        return i > 0 and days[i - 1] > d - timedelta(days=span)

    def on(self, d: date) -> bool:
        return self._hit(self.referrals, d, self.rdays) or self._hit(self.replies, d, self.ydays)


def has_shared_client(partner, d: date, today: date) -> bool:
    for c in partner.shared_clients:
        if c.start > today or c.start > d:
            continue
        ended = c.ended if c.ended is not None and c.ended <= today else None
        if ended is None or d < ended:
            return True
    return False


def resolve_play(planned, partner, d, plays, today):
    """The step's play: the planned one, or its `otherwise` when the partner lacks what the
    planned play `requires` on day d. One substitution, as the spec says: the `otherwise`
    play is used as it is, whatever it requires itself."""
    play = plays.get(planned)
    if play is None or not play.otherwise:
        return planned
    req = play.requires
    lacks = (req.get("tier") == "high" and partner.tier != "high") or \
            (bool(req.get("shared_clients")) and not has_shared_client(partner, d, today))
    return play.otherwise if lacks else planned


def _date_free(planned, plays) -> bool:
    """True when the play a week resolves to cannot depend on the day (no shared-clients rule)."""
    play = plays.get(planned)
    return play is None or not play.otherwise or not play.requires.get("shared_clients")


def steps(partner, touches: PartnerTouches, playbook, today: date, until: date | None = None):
    """The partner's steps from its anchor through the one holding `until` (default today).

    The hot loop of every command (a partner with three years of history has 150 steps), so
    the per-step work is kept small: a week's play is resolved once unless a shared-clients
    rule makes it depend on the day, and the engagement and touch look-ups are inlined
    bisections over sorted day lists (the same rules as Engagement.on and any_in)."""
    if partner.anchor is None:
        return []
    rot, cal, plays = playbook.rotation, playbook.calendar, playbook.plays
    std_len, eng_len = timedelta(days=rot["standard_days"]), timedelta(days=rot["engaged_days"])
    ref_span, reply_span = timedelta(days=rot["engaged_referral_days"]), timedelta(days=rot["engaged_reply_days"])
    referred = sorted(r.received.day for r in partner.referrals if r.received.day <= today)
    replies = sorted(h.replied.day for h in partner.history if h.replied is not None and h.replied.day <= today)
    weeks, repeat = len(cal), rot["repeat_from"]
    fixed = {}                                   # planned play -> its play, when that never depends on the day
    filters = {pid: pl.is_filter for pid, pl in plays.items()}
    personal, filtered = touches.personal, touches.filter
    until = until or today
    out, start, n = [], partner.anchor, 1
    while start <= until:
        i = bisect_right(referred, start)
        engaged = i > 0 and referred[i - 1] > start - ref_span
        if not engaged:
            i = bisect_right(replies, start)
            engaged = i > 0 and replies[i - 1] > start - reply_span
        end = start + (eng_len if engaged else std_len)
        week = n if n <= weeks else repeat + (n - repeat) % (weeks - repeat + 1)
        planned = cal[week - 1]
        play = fixed.get(planned)
        if play is None:
            play = resolve_play(planned, partner, start, plays, today)
            if _date_free(planned, plays):
                fixed[planned] = play
        if n == 1:
            status = "done"
        else:
            days = filtered if filters.get(play, False) else personal
            j = bisect_left(days, start) if start <= today else len(days)
            if j < len(days) and days[j] < end:
                status = "done"
            elif end <= today:
                status = "missed"
            elif start <= today:
                status = "due"
            else:
                status = "upcoming"
        out.append(Step(n, week, planned, play, start, end, engaged, status))
        start, n = end, n + 1
    return out


def current_step(all_steps, today):
    for s in reversed(all_steps):
        if s.start <= today < s.end:
            return s
    return None
