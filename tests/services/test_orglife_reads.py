"""Read models of the 组织生活会, 整改 tracker and 民主评议 screens, on both backends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from branchtui.core.enums import Grade, Obligation, RectStatus
from branchtui.core.errors import PermissionDenied, ValidationError
from tests.conftest import HOSTILE, HOSTILE_LINK
from tests.factories import GAPS_REASON, build_world, draft


@pytest.fixture
def world(svc):
    return build_world(svc)


def org_life(svc, w, clock, start: datetime):
    clock.current = start - timedelta(days=7)
    mtg = svc.meetings.schedule(w.secretary, draft(w, start, Obligation.ORG_LIFE))
    clock.current = start
    svc.meetings.open(w.recorder, mtg.id)
    return mtg


def test_org_life_sheet_lists_problems_criticism_and_items(world, clock):
    svc, w = world.svc, world
    mtg = org_life(svc, w, clock, datetime(2026, 12, 10, 9))
    branch_problem = svc.minutes.add_problem(w.recorder, mtg.id, "台账不全" + HOSTILE)
    member_problem = svc.minutes.add_problem(w.recorder, mtg.id, "学习不深" + HOSTILE_LINK,
                                             member_id=w.member.member_id)
    svc.minutes.add_criticism(w.recorder, mtg.id, w.secretary.member_id,
                              w.secretary.member_id, "自我批评")
    svc.minutes.add_criticism(w.recorder, mtg.id, w.organiser.member_id,
                              w.member.member_id, "批评")
    item = svc.minutes.create_rectification(w.recorder, mtg.id, "学习不深", "每月读书",
                                            w.member.member_id, date(2027, 3, 31),
                                            problem_id=member_problem)
    sheet = svc.minutes.org_life_sheet(w.recorder, mtg.id)
    assert sheet.is_org_life and sheet.can_write
    assert [(p.id, p.member_id) for p in sheet.problems] == [
        (branch_problem, None), (member_problem, w.member.member_id)]
    assert sheet.problems[1].text.endswith(HOSTILE_LINK)
    assert [c.is_self for c in sheet.criticisms] == [True, False]
    assert [i.id for i in sheet.items] == [item.id]
    assert sheet.names[w.member.member_id] == "孙党员（老）"
    roll = dict(sheet.roll)
    assert w.probationary.member_id in roll and w.viewer.member_id not in roll

    # A member expected at the meeting reads it, but may not write.
    as_member = svc.minutes.org_life_sheet(w.member, mtg.id)
    assert not as_member.can_write and len(as_member.problems) == 2
    # Closed: nobody writes any more.
    svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    assert not svc.minutes.org_life_sheet(w.secretary, mtg.id).can_write
    with pytest.raises(PermissionDenied):
        svc.minutes.org_life_sheet(w.other_secretary, mtg.id)


def test_tracker_scopes_names_and_rights(world, clock):
    svc, w = world.svc, world
    mtg = org_life(svc, w, clock, datetime(2026, 12, 10, 9))
    mine = svc.minutes.create_rectification(w.recorder, mtg.id, "问题一", "措施一",
                                            w.member.member_id, date(2026, 12, 20))
    other = svc.minutes.create_rectification(w.recorder, mtg.id, "问题二", "措施二",
                                             w.recorder.member_id, date(2027, 6, 30))
    clock.current = datetime(2027, 1, 5, 9)

    full = svc.minutes.tracker(w.secretary, w.branch_id)
    assert full.branch_id == w.branch_id and full.verifier
    assert {i.id for i in full.items} == {mine.id, other.id}
    assert full.can_verify == {mine.id, other.id} and full.can_note == {mine.id, other.id}
    assert full.names[w.recorder.member_id].startswith("赵记录")
    assert dict(full.owners).keys() == {w.member.member_id, w.recorder.member_id}
    assert full.meetings[mtg.id] == mtg.title

    overdue = svc.minutes.tracker(w.secretary, w.branch_id, overdue_on=clock.current.date())
    assert [i.id for i in overdue.items] == [mine.id]
    by_owner = svc.minutes.tracker(w.secretary, w.branch_id, owner_id=w.recorder.member_id)
    assert [i.id for i in by_owner.items] == [other.id]
    assert svc.minutes.tracker(w.secretary, w.branch_id, status=RectStatus.DONE).items == ()

    # A member asking for the branch sees their own items, may note, may not verify.
    own = svc.minutes.tracker(w.member, w.branch_id)
    assert own.branch_id is None and not own.verifier
    assert [i.id for i in own.items] == [mine.id]
    assert own.can_note == {mine.id} and own.can_verify == frozenset()


def test_appraisal_roster_marks_probationary_and_saved_grades(world):
    svc, w = world.svc, world
    svc.minutes.set_grades(w.secretary, w.branch_id, 2026,
                           {w.member.member_id: Grade.QUALIFIED})
    roster = svc.minutes.appraisal_roster(w.secretary, w.branch_id, 2026)
    assert roster.can_grade
    by_id = {e.member_id: e for e in roster.entries}
    assert set(by_id) == set(w.members)
    assert by_id[w.probationary.member_id].probationary
    assert by_id[w.member.member_id].grade is Grade.QUALIFIED
    assert by_id[w.member.member_id].version == 1
    assert by_id[w.recorder.member_id].grade is None
    # Probationary members are listed last.
    assert roster.entries[-1].member_id == w.probationary.member_id
    gradable = sum(1 for e in roster.entries if not e.probationary)
    assert roster.cap(gradable) == gradable // 3
    assert not svc.minutes.appraisal_roster(w.organiser, w.branch_id, 2026).can_grade
    with pytest.raises(PermissionDenied):
        svc.minutes.appraisal_roster(w.member, w.branch_id, 2026)
    with pytest.raises(ValidationError):
        svc.minutes.appraisal_roster(w.secretary, w.branch_id, 1800)


def test_appraisal_roster_member_joined_later_is_not_listed(world):
    from branchtui.services import MemberDraft

    svc, w = world.svc, world
    late = svc.roster.add_member(w.admin, w.branch_id, MemberDraft(
        name="新转入", admitted=date(2010, 1, 1), full_since=date(2011, 1, 1)),
        starts=date(2026, 2, 1))
    ids_2025 = {e.member_id for e in svc.minutes.appraisal_roster(
        w.secretary, w.branch_id, 2025).entries}
    assert late.id not in ids_2025 and w.member.member_id in ids_2025


def test_org_life_sheet_carries_the_review_of_earlier_rounds(world, clock):
    svc, w = world.svc, world
    first = org_life(svc, w, clock, datetime(2026, 12, 10, 9))
    item = svc.minutes.create_rectification(w.recorder, first.id, "问题" + HOSTILE, "措施",
                                            w.leader.member_id, date(2027, 1, 10))
    svc.meetings.close(w.recorder, first.id, gaps_reason=GAPS_REASON)
    second = org_life(svc, w, clock, datetime(2027, 1, 22, 9))
    sheet = svc.minutes.org_life_sheet(w.secretary, second.id)
    assert [r.id for r in sheet.review] == [item.id] and sheet.items == ()
    assert sheet.names[w.leader.member_id] == "钱组长"
    svc.minutes.record_review(w.recorder, second.id, item.id, "延期")
    again = svc.minutes.org_life_sheet(w.secretary, second.id)
    assert again.review[0].review_note == "延期"
    assert again.review[0].review_meeting_id == second.id
