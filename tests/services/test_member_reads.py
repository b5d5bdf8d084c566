"""Reads behind the member screens (issue 3), on both backends: the roster overview with
its search, a member's yearly and monthly rates counted in SQL, the member page's dossier,
exemptions and 留党察看 lists, leave requests, posts, memberships and transfer targets."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from branchtui.core.enums import AttendanceStatus, LeaveKind, Obligation, PositionRole
from branchtui.core.errors import PermissionDenied, ValidationError
from branchtui.services.queries import summarize_years
from tests.conftest import HOSTILE_LINK
from tests.factories import GAPS_REASON, build_world, draft

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")


@pytest.fixture
def world(svc):
    return build_world(svc)


def held(w, clock, start: datetime, marks: dict[int, AttendanceStatus]) -> int:
    """A meeting held on ``start`` with the given marks (others left unmarked)."""
    svc = w.svc
    saved = clock.current
    clock.current = start - timedelta(days=2)
    mtg = svc.meetings.schedule(w.secretary, draft(w, start, Obligation.THEME_DAY))
    clock.current = start
    svc.meetings.open(w.recorder, mtg.id)
    for mid, st in marks.items():
        svc.meetings.mark(w.recorder, mtg.id, mid, st,
                          reason="病" if st in (AttendanceStatus.LEAVE,
                                               AttendanceStatus.EXEMPT) else "")
    svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    clock.current = saved
    return mtg.id


def test_member_rates_per_year_and_month_in_sql(world, clock):
    w = world
    me = w.member.member_id
    P, A, L = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.LEAVE
    held(w, clock, datetime(2025, 3, 7, 14), {me: P})
    held(w, clock, datetime(2025, 3, 21, 14), {me: A})
    held(w, clock, datetime(2025, 6, 6, 14), {me: L})
    held(w, clock, datetime(2026, 1, 9, 14), {me: AttendanceStatus.LATE})
    held(w, clock, datetime(2026, 2, 6, 14), {})  # unmarked
    rates = w.svc.queries.member_rates(w.secretary, me)
    y26, y25 = rates.years
    assert (y25.year, y25.expected, y25.present, y25.leave, y25.absent) == (2025, 3, 1, 1, 1)
    assert (y26.year, y26.expected, y26.present, y26.late, y26.unmarked) == (2026, 1, 1, 1, 1)
    # Same figures as the Python summary over the history.
    hist = w.svc.queries.member_history(w.secretary, me)
    assert list(rates.years) == summarize_years(hist, clock.current.date())
    months = rates.months
    assert (months[0].year, months[0].month) == (2025, 3)
    assert (months[-1].year, months[-1].month) == (2026, 11)  # up to this month, no gaps
    assert len(months) == 21
    assert months[0].expected == 2 and months[0].rate == 0.5
    assert months[1].expected == 0 and months[1].rate is None
    # An ordinary member may not read another member's rates.
    with pytest.raises(PermissionDenied):
        w.svc.queries.member_rates(w.member, w.recorder.member_id)
    assert w.svc.queries.member_rates(w.member, me).years == rates.years


def test_roster_overview_and_search(world, clock):
    w, svc = world, world.svc
    me = w.member.member_id
    held(w, clock, datetime(2026, 3, 6, 14), {me: AttendanceStatus.PRESENT})
    held(w, clock, datetime(2026, 6, 5, 14), {me: AttendanceStatus.ABSENT})
    svc.roster.add_exemption(w.secretary, w.recorder.member_id, date(2026, 1, 1), None,
                             "长期住院" + HOSTILE_LINK)
    svc.roster.add_discipline(w.secretary, w.organiser.member_id, date(2026, 1, 1), None,
                              "违纪")
    ov = svc.queries.roster_overview(w.secretary)  # the branch where I keep the roster
    assert ov.branch.id == w.branch_id
    assert [g for g, _ in ov.groups] == w.group_ids
    by_id = {e.member_id: e for e in ov.entries}
    assert set(by_id) == set(w.members)
    mine = by_id[me]
    assert mine.last_attended == date(2026, 3, 6) and mine.months_since == 8
    assert mine.lapsed and not mine.near_lapse
    assert by_id[w.recorder.member_id].exempt_reason == "长期住院" + HOSTILE_LINK
    assert by_id[w.organiser.member_id].disciplined
    assert not by_id[w.probationary.member_id].is_full and by_id[me].is_full
    assert by_id[me].group_name == "第1党小组"
    # never attended: months since joining the branch (2020-01-01)
    assert by_id[w.probationary.member_id].months_since == 82
    hits = [e.name for e in ov.entries if e.matches("孙")]
    assert hits == ["孙党员（老）"]
    assert [e.name for e in ov.entries if e.matches("DANGYUAN")] == ["孙党员（老）"]
    assert [e.name for e in ov.entries if e.matches("[@click")] == [
        by_id[w.recorder.member_id].name]
    assert {e.member_id for e in ov.entries if e.matches("预备", labels=(
        "预备" if not e.is_full else "正式",))} == {w.probationary.member_id}
    assert next(e for e in ov.entries if e.matches("第2党小组 周")).member_id == \
        w.probationary.member_id
    assert all(e.matches("") for e in ov.entries)
    # Officers with roster rights only.
    with pytest.raises(PermissionDenied) as refused:
        svc.queries.roster_overview(w.member)
    assert refused.value.key == "perm.roster"
    with pytest.raises(PermissionDenied):
        svc.queries.roster_overview(w.recorder, w.branch_id)
    assert svc.queries.roster_overview(w.organiser, w.branch_id).entries


def test_dossier_and_lists(world, clock):
    w, svc = world, world.svc
    me = w.member.member_id
    held(w, clock, datetime(2026, 9, 4, 14), {me: AttendanceStatus.PRESENT})
    ex = svc.roster.add_exemption(w.secretary, me, date(2026, 10, 1), None, "住院")
    svc.roster.end_exemption(w.secretary, ex, date(2026, 11, 1))
    dis = svc.roster.add_discipline(w.secretary, me, date(2026, 10, 1), None, "违纪[/]")
    svc.roster.end_discipline(w.secretary, dis, date(2027, 10, 1))
    with pytest.raises(ValidationError):
        svc.roster.end_discipline(w.secretary, dis, date(2026, 9, 1))
    with pytest.raises(PermissionDenied):
        svc.roster.end_discipline(w.member, dis, date(2027, 1, 1))
    mtg = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 4, 14)))
    svc.meetings.request_leave(w.member, mtg.id, LeaveKind.SICK, "复查" + HOSTILE_LINK)
    d = svc.queries.member_dossier(w.secretary, me)
    assert d.member.id == me and d.branch_name == "第一党支部" and d.group_name == "第1党小组"
    assert d.rights.roster and d.rights.keys and d.rights.posts
    assert [(e.starts, e.ends) for e in d.exemptions] == [(date(2026, 10, 1),
                                                           date(2026, 11, 1))]
    assert d.disciplines[0].reason == "违纪[/]" and d.disciplines[0].ends == date(2027, 10, 1)
    assert d.leave[0].reason == "复查" + HOSTILE_LINK and d.leave[0].meeting_id == mtg.id
    assert d.leave[0].member_name == "孙党员（老）"
    assert d.lapse.last_attended == date(2026, 9, 4)
    assert d.rates.years[0].present == 1
    assert d.history[0].meeting_id == mtg.id
    assert d.memberships[0].branch_name == "第一党支部"
    assert d.memberships[0].group_name == "第1党小组"
    # Posts, with names; the organiser's page shows 组织委员.
    posts = svc.roster.position_entries(w.secretary, w.organiser.member_id)
    assert [(p.role, p.org_name) for p in posts] == [(PositionRole.ORGANIZATION, "第一党支部")]
    # The member reads their own page and may change nothing but their own login keys.
    own = svc.queries.member_dossier(w.member, me)
    assert not own.rights.roster and own.rights.keys and own.keys == ()
    assert not own.rights.posts and not own.rights.transfer
    org = svc.queries.member_dossier(w.organiser, me)
    assert org.rights.roster and not org.rights.keys
    with pytest.raises(PermissionDenied):
        svc.queries.member_dossier(w.member, w.recorder.member_id)
    with pytest.raises(PermissionDenied):
        svc.meetings.member_leave(w.member, w.recorder.member_id)


def test_transfer_shows_in_memberships_and_targets(world):
    w, svc = world, world.svc
    me = w.member.member_id
    targets = svc.roster.transfer_targets(w.secretary)
    assert {t.id for t in targets} >= {w.branch_id, w.other_branch_id}
    with pytest.raises(PermissionDenied):
        svc.roster.transfer_targets(w.member)
    svc.roster.transfer(w.secretary, me, date(2026, 11, 20), to_branch_id=w.other_branch_id,
                        note="工作调动" + HOSTILE_LINK)
    entries = svc.roster.membership_entries(w.admin, me)
    assert [e.branch_id for e in entries] == [w.other_branch_id, w.branch_id]
    assert entries[0].branch_name == "第二党支部[/]" and entries[0].group_name == ""
    assert HOSTILE_LINK in entries[1].note and entries[1].ends == date(2026, 11, 20)
    assert me not in {e.member_id for e in svc.queries.roster_overview(w.secretary).entries}
