"""The read-only questions the meetings screens ask: who may schedule, and a series'
template, on both backends."""

from __future__ import annotations

from datetime import datetime

import pytest

from branchtui.core import recurrence
from branchtui.core.enums import Obligation
from branchtui.core.errors import NotFound, PermissionDenied
from tests.factories import build_world, draft


@pytest.fixture
def world(svc):
    return build_world(svc)


def test_schedule_scope_by_role(world):
    svc, w = world.svc, world
    sec = svc.meetings.schedule_scope(w.secretary, w.branch_id)
    assert sec.read_branch and sec.branch and sec.any and sec.allows(None)
    leader = svc.meetings.schedule_scope(w.leader, w.branch_id)
    assert not leader.branch and leader.groups == frozenset({w.group_ids[0]})
    assert leader.allows(w.group_ids[0]) and not leader.allows(w.group_ids[1])
    assert not leader.allows(None)
    member = svc.meetings.schedule_scope(w.member, w.branch_id)
    assert not member.any and not member.read_branch
    viewer = svc.meetings.schedule_scope(w.viewer, w.branch_id)
    assert viewer.read_branch and not viewer.any
    assert svc.meetings.can_schedule(w.secretary, w.branch_id)
    assert not svc.meetings.can_schedule(w.member, w.branch_id)
    assert not svc.meetings.can_schedule(w.other_secretary, w.branch_id)
    assert svc.meetings.can_schedule(w.leader, w.branch_id, w.group_ids[0])
    with pytest.raises(NotFound):
        svc.meetings.schedule_scope(w.secretary, w.group_ids[0])


def test_series_info_gives_rule_and_version(world):
    svc, w = world.svc, world
    rule = recurrence.monthly_nth_weekday(1, 4)
    sid, made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14), Obligation.THEME_DAY), rule)
    assert made
    info = svc.meetings.series_info(w.secretary, sid)
    assert info.rrule == rule and info.version == 1 and info.branch_id == w.branch_id
    svc.meetings.update_series(w.secretary, sid, info.version, place="新地点[/]")
    assert svc.meetings.series_info(w.secretary, sid).version == 2
    with pytest.raises(PermissionDenied):
        svc.meetings.series_info(w.other_secretary, sid)
