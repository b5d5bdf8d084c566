"""应到 (the expected roll) of a meeting, and attendance counts (DOMAIN.md §3).

The roll is computed for the meeting date, never for today: who belonged to the branch (or
group) then, full or probationary then, exempt from 组织生活 then. A later transfer, 转正
or exemption therefore never changes a past meeting's roll.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from branchtui.core.enums import AttendanceStatus
from branchtui.core.frozen import frozen
from branchtui.core.model import MemberFacts, MembershipPeriod
from branchtui.core.votes import may_vote

# Every reason key an ``Excluded`` entry can carry.
EXCLUSION_KEYS: tuple[str, ...] = (
    "roll.not_yet_member",
    "roll.transferred_out",
    "roll.other_group",
    "roll.no_group",
    "roll.not_admitted",
)


@frozen
class ExpectedEntry:
    """A member on the roll of that day. ``exempt_reason`` is set (possibly to "") only
    for members exempt from 组织生活 on that day."""

    member_id: int
    name: str
    is_full: bool
    can_vote: bool
    group_id: int | None
    exempt_reason: str | None = None


@frozen
class Excluded:
    """A member connected to the branch but not on that day's roll, and why."""

    member_id: int
    name: str
    reason_key: str


@frozen
class ExpectedRoll:
    """应到 of one day: ``entries`` count, ``exempt`` are listed but not counted."""

    day: date
    entries: tuple[ExpectedEntry, ...]
    exempt: tuple[ExpectedEntry, ...]
    excluded: tuple[Excluded, ...]

    @property
    def expected_full(self) -> int:
        """应到正式党员."""
        return sum(1 for e in self.entries if e.is_full)

    @property
    def expected_probationary(self) -> int:
        """应到预备党员."""
        return sum(1 for e in self.entries if not e.is_full)

    @property
    def expected_total(self) -> int:
        """应到, exempt members not included."""
        return len(self.entries)

    @property
    def voters(self) -> int:
        """应到 with a vote: full members not under 留党察看."""
        return sum(1 for e in self.entries if e.can_vote)


def _was_admitted(member: MemberFacts, day: date) -> bool:
    """A party member (probationary or full) on ``day``."""
    joined = member.admitted or member.full_since
    return joined is not None and joined <= day


def _absence_reason(periods: list[MembershipPeriod], day: date) -> str:
    """Why someone with periods in the branch, none covering ``day``, is not on the roll."""
    if any(p.ends is not None and p.ends <= day for p in periods):
        return "roll.transferred_out"
    return "roll.not_yet_member"


def expected_roll(
    members: Iterable[MemberFacts], branch_id: int, day: date, group_id: int | None = None
) -> ExpectedRoll:
    """The roll of ``branch_id`` (and of ``group_id`` within it, when given) on ``day``.

    Members whose membership of the branch covers ``day`` are on the roll, split full and
    probationary as of that day; those exempt on that day go to ``exempt`` and are not
    counted. Members whose memberships touch the branch at some other time, who sit in
    another group, or who were not yet admitted, go to ``excluded`` with a reason key.
    Members never in the branch are left out. Every tuple is sorted by member id.
    """
    entries: list[ExpectedEntry] = []
    exempt: list[ExpectedEntry] = []
    excluded: list[Excluded] = []
    for member in members:
        here = [p for p in member.memberships if p.branch_id == branch_id]
        if not here:
            continue
        current = next((p for p in here if p.covers(day)), None)
        if current is None:
            excluded.append(Excluded(member.member_id, member.name, _absence_reason(here, day)))
            continue
        if group_id is not None and current.group_id != group_id:
            key = "roll.no_group" if current.group_id is None else "roll.other_group"
            excluded.append(Excluded(member.member_id, member.name, key))
            continue
        if not _was_admitted(member, day):
            excluded.append(Excluded(member.member_id, member.name, "roll.not_admitted"))
            continue
        exemption = member.exemption_on(day)
        entry = ExpectedEntry(
            member_id=member.member_id,
            name=member.name,
            is_full=member.is_full_on(day),
            can_vote=may_vote(member, day),
            group_id=current.group_id,
            exempt_reason=exemption.reason if exemption is not None else None,
        )
        (exempt if exemption is not None else entries).append(entry)

    def by_id(item: ExpectedEntry | Excluded) -> int:
        return item.member_id

    return ExpectedRoll(
        day=day,
        entries=tuple(sorted(entries, key=by_id)),
        exempt=tuple(sorted(exempt, key=by_id)),
        excluded=tuple(sorted(excluded, key=by_id)),
    )


# What can change for one person when the roll of a planned or open meeting is recomputed
# after a roster change dated on or before the meeting (``RollChange.kind``).
CHANGE_KINDS: tuple[str, ...] = (
    *(key.removeprefix("roll.") for key in EXCLUSION_KEYS),  # no longer 应到, and why
    "added",  # now 应到
    "gone",  # no longer connected to the branch at all on that day
    "exempt",  # now exempt from 组织生活 on that day
    "not_exempt",
    "full",  # 转正 by that day
    "probationary",
    "vote_lost",  # e.g. 留党察看 from before that day
    "vote_restored",
)


@frozen
class RollChange:
    """One person's line in "名单已更新": what changed on the roll and, when the change
    came from a roster write, the date that write was about (``on``) and its action."""

    member_id: int
    name: str
    kind: str
    on: date | None = None
    cause: str | None = None


@frozen
class AttendanceCounts:
    """应到/实到 split full and probationary, and the count of each status.

    Exempt rows are not in 应到; late counts as present; ``unmarked`` rows are in 应到
    but not yet marked.
    """

    expected_full: int = 0
    expected_probationary: int = 0
    present_full: int = 0
    present_probationary: int = 0
    late: int = 0
    leave: int = 0
    absent: int = 0
    exempt: int = 0
    unmarked: int = 0

    @property
    def expected_total(self) -> int:
        """应到 (full and probationary)."""
        return self.expected_full + self.expected_probationary

    @property
    def present_total(self) -> int:
        """实到 (present or late)."""
        return self.present_full + self.present_probationary


def count_attendance(rows: Iterable[tuple[bool, AttendanceStatus | None]]) -> AttendanceCounts:
    """Count rows of ``(is_full, status)``; ``status`` None means not yet marked."""
    expected = {True: 0, False: 0}  # keyed by is_full
    present = {True: 0, False: 0}
    by_status = dict.fromkeys(AttendanceStatus, 0)
    unmarked = 0
    for is_full, raw in rows:
        full = bool(is_full)
        if raw is None:
            unmarked += 1
            expected[full] += 1
            continue
        status = AttendanceStatus(raw)  # also accepts the stored string value
        by_status[status] += 1
        if status is AttendanceStatus.EXEMPT:
            continue
        expected[full] += 1
        if status.is_present:
            present[full] += 1
    return AttendanceCounts(
        expected_full=expected[True],
        expected_probationary=expected[False],
        present_full=present[True],
        present_probationary=present[False],
        late=by_status[AttendanceStatus.LATE],
        leave=by_status[AttendanceStatus.LEAVE],
        absent=by_status[AttendanceStatus.ABSENT],
        exempt=by_status[AttendanceStatus.EXEMPT],
        unmarked=unmarked,
    )
