"""A branch's meeting from schedule to seal, through the services, on both backends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    LeaveKind,
    LeaveStatus,
    MarkMethod,
    MeetingStatus,
    Obligation,
)
from branchtui.core.errors import Conflict, PermissionDenied, ValidationError
from branchtui.services import VoteDraft
from branchtui.store import models as m
from tests.conftest import FULLWIDTH, HOSTILE_LINK, LONG_ZH
from tests.factories import GAPS_REASON, build_world, draft


@pytest.fixture
def world(svc):
    return build_world(svc)


def test_schedule_open_mark_minutes_close_seal(world, clock):
    svc, w = world.svc, world
    start = datetime(2026, 12, 4, 14, 30)
    meeting = svc.meetings.schedule(
        w.secretary, draft(w, start, Obligation.THEME_DAY, Obligation.GENERAL_MEETING,
                           Obligation.PARTY_LECTURE))
    assert meeting.status is MeetingStatus.PLANNED
    assert meeting.obligations == (Obligation.THEME_DAY, Obligation.GENERAL_MEETING,
                                   Obligation.PARTY_LECTURE)
    assert meeting.number == 1
    assert [a.title for a in meeting.agenda] == ["学习文件[/]", "讨论决定事项"]

    record = svc.meetings.record(w.secretary, meeting.id)
    # Everyone who belongs to the branch on the meeting date, the admin included.
    assert {a.member_id for a in record.attendance} == set(w.members)
    assert record.counts.expected_probationary == 1
    assert record.counts.unmarked == len(w.members)

    clock.current = start - timedelta(minutes=5)
    svc.meetings.open(w.recorder, meeting.id)
    for mid in w.members:
        if mid not in (w.member.member_id, w.probationary.member_id):
            svc.meetings.mark(w.recorder, meeting.id, mid, AttendanceStatus.PRESENT)
    svc.meetings.mark(w.recorder, meeting.id, w.member.member_id, AttendanceStatus.LEAVE,
                      reason="住院（术后）", leave_kind=LeaveKind.SICK)
    clock.advance(minutes=21)  # 16 minutes after the planned start: late
    signed = svc.meetings.sign_in(w.probationary, meeting.id)
    assert signed.status is AttendanceStatus.LATE and signed.method is MarkMethod.SELF

    item = meeting.agenda[1].id
    speech = svc.minutes.add_speech(w.recorder, meeting.id, LONG_ZH + HOSTILE_LINK,
                                    speaker_id=w.secretary.member_id, agenda_item_id=item)
    assert speech.text == LONG_ZH + HOSTILE_LINK
    decision = svc.minutes.record_decision(
        w.recorder, meeting.id,
        VoteDraft(act=Act.GENERAL_DECISION, text=FULLWIDTH, yes=9, no=1, abstain=0,
                  agenda_item_id=item, follow_up_owner_id=w.organiser.member_id,
                  follow_up_due=date(2026, 12, 31)))
    # 12 full members expected with a vote (the probationary has none); one on leave.
    assert (decision.voters_expected, decision.voters_present) == (12, 11)
    assert decision.quorum_met and decision.passed

    clock.advance(hours=1)
    # Everything a record must have is there: it closes without a reason.
    svc.meetings.close(w.recorder, meeting.id)
    rec = svc.meetings.record(w.secretary, meeting.id)
    assert rec.close_check is not None and rec.close_check.findings == ()
    assert rec.chain_ok and rec.chain_entries > 10
    assert rec.written_live_share == 1.0
    assert rec.counts.present_full == 11 and rec.counts.present_probationary == 1
    assert rec.counts.leave == 1

    sealed = svc.meetings.seal(w.secretary, meeting.id)
    assert sealed.status is MeetingStatus.SEALED and sealed.seal_digest
    with pytest.raises(ValidationError) as err:
        svc.minutes.add_speech(w.recorder, meeting.id, "补记", speaker_id=w.member.member_id)
    assert err.value.key == "meeting.sealed"


def test_chain_detects_tampering(world, clock):
    svc, w = world.svc, world
    meeting = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 10)))
    svc.meetings.open(w.recorder, meeting.id)
    svc.minutes.add_speech(w.recorder, meeting.id, "原始发言", speaker_id=w.member.member_id)
    svc.minutes.add_speech(w.recorder, meeting.id, "第二条", speaker_id=w.member.member_id)
    assert svc.meetings.record(w.secretary, meeting.id).chain_ok
    with svc.ctx.db.connection_context():
        first = (m.ChangeLog.select().where((m.ChangeLog.meeting == meeting.id)
                                            & (m.ChangeLog.action == "speech.add"))
                 .order_by(m.ChangeLog.id).first())
        assert "原始" in first.data
        m.ChangeLog.update(data=first.data.replace("原始", "篡改")).where(
            m.ChangeLog.id == first.id).execute()
    rec = svc.meetings.record(w.secretary, meeting.id)
    assert not rec.chain_ok, "an edited change-log entry must break the chain"
    svc.meetings.close(w.recorder, meeting.id, gaps_reason=GAPS_REASON)
    with pytest.raises(ValidationError) as err:
        svc.meetings.seal(w.secretary, meeting.id)
    assert err.value.key == "meeting.chain_broken"


def test_stale_edit_is_refused_and_carries_the_newer_version(world, clock):
    svc, w = world.svc, world
    meeting = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 10)))
    svc.meetings.open(w.recorder, meeting.id)
    sp = svc.minutes.add_speech(w.recorder, meeting.id, "初稿", speaker_id=w.member.member_id)
    newer = svc.minutes.edit_speech(w.secretary, sp.id, "书记修改后", sp.version)
    with pytest.raises(Conflict) as err:
        svc.minutes.edit_speech(w.recorder, sp.id, "记录人的修改", sp.version)
    assert err.value.params["current"].text == "书记修改后"
    assert err.value.params["current"].version == newer.version
    assert "已被他人修改" in err.value.message()


def test_transfer_does_not_change_an_old_meetings_roll(world, clock):
    svc, w = world.svc, world
    old = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 10)))
    svc.meetings.open(w.recorder, old.id)
    svc.meetings.close(w.recorder, old.id, gaps_reason=GAPS_REASON)
    before = {a.member_id for a in svc.meetings.record(w.secretary, old.id).attendance}
    svc.roster.transfer(w.secretary, w.member.member_id, date(2026, 11, 28),
                        to_branch_id=w.other_branch_id, note="随子女迁居")
    after = {a.member_id for a in svc.meetings.record(w.secretary, old.id).attendance}
    assert before == after and w.member.member_id in after
    new = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 4, 10)))
    expected = {a.member_id for a in svc.meetings.record(w.secretary, new.id).attendance}
    assert w.member.member_id not in expected
    preview = svc.meetings.roll_preview(w.secretary, w.branch_id, date(2026, 12, 4))
    assert any(e.member_id == w.member.member_id and e.reason_key == "roll.transferred_out"
               for e in preview.excluded)


def test_exempt_member_is_listed_but_not_expected(world, clock):
    svc, w = world.svc, world
    svc.roster.add_exemption(w.organiser, w.member.member_id, date(2026, 11, 1), None,
                             "年老体弱行动不便")
    meeting = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 4, 10)))
    rec = svc.meetings.record(w.secretary, meeting.id)
    row = next(a for a in rec.attendance if a.member_id == w.member.member_id)
    assert row.status is AttendanceStatus.EXEMPT and row.reason == "年老体弱行动不便"
    assert rec.counts.exempt == 1
    assert rec.counts.expected_total == len(w.members) - 1


def test_leave_request_and_decision(world, clock):
    svc, w = world.svc, world
    meeting = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 4, 10)))
    req = svc.meetings.request_leave(w.member, meeting.id, LeaveKind.OFFICIAL, "外出培训")
    assert req.status is LeaveStatus.PENDING
    assert (req.member_name, req.meeting_title) == ("孙党员（老）", meeting.title)
    assert [r.id for r in svc.meetings.pending_leave(w.secretary)] == [req.id]
    assert [r.id for r in svc.meetings.pending_leave(w.leader)] == [req.id]
    assert svc.meetings.pending_leave(w.recorder) == []
    with pytest.raises(PermissionDenied):
        svc.meetings.decide_leave(w.recorder, req.id, True, req.version)
    done = svc.meetings.decide_leave(w.leader, req.id, True, req.version, note="同意")
    assert done.status is LeaveStatus.APPROVED and done.decided_by == w.leader.member_id
    row = next(a for a in svc.meetings.record(w.secretary, meeting.id).attendance
               if a.member_id == w.member.member_id)
    assert row.status is AttendanceStatus.LEAVE and row.method is MarkMethod.LEAVE
    with pytest.raises(ValidationError) as err:
        svc.meetings.request_leave(w.member, meeting.id, LeaveKind.SICK, "again")
    assert err.value.key == "leave.duplicate"
    clock.current = datetime(2026, 12, 4, 10, 1)
    with pytest.raises(ValidationError) as err:
        svc.meetings.request_leave(w.recorder, meeting.id, LeaveKind.SICK, "太晚")
    assert err.value.key == "leave.too_late"


def test_marks_after_close_are_visible_as_such(world, clock):
    svc, w = world.svc, world
    meeting = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 10)))
    svc.meetings.open(w.recorder, meeting.id)
    svc.meetings.close(w.recorder, meeting.id, gaps_reason=GAPS_REASON)
    row = svc.meetings.mark(w.secretary, meeting.id, w.member.member_id,
                            AttendanceStatus.LEAVE, reason="事后补假")
    assert row.method is MarkMethod.AFTER


def test_hostile_and_control_text_is_kept_clean_not_lost(world, clock):
    svc, w = world.svc, world
    meeting = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 10)))
    svc.meetings.open(w.recorder, meeting.id)
    sp = svc.minutes.add_speech(w.recorder, meeting.id, "第一行\r\n第二行\x1b[31m红\x07",
                                speaker_id=w.member.member_id)
    assert sp.text == "第一行\n第二行[31m红"
    with pytest.raises(ValidationError) as err:
        svc.minutes.add_speech(w.recorder, meeting.id, "长" * 20_001,
                               speaker_id=w.member.member_id)
    assert "过长" in err.value.message() and "20001" in err.value.message()


def test_bad_dates_are_refused_with_a_message(world):
    svc, w = world.svc, world
    with pytest.raises(ValidationError) as err:
        svc.meetings.schedule(w.secretary, draft(w, datetime(1900, 1, 1, 10)))
    assert err.value.key == "meeting.bad_date"
    d = draft(w, datetime(2026, 12, 4, 10))
    bad = type(d)(**{**d.__dict__, "planned_end": d.planned_start - timedelta(hours=1)})
    with pytest.raises(ValidationError) as err:
        svc.meetings.schedule(w.secretary, bad)
    assert err.value.message() == "结束时间必须晚于开始时间。"


def test_committee_meeting_needs_a_committee(world):
    svc, w = world.svc, world
    svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 2, 10),
                                             Obligation.COMMITTEE_MEETING))
    d = draft(w, datetime(2026, 12, 2, 10), Obligation.COMMITTEE_MEETING)
    small = type(d)(**{**d.__dict__, "branch_id": w.other_branch_id,
                       "convener_id": None, "moderator_id": None, "recorder_id": None})
    with pytest.raises(ValidationError) as err:
        svc.meetings.schedule(w.other_secretary, small)
    assert err.value.key == "meeting.no_committee"


def test_group_meeting_roll_is_the_group(world):
    svc, w = world.svc, world
    meeting = svc.meetings.schedule(
        w.leader, draft(w, datetime(2026, 12, 3, 19), Obligation.GROUP_MEETING,
                        group=w.group_ids[0]))
    expected = {a.member_id for a in svc.meetings.record(w.leader, meeting.id).attendance}
    group0 = {a.member_id for a in (w.secretary, w.organiser, w.leader, w.member)}
    assert group0 <= expected
    assert w.recorder.member_id not in expected
    with pytest.raises(PermissionDenied):
        svc.meetings.schedule(w.leader, draft(w, datetime(2026, 12, 3, 19),
                                              Obligation.GROUP_MEETING, group=w.group_ids[1]))


def test_cancel_and_reschedule(world, clock):
    svc, w = world.svc, world
    meeting = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 4, 10)))
    moved = svc.meetings.reschedule(w.secretary, meeting.id, meeting.version,
                                    planned_start=datetime(2026, 12, 5, 9))
    assert moved.planned_start == datetime(2026, 12, 5, 9)
    assert moved.planned_end == datetime(2026, 12, 5, 11)
    with pytest.raises(Conflict):
        svc.meetings.reschedule(w.secretary, meeting.id, meeting.version, place="旧版本")
    gone = svc.meetings.cancel(w.secretary, meeting.id, moved.version, "台风预警[/]")
    assert gone.status is MeetingStatus.CANCELLED and gone.cancel_reason == "台风预警[/]"
    overlaps = svc.meetings.overlaps(w.secretary, w.branch_id, datetime(2026, 12, 5, 10), None)
    assert overlaps == []
