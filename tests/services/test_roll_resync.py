"""The roll of a planned or open meeting follows roster writes dated on or before it
(issue 11, item 1), on both backends: 应到 (正式/预备) and the voter base of the sheet equal
``roll_preview`` for the meeting date, marks and approved leave are kept where the person
is still 应到, and the sheet says what changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branchtui.core.enums import Act, AttendanceStatus, LeaveKind, MeetingStatus
from branchtui.services import MemberDraft
from tests.factories import GAPS_REASON, build_world, draft

MEETING = datetime(2026, 6, 20, 14, 0)


@pytest.fixture
def world(svc):
    return build_world(svc, extra_full=2)


def _approve_leave(w, member, mtg_id: int, approver=None) -> None:
    req = w.svc.meetings.request_leave(member, mtg_id, LeaveKind.PERSONAL, "出差[/]")
    w.svc.meetings.decide_leave(approver or w.secretary, req.id, True, req.version)


def _sheet_matches_preview(w, mtg_id: int) -> None:
    svc = w.svc
    sheet = svc.meetings.attendance_sheet(w.secretary, mtg_id)
    preview = svc.meetings.roll_preview(w.secretary, w.branch_id, MEETING.date())
    counts = sheet.record.counts
    assert (counts.expected_full, counts.expected_probationary) == (
        preview.expected_full, preview.expected_probationary)
    base = svc.minutes.preview_vote(w.secretary, mtg_id, Act.GENERAL_DECISION)
    assert base.entitled_expected == preview.voters
    expected = {e.member_id for e in preview.entries}
    counted = {a.member_id for a in sheet.record.attendance
               if a.status is not AttendanceStatus.EXEMPT}
    assert counted == expected


def test_leave_approved_before_the_meeting_follows_later_roster_writes(world, clock):
    """The reproduction of issue 11, item 1."""
    svc, w = world.svc, world
    clock.current = datetime(2026, 6, 5, 9, 0)
    mtg = svc.meetings.schedule(w.secretary, draft(w, MEETING))
    probationary, leaving = w.probationary, w.member
    disciplined = w.actor(w.members[-1])
    exempted = w.actor(w.members[-2])
    four = (probationary, leaving, disciplined, exempted)
    for who in four:
        _approve_leave(w, who, mtg.id)
    before = svc.meetings.roll_preview(w.secretary, w.branch_id, MEETING.date())
    assert {a.member_id for a in before.entries} >= {a.member_id for a in four}

    clock.current = datetime(2026, 6, 12, 9, 0)
    version = svc.roster.get_member(w.secretary, probationary.member_id).version
    svc.roster.confirm_full(w.admin, probationary.member_id, date(2026, 6, 1), version)
    svc.roster.transfer(w.admin, leaving.member_id, date(2026, 6, 10),
                        to_branch_id=w.other_branch_id)
    svc.roster.add_discipline(w.admin, disciplined.member_id, date(2026, 6, 1), None,
                              "留党察看一年")
    svc.roster.add_exemption(w.admin, exempted.member_id, date(2026, 6, 8), None,
                             "住院治疗[@click=app.quit]x[/]")

    clock.current = MEETING - timedelta(minutes=5)
    opened = svc.meetings.open(w.recorder, mtg.id)
    assert opened.status is MeetingStatus.OPEN
    preview = svc.meetings.roll_preview(w.secretary, w.branch_id, MEETING.date())
    assert preview.expected_total == before.expected_total - 2
    assert preview.expected_probationary == before.expected_probationary - 1
    assert preview.voters == before.voters - 2  # the one transferred, the one under 察看
    _sheet_matches_preview(w, mtg.id)

    sheet = svc.meetings.attendance_sheet(w.secretary, mtg.id)
    rows = {a.member_id: a for a in sheet.record.attendance}
    assert leaving.member_id not in rows
    assert rows[exempted.member_id].status is AttendanceStatus.EXEMPT
    assert rows[exempted.member_id].reason == "住院治疗[@click=app.quit]x[/]"
    # Still 应到: the approved leave stays, with the new facts of the day.
    assert rows[probationary.member_id].status is AttendanceStatus.LEAVE
    assert rows[probationary.member_id].is_full and rows[probationary.member_id].can_vote
    assert rows[disciplined.member_id].status is AttendanceStatus.LEAVE
    assert not rows[disciplined.member_id].can_vote
    # The sheet says what changed, and as of which day.
    changes = {(ch.member_id, ch.kind, ch.on) for ch in sheet.roll_changes}
    assert changes == {
        (probationary.member_id, "full", date(2026, 6, 1)),
        (leaving.member_id, "transferred_out", date(2026, 6, 10)),
        (disciplined.member_id, "vote_lost", date(2026, 6, 1)),
        (exempted.member_id, "exempt", date(2026, 6, 8)),
    }
    # Only those who may mark or read the branch see the changes.
    assert svc.meetings.attendance_sheet(w.probationary, mtg.id).roll_changes == ()


def test_open_meeting_keeps_marks_and_ending_an_exemption_restores_leave(world, clock):
    svc, w = world.svc, world
    clock.current = datetime(2026, 6, 5, 9, 0)
    mtg = svc.meetings.schedule(w.secretary, draft(w, MEETING))
    _approve_leave(w, w.member, mtg.id)
    exemption = svc.roster.add_exemption(w.admin, w.member.member_id, date(2026, 6, 1), None,
                                         "产假")
    rows = {a.member_id: a for a in svc.meetings.record(w.secretary, mtg.id).attendance}
    assert rows[w.member.member_id].status is AttendanceStatus.EXEMPT
    svc.roster.end_exemption(w.admin, exemption, date(2026, 6, 3))
    rows = {a.member_id: a for a in svc.meetings.record(w.secretary, mtg.id).attendance}
    assert rows[w.member.member_id].status is AttendanceStatus.LEAVE
    assert rows[w.member.member_id].reason == "出差[/]"

    clock.current = MEETING
    svc.meetings.open(w.recorder, mtg.id)
    svc.meetings.mark(w.recorder, mtg.id, w.probationary.member_id, AttendanceStatus.PRESENT)
    # 转正 entered during the meeting, dated before it: the mark stays, the row is 正式.
    version = svc.roster.get_member(w.secretary, w.probationary.member_id).version
    svc.roster.confirm_full(w.admin, w.probationary.member_id, date(2026, 6, 15), version)
    rows = {a.member_id: a for a in svc.meetings.record(w.secretary, mtg.id).attendance}
    assert rows[w.probationary.member_id].status is AttendanceStatus.PRESENT
    assert rows[w.probationary.member_id].is_full
    _sheet_matches_preview(w, mtg.id)
    # A closed meeting's roll is frozen.
    svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    svc.roster.transfer(w.admin, w.leader.member_id, date(2026, 6, 1),
                        to_branch_id=w.other_branch_id)
    rows = {a.member_id: a for a in svc.meetings.record(w.secretary, mtg.id).attendance}
    assert w.leader.member_id in rows
    assert svc.meetings.record(w.secretary, mtg.id).chain_ok


def test_new_member_dated_before_the_meeting_joins_its_roll(world, clock):
    svc, w = world.svc, world
    clock.current = datetime(2026, 6, 5, 9, 0)
    mtg = svc.meetings.schedule(w.secretary, draft(w, MEETING))
    new = svc.roster.add_member(
        w.admin, w.branch_id,
        MemberDraft(name="新党员[/]", admitted=date(2020, 1, 1), full_since=date(2021, 1, 1)),
        group_id=w.group_ids[0], starts=date(2026, 6, 10))
    sheet = svc.meetings.attendance_sheet(w.secretary, mtg.id)
    assert new.id in {a.member_id for a in sheet.record.attendance}
    assert [(ch.member_id, ch.name, ch.kind) for ch in sheet.roll_changes] == [
        (new.id, "新党员[/]", "added")]
    _sheet_matches_preview(w, mtg.id)


# -- the property: random histories dated before the meeting ---------------------------

DAYS = st.dates(min_value=date(2026, 5, 1), max_value=date(2026, 6, 30))
EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["join", "move", "transfer", "full", "exempt", "end_exempt",
                         "discipline", "end_discipline", "leave"]),
        st.integers(min_value=0, max_value=7),  # which member
        DAYS,
    ),
    max_size=8,
)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(events=EVENTS)
def test_sheet_equals_roll_preview_after_any_history(world, clock, events):
    """For random joins, moves, 转正, exemptions, 留党察看 and approved leave dated around
    the meeting, the opened sheet's 应到 (正式/预备) and voter base equal ``roll_preview``."""
    # The world lives across examples (function-scoped fixture): each example schedules a
    # meeting of its own on a later day, and the admin (whose rights no move takes away)
    # does everything but asking for leave.
    svc, w = world.svc, world
    clock.current = datetime(2026, 4, 1, 9, 0)
    mtg = svc.meetings.schedule(w.admin, draft(w, MEETING + timedelta(days=len(
        svc.meetings.find(w.admin, w.branch_id)))))
    day = mtg.planned_start.date()
    people = [x for x in w.members if x != w.admin.member_id]
    for kind, who, on in events:
        mid = people[who % len(people)]
        roll = svc.roster
        try:
            if kind == "join":
                people.append(roll.add_member(
                    w.admin, w.branch_id,
                    MemberDraft(name=f"新{len(people)}", admitted=date(2026, 1, 1)),
                    group_id=w.group_ids[who % 2], starts=on).id)
            elif kind in ("move", "transfer"):
                roll.transfer(w.admin, mid, on,
                              to_branch_id=w.branch_id if kind == "move" else w.other_branch_id,
                              to_group_id=w.group_ids[who % 2] if kind == "move" else None)
            elif kind == "full":
                version = roll.get_member(w.admin, mid).version
                roll.confirm_full(w.admin, mid, on, version)
            elif kind == "exempt":
                roll.add_exemption(w.admin, mid, on, None, "病")
            elif kind == "discipline":
                roll.add_discipline(w.admin, mid, on, None, "察看")
            elif kind in ("end_exempt", "end_discipline"):
                entries = (roll.exemptions if kind == "end_exempt" else roll.disciplines)(
                    w.admin, mid)
                if entries:
                    end = (roll.end_exemption if kind == "end_exempt"
                           else roll.end_discipline)
                    end(w.admin, entries[0].id, on)
            elif kind == "leave":
                _approve_leave(w, w.actor(mid), mtg.id, w.admin)
        except Exception as exc:  # refusals (before admission, duplicate leave...) are fine
            if type(exc).__name__ not in ("ValidationError", "NotAMember", "PermissionDenied"):
                raise
    clock.current = mtg.planned_start
    svc.meetings.open(w.admin, mtg.id)
    sheet = svc.meetings.attendance_sheet(w.admin, mtg.id)
    preview = svc.meetings.roll_preview(w.admin, w.branch_id, day)
    counts = sheet.record.counts
    assert (counts.expected_full, counts.expected_probationary) == (
        preview.expected_full, preview.expected_probationary)
    base = svc.minutes.preview_vote(w.admin, mtg.id, Act.GENERAL_DECISION)
    assert base.entitled_expected == preview.voters


def test_editing_the_dates_of_a_member_resyncs_the_roll(world, clock):
    svc, w = world.svc, world
    clock.current = datetime(2026, 6, 5, 9, 0)
    mtg = svc.meetings.schedule(w.secretary, draft(w, MEETING))
    member = svc.roster.get_member(w.admin, w.probationary.member_id)
    svc.roster.update_member(w.admin, member.id, member.version, MemberDraft(
        name=member.name, login=member.login, admitted=member.admitted,
        full_since=date(2026, 5, 1)))
    rows = {a.member_id: a for a in svc.meetings.record(w.secretary, mtg.id).attendance}
    assert rows[member.id].is_full and rows[member.id].can_vote
    _sheet_matches_preview(w, mtg.id)
