"""The record check names every gap a record must not have (DOMAIN.md §5)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, replace
from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from branchtui.core.enums import Act, AttendanceStatus, MeetingStatus, Obligation
from branchtui.core.model import AgendaItem, AttendanceRow, Decision, Guest, Meeting, Speech
from branchtui.core.record_check import (
    MUST,
    SHOULD,
    RecordGaps,
    absentees,
    check_record,
    close_gaps,
    findings_data,
    findings_from,
)
from branchtui.core.roll import count_attendance

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


# -- issue 11, items 11 and 12: speakers who were not there, gaps that block closing ---------


def spoken_by(mid: int | None, name: str, item: int | None = 10) -> Speech:
    return Speech(id=mid or 0, meeting_id=1, agenda_item_id=item, speaker_id=mid,
                  speaker_name=name, text="发言", spoken_at=T, entered_by=2)


def test_a_remark_by_a_member_marked_absent_or_on_leave_is_flagged():
    S = AttendanceStatus
    rec = Rec(meeting(),
              attendance=(att(1, "张书记", S.PRESENT), att(3, "缺[/]席", S.ABSENT, "未请假"),
                          att(4, "请假者", S.LEAVE, "病假"), att(5, "迟到者", S.LATE)),
              speeches=(spoken_by(1, "张书记"), spoken_by(3, "缺[/]席", 11),
                        spoken_by(4, "请假者"), spoken_by(3, "缺[/]席"),
                        spoken_by(5, "迟到者", 11),
                        spoken_by(None, "王主任（列席）"),  # a guest: not on the roll
                        spoken_by(9, "街道李书记")),  # a member not on this roll
              decisions=(decision(11),))
    found = check_record(rec)
    by = {f.code: f for f in found}
    assert by["speaker_absent"].severity == MUST
    assert by["speaker_absent"].subjects == ("缺[/]席", "请假者")
    assert by["speaker_absent"].count == 2
    assert [f.code for f in found] == ["speaker_absent"]


def test_close_gaps_are_the_must_gaps_but_not_closed_yet():
    S = AttendanceStatus
    rec = Rec(meeting(status=MeetingStatus.OPEN, place="", agenda=(), recorder_id=None),
              attendance=(att(1, "张书记", S.PRESENT), att(2, "未登[/]记", None),
                          att(3, "缺席者", S.ABSENT)),
              speeches=(spoken_by(3, "缺席者", None), spoken_by(1, "张书记", None)))
    gaps = close_gaps(rec)
    assert [f.code for f in gaps] == ["no_place", "no_recorder", "no_agenda", "unmarked",
                                      "absent_without_reason", "speaker_absent"]
    assert {f.code for f in check_record(rec)} - {f.code for f in gaps} == {"not_closed"}
    by = {f.code: f for f in gaps}
    assert by["unmarked"].subjects == ("未登[/]记",)
    assert by["speaker_absent"].subjects == ("缺席者",)
    # A record that has what it must have closes without a reason, SHOULD gaps and all.
    complete = Rec(meeting(status=MeetingStatus.OPEN),
                   attendance=(att(1, "张书记", S.PRESENT),),
                   speeches=(speech(10, "大家一致认为很好"), speech(11)),
                   decisions=(decision(11, owner=None),))
    assert close_gaps(complete) == []
    assert {f.code for f in check_record(complete)} == {
        "not_closed", "decision_without_owner", "collective_phrase"}


def test_the_refusal_names_every_gap_as_plain_text():
    S = AttendanceStatus
    rec = Rec(meeting(status=MeetingStatus.OPEN, place=" "),
              attendance=(att(2, "赵[@click=app.quit]x[/]", None), att(3, "钱（一）", None)),
              speeches=(speech(10), speech(11)), decisions=(decision(11),))
    err = RecordGaps(findings=tuple(close_gaps(rec)))
    text = err.message()
    assert "没有填写会议地点" in text
    assert "有 2 人未登记出席情况：赵[@click=app.quit]x[/]、钱（一）" in text
    assert "写明原因" in text
    again = pickle.loads(pickle.dumps(err))  # crosses processes (the SSH gateway's children)
    assert isinstance(again, RecordGaps) and again.findings == err.findings
    assert findings_from(findings_data(err.findings)) == err.findings
    assert att(1, "x", S.PRESENT) not in absentees([att(1, "x", S.PRESENT)])


statuses = st.none() | st.sampled_from(list(AttendanceStatus))


@given(st.lists(st.tuples(st.booleans(), statuses), max_size=60))
def test_expected_is_present_plus_absentees(sheet: list[tuple[bool, AttendanceStatus | None]]):
    """应到 = 实到 + 请假 + 缺席 + 未登记, and the record's 未到会人员 (``absentees``) are
    exactly those not present: none of 应到 is left out, whatever the sheet."""
    rows = [AttendanceRow(id=i, meeting_id=1, member_id=i, member_name=f"党员{i}[/]",
                          is_full=full, can_vote=full, status=status)
            for i, (full, status) in enumerate(sheet, start=1)]
    counts = count_attendance((r.is_full, r.status) for r in rows)
    away = absentees(rows)
    assert counts.expected_total == counts.present_total + len(away), (counts, away)
    assert counts.expected_total == (counts.present_total + counts.leave + counts.absent
                                     + counts.unmarked)
    assert [a.member_id for a in away if a.status is None] == [
        r.member_id for r in rows if r.status is None]
    assert all(a.status is not AttendanceStatus.EXEMPT for a in away)
    rec = Rec(meeting(status=MeetingStatus.OPEN), attendance=tuple(rows),
              speeches=(speech(10), speech(11)), decisions=(decision(11),))
    by = {f.code: f for f in close_gaps(rec)}
    if counts.unmarked:
        assert by["unmarked"].count == counts.unmarked
        assert set(by["unmarked"].subjects) == {a.member_name for a in away if a.status is None}
    else:
        assert "unmarked" not in by
