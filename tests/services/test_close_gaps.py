"""Issue 11, items 11 and 12: the record check runs when a meeting closes. A record that
lacks what it must have (recorder, place, agenda, every member of 应到 marked, speakers who
were there) closes only with a reason; the gaps and the reason stay with the record and
in its hash chain. On both backends."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from branchtui.core.enums import Act, AttendanceStatus, MeetingStatus, Obligation
from branchtui.core.errors import PermissionDenied, ValidationError
from branchtui.core.record_check import RecordGaps, absentees, check_record
from branchtui.services import VoteDraft
from branchtui.store import models as m
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK
from tests.factories import build_world, draft

START = datetime(2026, 11, 27, 14, 0)
REASON = "缺席人员原因会后核实" + HOSTILE_LINK + FULLWIDTH


@pytest.fixture
def world(svc, clock):
    return build_world(svc)


def meeting(w, clock, **changes):
    """An open general meeting; ``changes`` alter the draft (place, recorder, agenda)."""
    d = replace(draft(w, START, Obligation.GENERAL_MEETING), **changes)
    clock.current = START - timedelta(days=3)
    mtg = w.svc.meetings.schedule(w.secretary, d)
    clock.current = START
    w.svc.meetings.open(w.secretary, mtg.id)
    return mtg


def complete(w, mtg) -> None:
    """What a record must have: everyone marked (reasons for leave and absence), a remark
    on each item, the decision on the act."""
    svc = w.svc
    for mid in w.members:
        if mid == w.member.member_id:
            svc.meetings.mark(w.recorder, mtg.id, mid, AttendanceStatus.ABSENT,
                              reason="未请假" + HOSTILE)
        else:
            svc.meetings.mark(w.recorder, mtg.id, mid, AttendanceStatus.PRESENT)
    for item in mtg.agenda:
        svc.minutes.add_speech(w.recorder, mtg.id, "认真学习" + HOSTILE,
                               speaker_id=w.secretary.member_id, agenda_item_id=item.id)
    svc.minutes.record_decision(w.recorder, mtg.id, VoteDraft(
        Act.GENERAL_DECISION, "同意", 10, 0, 0, agenda_item_id=mtg.agenda[1].id,
        follow_up_owner_id=w.organiser.member_id, follow_up_due=date(2026, 12, 31)))


def close_entries(mtg_id: int) -> list[dict]:
    return [json.loads(d)["data"] for (d,) in m.ChangeLog.select(m.ChangeLog.data).where(
        (m.ChangeLog.meeting == mtg_id) & (m.ChangeLog.action == "meeting.close")).tuples()]


def test_close_is_refused_with_every_gap_named(world, clock):
    svc, w = world.svc, world
    mtg = meeting(w, clock, place="", recorder_id=None, agenda=())
    mtg = svc.meetings.get(w.secretary, mtg.id)
    assert mtg.agenda == () and mtg.place == "" and mtg.recorder_id is None
    # 7 present, 1 on leave, 1 absent (who speaks all the same), the rest never marked.
    marked = {w.member.member_id: AttendanceStatus.ABSENT,
              w.leader.member_id: AttendanceStatus.LEAVE}
    for mid in [mid for mid in w.members if mid not in marked][:7]:
        marked[mid] = AttendanceStatus.PRESENT
    assert len(w.members) - len(marked) == 4
    for mid, status in marked.items():
        svc.meetings.mark(w.secretary, mtg.id, mid, status, reason="病假[/]")
    svc.minutes.add_speech(w.secretary, mtg.id, "我来说两句" + HOSTILE,
                           speaker_id=w.member.member_id)
    entries = m.ChangeLog.select().where(m.ChangeLog.meeting == mtg.id).count()

    with pytest.raises(RecordGaps) as err:
        svc.meetings.close(w.secretary, mtg.id)
    found = {f.code: f for f in err.value.findings}
    assert set(found) == {"no_place", "no_recorder", "no_agenda", "unmarked",
                          "speaker_absent"}
    rec = svc.meetings.record(w.secretary, mtg.id)
    unmarked = [a.member_name for a in rec.attendance if a.status is None]
    assert found["unmarked"].subjects == tuple(unmarked) and len(unmarked) == 4
    assert found["speaker_absent"].subjects == ("孙党员（老）",)
    text = err.value.message()
    assert "没有填写会议地点" in text and "没有指定记录人" in text and "没有列出议题" in text
    assert "孙党员（老）" in text and unmarked[0] in text
    # A blank reason is no reason. Nothing changed: still open, nothing chained or kept.
    with pytest.raises(RecordGaps):
        svc.meetings.close(w.secretary, mtg.id, gaps_reason=" \n　")
    assert svc.meetings.get(w.secretary, mtg.id).status is MeetingStatus.OPEN
    assert m.ChangeLog.select().where(m.ChangeLog.meeting == mtg.id).count() == entries
    assert not m.CloseGaps.select().where(m.CloseGaps.meeting == mtg.id).exists()
    assert rec.close_check is None

    # 应到 = 实到 + 请假 + 缺席 + 未登记, and 未到会人员 leave nobody out.
    c = rec.counts
    assert (c.expected_total, c.present_total, c.leave, c.absent, c.unmarked) == (
        len(w.members), 7, 1, 1, 4)
    assert c.expected_total == c.present_total + len(absentees(rec.attendance))
    assert set(unmarked) <= {a.member_name for a in absentees(rec.attendance)}


def test_a_reason_closes_it_and_the_gaps_stay_with_the_record(world, clock):
    svc, w = world.svc, world
    mtg = meeting(w, clock)
    svc.minutes.add_speech(w.recorder, mtg.id, "发言", speaker_id=w.member.member_id,
                           agenda_item_id=mtg.agenda[0].id)
    svc.meetings.mark(w.recorder, mtg.id, w.member.member_id, AttendanceStatus.LEAVE,
                      reason="事假")
    clock.advance(hours=2)
    closed = svc.meetings.close(w.recorder, mtg.id, gaps_reason="  " + REASON + "\n")
    assert closed.status is MeetingStatus.CLOSED
    rec = svc.meetings.record(w.secretary, mtg.id)
    check = rec.close_check
    assert check is not None
    assert check.reason == REASON and check.closed_by == w.recorder.member_id
    assert check.closed_by_name == "赵记录[@click=app.quit]x[/]"
    assert check.closed_at == START + timedelta(hours=2) == rec.meeting.closed_at
    codes = [f.code for f in check.findings]
    assert codes == ["unmarked", "speaker_absent", "act_without_decision"]
    assert check.findings[0].count == len(w.members) - 1
    assert check.findings[1].subjects == ("孙党员（老）",)
    assert rec.chain_ok
    [entry] = close_entries(mtg.id)
    assert entry["gaps_reason"] == REASON
    assert [g["code"] for g in entry["gaps"]] == codes
    assert entry["gaps"][1]["subjects"] == ["孙党员（老）"]

    # Marks added afterwards fill the record; what it lacked at closing stays visible.
    for a in rec.attendance:
        if a.status is None:
            svc.meetings.mark(w.recorder, mtg.id, a.member_id, AttendanceStatus.PRESENT)
    later = svc.meetings.record(w.member, mtg.id)
    assert "unmarked" not in {f.code for f in check_record(later)}
    assert later.close_check == check
    # Closing twice is refused, as before.
    with pytest.raises(ValidationError) as err:
        svc.meetings.close(w.recorder, mtg.id, gaps_reason=REASON)
    assert err.value.key == "meeting.not_open"


def test_a_complete_record_closes_without_a_reason(world, clock):
    svc, w = world.svc, world
    mtg = meeting(w, clock)
    complete(w, mtg)
    # A reason for a record without gaps has nothing to explain: it is not kept.
    svc.meetings.close(w.recorder, mtg.id, gaps_reason="多余的说明")
    rec = svc.meetings.record(w.secretary, mtg.id)
    assert rec.close_check is not None
    assert rec.close_check.findings == () and rec.close_check.reason == ""
    assert close_entries(mtg.id) == [{"closed_at": rec.meeting.closed_at.isoformat(),
                                      "gaps": [], "gaps_reason": ""}]
    assert rec.chain_ok


def test_rights_and_state_are_checked_before_the_record(world, clock):
    """Who may not close is refused as before, whatever the record lacks."""
    svc, w = world.svc, world
    mtg = meeting(w, clock)
    with pytest.raises(PermissionDenied):
        svc.meetings.close(w.member, mtg.id, gaps_reason=REASON)
    clock.current = START - timedelta(days=3)
    planned = svc.meetings.schedule(w.secretary, draft(w, START + timedelta(days=7)))
    with pytest.raises(ValidationError) as err:
        svc.meetings.close(w.secretary, planned.id)
    assert err.value.key == "meeting.not_open"
