"""The plan the stages fill in before (and while) they write: memberships, people,
branches with their posts, and the sittings of one branch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from branchtui.core.enums import MeetingStatus
from branchtui.demo.generate.dates import within


@dataclass(slots=True)
class Stint:
    """One Membership row."""

    member: int
    branch: int
    group: int | None
    starts: date
    ends: date | None
    note: str = ""


@dataclass(slots=True)
class Person:
    name: str
    gender: str
    birth: date
    admitted: date
    full_since: date | None
    origin: str  # pre (member before the history starts), new (admitted), in (transferred in)
    joined: date  # first day in the tree
    id: int = 0
    login: str = ""
    phone: str | None = None
    is_admin: bool = False
    created_at: datetime = datetime(2000, 1, 1)
    protected: bool = False  # officers, personas: no churn, no exemption
    stints: list[Stint] = field(default_factory=list)
    exemptions: list[tuple[date, date | None, str]] = field(default_factory=list)
    disciplines: list[tuple[date, date | None, str]] = field(default_factory=list)
    # Cumulative thresholds for absent / leave / late; the rest is present.
    t_absent: float = 0.025
    t_leave: float = 0.095
    t_late: float = 0.145
    mode: str = ""  # "lapsing" | "absentee" | ""
    forced_absences: int = 0

    def exemption_on(self, day: date) -> str | None:
        for starts, ends, reason in self.exemptions:
            if within(day, starts, ends):
                return reason
        return None

    def disciplined_on(self, day: date) -> bool:
        return any(within(day, starts, ends) for starts, ends, _ in self.disciplines)

    def is_full_on(self, day: date) -> bool:
        return self.full_since is not None and self.full_since <= day


@dataclass(slots=True)
class Posts:
    """Who holds a branch's posts, as people (their ids are assigned later)."""

    officers: dict[str, Person]  # secretary, organization, propaganda, discipline, deputy
    recorder: Person
    leaders: dict[int, Person]  # group org id -> 党小组长
    recorders: dict[int, Person]  # group org id -> the group's recorder


@dataclass(slots=True)
class Branch:
    index: int
    org_id: int
    code: str
    name: str
    community_id: int
    community_name: str
    size: int
    n_groups: int
    group_ids: list[int] = field(default_factory=list)
    group_names: list[str] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)  # home members
    stints: list[Stint] = field(default_factory=list)  # every stint in this branch
    has_committee: bool = False
    explicit_committee: bool | None = None
    posts: Posts | None = None
    secretary: int = 0
    deputy: int | None = None
    organization: int | None = None
    propaganda: int | None = None
    discipline: int | None = None
    recorder: int = 0
    committee: list[int] = field(default_factory=list)
    terms: list[tuple[int, date, date | None]] = field(default_factory=list)
    group_leader: dict[int, int] = field(default_factory=dict)
    group_recorder: dict[int, int] = field(default_factory=dict)
    group_weekday: dict[int, int] = field(default_factory=dict)
    group_place: dict[int, str] = field(default_factory=dict)
    evening: bool = False
    place: str = ""
    diligence: float = 1.0
    silent: bool = False
    special: str = ""  # "first" | "big" | "small"


@dataclass(slots=True)
class Sitting:
    """One planned sitting of a branch (or group), before it is written."""

    kind: str  # theme | committee | group | study | general | org_life | special | skip
    day: date
    start: datetime
    end: datetime
    obligations: tuple[str, ...]
    title: str = ""
    group: int | None = None
    id: int = 0
    number: int = 0
    place: str = ""
    convener: int = 0
    moderator: int = 0
    recorder: int = 0
    status: str = MeetingStatus.PLANNED.value
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    sealed_at: datetime | None = None
    series_id: int | None = None
    series_date: date | None = None
    report_year: int | None = None
    reviews: int | None = None
    allow_self_signin: bool = False
    created_at: datetime = datetime(2000, 1, 1)

    @property
    def past(self) -> bool:
        return self.status != MeetingStatus.PLANNED.value


# One row per member on a sitting's roll: (person, status or None, may vote).
Roll = list[tuple[Person, str | None, bool]]
