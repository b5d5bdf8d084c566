"""Each role's limits: what it may do, and that everything else is refused with a reason
in the user's language (on both backends)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from branchtui.core.enums import AttendanceStatus, LeaveKind, Obligation, OrgKind, PositionRole
from branchtui.core.errors import PermissionDenied
from branchtui.i18n import set_language
from branchtui.services import MemberDraft
from tests.factories import build_world, draft


@pytest.fixture
def world(svc):
    return build_world(svc)


@pytest.fixture
def open_meeting(world):
    svc, w = world.svc, world
    mtg = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 10),
                                                   Obligation.THEME_DAY))
    svc.meetings.open(w.recorder, mtg.id)
    return mtg


def refused(call, key: str) -> None:
    with pytest.raises(PermissionDenied) as err:
        call()
    assert err.value.key == key, f"refused for {err.value.key}, expected {key}"
    assert err.value.message() and not err.value.message().startswith("perm."), \
        "a refusal must read as a sentence, not a key"


def test_secretary_runs_the_branch(world, open_meeting):
    svc, w = world.svc, world
    svc.meetings.mark(w.secretary, open_meeting.id, w.member.member_id, AttendanceStatus.PRESENT)
    svc.minutes.add_speech(w.secretary, open_meeting.id, "书记讲话", speaker_id=w.secretary.member_id)
    svc.roster.add_exemption(w.secretary, w.member.member_id, date(2027, 1, 1), None, "孕产期")
    assert svc.queries.compliance(w.secretary, w.branch_id, svc.queries.current_quarter())
    # ...but not another branch.
    refused(lambda: svc.roster.roster(w.secretary, w.other_branch_id), "perm.read")
    refused(lambda: svc.meetings.schedule(
        w.secretary, type(draft(w, datetime(2026, 12, 4, 10)))(
            **{**draft(w, datetime(2026, 12, 4, 10)).__dict__, "branch_id": w.other_branch_id,
               "convener_id": None, "moderator_id": None, "recorder_id": None})),
        "perm.schedule")


def test_organisation_officer_keeps_roster_and_attendance_not_schedule(world, open_meeting):
    svc, w = world.svc, world
    svc.meetings.mark(w.organiser, open_meeting.id, w.member.member_id, AttendanceStatus.LATE)
    # A login name is the secretary's to give (issue 10): the 组织委员 adds without one.
    refused(lambda: svc.roster.add_member(w.organiser, w.branch_id,
                                          MemberDraft(name="新党员", login="xin")), "perm.login")
    svc.roster.add_member(w.organiser, w.branch_id, MemberDraft(name="新党员"),
                          starts=date(2026, 11, 27))
    refused(lambda: svc.meetings.schedule(w.organiser, draft(w, datetime(2026, 12, 4, 10))),
            "perm.schedule")
    refused(lambda: svc.minutes.add_speech(w.organiser, open_meeting.id, "x",
                                           speaker_id=w.member.member_id), "perm.minutes")


def test_group_leader_only_own_group(world):
    svc, w = world.svc, world
    svc.meetings.schedule(w.leader, draft(w, datetime(2026, 12, 3, 19), Obligation.GROUP_MEETING,
                                          group=w.group_ids[0]))
    refused(lambda: svc.meetings.schedule(w.leader, draft(w, datetime(2026, 12, 4, 10))),
            "perm.schedule")
    refused(lambda: svc.roster.add_member(w.leader, w.branch_id, MemberDraft(name="x")),
            "perm.roster")


def test_recorder_writes_minutes_of_own_meeting_only(world, open_meeting):
    svc, w = world.svc, world
    svc.minutes.add_speech(w.recorder, open_meeting.id, "发言", speaker_id=w.member.member_id)
    svc.meetings.mark(w.recorder, open_meeting.id, w.member.member_id, AttendanceStatus.PRESENT)
    other = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 15)))
    # A meeting where someone else records.
    d = draft(w, datetime(2026, 11, 27, 16))
    d2 = type(d)(**{**d.__dict__, "recorder_id": w.organiser.member_id})
    someone_elses = svc.meetings.schedule(w.secretary, d2)
    svc.meetings.open(w.secretary, someone_elses.id)
    refused(lambda: svc.minutes.add_speech(w.recorder, someone_elses.id, "越权",
                                           speaker_id=w.member.member_id), "perm.minutes")
    refused(lambda: svc.meetings.cancel(w.recorder, other.id, other.version, "no"),
            "perm.schedule")
    refused(lambda: svc.roster.roster(w.recorder, w.branch_id), "perm.read")


def test_member_sees_own_data_and_meetings_expected_at(world, open_meeting):
    svc, w = world.svc, world
    assert svc.meetings.record(w.member, open_meeting.id).meeting.id == open_meeting.id
    assert svc.queries.member_history(w.member, w.member.member_id)
    refused(lambda: svc.queries.member_history(w.member, w.recorder.member_id), "perm.read")
    refused(lambda: svc.meetings.mark(w.member, open_meeting.id, w.member.member_id,
                                      AttendanceStatus.PRESENT), "perm.mark")
    refused(lambda: svc.queries.compliance(w.member, w.branch_id, svc.queries.current_quarter()),
            "perm.read")
    refused(lambda: svc.queries.attendance_rates(w.member, w.branch_id, 2026), "perm.read")
    # A meeting of the other branch is not theirs to read.
    foreign = svc.meetings.schedule(w.other_secretary, type(draft(w, datetime(2026, 12, 1, 9)))(
        **{**draft(w, datetime(2026, 12, 1, 9)).__dict__, "branch_id": w.other_branch_id,
           "convener_id": None, "moderator_id": None, "recorder_id": None}))
    refused(lambda: svc.meetings.record(w.member, foreign.id), "perm.read")


def test_upper_viewer_reads_subtree_and_writes_nothing(world, open_meeting):
    svc, w = world.svc, world
    rows = svc.queries.compliance(w.viewer, w.top_id, svc.queries.current_quarter())
    assert {r.branch_id for r in rows} == {w.branch_id, w.other_branch_id}
    assert svc.meetings.record(w.viewer, open_meeting.id)
    assert svc.queries.member_history(w.viewer, w.member.member_id) is not None
    refused(lambda: svc.meetings.mark(w.viewer, open_meeting.id, w.member.member_id,
                                      AttendanceStatus.PRESENT), "perm.mark")
    refused(lambda: svc.meetings.schedule(w.viewer, draft(w, datetime(2026, 12, 4, 10))),
            "perm.schedule")
    refused(lambda: svc.minutes.add_speech(w.viewer, open_meeting.id, "x",
                                           speaker_id=w.member.member_id), "perm.minutes")
    refused(lambda: svc.roster.add_member(w.viewer, w.branch_id, MemberDraft(name="x")),
            "perm.roster")


def test_admin_may_create_orgs_others_not(world):
    svc, w = world.svc, world
    svc.roster.create_org(w.admin, w.top_id, OrgKind.BRANCH, "第三党支部")
    refused(lambda: svc.roster.create_org(w.secretary, w.top_id, OrgKind.BRANCH, "x"),
            "perm.org")
    refused(lambda: svc.roster.appoint(w.secretary, w.member.member_id, w.top_id,
                                       PositionRole.VIEWER, date(2026, 1, 1)), "perm.posts")


def test_leave_is_decided_by_secretary_or_group_leader_only(world):
    svc, w = world.svc, world
    mtg = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 4, 10)))
    req = svc.meetings.request_leave(w.recorder, mtg.id, LeaveKind.PERSONAL, "家中有事")
    # The recorder is in group 2; the group-1 leader may not decide.
    refused(lambda: svc.meetings.decide_leave(w.leader, req.id, True, req.version), "perm.leave")
    refused(lambda: svc.meetings.decide_leave(w.viewer, req.id, True, req.version), "perm.leave")
    svc.meetings.decide_leave(w.secretary, req.id, False, req.version, note="请尽量参加")


def test_refusals_translate(world):
    svc, w = world.svc, world
    set_language("en")
    with pytest.raises(PermissionDenied) as err:
        svc.roster.roster(w.member, w.other_branch_id)
    assert err.value.message().startswith("You may not view this")
