"""Frozen value objects that services return and rules consume. No database, no UI.

Date intervals are half-open: ``starts <= day < ends``; ``ends=None`` means open-ended.
A transfer on 2025-03-10 ends the old membership and starts the new one on that day.
"""

from __future__ import annotations

from dataclasses import field
from datetime import date, datetime

from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    Grade,
    LeaveKind,
    LeaveStatus,
    MarkMethod,
    MeetingStatus,
    Obligation,
    OrgKind,
    PositionRole,
    RectStatus,
)
from branchtui.core.frozen import frozen


@frozen
class Period:
    """A span of days, half-open. Used for exemptions, 留党察看 and memberships."""

    starts: date
    ends: date | None = None
    reason: str = ""

    def covers(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day < self.ends)


@frozen
class MembershipPeriod:
    """Member of ``branch_id`` (and of ``group_id`` within it) from ``starts`` to ``ends``."""

    branch_id: int
    starts: date
    ends: date | None = None
    group_id: int | None = None

    def covers(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day < self.ends)


@frozen
class MemberFacts:
    """What the rules need to know of a member to decide 应到 and voting rights."""

    member_id: int
    name: str
    admitted: date | None  # became 预备党员
    full_since: date | None  # became 正式党员 (None: still probationary)
    memberships: tuple[MembershipPeriod, ...] = ()
    exemptions: tuple[Period, ...] = ()
    disciplines: tuple[Period, ...] = ()  # 留党察看

    def is_full_on(self, day: date) -> bool:
        return self.full_since is not None and self.full_since <= day

    def membership_on(self, day: date) -> MembershipPeriod | None:
        for m in self.memberships:
            if m.covers(day):
                return m
        return None

    def exemption_on(self, day: date) -> Period | None:
        for p in self.exemptions:
            if p.covers(day):
                return p
        return None

    def under_discipline_on(self, day: date) -> bool:
        return any(p.covers(day) for p in self.disciplines)


@frozen
class Org:
    id: int
    kind: OrgKind
    name: str
    parent_id: int | None
    has_committee: bool | None = None  # None: follows from the number of full members
    version: int = 1
    time_zone: str | None = None  # IANA name; None: the parent's (core.zones)


@frozen
class Member:
    id: int
    name: str
    login: str | None
    gender: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    admitted: date | None = None
    full_since: date | None = None
    is_admin: bool = False
    branch_id: int | None = None  # current branch, if any
    group_id: int | None = None
    version: int = 1


@frozen
class Position:
    id: int
    member_id: int
    org_id: int
    role: PositionRole
    starts: date
    ends: date | None = None


@frozen
class AgendaItem:
    id: int
    meeting_id: int
    position: int
    title: str
    act: Act | None = None


@frozen
class Meeting:
    id: int
    branch_id: int
    group_id: int | None
    title: str
    number: int | None
    obligations: tuple[Obligation, ...]
    planned_start: datetime
    planned_end: datetime | None
    place: str
    status: MeetingStatus
    convener_id: int | None = None
    moderator_id: int | None = None
    recorder_id: int | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    sealed_at: datetime | None = None
    seal_digest: str | None = None
    series_id: int | None = None
    allow_self_signin: bool = False
    cancel_reason: str = ""
    agenda: tuple[AgendaItem, ...] = ()
    version: int = 1
    created_at: datetime | None = None
    # 补录: entered (or first recorded) after its date, when and why. Its record is
    # attested as held at the planned time; opened_at/closed_at are when it was written.
    late_at: datetime | None = None
    late_reason: str = ""

    @property
    def entered_late(self) -> bool:
        return self.late_at is not None


@frozen
class AttendanceRow:
    id: int
    meeting_id: int
    member_id: int
    member_name: str
    is_full: bool
    can_vote: bool
    status: AttendanceStatus | None
    reason: str = ""
    leave_kind: LeaveKind | None = None
    marked_by: int | None = None
    marked_at: datetime | None = None
    method: MarkMethod | None = None
    version: int = 1


@frozen
class Guest:
    id: int
    meeting_id: int
    name: str
    affiliation: str
    reason: str


@frozen
class LeaveRequest:
    id: int
    meeting_id: int
    member_id: int
    kind: LeaveKind
    reason: str
    requested_at: datetime
    status: LeaveStatus
    decided_by: int | None = None
    decided_at: datetime | None = None
    decision_note: str = ""
    version: int = 1
    member_name: str = ""
    meeting_title: str = ""
    meeting_start: datetime | None = None


@frozen
class Speech:
    id: int
    meeting_id: int
    agenda_item_id: int | None
    speaker_id: int | None
    speaker_name: str
    text: str
    spoken_at: datetime
    entered_by: int
    version: int = 1


@frozen
class Decision:
    id: int
    meeting_id: int
    agenda_item_id: int | None
    act: Act
    text: str
    candidate_id: int | None
    candidate_name: str
    yes: int
    no: int
    abstain: int
    written_yes: int
    written_no: int
    written_abstain: int
    voters_expected: int
    voters_present: int
    quorum_met: bool
    passed: bool
    reason_key: str
    reason_params: dict[str, object] = field(default_factory=dict)
    rule_version: str = ""
    follow_up_owner_id: int | None = None
    follow_up_due: date | None = None
    version: int = 1


@frozen
class Rectification:
    id: int
    branch_id: int
    meeting_id: int | None
    problem: str
    measure: str
    owner_id: int | None
    deadline: date | None
    status: RectStatus
    verified_by: int | None = None
    verified_at: datetime | None = None
    review_meeting_id: int | None = None
    review_note: str = ""
    version: int = 1


@frozen
class Appraisal:
    id: int
    branch_id: int
    year: int
    member_id: int
    grade: Grade
    version: int = 1
