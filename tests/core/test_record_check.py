"""The record check names every gap a record must not have (DOMAIN.md §5)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from branchtui.core.enums import Act, AttendanceStatus, MeetingStatus, Obligation
from branchtui.core.model import AgendaItem, AttendanceRow, Decision, Guest, Meeting, Speech
from branchtui.core.record_check import MUST, SHOULD, check_record

T = datetime(2026, 11, 27, 14, 0)


@dataclass(frozen=True)
class Rec:
    meeting: Meeting
    attendance: tuple[AttendanceRow, ...] = ()
    guests: tuple[Guest, ...] = ()
    speeches: tuple[Speech, ...] = ()
    decisions: tuple[Decision, ...] = ()


def meeting(**kw) -> Meeting:
    base = Meeting(
        id=1, branch_id=1, group_id=None, title="党员大会[/]", number=3,
        obligations=(Obligation.GENERAL_MEETING,), planned_start=T, planned_end=None,
        place="会议室", status=MeetingStatus.CLOSED, convener_id=1, moderator_id=1,
        recorder_id=2,
        agenda=(AgendaItem(10, 1, 1, "学习[/]"), AgendaItem(11, 1, 2, "表决", Act.GENERAL_DECISION)),
    )
    return replace(base, **kw)


def att(mid: int, name: str, status: AttendanceStatus | None, reason: str = "") -> AttendanceRow:
    return AttendanceRow(id=mid, meeting_id=1, member_id=mid, member_name=name, is_full=True,
                         can_vote=True, status=status, reason=reason)


def speech(item: int | None, text: str = "我认为应当抓好落实。", name: str = "张书记") -> Speech:
    return Speech(id=item or 0, meeting_id=1, agenda_item_id=item, speaker_id=1,
                  speaker_name=name, text=text, spoken_at=T, entered_by=2)


def decision(item: int | None, owner: int | None = 1, due: date | None = date(2026, 12, 31),
             act: Act = Act.GENERAL_DECISION) -> Decision:
    return Decision(id=1, meeting_id=1, agenda_item_id=item, act=act, text="同意开展志愿服务" * 5,
                    candidate_id=None, candidate_name="", yes=15, no=1, abstain=0,
                    written_yes=0, written_no=0, written_abstain=0, voters_expected=30,
                    voters_present=16, quorum_met=True, passed=False,
                    reason_key="rules.vote.failed", follow_up_owner_id=owner,
                    follow_up_due=due)


def codes(rec: Rec) -> list[str]:
    return [f.code for f in check_record(rec)]


def test_complete_record_has_no_findings():
    rec = Rec(meeting(), attendance=(att(1, "张书记", AttendanceStatus.PRESENT),
                                     att(3, "李", AttendanceStatus.LEAVE, "病假")),
              guests=(Guest(1, 1, "王主任", "街道", "指导"),),
              speeches=(speech(10), speech(11)), decisions=(decision(11),))
    assert check_record(rec) == []


def test_empty_record_lists_every_gap_must_first():
    rec = Rec(meeting(place=" ", moderator_id=None, recorder_id=None, convener_id=None,
                      status=MeetingStatus.OPEN),
              attendance=(att(1, "张书记", None), att(2, "赵[/]", AttendanceStatus.ABSENT),
                          att(3, "钱", AttendanceStatus.LEAVE, " ")),
              guests=(Guest(1, 1, "王[/]", "", ""),))
    found = check_record(rec)
    assert [f.code for f in found] == [
        "not_closed", "no_place", "no_moderator", "no_recorder", "unmarked",
        "absent_without_reason", "guest_without_reason", "no_speeches",
        "act_without_decision", "no_convener"]
    assert all(f.severity == MUST for f in found[:-1]) and found[-1].severity == SHOULD
    by = {f.code: f for f in found}
    assert by["unmarked"].subjects == ("张书记",)
    assert by["absent_without_reason"].subjects == ("赵[/]", "钱") and by["absent_without_reason"].count == 2
    assert by["act_without_decision"].subjects == ("表决",)


def test_items_without_speech_and_decisions_without_follow_up():
    rec = Rec(meeting(), speeches=(speech(11, "大家一致认为很好"),),
              decisions=(decision(11, owner=None), decision(11, due=None)))
    by = {f.code: f for f in check_record(rec)}
    assert by["item_without_speech"].subjects == ("学习[/]",)
    assert by["decision_without_owner"].count == 1
    assert by["decision_without_owner"].subjects[0].endswith("…")
    assert by["decision_without_due"].count == 1
    assert by["collective_phrase"].subjects == ("张书记",)
    assert "act_without_decision" not in by


def test_decision_without_item_covers_an_act_of_the_same_kind():
    rec = Rec(meeting(), speeches=(speech(10), speech(11)), decisions=(decision(None),))
    assert "act_without_decision" not in codes(rec)
    rec = Rec(meeting(), speeches=(speech(10), speech(11)),
              decisions=(decision(None, act=Act.ELECTION),))
    assert "act_without_decision" in codes(rec)


def test_no_agenda():
    rec = Rec(meeting(agenda=()), speeches=(speech(None),))
    assert codes(rec) == ["no_agenda"]
