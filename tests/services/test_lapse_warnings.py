"""The six-month line in the services (issue 11, items 4 and 7), on both backends: the home
warning list, the member page and the member's own lapse figure come from one function fed
the same facts (the first membership, the whole history, exemptions and approved leave)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branchtui.core.enums import AttendanceStatus, MeetingStatus
from branchtui.core.lapse import lapse_status
from branchtui.services.roster import MemberDraft
from branchtui.store import models as m
from tests.conftest import HOSTILE_LINK
from tests.factories import World, build_world
from tests.services.test_member_reads import held

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")

S = AttendanceStatus


def flagged(w, member_id: int):
    return {mid: status for mid, _name, status
            in w.svc.queries.warnings(w.secretary, w.branch_id)}.get(member_id)


def test_a_move_between_groups_does_not_reset_the_six_months(svc, clock):
    """The issue's reproduction: last attended 17 months ago, absent since, moved to the
    other group a month ago: the list said 1 month, the member page 17."""
    w = build_world(svc)
    me = w.member.member_id
    held(w, clock, datetime(2025, 6, 20, 14), {me: S.PRESENT})
    held(w, clock, datetime(2025, 9, 19, 14), {me: S.ABSENT})
    svc.roster.transfer(w.secretary, me, date(2026, 10, 27), to_branch_id=w.branch_id,
                        to_group_id=w.group_ids[1])
    page = svc.queries.member_dossier(w.secretary, me).lapse
    assert page.months_since == 17 and page.lapsed, page
    listed = flagged(w, me)
    assert listed == page, f"the warning list says {listed}, the member page {page}"
    assert svc.queries.member_lapse(w.member, me) == page


def test_the_whole_history_not_thirteen_months(svc, clock):
    """Joined long ago, never attended since an absence 20 months back: lapsed, with the
    months counted from the last attendance, not from a 13-month window."""
    w = build_world(svc)
    me = w.member.member_id
    held(w, clock, datetime(2024, 12, 6, 14), {me: S.PRESENT})
    held(w, clock, datetime(2025, 3, 7, 14), {me: S.ABSENT})
    listed = flagged(w, me)
    assert listed is not None and listed.months_since == 23 and listed.lapsed, listed
    assert listed.last_attended == date(2024, 12, 6), listed


def test_exempt_february_to_june_absent_in_july_is_not_lapsed(svc, clock):
    """Item 7's reproduction: exempt February-June, one unexcused absence in July."""
    w = build_world(svc)
    me = w.member.member_id
    held(w, clock, datetime(2026, 1, 9, 14), {me: S.PRESENT})
    svc.roster.add_exemption(w.secretary, me, date(2026, 2, 1), date(2026, 7, 1),
                             "住院" + HOSTILE_LINK)
    held(w, clock, datetime(2026, 7, 10, 14), {me: S.ABSENT})
    clock.current = datetime(2026, 7, 20, 9)
    page = svc.queries.member_dossier(w.secretary, me).lapse
    assert page.months_since == 6 and page.unexcused_months == 1, page
    assert not page.lapsed and not page.near_lapse, page
    assert flagged(w, me) is None, "flagged as lapsed for months of exemption"
    assert svc.queries.member_lapse(w.member, me) == page


def test_months_on_approved_leave_are_not_counted(svc, clock):
    w = build_world(svc)
    me = w.member.member_id
    held(w, clock, datetime(2026, 1, 9, 14), {me: S.PRESENT})
    held(w, clock, datetime(2026, 2, 6, 14), {me: S.ABSENT})
    for month in (3, 4, 5):
        held(w, clock, datetime(2026, month, 6, 14), {me: S.LEAVE})
    clock.current = datetime(2026, 7, 15, 9)
    page = svc.queries.member_lapse(w.member, me)
    assert page.months_since == 6 and not page.lapsed and not page.near_lapse, page
    assert flagged(w, me) is None


# -- the property: for random histories the list equals the page ---------------------------

TODAY = date(2026, 11, 27)
days = st.dates(min_value=date(2023, 1, 1), max_value=TODAY)
STATUSES = [S.PRESENT, S.LATE, S.ABSENT, S.ABSENT, S.LEAVE, S.EXEMPT]


@st.composite
def histories(draw):
    joined = draw(st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 9, 1)))
    after = st.dates(min_value=joined + timedelta(days=1), max_value=TODAY)
    marks = draw(st.dictionaries(after, st.sampled_from(STATUSES), max_size=20))
    moves = sorted(draw(st.sets(after, max_size=3)))
    cuts = sorted(draw(st.sets(after, max_size=4)))
    exemptions = [(cuts[i], cuts[i + 1] if i + 1 < len(cuts) else None)
                  for i in range(0, len(cuts), 2)]
    if exemptions and draw(st.booleans()) and exemptions[-1][1] is None:
        exemptions[-1] = (exemptions[-1][0], exemptions[-1][0] + timedelta(days=40))
    return joined, marks, moves, exemptions


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=histories())
def test_the_warning_list_equals_the_member_page(svc, db, data):
    joined, marks, moves, exemptions = data
    w = _WORLDS.get(id(svc))
    if w is None or w.svc is not svc:  # one world per test run, members added per example
        w = _WORLDS[id(svc)] = build_world(svc, extra_full=0)
    admin = w.admin
    mem = svc.roster.add_member(
        admin, w.branch_id,
        MemberDraft(name="随机[/]", login=None, admitted=date(2015, 3, 1),
                    full_since=date(2016, 3, 1)),
        group_id=w.group_ids[0], starts=joined)
    me = mem.id
    for i, on in enumerate(moves):
        svc.roster.transfer(w.secretary, me, on, to_branch_id=w.branch_id,
                            to_group_id=w.group_ids[(i + 1) % 2])
    for starts, ends in exemptions:
        svc.roster.add_exemption(w.secretary, me, starts, ends, "住院")
    with db.atomic():
        for day, status in marks.items():
            mtg = m.Meeting.create(branch=w.branch_id, title="主题党日",
                                   planned_start=datetime.combine(day, datetime.min.time()),
                                   status=MeetingStatus.CLOSED.value,
                                   created_at=datetime(2026, 1, 1))
            m.Attendance.create(meeting=mtg.id, member=me, branch=w.branch_id, meeting_day=day,
                                is_full=True, can_vote=True, status=status.value)
    page = svc.queries.member_dossier(w.secretary, me).lapse
    assert svc.queries.member_lapse(w.secretary, me) == page
    listed = flagged(w, me)
    if page.lapsed or page.near_lapse or page.over_absence_threshold:
        assert listed == page, f"list {listed} != page {page}"
    else:
        assert listed is None, f"listed without a flag on the page: {listed}"
    # And both equal the rule over the whole history, from the first membership.
    whole = lapse_status(me, sorted(marks.items()), TODAY, svc.ctx.rules,
                         member_since=joined, exemptions=exemptions)
    assert page == whole, f"{page} != {whole}"


_WORLDS: dict[int, World] = {}
