"""Each organisation's time zone (issue 11, item 14), on both backends, with the process
itself in UTC: "today", late arrival, the quarter's turn and overdue states are reckoned
where the branch is, never where the server is. A branch abroad (Europe/Berlin) gets its
own today while the others keep Shanghai's."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from branchtui.core.enums import AttendanceStatus, ComplianceState, LeaveKind, OrgKind
from branchtui.core.errors import ValidationError
from branchtui.core.periods import parse_period
from branchtui.i18n import set_language
from branchtui.services import Context, Services, SystemClock
from branchtui.store import models as m
from branchtui.store.db import close_database, open_database, upgrade
from tests.factories import World, build_world, draft

Q4 = parse_period("2026-Q4")


def at(*parts: int) -> datetime:
    """An instant, given in UTC."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def utc_process() -> Iterator[None]:
    """The server process runs in UTC (TZ=UTC), as many servers do."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        assert time.localtime().tm_gmtoff == 0
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def due_by_year_end(w: World, branch_id: int, day_states: set[ComplianceState]) -> bool:
    """Whether one of the branch's 2026-Q4 obligations due on 31 December is in one of
    ``day_states`` (the quarter's meetings and December's were not held)."""
    rows = {b.branch_id: b for b in w.svc.queries.compliance(w.admin, w.top_id, Q4)}
    return any(r.due == date(2026, 12, 31) and r.state in day_states
               for r in rows[branch_id].rows)


def test_the_system_clock_does_not_follow_the_process_zone(svc, utc_process):
    """The old clock was ``datetime.now()``: on a server in UTC, 8 hours behind Shanghai."""
    ctx = Context(db=svc.ctx.db, clock=SystemClock())
    before = datetime.now(UTC)
    wall = ctx.now()
    after = datetime.now(UTC)
    shanghai = ZoneInfo("Asia/Shanghai")
    assert (before.astimezone(shanghai).replace(tzinfo=None, microsecond=0) <= wall
            <= after.astimezone(shanghai).replace(tzinfo=None))
    assert ctx.clock.now().utcoffset() is not None  # an instant, not a wall time


def test_today_is_the_branch_s_day_not_the_server_s(svc, clock, utc_process):
    w = build_world(svc)
    clock.current = at(2026, 12, 1, 17, 30)  # 01:30 on 2 December in Shanghai
    assert svc.ctx.today() == svc.ctx.today(w.branch_id) == date(2026, 12, 2)
    assert svc.ctx.now(w.branch_id) == datetime(2026, 12, 2, 1, 30)
    assert svc.home.load(w.secretary).today == date(2026, 12, 2)
    assert svc.queries.member_dossier(w.secretary, w.member.member_id).today == date(2026, 12, 2)
    assert svc.queries.roster_overview(w.secretary, w.branch_id).today == date(2026, 12, 2)


def test_a_meeting_that_began_is_past_and_a_late_sign_in_is_late(svc, clock, utc_process):
    """A meeting planned for 01:00 on 2 December (Shanghai) has begun at 17:30 UTC on 1
    December: leave can no longer be asked, and signing in then is late. Every time it
    stores is Shanghai wall time, as its planned start is."""
    w = build_world(svc)
    clock.current = datetime(2026, 11, 30, 9)  # naive: wall time in Shanghai
    early = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 2, 1)))
    later = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 2, 9),
                                                     title="第二次[/]"))
    clock.current = at(2026, 12, 1, 17, 5)  # 01:05 in Shanghai
    svc.meetings.open(w.recorder, early.id)
    clock.current = at(2026, 12, 1, 17, 10)
    on_time = svc.meetings.sign_in(w.probationary, early.id)
    assert on_time.status == AttendanceStatus.PRESENT
    assert on_time.marked_at == datetime(2026, 12, 2, 1, 10)
    clock.current = at(2026, 12, 1, 17, 30)
    assert svc.meetings.sign_in(w.member, early.id).status == AttendanceStatus.LATE
    with pytest.raises(ValidationError) as err:
        svc.meetings.request_leave(w.leader, early.id, LeaveKind.SICK, "病")
    assert err.value.key == "leave.too_late"
    svc.meetings.request_leave(w.leader, later.id, LeaveKind.SICK, "病")  # still ahead
    mine = {x.meeting.id: x for x in svc.meetings.my_meetings(w.organiser)}
    assert not mine[early.id].may_ask_leave and mine[later.id].may_ask_leave
    assert svc.meetings.get(w.secretary, early.id).opened_at == datetime(2026, 12, 2, 1, 5)
    speech = svc.minutes.add_speech(w.recorder, early.id, "发言[/]",
                                    speaker_id=w.member.member_id)
    assert speech.spoken_at == datetime(2026, 12, 2, 1, 30)


def test_the_quarter_turns_at_midnight_in_shanghai(svc, clock, utc_process):
    """At 16:30 UTC on 31 December it is 2027 in Shanghai: the current quarter is
    2027-Q1 and the fourth quarter's duties not done are overdue; an hour earlier
    they were still open."""
    w = build_world(svc)
    clock.current = at(2026, 12, 31, 15, 30)  # 23:30 on 31 December in Shanghai
    assert svc.queries.current_quarter().code() == "2026-Q4"
    assert svc.home.load(w.secretary).quarter.code() == "2026-Q4"
    assert not due_by_year_end(w, w.branch_id, {ComplianceState.OVERDUE})
    clock.current = at(2026, 12, 31, 16, 30)  # 00:30 on 1 January 2027
    assert svc.queries.current_quarter().code() == "2027-Q1"
    assert svc.home.load(w.secretary).quarter.code() == "2027-Q1"
    assert due_by_year_end(w, w.branch_id, {ComplianceState.OVERDUE})


def test_a_branch_abroad_has_its_own_today(svc, clock, utc_process):
    """The world's branch meets in Berlin; the other branch and the committee above stay
    in Shanghai. At 20:00 UTC on 31 December it is 21:00 in Berlin and already 04:00 on 1
    January in Shanghai."""
    w = build_world(svc)
    org = svc.roster.set_time_zone(w.admin, w.branch_id, " Europe/Berlin ")
    assert org.time_zone == "Europe/Berlin"
    clock.current = at(2026, 12, 31, 12)
    mtg = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 31, 21)))  # Berlin
    clock.current = at(2026, 12, 31, 20)
    assert svc.ctx.today(w.branch_id) == date(2026, 12, 31)
    assert svc.ctx.today(w.group_ids[0]) == date(2026, 12, 31)  # a group is its branch's
    assert svc.ctx.today(w.other_branch_id) == date(2027, 1, 1)
    assert svc.ctx.today(w.top_id) == svc.ctx.today() == date(2027, 1, 1)
    assert svc.queries.current_quarter(w.branch_id).code() == "2026-Q4"
    assert svc.queries.current_quarter(w.other_branch_id).code() == "2027-Q1"
    assert svc.home.load(w.secretary).quarter.code() == "2026-Q4"
    assert svc.home.load(w.other_secretary).quarter.code() == "2027-Q1"
    # One roll-up over both branches: each branch's duties by its own calendar.
    assert not due_by_year_end(w, w.branch_id, {ComplianceState.OVERDUE})
    assert due_by_year_end(w, w.other_branch_id, {ComplianceState.OVERDUE})

    clock.current = at(2026, 12, 31, 20, 5)  # 21:05 in Berlin
    svc.meetings.open(w.recorder, mtg.id)
    assert svc.meetings.get(w.secretary, mtg.id).opened_at == datetime(2026, 12, 31, 21, 5)
    clock.current = at(2026, 12, 31, 20, 10)  # 21:10: in time (in Shanghai, hours late)
    assert svc.meetings.sign_in(w.member, mtg.id).status == AttendanceStatus.PRESENT
    clock.current = at(2026, 12, 31, 20, 20)  # 21:20: late
    assert svc.meetings.sign_in(w.probationary, mtg.id).status == AttendanceStatus.LATE
    # The change log of the meeting is in the same wall time as its opening.
    last = (m.ChangeLog.select(m.ChangeLog.at).where(m.ChangeLog.meeting == mtg.id)
            .order_by(m.ChangeLog.id.desc()).scalar())
    assert str(last)[:16] == "2026-12-31 21:20"

    # Back to inheriting: Shanghai again.
    assert svc.roster.set_time_zone(w.admin, w.branch_id, "").time_zone is None
    assert svc.ctx.today(w.branch_id) == date(2027, 1, 1)


def test_the_top_s_zone_is_everyone_s_until_one_sets_another(svc, clock):
    w = build_world(svc)
    clock.current = at(2026, 12, 31, 20)
    svc.roster.set_time_zone(w.admin, w.top_id, "Europe/Berlin")
    assert {svc.ctx.today(o) for o in (None, w.top_id, w.branch_id, w.other_branch_id,
                                       w.group_ids[1])} == {date(2026, 12, 31)}
    assert svc.ctx.zones().single == "Europe/Berlin"
    svc.roster.set_time_zone(w.admin, w.other_branch_id, "Asia/Shanghai")
    assert svc.ctx.today(w.branch_id) == date(2026, 12, 31)
    assert svc.ctx.today(w.other_branch_id) == date(2027, 1, 1)
    assert svc.ctx.today() == date(2026, 12, 31)  # no org: the top's
    # A new group inherits its branch's zone at once.
    group = svc.roster.create_org(w.admin, w.other_branch_id, OrgKind.GROUP, "第三党小组")
    assert svc.ctx.today(group.id) == date(2027, 1, 1)


def test_a_bad_time_zone_is_refused_in_the_user_s_language(svc):
    w = build_world(svc)
    for bad in ("Mars/Olympus", "../../etc/passwd", "Asia/Shang hai", "x" * 80, "上海"):
        with pytest.raises(ValidationError) as err:
            svc.roster.set_time_zone(w.admin, w.branch_id, bad)
        assert err.value.key == "org.bad_time_zone", bad
    with pytest.raises(ValidationError) as err:
        svc.roster.set_time_zone(w.admin, w.branch_id, "Mars/Olympus")
    assert "Mars/Olympus" in err.value.message() and "时区" in err.value.message()
    set_language("en")
    assert "not a known time zone" in err.value.message()
    with pytest.raises(ValidationError) as err:
        svc.roster.set_time_zone(w.admin, w.group_ids[0], "Europe/Berlin")
    assert err.value.key == "org.time_zone_group"
    assert m.Org.get_by_id(w.branch_id).time_zone is None


def test_setting_a_zone_is_logged_and_versioned(svc):
    w = build_world(svc)
    before = m.Org.get_by_id(w.branch_id).version
    svc.roster.set_time_zone(w.admin, w.branch_id, "Europe/Berlin", before)
    row = m.Org.get_by_id(w.branch_id)
    assert (row.time_zone, row.version) == ("Europe/Berlin", before + 1)
    logged = (m.ChangeLog.select().where((m.ChangeLog.action == "org.time_zone")
                                         & (m.ChangeLog.entity_id == w.branch_id)).get())
    assert logged.actor_id == w.admin.member_id and "Europe/Berlin" in logged.data
    svc.roster.set_time_zone(w.admin, w.branch_id, "Europe/Berlin")  # no change, no entry
    assert m.Org.get_by_id(w.branch_id).version == before + 1


def test_a_zone_set_by_another_process_counts_from_the_next_call(svc, clock, db):
    w = build_world(svc)
    clock.current = at(2026, 12, 31, 20)
    assert svc.queries.current_quarter(w.branch_id).code() == "2027-Q1"
    elsewhere = Services.create(db, clock)  # another process: a Context of its own
    elsewhere.roster.set_time_zone(w.admin, w.branch_id, "Europe/Berlin")
    assert svc.queries.current_quarter(w.branch_id).code() == "2026-Q4"


def test_the_zones_are_read_once_per_call(tmp_path, clock):
    """One small query per unit of work while every org has the same zone, however often
    the call asks what time it is (the home screen asks for every branch). On SQLite,
    where the driver traces the statements."""
    db = open_database(f"sqlite:///{tmp_path / 'zones.sqlite3'}")
    try:
        upgrade(db)
        svc = Services.create(db, clock)
        w = build_world(svc)
        seen: list[str] = []
        db.connect(reuse_if_open=True)
        db.connection().set_trace_callback(seen.append)
        try:
            svc.home.load(w.secretary)
            svc.home.load(w.viewer)
        finally:
            db.connection().set_trace_callback(None)
        zones = [s for s in seen if s.startswith('SELECT DISTINCT "t1"."time_zone"')]
        assert len(zones) == 2, zones
    finally:
        close_database(db)
