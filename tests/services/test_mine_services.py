"""The member's own view ("我的记录") and the leave inbox: the service calls behind them,
on both backends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from branchtui.core.enums import (
    AttendanceStatus,
    LeaveKind,
    LeaveStatus,
    MarkMethod,
    Obligation,
)
from branchtui.core.errors import PermissionDenied, ValidationError
from branchtui.services.queries import HistoryEntry, summarize_years
from tests.conftest import FULLWIDTH, HOSTILE_LINK, LONG_ZH, NOW
from tests.factories import build_world, draft

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")

@pytest.fixture
def world(svc):
    return build_world(svc)


def test_my_meetings_follow_leave_and_sign_in(world, clock):
    svc, w = world.svc, world
    later = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 4, 14, 30)))
    today = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 9, 30)))
    svc.meetings.reschedule(w.secretary, today.id, today.version, allow_self_signin=False)
    # Not mine: another branch's meeting never shows.
    mine = svc.meetings.my_meetings(w.member)
    assert [x.meeting.id for x in mine] == [today.id, later.id]
    first = mine[1]
    assert first.may_ask_leave and not first.may_withdraw and not first.signs_in
    assert first.leave is None and first.status is None

    req = svc.meetings.request_leave(w.member, later.id, LeaveKind.SICK,
                                     HOSTILE_LINK + FULLWIDTH)
    got = {x.meeting.id: x for x in svc.meetings.my_meetings(w.member)}[later.id]
    assert got.leave is not None and got.leave.status is LeaveStatus.PENDING
    assert got.leave.reason == HOSTILE_LINK + FULLWIDTH
    assert got.may_withdraw and not got.may_ask_leave

    svc.meetings.decide_leave(w.secretary, req.id, True, req.version, note="同意[/]")
    got = {x.meeting.id: x for x in svc.meetings.my_meetings(w.member)}[later.id]
    assert got.status is AttendanceStatus.LEAVE and got.method is MarkMethod.LEAVE
    assert got.leave is not None and got.leave.status is LeaveStatus.APPROVED
    assert got.leave.decision_note == "同意[/]"
    assert not got.may_withdraw and not got.may_ask_leave

    # Open now, self sign-in off: the member is told what to do, the service refuses.
    svc.meetings.open(w.recorder, today.id)
    got = {x.meeting.id: x for x in svc.meetings.my_meetings(w.member)}[today.id]
    assert got.signs_in and not got.self_signin and not got.may_ask_leave
    with pytest.raises(ValidationError) as err:
        svc.meetings.sign_in(w.member, today.id)
    assert err.value.key == "attendance.self_signin_off"


def test_may_decide_leave_only_for_secretary_and_group_leader(world):
    svc, w = world.svc, world
    assert svc.meetings.may_decide_leave(w.secretary)
    assert svc.meetings.may_decide_leave(w.leader)
    assert svc.meetings.may_decide_leave(w.admin)
    assert not svc.meetings.may_decide_leave(w.member)
    assert not svc.meetings.may_decide_leave(w.recorder)
    assert not svc.meetings.may_decide_leave(w.organiser)
    assert not svc.meetings.may_decide_leave(w.viewer)


def test_member_years_counts_each_year(world, clock):
    svc, w = world.svc, world
    marks = [
        (datetime(2025, 3, 7, 14), AttendanceStatus.PRESENT),
        (datetime(2025, 9, 5, 14), AttendanceStatus.ABSENT),
        (datetime(2026, 2, 6, 14), AttendanceStatus.LATE),
        (datetime(2026, 5, 8, 14), AttendanceStatus.LEAVE),
        (datetime(2026, 8, 7, 14), AttendanceStatus.PRESENT),
    ]
    for start, status in marks:
        clock.current = start - timedelta(days=7)
        mtg = svc.meetings.schedule(w.secretary, draft(w, start))
        clock.current = start  # held on its day
        svc.meetings.open(w.recorder, mtg.id)
        svc.meetings.mark(w.recorder, mtg.id, w.member.member_id, status,
                          reason="病" if status is AttendanceStatus.LEAVE else "",
                          leave_kind=LeaveKind.SICK if status is AttendanceStatus.LEAVE
                          else None)
    clock.current = NOW
    svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 4, 14)))  # not held yet
    years = svc.queries.member_years(w.member, w.member.member_id)
    assert [(y.year, y.expected, y.present, y.late, y.leave, y.absent) for y in years] == [
        (2026, 3, 2, 1, 1, 0), (2025, 2, 1, 0, 0, 1)]
    assert years[0].rate == pytest.approx(2 / 3)
    with pytest.raises(PermissionDenied):
        svc.queries.member_years(w.recorder, w.member.member_id)


def test_summarize_years_keeps_exempt_and_unmarked_apart():
    today = date(2026, 11, 27)
    hist = [
        HistoryEntry(1, date(2026, 12, 1), "未来", 1, None, ""),
        HistoryEntry(2, date(2026, 10, 1), "x", 1, AttendanceStatus.EXEMPT, "住院"),
        HistoryEntry(3, date(2026, 9, 1), "x", 1, None, ""),
        HistoryEntry(4, date(2026, 8, 1), "x", 1, AttendanceStatus.PRESENT, ""),
    ]
    (y,) = summarize_years(hist, today)
    assert (y.year, y.expected, y.present, y.exempt, y.unmarked) == (2026, 1, 1, 1, 1)
    assert summarize_years([], today) == []


def test_progress_notes_for_owner_and_officers(world, clock):
    svc, w = world.svc, world
    clock.current = datetime(2026, 11, 13, 9)
    mtg = svc.meetings.schedule(
        w.secretary, draft(w, datetime(2026, 11, 20, 14), Obligation.ORG_LIFE))
    clock.current = datetime(2026, 11, 20, 14)  # held on its day
    svc.meetings.open(w.recorder, mtg.id)
    clock.current = NOW
    item = svc.minutes.create_rectification(w.recorder, mtg.id, "学习不够" + HOSTILE_LINK,
                                            "每月读书", w.member.member_id, date(2026, 12, 31))
    step = svc.minutes.add_progress(w.member, item.id, LONG_ZH, evidence="[/]笔记")
    clock.advance(hours=1)
    svc.minutes.add_progress(w.member, item.id, "完成", done=True,
                             expected_version=step.version)
    notes = svc.minutes.progress(w.member, item.id)
    assert [(n.text, n.evidence, n.author_name) for n in notes] == [
        (LONG_ZH, "[/]笔记", "孙党员（老）"), ("完成", "", "孙党员（老）")]
    assert len(svc.minutes.progress(w.secretary, item.id)) == 2
    with pytest.raises(PermissionDenied):
        svc.minutes.progress(w.probationary, item.id)
