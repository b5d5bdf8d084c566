"""应到 for the meeting date, and attendance counts (DOMAIN.md §3)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from branchtui.core.enums import AttendanceStatus
from branchtui.core.model import MemberFacts, MembershipPeriod, Period
from branchtui.core.roll import (
    EXCLUSION_KEYS,
    AttendanceCounts,
    ExpectedRoll,
    count_attendance,
    expected_roll,
)
from branchtui.i18n import CATALOGUE

BRANCH, OTHER = 1, 2
GROUP_A, GROUP_B = 10, 11


def member(
    member_id: int,
    *periods: MembershipPeriod,
    admitted: date | None = date(2015, 1, 1),
    full_since: date | None = date(2016, 1, 1),
    exemptions: tuple[Period, ...] = (),
    disciplines: tuple[Period, ...] = (),
) -> MemberFacts:
    return MemberFacts(
        member_id, f"党员{member_id}", admitted, full_since, tuple(periods), exemptions, disciplines
    )


def ids(roll: ExpectedRoll) -> list[int]:
    return [e.member_id for e in roll.entries]


def reasons(roll: ExpectedRoll) -> dict[int, str]:
    return {x.member_id: x.reason_key for x in roll.excluded}


# -- examples --------------------------------------------------------------------------------


def test_transfer_moves_a_member_between_rolls_on_the_transfer_day() -> None:
    moved = member(
        1,
        MembershipPeriod(BRANCH, date(2020, 1, 1), date(2025, 3, 10)),
        MembershipPeriod(OTHER, date(2025, 3, 10)),
    )
    before, on = date(2025, 3, 9), date(2025, 3, 10)
    assert ids(expected_roll([moved], BRANCH, before)) == [1], (
        "still in the old branch the day before"
    )
    assert reasons(expected_roll([moved], BRANCH, on)) == {1: "roll.transferred_out"}, (
        "half-open: gone from the old branch on the transfer day"
    )
    assert reasons(expected_roll([moved], OTHER, before)) == {1: "roll.not_yet_member"}, (
        "not yet in the new branch the day before"
    )
    assert ids(expected_roll([moved], OTHER, on)) == [1], "in the new branch on the transfer day"


def test_full_probationary_and_voters_are_judged_on_the_day() -> None:
    day = date(2026, 5, 1)
    always = MembershipPeriod(BRANCH, date(2020, 1, 1))
    full = member(1, always)
    probationary = member(2, always, admitted=date(2025, 9, 1), full_since=None)
    confirmed_later = member(3, always, admitted=date(2025, 6, 1), full_since=date(2026, 6, 1))
    disciplined = member(
        4, always, disciplines=(Period(date(2026, 1, 1), date(2027, 1, 1), "留党察看一年"),)
    )
    roll = expected_roll([disciplined, confirmed_later, probationary, full], BRANCH, day)
    assert ids(roll) == [1, 2, 3, 4], f"sorted by member id: {ids(roll)}"
    assert (roll.expected_full, roll.expected_probationary, roll.expected_total) == (2, 2, 4), roll
    assert roll.voters == 1, "only the full member without 留党察看 votes"
    assert [e.can_vote for e in roll.entries] == [True, False, False, False], roll.entries


def test_exempt_members_are_listed_but_not_counted() -> None:
    day = date(2026, 5, 1)
    always = MembershipPeriod(BRANCH, date(2020, 1, 1))
    sick = member(1, always, exemptions=(Period(date(2026, 4, 1), date(2026, 7, 1), "住院"),))
    recovered = member(2, always, exemptions=(Period(date(2025, 1, 1), date(2026, 5, 1), "住院"),))
    roll = expected_roll([sick, recovered], BRANCH, day)
    assert ids(roll) == [2], "the exemption ending on the day no longer applies (half-open)"
    assert [(e.member_id, e.exempt_reason) for e in roll.exempt] == [(1, "住院")], roll.exempt
    assert roll.expected_total == 1 and roll.voters == 1, roll
    assert roll.entries[0].exempt_reason is None, "counted members carry no exempt reason"


def test_group_roll() -> None:
    day = date(2026, 5, 1)
    in_a = member(1, MembershipPeriod(BRANCH, date(2020, 1, 1), group_id=GROUP_A))
    in_b = member(2, MembershipPeriod(BRANCH, date(2020, 1, 1), group_id=GROUP_B))
    no_group = member(3, MembershipPeriod(BRANCH, date(2020, 1, 1)))
    moved_to_a = member(
        4,
        MembershipPeriod(BRANCH, date(2020, 1, 1), date(2026, 6, 1), group_id=GROUP_B),
        MembershipPeriod(BRANCH, date(2026, 6, 1), group_id=GROUP_A),
    )
    roll = expected_roll([in_a, in_b, no_group, moved_to_a], BRANCH, day, group_id=GROUP_A)
    assert ids(roll) == [1], ids(roll)
    assert reasons(roll) == {2: "roll.other_group", 3: "roll.no_group", 4: "roll.other_group"}, (
        reasons(roll)
    )
    assert ids(expected_roll([moved_to_a], BRANCH, date(2026, 6, 1), GROUP_A)) == [4]


def test_not_admitted_and_strangers() -> None:
    day = date(2026, 5, 1)
    applicant = member(
        1, MembershipPeriod(BRANCH, date(2026, 1, 1)), admitted=date(2026, 7, 1), full_since=None
    )
    never = member(2, admitted=None, full_since=None)
    elsewhere = member(3, MembershipPeriod(OTHER, date(2020, 1, 1)))
    roll = expected_roll([applicant, never, elsewhere], BRANCH, day)
    assert roll.entries == () and roll.exempt == (), roll
    assert reasons(roll) == {1: "roll.not_admitted"}, "strangers to the branch are not listed"


def test_every_exclusion_key_is_in_both_languages() -> None:
    for key in EXCLUSION_KEYS:
        for lang in ("zh", "en"):
            assert key in CATALOGUE[lang], f"{key} missing from the {lang} catalogue"


# -- properties ------------------------------------------------------------------------------

START = date(2020, 1, 1)
days = st.integers(0, 6 * 365).map(lambda n: START + timedelta(days=n))
branches = st.sampled_from([BRANCH, OTHER, 3])
groups = st.sampled_from([None, GROUP_A, GROUP_B])


@st.composite
def periods(draw: st.DrawFn) -> tuple[MembershipPeriod, ...]:
    """A member's history: consecutive half-open periods, sometimes with gaps."""
    cuts = sorted(draw(st.sets(days, min_size=1, max_size=5)))
    out: list[MembershipPeriod] = []
    for i, starts in enumerate(cuts):
        ends = cuts[i + 1] if i + 1 < len(cuts) else draw(st.none() | st.just(date(2027, 1, 1)))
        if draw(st.booleans()) or i == 0:
            out.append(MembershipPeriod(draw(branches), starts, ends, draw(groups)))
    return tuple(out)


@st.composite
def spans(draw: st.DrawFn) -> Period:
    a, b = sorted(draw(st.lists(days, min_size=2, max_size=2, unique=True)))
    return Period(a, draw(st.just(b) | st.none()), draw(st.sampled_from(["住院", "产假", ""])))


@st.composite
def facts(draw: st.DrawFn, member_id: int) -> MemberFacts:
    admitted = draw(st.none() | days)
    full_since = None
    if admitted is not None and draw(st.booleans()):
        full_since = admitted + timedelta(days=draw(st.integers(365, 800)))
    return MemberFacts(
        member_id,
        f"党员{member_id}",
        admitted,
        full_since,
        draw(periods()),
        tuple(draw(st.lists(spans(), max_size=2))),
        tuple(draw(st.lists(spans(), max_size=1))),
    )


@st.composite
def rosters(draw: st.DrawFn) -> list[MemberFacts]:
    count = draw(st.integers(0, 12))
    members = [draw(facts(i)) for i in range(1, count + 1)]
    return draw(st.permutations(members))


@given(rosters(), days, st.none() | groups)
def test_roll_holds_exactly_the_members_of_that_day(
    members: list[MemberFacts], day: date, group_id: int | None
) -> None:
    roll = expected_roll(members, BRANCH, day, group_id)
    by_id = {m.member_id: m for m in members}
    listed = [e.member_id for e in (*roll.entries, *roll.exempt)] + [
        x.member_id for x in roll.excluded
    ]
    assert len(listed) == len(set(listed)), f"a member listed twice: {sorted(listed)}"
    touching = {m.member_id for m in members if any(p.branch_id == BRANCH for p in m.memberships)}
    assert set(listed) == touching, "listed must be exactly those who ever touch the branch"
    for entry in (*roll.entries, *roll.exempt):
        m = by_id[entry.member_id]
        period = m.membership_on(day)
        assert period is not None and period.branch_id == BRANCH, (
            f"member {m.member_id} on the roll of {day} without a membership covering it"
        )
        assert group_id is None or period.group_id == group_id, (
            f"member {m.member_id} in another group"
        )
        assert entry.is_full == m.is_full_on(day), (
            f"member {m.member_id}: full flag not as of {day}"
        )
        assert (entry.exempt_reason is not None) == (m.exemption_on(day) is not None), (
            f"member {m.member_id}: exempt status not as of {day}"
        )
    assert all(e.exempt_reason is None for e in roll.entries), "an exempt member counted in 应到"
    assert all(e.exempt_reason is not None for e in roll.exempt), (
        "a non-exempt member left out of 应到"
    )
    for x in roll.excluded:
        assert x.reason_key in EXCLUSION_KEYS, f"unknown reason {x.reason_key}"
    for part in (roll.entries, roll.exempt, roll.excluded):
        keys = [item.member_id for item in part]
        assert keys == sorted(keys), f"not sorted by member id: {keys}"


@given(rosters(), days)
def test_roll_counts_add_up(members: list[MemberFacts], day: date) -> None:
    roll = expected_roll(members, BRANCH, day)
    assert roll.expected_full + roll.expected_probationary == roll.expected_total, roll
    assert roll.voters <= roll.expected_full, "only full members vote"
    assert roll.expected_total == len(roll.entries), roll


@given(rosters(), days)
def test_group_rolls_partition_the_branch_roll(members: list[MemberFacts], day: date) -> None:
    branch = expected_roll(members, BRANCH, day)
    in_groups: list[int] = []
    for group_id in (GROUP_A, GROUP_B):
        group = expected_roll(members, BRANCH, day, group_id)
        assert set(ids(group)) <= set(ids(branch)), (
            f"group {group_id} has someone not in the branch"
        )
        in_groups += ids(group)
    ungrouped = [e.member_id for e in branch.entries if e.group_id is None]
    assert sorted(in_groups + ungrouped) == ids(branch), "groups + ungrouped != branch roll"


def transfer(m: MemberFacts, on: date, to_branch: int) -> MemberFacts:
    """The store's transfer: end what covers ``on``, drop what follows, start anew."""
    kept = [
        dataclasses.replace(p, ends=on) if p.covers(on) else p
        for p in m.memberships
        if p.starts < on
    ]
    return dataclasses.replace(m, memberships=(*kept, MembershipPeriod(to_branch, on)))


@given(rosters(), days, st.integers(1, 900), st.data())
def test_later_changes_do_not_change_a_past_roll(
    members: list[MemberFacts], day: date, later: int, data: st.DataObject
) -> None:
    assume(members)
    on = day + timedelta(days=later)
    who = data.draw(st.sampled_from(members))
    before = expected_roll(members, BRANCH, day)
    changed = [
        dataclasses.replace(
            transfer(m, on, OTHER),
            full_since=m.full_since if m.full_since and m.full_since <= day else on,
            exemptions=(*m.exemptions, Period(on, None, "later")),
        )
        if m is who
        else m
        for m in members
    ]
    after = expected_roll(changed, BRANCH, day)
    assert after.entries == before.entries and after.exempt == before.exempt, (
        f"a transfer/转正/exemption on {on} changed the roll of {day}"
    )


# -- attendance counts -----------------------------------------------------------------------


def test_count_attendance_example() -> None:
    S = AttendanceStatus
    rows = [
        (True, S.PRESENT),
        (True, S.LATE),
        (True, S.LEAVE),
        (True, S.ABSENT),
        (True, S.EXEMPT),
        (False, S.PRESENT),
        (False, S.LEAVE),
        (False, None),
        (True, None),
    ]
    counts = count_attendance(rows)
    assert counts == AttendanceCounts(
        expected_full=5,
        expected_probationary=3,
        present_full=2,
        present_probationary=1,
        late=1,
        leave=2,
        absent=1,
        exempt=1,
        unmarked=2,
    ), counts
    assert (counts.expected_total, counts.present_total) == (8, 3), counts


def test_count_attendance_accepts_stored_strings() -> None:
    counts = count_attendance([(True, "late"), (False, "exempt")])  # type: ignore[list-item]
    assert counts.present_full == 1 and counts.late == 1 and counts.exempt == 1, counts
    assert counts.expected_total == 1, "exempt is not in 应到"


statuses = st.none() | st.sampled_from(list(AttendanceStatus))


@given(st.lists(st.tuples(st.booleans(), statuses), max_size=60))
def test_counts_add_up(rows: list[tuple[bool, AttendanceStatus | None]]) -> None:
    counts = count_attendance(rows)
    tally = Counter(status for _, status in rows)
    S = AttendanceStatus
    assert counts.expected_total == len(rows) - tally[S.EXEMPT], "应到 = all rows but exempt"
    assert counts.present_total == tally[S.PRESENT] + tally[S.LATE], "实到 = present + late"
    assert (
        counts.present_total + counts.leave + counts.absent + counts.unmarked
        == counts.expected_total
    ), f"statuses of 应到 do not add up: {counts}"
    assert counts.present_full <= counts.expected_full, counts
    assert counts.present_probationary <= counts.expected_probationary, counts
    assert counts.expected_full == sum(1 for full, s in rows if full and s is not S.EXEMPT), counts
