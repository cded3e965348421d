"""Dates and moments as the spec defines them (no time zones, parsed by hand)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_MOMENT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")

DATE_FORMS = "a date like 2026-05-01"
MOMENT_FORMS = "a date like 2026-05-01 or a moment like 2026-05-01 10:30 (or 2026-05-01T10:30)"


@dataclass(frozen=True, order=True, slots=True)
class Moment:
    """A date with an optional local time. Ordering is by (date, time or 00:00)."""

    day: date
    clock: time | None = None

    @property
    def has_time(self) -> bool:
        return self.clock is not None

    @property
    def dt(self) -> datetime:
        return datetime.combine(self.day, self.clock or time(0, 0))

    def iso(self) -> str:
        if self.clock is None:
            return self.day.isoformat()
        return f"{self.day.isoformat()}T{self.clock.hour:02d}:{self.clock.minute:02d}"

    def __str__(self) -> str:
        return self.iso()

    def __reduce__(self):   # the cache pickles tens of thousands: the constructor beats slots' setstate
        return Moment, (self.day, self.clock)


def parse_moment(text: str, *, allow_time: bool = True) -> Moment | None:
    """Parse 'YYYY-MM-DD' or 'YYYY-MM-DD[ T]HH:MM[:SS]'; None if not one of these."""
    m = _MOMENT.match(text.strip()) if isinstance(text, str) else None
    if not m:
        return None
    y, mo, d, hh, mm, ss = m.groups()
    if hh is not None and not allow_time:
        return None
    try:
        day = date(int(y), int(mo), int(d))
        clock = time(int(hh), int(mm), int(ss or 0)) if hh is not None else None
    except ValueError:
        return None
    return Moment(day, clock)


def parse_now(text: str) -> datetime | None:
    m = parse_moment(text)
    return m.dt if m else None


def before_or_same(a: Moment, b: Moment) -> bool:
    """a <= b, as moments when both carry a time, else by date."""
    if a.has_time and b.has_time:
        return a.dt <= b.dt
    return a.day <= b.day


def after(a: Moment, b: Moment) -> bool:
    return not before_or_same(a, b)


def plus_hours(x: Moment, hours: float) -> Moment:
    if x.has_time:
        t = x.dt + timedelta(hours=hours)
        return Moment(t.date(), t.time())
    return Moment(x.day + timedelta(days=math.ceil(hours / 24)))


def plus_days(x: Moment, days: int) -> Moment:
    return Moment(x.day + timedelta(days=days))


def is_past(deadline: Moment, now: datetime) -> bool:
    """Now is past the deadline: a moment is past when now > it; a bare date D once today > D."""
    if deadline.has_time:
        return now > deadline.dt
    return now.date() > deadline.day


def within(d: date, today: date, days: int) -> bool:
    """d in the half-open range (today - days, today]."""
    return today - timedelta(days=days) < d <= today
