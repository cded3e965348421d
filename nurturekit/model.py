"""The validated workspace as frozen dataclasses; every record knows its line."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date

from .timeutil import Moment

KINDS = ("pediatrician", "pcp", "diagnostician", "therapist", "school", "daycare", "other")
TIERS = ("high", "standard")
STATUSES = ("active", "paused", "closed")
OUTCOMES = ("pending", "intake", "started", "bounced", "declined", "no-show")
PLAY_KINDS = ("meeting", "personal", "filter", "outreach", "loop")


def _by_constructor(cls):
    """Pickle a slotted record as a call of its constructor with every field in order: the
    cache holds tens of thousands, and this loads several times faster than slots' setstate."""
    names = tuple(f.name for f in fields(cls))

    def __reduce__(self):
        return cls, tuple(getattr(self, n) for n in names)
    cls.__reduce__ = __reduce__
    return cls


@_by_constructor
@dataclass(frozen=True, slots=True)
class HistoryEntry:
    date: Moment
    play: str
    note: str | None = None
    replied: Moment | None = None
    with_: str | None = None
    line: int = 0
    col: int = 0


@_by_constructor
@dataclass(frozen=True, slots=True)
class Referral:
    client: str
    received: Moment
    family_contacted: Moment | None = None
    acknowledged: Moment | None = None
    intake: Moment | None = None
    first_session: Moment | None = None
    loop_closed: Moment | None = None
    thanked: Moment | None = None
    outcome: str | None = None
    reason: str | None = None
    bounced: Moment | None = None
    bounced_to: str | None = None
    referrer_told: Moment | None = None
    receiver_told: Moment | None = None
    line: int = 0
    col: int = 0
    index: int = 0      # position in the file, for stable ordering


@_by_constructor
@dataclass(frozen=True, slots=True)
class SharedClient:
    client: str
    start: date
    goals: str | None = None
    updates: tuple = ()
    progress: str | None = None
    next: str | None = None
    ended: date | None = None
    line: int = 0
    col: int = 0


@_by_constructor
@dataclass(frozen=True, slots=True)
class NextStep:
    what: str
    promised: date | None = None
    due: date | None = None
    done: date | None = None
    line: int = 0
    col: int = 0


@_by_constructor
@dataclass(frozen=True, slots=True)
class Gift:
    date: date
    what: str | None = None
    value: float = 0
    line: int = 0
    col: int = 0


@_by_constructor
@dataclass(frozen=True, slots=True)
class Partner:
    id: str
    path: str
    name: str
    kind: str
    practice: str | None = None
    specialty: str | None = None
    email: str | None = None
    phone: str | None = None
    fax: str | None = None
    address: str | None = None
    npi: str | None = None
    npi_line: int = 1
    tier: str = "standard"
    owner: str | None = None
    status: str = "active"
    met: date | None = None
    restart: date | None = None
    tags: tuple = ()
    staff: tuple = ()          # ({name, role, ...}, ...)
    answers: dict = field(default_factory=dict)
    next_steps: tuple = ()
    history: tuple = ()
    referrals: tuple = ()
    shared_clients: tuple = ()
    gifts: tuple = ()
    notes: str = ""
    notes_line: int = 1
    mentions: frozenset = frozenset()   # partners whose touches this file may hold (warm introductions, bounces)

    @property
    def anchor(self) -> date | None:
        return self.restart or self.met


@dataclass(frozen=True, slots=True)
class Workspace:
    root: str
    playbook: "object"
    partners: tuple           # sorted by id
    by_id: dict = field(default_factory=dict)
