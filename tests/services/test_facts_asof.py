"""Issue 11, items 2 and 3: compliance and scheduling read each fact as of the day it is
about. Whether a branch owes a month's 支委会 is decided on the month's last day (its due
day, ``core.compliance.committee_day``); a branch or group exists from its first
membership (``org.created_at`` only when it has had none). On both backends."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from branchtui.core.enums import ComplianceState, Obligation, OrgKind, PeriodKind
from branchtui.core.errors import ValidationError
from branchtui.core.periods import period_containing
from branchtui.services import FixedClock, MemberDraft, Services
from tests.conftest import NOW
from tests.factories import World, build_world, draft

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")

S = ComplianceState
Ob = Obligation
YEAR_2026 = period_containing(PeriodKind.YEAR, date(2026, 6, 1))
BEFORE_ACTIVE = "compliance.reason.before_active"
NO_COMMITTEE = "compliance.reason.no_committee"


@pytest.fixture
def world(svc: Services) -> World:
    return build_world(svc)


def new_branch(w: World, clock: FixedClock, name: str, created: datetime = NOW) -> int:
    clock.current = created
    try:
        return w.svc.roster.create_org(w.admin, w.top_id, OrgKind.BRANCH, name).id
    finally:
        clock.current = NOW


def add(w: World, branch: int, n: int, *, starts: date = date(2020, 1, 1),
        full_since: date | None = date(2016, 3, 1), group: int | None = None) -> list[int]:
    return [w.svc.roster.add_member(
        w.admin, branch,
        MemberDraft(name=f"党员{branch}-{i}", admitted=date(2015, 3, 1), full_since=full_since),
        group_id=group, starts=starts).id for i in range(n)]


def states(w: World, branch: int, obligation: Ob, group: int | None = None
           ) -> dict[int, tuple[S, str | None]]:
    """{month or quarter number: (state, reason)} of one obligation over 2026."""
    (bc,) = [b for b in w.svc.queries.compliance(w.admin, branch, YEAR_2026)
             if b.branch_id == branch]
    out = {}
    for r in bc.rows:
        if r.obligation is obligation and r.group_id == group and r.period.year == 2026:
            key = r.period.starts.month if r.period.kind is PeriodKind.MONTH else r.period.quarter
            out[key] = (r.state, r.reason)
    return out


def committee_draft(w: World, branch: int, start: datetime):
    """A 支委会; one dated before today is entered after the fact (补录), with a reason."""
    return dataclasses.replace(draft(w, start, Ob.COMMITTEE_MEETING, title="支委会"),
                               branch_id=branch, convener_id=None, moderator_id=None,
                               recorder_id=None,
                               late_reason="纸质记录补录进系统" if start < NOW else "")


def test_branch_reaching_seven_full_members_on_11_01_owes_committee_from_november(
        world: World, clock: FixedClock) -> None:
    """Item 2: the 7th full member (转正 on 11-01) gives the branch a committee from then:
    January-October owe no 支委会, November does (decided on the month's last day), and
    the May meeting is refused while a November one is allowed."""
    w = world
    branch = new_branch(w, clock, "七人支部")
    add(w, branch, 6)
    add(w, branch, 1, full_since=date(2026, 11, 1))
    grid = states(w, branch, Ob.COMMITTEE_MEETING)
    assert all(grid[mo] == (S.NOT_APPLICABLE, NO_COMMITTEE) for mo in range(1, 11)), grid
    assert grid[11] == (S.OPEN, None)  # due 11-30, today 11-27
    assert grid[12] == (S.OPEN, None)
    with pytest.raises(ValidationError) as err:
        w.svc.meetings.schedule(w.admin, committee_draft(w, branch, datetime(2026, 5, 12, 19)))
    assert err.value.key == "meeting.no_committee"
    held = w.svc.meetings.schedule(w.admin,
                                   committee_draft(w, branch, datetime(2026, 11, 28, 19)))
    assert states(w, branch, Ob.COMMITTEE_MEETING)[11] == (S.OPEN, None)
    assert held.id in next(
        r.planned_ids for b in w.svc.queries.compliance(w.admin, branch, YEAR_2026)
        for r in b.rows if r.obligation is Ob.COMMITTEE_MEETING and r.period.starts.month == 11)


def test_branch_dropping_below_seven_on_06_15_owes_committee_until_may_only(
        world: World, clock: FixedClock) -> None:
    """Item 2, the reverse: 7 full members until one leaves on 06-15. January-May are owed
    (overdue, none held), June onwards not: on June's last day there was no committee."""
    w = world
    branch = new_branch(w, clock, "减员支部")
    members = add(w, branch, 7)
    w.svc.roster.transfer(w.admin, members[0], date(2026, 6, 15), to_branch_id=None)
    grid = states(w, branch, Ob.COMMITTEE_MEETING)
    assert all(grid[mo] == (S.OVERDUE, None) for mo in range(1, 6)), grid
    assert all(grid[mo] == (S.NOT_APPLICABLE, NO_COMMITTEE) for mo in range(6, 13)), grid
    assert w.svc.meetings.schedule(w.admin,
                                   committee_draft(w, branch, datetime(2026, 5, 12, 19))).id
    with pytest.raises(ValidationError) as err:
        w.svc.meetings.schedule(w.admin, committee_draft(w, branch, datetime(2026, 7, 10, 19)))
    assert err.value.key == "meeting.no_committee"


def test_explicit_committee_setting_overrides_the_count_in_every_period(
        world: World, clock: FixedClock) -> None:
    w = world
    branch = new_branch(w, clock, "设委支部")
    add(w, branch, 3)
    version = next(o.version for o in w.svc.roster.orgs(w.admin) if o.id == branch)
    w.svc.roster.set_committee(w.admin, branch, True, version)
    grid = states(w, branch, Ob.COMMITTEE_MEETING)
    assert all(grid[mo] == (S.OVERDUE, None) for mo in range(1, 11)), grid
    w.svc.meetings.schedule(w.admin, committee_draft(w, branch, datetime(2026, 5, 12, 19)))


def test_branch_created_on_10_15_owes_nothing_before_it_existed(
        world: World, clock: FixedClock) -> None:
    """Item 3: Q1-Q3 党员大会 and January-September 主题党日 are not applicable; Q4 is open
    and October (the month it started in) overdue."""
    w = world
    branch = new_branch(w, clock, "新支部", created=datetime(2026, 10, 15, 9))
    add(w, branch, 5, starts=date(2026, 10, 15))
    general = states(w, branch, Ob.GENERAL_MEETING)
    assert [general[q] for q in (1, 2, 3)] == [(S.NOT_APPLICABLE, BEFORE_ACTIVE)] * 3
    assert general[4] == (S.OPEN, None)
    theme = states(w, branch, Ob.THEME_DAY)
    assert all(theme[mo] == (S.NOT_APPLICABLE, BEFORE_ACTIVE) for mo in range(1, 10)), theme
    assert theme[10] == (S.OVERDUE, None)
    assert theme[11] == (S.OPEN, None)


def test_branch_with_no_member_yet_is_active_from_its_creation(
        world: World, clock: FixedClock) -> None:
    w = world
    branch = new_branch(w, clock, "空支部", created=datetime(2026, 10, 15, 9))
    theme = states(w, branch, Ob.THEME_DAY)
    assert theme[9] == (S.NOT_APPLICABLE, BEFORE_ACTIVE)
    assert theme[10] == (S.OVERDUE, None)


def test_imported_branch_is_active_from_its_first_membership_not_its_creation(
        world: World, clock: FixedClock) -> None:
    """A roster entered today with members since 2020 keeps its history: 2026's first
    quarter is owed although the branch row was created on 11-27."""
    w = world
    branch = new_branch(w, clock, "导入支部")
    add(w, branch, 4, starts=date(2020, 1, 1))
    assert states(w, branch, Ob.GENERAL_MEETING)[1] == (S.OVERDUE, None)


def test_group_created_mid_year_owes_group_meetings_from_its_first_member(
        world: World, clock: FixedClock) -> None:
    """Item 3 for a 党小组: a group set up on 07-01, with a member moved into it that day,
    owes no 党小组会 January-June; the branch's other groups are unchanged."""
    w = world
    clock.current = datetime(2026, 7, 1, 9)
    group = w.svc.roster.create_org(w.admin, w.branch_id, OrgKind.GROUP, "第三党小组").id
    w.svc.roster.transfer(w.admin, w.member.member_id, date(2026, 7, 1),
                          to_branch_id=w.branch_id, to_group_id=group)
    clock.current = NOW
    grid = states(w, w.branch_id, Ob.GROUP_MEETING, group)
    assert all(grid[mo] == (S.NOT_APPLICABLE, BEFORE_ACTIVE) for mo in range(1, 7)), grid
    assert all(grid[mo] == (S.OVERDUE, None) for mo in range(7, 11)), grid
    old = states(w, w.branch_id, Ob.GROUP_MEETING, w.group_ids[0])
    assert old[1] == (S.OVERDUE, None)


def test_committee_meeting_moved_to_a_day_without_committee_is_refused(
        world: World, clock: FixedClock) -> None:
    w = world
    branch = new_branch(w, clock, "改期支部")
    add(w, branch, 6)
    add(w, branch, 1, full_since=date(2026, 11, 1))
    mtg = w.svc.meetings.schedule(w.admin,
                                  committee_draft(w, branch, datetime(2026, 11, 28, 19)))
    with pytest.raises(ValidationError) as err:
        w.svc.meetings.reschedule(w.admin, mtg.id, mtg.version,
                                  planned_start=datetime(2026, 10, 28, 19))
    assert err.value.key == "meeting.no_committee"
    moved = w.svc.meetings.reschedule(w.admin, mtg.id, mtg.version,
                                      planned_start=datetime(2026, 11, 29, 19))
    assert moved.planned_start == datetime(2026, 11, 29, 19)
