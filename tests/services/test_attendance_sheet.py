"""The attendance sheet's service calls, on both backends: one read for the sheet (with
who is not on the roll and the 委员), and self sign-in switched by whoever runs the
meeting while it is planned or open."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from branchtui.core.enums import MeetingStatus, Obligation, PositionRole
from branchtui.core.errors import Conflict, PermissionDenied, ValidationError
from tests.factories import GAPS_REASON, JOINED, build_world, draft

START = datetime(2026, 11, 27, 14, 0)


@pytest.fixture
def world(svc):
    return build_world(svc)


def test_recorder_switches_self_signin_while_planned_and_open(world, clock):
    svc, w = world.svc, world
    mtg = svc.meetings.schedule(w.secretary, draft(w, START))
    assert mtg.allow_self_signin
    off = svc.meetings.set_self_signin(w.recorder, mtg.id, False, mtg.version)
    assert not off.allow_self_signin and off.version == mtg.version + 1
    # Stale version: refused with the current state to show.
    with pytest.raises(Conflict) as err:
        svc.meetings.set_self_signin(w.recorder, mtg.id, True, mtg.version)
    assert err.value.params["current"].allow_self_signin is False
    clock.current = START - timedelta(minutes=5)
    opened = svc.meetings.open(w.recorder, mtg.id)
    on = svc.meetings.set_self_signin(w.recorder, mtg.id, True, opened.version)
    assert on.allow_self_signin and on.status is MeetingStatus.OPEN
    # The member can now sign in.
    assert svc.meetings.sign_in(w.member, mtg.id).status is not None
    # An ordinary member may not switch it.
    with pytest.raises(PermissionDenied):
        svc.meetings.set_self_signin(w.member, mtg.id, False, on.version)
    closed = svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    with pytest.raises(ValidationError) as verr:
        svc.meetings.set_self_signin(w.recorder, mtg.id, False, closed.version)
    assert verr.value.key == "meeting.not_open"


def test_sheet_has_roll_gaps_committee_and_abilities(world):
    svc, w = world.svc, world
    svc.roster.appoint(w.admin, w.leader.member_id, w.branch_id,
                       PositionRole.COMMITTEE_MEMBER, JOINED)
    mtg = svc.meetings.schedule(w.secretary, draft(
        w, START, Obligation.GROUP_MEETING, group=w.group_ids[0], title="小组会"))
    sheet = svc.meetings.attendance_sheet(w.recorder, mtg.id)
    assert sheet.can_mark and sheet.can_run
    listed = {a.member_id for a in sheet.record.attendance}
    reasons = {e.member_id: e.reason_key for e in sheet.excluded}
    assert w.recorder.member_id in reasons and w.recorder.member_id not in listed
    assert reasons[w.recorder.member_id] == "roll.other_group"
    assert not listed & set(reasons)
    assert {w.secretary.member_id, w.organiser.member_id, w.leader.member_id} <= set(
        sheet.committee_ids)
    assert w.member.member_id not in sheet.committee_ids
    # A member expected at the meeting reads it, but marks nothing and sees no roster gaps.
    mine = svc.meetings.attendance_sheet(w.member, mtg.id)
    assert not mine.can_mark and not mine.can_run and mine.excluded == ()
    with pytest.raises(PermissionDenied):
        svc.meetings.attendance_sheet(w.other_secretary, mtg.id)
