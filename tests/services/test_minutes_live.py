"""Reads behind the live minutes screen: names and rights, and the vote base that the
screen judges typed numbers against (the same one record_decision freezes)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from branchtui.core.enums import Act, AttendanceStatus, Obligation
from branchtui.core.errors import PermissionDenied
from branchtui.core.record_check import check_record
from branchtui.core.votes import Tally, VoteBase, evaluate
from branchtui.services import VoteDraft
from tests.conftest import HOSTILE_LINK
from tests.factories import GAPS_REASON, build_world, draft

START = datetime(2026, 11, 27, 14, 0)


@pytest.fixture
def world(svc, clock):
    w = build_world(svc, extra_full=24)  # 30 voters with the admin
    mtg = svc.meetings.schedule(w.secretary, draft(w, START, Obligation.GENERAL_MEETING))
    clock.current = START
    svc.meetings.open(w.recorder, mtg.id)
    w.meeting = mtg  # type: ignore[attr-defined]
    return w


def test_preview_vote_matches_the_recorded_decision(world):
    svc, w, mtg = world.svc, world, world.meeting
    voters = [a.member_id for a in svc.meetings.record(w.recorder, mtg.id).attendance
              if a.can_vote]
    assert len(voters) == 30
    assert svc.minutes.preview_vote(w.recorder, mtg.id, Act.GENERAL_DECISION) == VoteBase(30, 0)
    for mid in voters[:16]:
        svc.meetings.mark(w.recorder, mtg.id, mid, AttendanceStatus.PRESENT)
    svc.meetings.mark(w.recorder, mtg.id, w.probationary.member_id, AttendanceStatus.PRESENT)
    base = svc.minutes.preview_vote(w.member, mtg.id, Act.GENERAL_DECISION)
    assert base == VoteBase(30, 16)  # the probationary member has no vote
    shown = evaluate(Act.GENERAL_DECISION, base, Tally(15, 1, 0), svc.ctx.rules)
    assert shown.quorum_met and not shown.passed
    d = svc.minutes.record_decision(w.recorder, mtg.id, VoteDraft(
        Act.GENERAL_DECISION, "同意" + HOSTILE_LINK, 15, 1, 0,
        agenda_item_id=mtg.agenda[1].id, follow_up_owner_id=w.member.member_id,
        follow_up_due=date(2026, 12, 31)))
    assert (d.voters_expected, d.voters_present, d.passed, d.reason_key) == (
        30, 16, False, shown.reason_key)
    with pytest.raises(PermissionDenied):
        svc.minutes.preview_vote(w.other_secretary, mtg.id, Act.GENERAL_DECISION)


def test_people_names_and_rights(world):
    svc, w, mtg = world.svc, world, world.meeting
    svc.minutes.record_decision(w.recorder, mtg.id, VoteDraft(
        Act.GENERAL_DECISION, "决议", 0, 0, 0, follow_up_owner_id=w.leader.member_id))
    p = svc.minutes.people(w.recorder, mtg.id)
    assert p.names[w.recorder.member_id] == "赵记录[@click=app.quit]x[/]"
    assert p.names[w.secretary.member_id] == "张书记"
    assert p.names[w.leader.member_id] == "钱组长"
    assert p.may_write and p.may_run
    p = svc.minutes.people(w.member, mtg.id)
    assert not p.may_write and not p.may_run
    assert svc.minutes.people(w.viewer, mtg.id).may_write is False
    with pytest.raises(PermissionDenied):
        svc.minutes.people(w.other_secretary, mtg.id)


def test_record_check_over_a_real_record(world, clock):
    svc, w, mtg = world.svc, world, world.meeting
    svc.minutes.add_speech(w.recorder, mtg.id, "大家一致认为很好", speaker_id=w.member.member_id,
                           agenda_item_id=mtg.agenda[0].id)
    clock.advance(hours=1)
    svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    found = {f.code: f for f in check_record(svc.meetings.record(w.recorder, mtg.id))}
    assert set(found) == {"unmarked", "item_without_speech", "act_without_decision",
                          "collective_phrase"}
    assert found["unmarked"].count == 31
