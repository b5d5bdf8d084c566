"""Stale saves on both backends, for the things two people edit in the UI besides speeches,
meetings and attendance marks (test_lifecycle, test_attendance_sheet): a member's record,
a leave request, a rectification item. A stale save is refused with ``Conflict`` carrying
the newer object; the newer data stays as it was; saving again on the newer version lands."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from branchtui.core.enums import LeaveKind, LeaveStatus, Obligation, RectStatus
from branchtui.core.errors import Conflict
from branchtui.services import MemberDraft
from tests.conftest import HOSTILE, HOSTILE_LINK
from tests.factories import build_world, draft


@pytest.fixture
def world(svc):
    return build_world(svc)


def _member_draft(base, **changes) -> MemberDraft:
    fields = dict(name=base.name, login=base.login, phone=base.phone or "",
                  admitted=base.admitted, full_since=base.full_since)
    fields.update(changes)
    return MemberDraft(**fields)


def test_stale_member_edit(world):
    svc, w = world.svc, world
    base = svc.roster.get_member(w.secretary, w.member.member_id)
    theirs = svc.roster.update_member(w.organiser, base.id, base.version,
                                      _member_draft(base, phone="139" + HOSTILE))
    with pytest.raises(Conflict) as err:
        svc.roster.update_member(w.secretary, base.id, base.version,
                                 _member_draft(base, name="孙老党员" + HOSTILE_LINK))
    current = err.value.params["current"]
    assert current.version == theirs.version == base.version + 1
    assert current.phone == "139" + HOSTILE and current.name == base.name
    now = svc.roster.get_member(w.secretary, base.id)
    assert (now.name, now.phone, now.version) == (base.name, "139" + HOSTILE, theirs.version)
    mine = svc.roster.update_member(w.secretary, base.id, current.version,
                                    _member_draft(current, name="孙老党员" + HOSTILE_LINK))
    assert (mine.name, mine.phone, mine.version) == (
        "孙老党员" + HOSTILE_LINK, "139" + HOSTILE, base.version + 2)


def test_leave_decided_first_by_someone_else(world, clock):
    svc, w = world.svc, world
    mtg = svc.meetings.schedule(w.secretary, draft(w, clock.current + timedelta(days=5),
                                                   Obligation.THEME_DAY))
    req = svc.meetings.request_leave(w.member, mtg.id, LeaveKind.OFFICIAL, "出差" + HOSTILE)
    first = svc.meetings.decide_leave(w.leader, req.id, True, req.version, note="组长同意")
    with pytest.raises(Conflict) as err:
        svc.meetings.decide_leave(w.secretary, req.id, False, req.version, note="不同意")
    current = err.value.params["current"]
    assert current.status is LeaveStatus.APPROVED and current.version == first.version
    [still] = [r for r in svc.meetings.my_leave(w.member) if r.id == req.id]
    assert (still.status, still.decision_note, still.decided_by, still.version) == (
        LeaveStatus.APPROVED, "组长同意", w.leader.member_id, first.version)


def test_stale_rectification_progress(world, clock):
    svc, w = world.svc, world
    start = datetime(2026, 12, 10, 9)
    clock.current = start - timedelta(days=7)
    mtg = svc.meetings.schedule(w.secretary, draft(w, start, Obligation.ORG_LIFE,
                                                   Obligation.APPRAISAL))
    clock.current = start
    svc.meetings.open(w.recorder, mtg.id)
    item = svc.minutes.create_rectification(w.recorder, mtg.id, "问题" + HOSTILE, "措施",
                                            w.member.member_id, date(2027, 3, 31))
    theirs = svc.minutes.add_progress(w.organiser, item.id, "组织委员督促",
                                      expected_version=item.version)
    with pytest.raises(Conflict) as err:
        svc.minutes.add_progress(w.member, item.id, "我的进展" + HOSTILE_LINK, done=True,
                                 expected_version=item.version)
    current = err.value.params["current"]
    assert current.version == theirs.version and current.status is RectStatus.IN_PROGRESS
    notes = svc.minutes.progress(w.member, item.id)
    assert [n.text for n in notes] == ["组织委员督促"], "the stale note was not added"
    mine = svc.minutes.add_progress(w.member, item.id, "我的进展" + HOSTILE_LINK, done=True,
                                    expected_version=current.version)
    assert mine.status is RectStatus.DONE and mine.version == theirs.version + 1
    with pytest.raises(Conflict):  # 对单销号 on the version before the member's note
        svc.minutes.verify(w.secretary, item.id, theirs.version)
    assert svc.minutes.verify(w.secretary, item.id, mine.version).status is RectStatus.VERIFIED
