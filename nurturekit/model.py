"""The validated workspace as frozen dataclasses; every record knows its line."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .timeutil import Moment

KINDS = ("pediatrician", "pcp", "diagnostician", "therapist", "school", "daycare", "other")
TIERS = ("high", "standard")
STATUSES = ("active", "paused", "closed")
OUTCOMES = ("pending", "intake", "started", "bounced", "declined", "no-show")
PLAY_KINDS = ("meeting", "personal", "filter", "outreach", "loop")


@dataclass(frozen=True)
class HistoryEntry:
    date: Moment
    play: str
    note: str | None = None
    replied: Moment | None = None
    with_: str | None = None
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class NextStep:
    what: str
    promised: date | None = None
    due: date | None = None
    done: date | None = None
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Gift:
    date: date
    what: str | None = None
    value: float = 0
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
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

    @property
    def anchor(self) -> date | None:
        return self.restart or self.met


@dataclass(frozen=True)
class Workspace:
    root: str
    playbook: "object"
    partners: tuple           # sorted by id
    by_id: dict = field(default_factory=dict)
