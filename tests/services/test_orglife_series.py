"""组织生活会 → 整改 → 进展 → 销号 → 回头看; 民主评议; series; compliance and figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from branchtui.core import recurrence
from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    ComplianceState,
    Grade,
    MeetingStatus,
    Obligation,
    PeriodKind,
    RectStatus,
)
from branchtui.core.errors import PermissionDenied, ValidationError
from branchtui.core.periods import parse_period, period_containing
from branchtui.services import VoteDraft
from tests.conftest import HOSTILE
from tests.factories import GAPS_REASON, build_world, draft


@pytest.fixture
def world(svc):
    return build_world(svc)


def held(svc, w, clock, start: datetime, *obligations: Obligation, present=True):
    """Hold a meeting at ``start``: schedule, open, mark everyone, close."""
    clock.current = start - timedelta(days=7)
    mtg = svc.meetings.schedule(w.secretary, draft(w, start, *obligations))
    clock.current = start
    svc.meetings.open(w.recorder, mtg.id)
    if present:
        for a in svc.meetings.record(w.secretary, mtg.id).attendance:
            if a.status is None:
                svc.meetings.mark(w.recorder, mtg.id, a.member_id, AttendanceStatus.PRESENT)
    return mtg


def test_org_life_rectification_and_review(world, clock):
    svc, w = world.svc, world
    first = held(svc, w, clock, datetime(2026, 1, 20, 9), Obligation.ORG_LIFE,
                 Obligation.APPRAISAL)
    problem = svc.minutes.add_problem(w.recorder, first.id, "学习不够深入" + HOSTILE,
                                      member_id=w.member.member_id)
    svc.minutes.add_criticism(w.recorder, first.id, w.secretary.member_id,
                              w.secretary.member_id, "自我批评：联系群众不够。")
    svc.minutes.add_criticism(w.recorder, first.id, w.organiser.member_id,
                              w.member.member_id, "希望按时参加组织生活。")
    with pytest.raises(ValidationError):
        svc.minutes.add_criticism(w.recorder, first.id, w.viewer.member_id,
                                  w.member.member_id, "不在名单")
    done_item = svc.minutes.create_rectification(
        w.recorder, first.id, "学习不够深入", "每月读一本书", w.member.member_id,
        date(2026, 6, 30), problem_id=problem)
    open_item = svc.minutes.create_rectification(
        w.recorder, first.id, "台账不全", "补齐台账", w.organiser.member_id, date(2026, 3, 31))
    svc.meetings.close(w.recorder, first.id, gaps_reason=GAPS_REASON)

    clock.current = datetime(2026, 4, 1, 9)
    overdue = svc.minutes.rectifications(w.secretary, w.branch_id, overdue_on=clock.current.date())
    assert [r.id for r in overdue] == [open_item.id]
    assert [r.id for r in svc.minutes.rectifications(w.member)] == [done_item.id]

    step = svc.minutes.add_progress(w.member, done_item.id, "已读完两本", evidence="读书笔记.pdf")
    assert step.status is RectStatus.IN_PROGRESS
    with pytest.raises(PermissionDenied):
        svc.minutes.add_progress(w.recorder, done_item.id, "别人的事项")
    with pytest.raises(ValidationError) as err:
        svc.minutes.verify(w.secretary, done_item.id, step.version)
    assert err.value.key == "rect.not_done"
    step = svc.minutes.add_progress(w.member, done_item.id, "完成", done=True,
                                    expected_version=step.version)
    with pytest.raises(PermissionDenied):
        svc.minutes.verify(w.member, done_item.id, step.version)
    verified = svc.minutes.verify(w.secretary, done_item.id, step.version)
    assert verified.status is RectStatus.VERIFIED and verified.verified_by == w.secretary.member_id

    nxt = held(svc, w, clock, datetime(2027, 1, 22, 9), Obligation.ORG_LIFE)
    review = svc.minutes.review_list(w.secretary, nxt.id)
    # The unfinished item is there on its own; the verified one is not.
    assert [r.id for r in review] == [open_item.id]
    svc.minutes.record_review(w.recorder, nxt.id, open_item.id, "未完成：人手不足，延期至二季度")
    review = svc.minutes.review_list(w.secretary, nxt.id)
    assert review[0].review_meeting_id == nxt.id and "延期" in review[0].review_note


def test_appraisal_cap_and_probationary(world):
    svc, w = world.svc, world
    full = [m for m in w.members if m != w.probationary.member_id]
    grades = {mid: Grade.QUALIFIED for mid in full}
    for mid in full[:4]:
        grades[mid] = Grade.EXCELLENT  # 4 of 12 graded is one third: allowed
    svc.minutes.set_grades(w.secretary, w.branch_id, 2026, grades)
    with pytest.raises(ValidationError) as err:
        svc.minutes.set_grades(w.secretary, w.branch_id, 2026, {full[5]: Grade.EXCELLENT})
    assert err.value.key == "appraisal.excellent_over_cap"
    with pytest.raises(ValidationError) as err:
        svc.minutes.set_grades(w.secretary, w.branch_id, 2026,
                               {w.probationary.member_id: Grade.QUALIFIED})
    assert err.value.key == "appraisal.probationary_graded"
    with pytest.raises(PermissionDenied):
        svc.minutes.set_grades(w.organiser, w.branch_id, 2026, {full[0]: Grade.QUALIFIED})
    assert len(svc.minutes.grades(w.secretary, w.branch_id, 2026)) == len(full)


def test_theme_day_series_with_exception(world, clock):
    svc, w = world.svc, world
    rule = recurrence.monthly_nth_weekday(1, 4)
    series_id, made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14, 30), Obligation.THEME_DAY,
                           title="主题党日"), rule)
    days = [m.planned_start.date() for m in made]
    assert days[:3] == [date(2026, 12, 4), date(2027, 1, 1), date(2027, 2, 5)]
    assert all(d.weekday() == 4 and d.day <= 7 for d in days)
    assert all(m.series_id == series_id for m in made)
    # Cancel one occurrence: it stays cancelled when the series is extended.
    jan = made[1]
    svc.meetings.cancel(w.secretary, jan.id, jan.version, "元旦假期")
    clock.advance(days=40)
    svc.meetings.extend_series(w.secretary, series_id)
    again = svc.meetings.find(w.secretary, w.branch_id, obligation=Obligation.THEME_DAY)
    jan_rows = [m for m in again if m.planned_start.date() == date(2027, 1, 1)]
    assert len(jan_rows) == 1 and jan_rows[0].status is MeetingStatus.CANCELLED
    # Move the whole series half an hour later: future planned ones move.
    moved = svc.meetings.update_series(w.secretary, series_id, 1, time_shift=timedelta(minutes=30))
    assert moved and all(m.planned_start.minute == 0 and m.planned_start.hour == 15 for m in moved)
    n = svc.meetings.cancel_series(w.secretary, series_id, "改为每月第二周")
    assert n == len(moved)


def test_bad_rrule_is_refused(world):
    svc, w = world.svc, world
    with pytest.raises(ValidationError) as err:
        svc.meetings.create_series(w.secretary, draft(w, datetime(2026, 12, 4, 14)),
                                   "FREQ=HOURLY")
    assert err.value.message()


def test_compliance_counts_obligations_not_sittings(world, clock):
    svc, w = world.svc, world
    combined = held(svc, w, clock, datetime(2026, 10, 9, 14), Obligation.THEME_DAY,
                    Obligation.GENERAL_MEETING, Obligation.PARTY_LECTURE)
    svc.meetings.close(w.recorder, combined.id, gaps_reason=GAPS_REASON)
    clock.current = datetime(2026, 11, 27, 9)
    rows = svc.queries.compliance(w.secretary, w.branch_id, parse_period("2026-Q4"))[0]
    state = {(r.obligation, r.period.starts, r.group_id): r.state for r in rows.rows}
    assert state[(Obligation.GENERAL_MEETING, date(2026, 10, 1), None)] is ComplianceState.MET
    assert state[(Obligation.PARTY_LECTURE, date(2026, 10, 1), None)] is ComplianceState.MET
    assert state[(Obligation.THEME_DAY, date(2026, 10, 1), None)] is ComplianceState.MET
    assert state[(Obligation.THEME_DAY, date(2026, 11, 1), None)] is ComplianceState.OPEN
    # No committee meeting was held in October: overdue (the branch has 12 full members).
    assert state[(Obligation.COMMITTEE_MEETING, date(2026, 10, 1), None)] is ComplianceState.OVERDUE
    for gid in w.group_ids:
        assert state[(Obligation.GROUP_MEETING, date(2026, 10, 1), gid)] is ComplianceState.OVERDUE
    other = svc.queries.compliance(w.admin, w.other_branch_id, parse_period("2026-Q4"))[0]
    assert not other.has_committee
    assert all(r.state is ComplianceState.NOT_APPLICABLE for r in other.rows
               if r.obligation is Obligation.COMMITTEE_MEETING)
    assert other.silent


def test_history_rates_and_warnings(world, clock):
    svc, w = world.svc, world
    # Six monthly meetings; the member is absent without leave from all of them.
    for month in range(5, 11):
        mtg = held(svc, w, clock, datetime(2026, month, 8, 14), Obligation.THEME_DAY,
                   present=False)
        for a in svc.meetings.record(w.secretary, mtg.id).attendance:
            status = (AttendanceStatus.ABSENT if a.member_id == w.member.member_id
                      else AttendanceStatus.PRESENT)
            svc.meetings.mark(w.recorder, mtg.id, a.member_id, status)
        svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    clock.current = datetime(2026, 11, 27, 9)
    history = svc.queries.member_history(w.member, w.member.member_id)
    assert len(history) == 6 and history[0].day == date(2026, 10, 8)
    rates = {r.member_id: r for r in svc.queries.attendance_rates(w.secretary, w.branch_id, 2026)}
    assert rates[w.member.member_id].rate == 0 and rates[w.recorder.member_id].rate == 1
    rows = svc.queries.warnings(w.secretary, w.branch_id)
    warned = {mid: st for mid, _name, st in rows}
    assert {mid: name for mid, name, _st in rows}[w.member.member_id] == w.member.name
    assert warned[w.member.member_id].over_absence_threshold
    assert warned[w.member.member_id].unexcused_absences == 6
    assert w.recorder.member_id not in warned


def test_vote_worked_example_through_the_service(world, clock):
    """30 voters expected, 16 present, 15 yes: quorum met, motion fails."""
    from branchtui.services import MemberDraft

    svc, w = world.svc, world
    for i in range(30 - 12):
        svc.roster.add_member(w.admin, w.branch_id,
                              MemberDraft(name=f"补充{i}", admitted=date(2010, 1, 1),
                                          full_since=date(2011, 1, 1)), starts=date(2020, 1, 1))
    mtg = held(svc, w, clock, datetime(2026, 11, 27, 14), Obligation.GENERAL_MEETING,
               present=False)
    rows = svc.meetings.record(w.secretary, mtg.id).attendance
    voters = [a for a in rows if a.can_vote]
    assert len(voters) == 30
    for i, a in enumerate(voters):
        status = AttendanceStatus.PRESENT if i < 16 else AttendanceStatus.ABSENT
        svc.meetings.mark(w.recorder, mtg.id, a.member_id, status)
    d = svc.minutes.record_decision(w.recorder, mtg.id, VoteDraft(
        act=Act.GENERAL_DECISION, text="关于……的决议", yes=15, no=1, abstain=0))
    assert d.quorum_met and not d.passed
    assert (d.voters_expected, d.voters_present) == (30, 16)
    assert d.rule_version == svc.ctx.rules.version


def test_period_window_includes_last_report_year_in_grace(world, clock):
    svc, w = world.svc, world
    clock.current = datetime(2027, 2, 1, 9)
    q1 = period_containing(PeriodKind.QUARTER, date(2027, 2, 1))
    rows = svc.queries.compliance(w.secretary, w.branch_id, q1)[0].rows
    years = {r.period.starts.year for r in rows if r.obligation is Obligation.ORG_LIFE}
    assert 2026 in years, "the 2026 组织生活会 is still due in Q1 2027"


def test_group_meetings_every_month_per_group(world, clock):
    svc, w = world.svc, world
    made = svc.meetings.create_group_series(
        w.secretary, draft(w, datetime(2026, 12, 10, 19), Obligation.GROUP_MEETING,
                           title="党小组会", group=w.group_ids[0]),
        recurrence.monthly_on_day(10))
    assert len(made) == 2
    by_group = {mtgs[0].group_id: mtgs for _sid, mtgs in made}
    assert set(by_group) == set(w.group_ids)
    first = by_group[w.group_ids[0]][0]
    assert first.title == "第1党小组党小组会" and first.convener_id == w.leader.member_id
    assert all(m.obligations == (Obligation.GROUP_MEETING,) for m in by_group[w.group_ids[1]])
    with pytest.raises(PermissionDenied):
        svc.meetings.create_group_series(w.leader, draft(w, datetime(2026, 12, 10, 19)),
                                         recurrence.monthly_on_day(10))


def test_election_exclusions_need_approval_and_change_the_base(world, clock):
    """Election quorum is more than 4/5 of 应到: 7 of 12 voters present is not enough;
    with 4 absent members excluded by upper-level approval, 7 of 8 is."""
    svc, w = world.svc, world
    mtg = held(svc, w, clock, datetime(2026, 11, 27, 14), Obligation.GENERAL_MEETING,
               present=False)
    voters = [a.member_id for a in svc.meetings.record(w.secretary, mtg.id).attendance
              if a.can_vote]
    assert len(voters) == 12
    for i, mid in enumerate(voters):
        svc.meetings.mark(w.recorder, mtg.id, mid, AttendanceStatus.PRESENT if i < 7
                          else AttendanceStatus.ABSENT)
    plain = VoteDraft(act=Act.ELECTION, text="选举支部委员", yes=7, no=0, abstain=0,
                      candidate_name="李组织")
    d = svc.minutes.record_decision(w.recorder, mtg.id, plain)
    assert not d.quorum_met and not d.passed
    excluded = tuple(voters[7:11])
    with pytest.raises(ValidationError):
        svc.minutes.record_decision(w.recorder, mtg.id, VoteDraft(
            **{**plain.__dict__, "excluded_ids": excluded}))
    d = svc.minutes.record_decision(w.recorder, mtg.id, VoteDraft(
        **{**plain.__dict__, "excluded_ids": excluded, "approval_ref": "街道党工委〔2026〕12号"}))
    assert (d.voters_expected, d.voters_present) == (8, 7) and d.quorum_met and d.passed
