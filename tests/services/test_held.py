"""Issue 11, items 8 and 9: a meeting is held on the day it is planned for (opened on
another day it must be rescheduled first, and compliance counts the day it was held); a
meeting entered after its date is a 补录 with a reason; 第X次 follows the date order and a
held meeting keeps its number. On both backends."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta

import pytest

from branchtui.core.enums import ComplianceState, MeetingStatus, Obligation, PeriodKind
from branchtui.core.errors import ValidationError
from branchtui.core.periods import period_containing
from branchtui.services import FixedClock, MeetingDraft
from branchtui.services.meetings import slot_today
from branchtui.store import models as m
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK
from tests.factories import GAPS_REASON, World, build_world, draft

Ob = Obligation
REASON = HOSTILE_LINK + "会议当天系统故障，依纸质记录补录" + FULLWIDTH + HOSTILE
DEC_02 = datetime(2026, 12, 2, 4, 8)  # the "now"


@pytest.fixture
def world(svc) -> World:
    return build_world(svc)


def general(w: World, start: datetime, **extra) -> MeetingDraft:
    """A 支部党员大会 of two hours, as in the issue."""
    return dataclasses.replace(draft(w, start, Ob.GENERAL_MEETING, title="支部党员大会"),
                               **extra)


def state(w: World, obligation: Ob, day: date) -> tuple[ComplianceState, tuple[int, ...]]:
    """The branch's state for the quarter (or month) containing ``day``, and the
    meetings that fulfil it."""
    kind = PeriodKind.MONTH if obligation is Ob.THEME_DAY else PeriodKind.QUARTER
    window = period_containing(kind, day)
    (b,) = [b for b in w.svc.queries.compliance(w.admin, w.branch_id, window)
            if b.branch_id == w.branch_id]
    (row,) = [r for r in b.rows if r.obligation is obligation and r.period == window]
    return row.state, row.meeting_ids


def numbers(w: World, obligation: Ob = Ob.THEME_DAY) -> list[tuple[date, int | None]]:
    """(date, 第X次) of the branch's sittings of one kind, in date order."""
    return [(x.planned_start.date(), x.number)
            for x in w.svc.meetings.find(w.secretary, w.branch_id)
            if x.obligations[0] is obligation and x.status is not MeetingStatus.CANCELLED]


def chain_actions(w: World, meeting_id: int) -> list[tuple[str, dict]]:
    with w.svc.ctx.db.connection_context():
        return [(a, json.loads(d)["data"]) for a, d in
                m.ChangeLog.select(m.ChangeLog.action, m.ChangeLog.data)
                .where(m.ChangeLog.meeting == meeting_id).order_by(m.ChangeLog.id).tuples()]


def hold(w: World, clock: FixedClock, start: datetime, obligation: Ob = Ob.THEME_DAY) -> int:
    """Scheduled a week ahead, opened and closed on its day; the clock put back."""
    saved = clock.current
    clock.current = start - timedelta(days=7)
    mtg = w.svc.meetings.schedule(w.secretary, draft(w, start, obligation))
    clock.current = start
    w.svc.meetings.open(w.recorder, mtg.id)
    clock.advance(hours=2)
    w.svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    clock.current = saved
    return mtg.id


# -- item 8: a meeting is held on its day ------------------------------------------------------


def test_a_meeting_cannot_be_opened_before_its_day(world, clock):
    """The issue's 12-09 支部党员大会 opened on 12-02 at 04:08: refused, still planned."""
    w = world
    clock.current = datetime(2026, 11, 20, 9)
    mtg = w.svc.meetings.schedule(w.secretary, general(w, datetime(2026, 12, 9, 14, 30)))
    clock.current = DEC_02
    with pytest.raises(ValidationError) as err:
        w.svc.meetings.open(w.recorder, mtg.id)
    assert err.value.key == "meeting.open_early"
    assert "2026-12-09" in err.value.message() and "2026-12-02" in err.value.message()
    # A reason does not make a meeting not yet due a 补录.
    with pytest.raises(ValidationError) as err:
        w.svc.meetings.open(w.recorder, mtg.id, late_reason=REASON)
    assert err.value.key == "meeting.open_early"
    assert w.svc.meetings.get(w.secretary, mtg.id).status is MeetingStatus.PLANNED
    assert state(w, Ob.GENERAL_MEETING, date(2026, 12, 2))[0] is ComplianceState.OPEN


def test_a_meeting_not_opened_on_its_day_needs_a_reschedule_or_a_reason(world, clock):
    w = world
    clock.current = datetime(2026, 11, 13, 9)
    mtg = w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 20, 14, 30)))
    with pytest.raises(ValidationError) as err:
        w.svc.meetings.open(w.recorder, mtg.id)
    assert err.value.key == "meeting.open_early"
    clock.current = datetime(2026, 11, 27, 9)
    for reason in ("", "  \n"):
        with pytest.raises(ValidationError) as err:
            w.svc.meetings.open(w.recorder, mtg.id, late_reason=reason)
        assert err.value.key == "meeting.open_late"
    # Held on 11-20 and recorded only now: a 补录, attested as held on its day.
    opened = w.svc.meetings.open(w.recorder, mtg.id, late_reason=REASON)
    assert opened.status is MeetingStatus.OPEN and opened.entered_late
    assert (opened.late_at, opened.late_reason) == (clock.current, REASON)
    assert opened.planned_start == datetime(2026, 11, 20, 14, 30)
    w.svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    assert state(w, Ob.THEME_DAY, date(2026, 11, 20)) == (ComplianceState.MET, (mtg.id,))
    (_action, data), = [x for x in chain_actions(w, mtg.id) if x[0] == "meeting.open"]
    assert data["held_on"] == "2026-11-20" and data["late_reason"] == REASON
    assert w.svc.meetings.record(w.secretary, mtg.id).chain_ok


def test_rescheduled_to_today_and_opened_it_counts_the_day_it_was_held(world, clock):
    """A 党员大会 planned for 2027-01-05 (Q1) is held on 2026-12-30 (Q4): rescheduled
    through ``reschedule`` and opened, it fulfils Q4's 党员大会 and not Q1's."""
    w = world
    clock.current = datetime(2026, 12, 20, 9)
    mtg = w.svc.meetings.schedule(w.secretary, general(w, datetime(2027, 1, 5, 14, 30)))
    clock.current = datetime(2026, 12, 30, 15, 10)
    with pytest.raises(ValidationError):
        w.svc.meetings.open(w.secretary, mtg.id)
    start, end = slot_today(mtg.planned_start, mtg.planned_end, clock.current.date(),
                            clock.current)
    assert (start, end) == (datetime(2026, 12, 30, 15, 10), datetime(2026, 12, 30, 17, 10))
    moved = w.svc.meetings.reschedule(w.secretary, mtg.id, mtg.version, planned_start=start,
                                      planned_end=end)
    assert not moved.entered_late
    opened = w.svc.meetings.open(w.secretary, mtg.id)
    clock.advance(minutes=70)
    w.svc.meetings.close(w.secretary, mtg.id, gaps_reason=GAPS_REASON)
    assert opened.opened_at is not None and opened.opened_at.date() == date(2026, 12, 30)
    with w.svc.ctx.db.connection_context():
        days = {d for (d,) in m.MeetingObligation.select(m.MeetingObligation.day)
                .where(m.MeetingObligation.meeting == mtg.id).tuples()}
    assert days == {date(2026, 12, 30)}
    assert state(w, Ob.GENERAL_MEETING, date(2026, 12, 30)) == (ComplianceState.MET, (mtg.id,))
    assert state(w, Ob.GENERAL_MEETING, date(2027, 1, 5))[1] == ()


def test_slot_today_keeps_the_time_of_day_when_still_ahead():
    start, end = datetime(2026, 12, 9, 14, 30), datetime(2026, 12, 9, 16, 30)
    assert slot_today(start, end, date(2026, 12, 2), DEC_02) == (
        datetime(2026, 12, 2, 14, 30), datetime(2026, 12, 2, 16, 30))
    late = datetime(2026, 12, 2, 15, 7, 42)
    assert slot_today(start, end, date(2026, 12, 2), late) == (
        datetime(2026, 12, 2, 15, 7), datetime(2026, 12, 2, 17, 7))
    assert slot_today(start, None, date(2026, 12, 2), late) == (datetime(2026, 12, 2, 15, 7),
                                                                 None)


def test_a_meeting_opened_on_its_day_at_any_hour_is_not_late(world, clock):
    w = world
    mtg = w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 19)))
    opened = w.svc.meetings.open(w.recorder, mtg.id)  # 09:00, the morning of its day
    assert opened.status is MeetingStatus.OPEN and not opened.entered_late


# -- item 9: 补录 ------------------------------------------------------------------------------


def test_scheduling_in_the_past_needs_a_reason(world, clock):
    """The issue's 11-01 meeting entered on 12-02: refused without a reason; with one it
    is a 补录, may be recorded today, and counts for 11-01."""
    w = world
    clock.current = DEC_02
    past = draft(w, datetime(2026, 11, 1, 14, 30))
    for reason in ("", " \t"):
        with pytest.raises(ValidationError) as err:
            w.svc.meetings.schedule(w.secretary, dataclasses.replace(past, late_reason=reason))
        assert err.value.key == "meeting.late_needs_reason"
        assert "2026-11-01 14:30" in err.value.message()
    mtg = w.svc.meetings.schedule(w.secretary, dataclasses.replace(past, late_reason=REASON))
    assert mtg.entered_late and (mtg.late_at, mtg.late_reason) == (DEC_02, REASON)
    assert mtg.created_at == DEC_02
    clock.advance(minutes=5)
    opened = w.svc.meetings.open(w.recorder, mtg.id)  # a 补录 is recorded when entered
    assert (opened.late_at, opened.late_reason) == (DEC_02, REASON)
    with pytest.raises(ValidationError) as err:
        w.svc.meetings.sign_in(w.member, mtg.id)
    assert err.value.key == "attendance.self_signin_late"
    w.svc.minutes.add_speech(w.recorder, mtg.id, "依纸质记录录入" + HOSTILE,
                             speaker_id=w.secretary.member_id)
    # Written while open, but not during the meeting: none of it counts as written live.
    assert w.svc.meetings.record(w.secretary, mtg.id).written_live_share == 0.0
    w.svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    assert state(w, Ob.THEME_DAY, date(2026, 11, 1)) == (ComplianceState.MET, (mtg.id,))
    assert state(w, Ob.THEME_DAY, date(2026, 12, 2))[1] == ()
    assert w.svc.meetings.record(w.secretary, mtg.id).chain_ok


def test_entered_as_it_starts_is_not_late_and_a_reason_is_then_ignored(world, clock):
    w = world
    just = w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 8, 50)))
    assert not just.entered_late
    ahead = w.svc.meetings.schedule(w.secretary, dataclasses.replace(
        draft(w, datetime(2026, 12, 4, 14)), late_reason=REASON))
    assert not ahead.entered_late and ahead.late_reason == ""


def test_rescheduling_into_the_past_needs_a_reason_and_back_undoes_it(world, clock):
    w = world
    mtg = w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 4, 14)))
    with pytest.raises(ValidationError) as err:
        w.svc.meetings.reschedule(w.secretary, mtg.id, mtg.version,
                                  planned_start=datetime(2026, 11, 6, 14))
    assert err.value.key == "meeting.late_needs_reason"
    late = w.svc.meetings.reschedule(w.secretary, mtg.id, mtg.version,
                                     planned_start=datetime(2026, 11, 6, 14),
                                     late_reason=REASON)
    assert late.entered_late and late.late_reason == REASON and late.late_at == clock.current
    # Moved again within the past: still a 补录, with its reason and first entry time.
    clock.advance(hours=1)
    again = w.svc.meetings.reschedule(w.secretary, mtg.id, late.version,
                                      planned_start=datetime(2026, 11, 7, 14))
    assert (again.late_at, again.late_reason) == (late.late_at, REASON)
    back = w.svc.meetings.reschedule(w.secretary, mtg.id, again.version,
                                     planned_start=datetime(2026, 12, 11, 14))
    assert not back.entered_late and back.late_reason == ""


def test_editing_a_past_meeting_without_moving_it_needs_no_reason(world, clock):
    """The form sends the start it shows: a sitting not moved is not entered anew."""
    w = world
    clock.current = datetime(2026, 11, 13, 9)
    mtg = w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 20, 14)))
    clock.current = datetime(2026, 11, 27, 9)
    edited = w.svc.meetings.reschedule(w.secretary, mtg.id, mtg.version,
                                       planned_start=mtg.planned_start, title="改名" + HOSTILE)
    assert edited.title == "改名" + HOSTILE and not edited.entered_late


# -- 第X次 in date order ------------------------------------------------------------------------


def test_numbers_follow_the_date_not_the_order_of_entry(world, clock):
    w = world
    later = w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 20, 14)))
    assert later.number == 1
    earlier = w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 6, 14)))
    assert earlier.number == 1
    assert numbers(w) == [(date(2026, 12, 6), 1), (date(2026, 12, 20), 2)]
    # The renumbered sitting's log says so, and its chain holds.
    assert ("meeting.renumber", {"number": 2, "was": 1}) in chain_actions(w, later.id)
    assert w.svc.meetings.record(w.secretary, later.id).chain_ok
    # Moved after the other: the two swap.
    w.svc.meetings.reschedule(w.secretary, earlier.id, earlier.version,
                              planned_start=datetime(2026, 12, 27, 14))
    assert numbers(w) == [(date(2026, 12, 20), 1), (date(2026, 12, 27), 2)]


def test_a_cancelled_sitting_leaves_no_gap_and_no_twin(world, clock):
    """Before, a sitting scheduled after a cancellation took a number already in use."""
    w = world
    made = [w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, d, 14)))
            for d in (4, 11, 18)]
    w.svc.meetings.cancel(w.secretary, made[1].id, made[1].version, "与街道活动合并" + HOSTILE)
    w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 25, 14)))
    assert numbers(w) == [(date(2026, 12, 4), 1), (date(2026, 12, 18), 2),
                          (date(2026, 12, 25), 3)]


def test_held_meetings_keep_their_number_and_a_late_entry_says_why(world, clock):
    """11-01 entered on 12-02 (the issue's case): the sittings held since keep the number
    they were held with (printed, under the seal); the 补录 comes after them, and the
    December sittings not held yet follow it in date order."""
    w = world
    for day in (6, 13, 20):  # held in November: 第1-3次
        hold(w, clock, datetime(2026, 11, day, 14, 30))
    sealed = w.svc.meetings.find(w.secretary, w.branch_id)[0]
    w.svc.meetings.seal(w.secretary, sealed.id)
    dec = [w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, d, 14, 30)))
           for d in (4, 18)]
    assert [x.number for x in dec] == [4, 5]
    clock.current = DEC_02
    late = w.svc.meetings.schedule(w.secretary, dataclasses.replace(
        draft(w, datetime(2026, 11, 1, 14, 30)), late_reason=REASON))
    assert late.number == 4 and late.entered_late
    assert numbers(w) == [(date(2026, 11, 1), 4), (date(2026, 11, 6), 1),
                          (date(2026, 11, 13), 2), (date(2026, 11, 20), 3),
                          (date(2026, 12, 4), 5), (date(2026, 12, 18), 6)]
    # No two sittings of a kind share a number in a year.
    assert len({n for _d, n in numbers(w)}) == len(numbers(w))
    # The sealed record's number is in its chain (meeting.open says what it was held as).
    opened = [d for a, d in chain_actions(w, sealed.id) if a == "meeting.open"]
    assert opened == [dict(opened[0], number=1)]
    assert w.svc.meetings.record(w.secretary, sealed.id).chain_ok
    # A 补录 that precedes only sittings not held yet takes its place by date.
    w.svc.meetings.schedule(w.secretary, dataclasses.replace(
        draft(w, datetime(2026, 11, 27, 14, 30)), late_reason=REASON))
    assert numbers(w)[-3:] == [(date(2026, 11, 27), 5), (date(2026, 12, 4), 6),
                               (date(2026, 12, 18), 7)]


def test_numbers_count_per_kind_group_and_year(world, clock):
    w = world
    g1, g2 = w.group_ids
    for d, g in ((10, g1), (3, g2), (17, g2), (1, g1)):
        w.svc.meetings.schedule(w.leader if g == g1 else w.secretary,
                                draft(w, datetime(2026, 12, d, 19), Ob.GROUP_MEETING, group=g))
    w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 5, 14)))
    w.svc.meetings.schedule(w.secretary, draft(w, datetime(2027, 1, 8, 14)))
    by_group = sorted((x.group_id, x.planned_start.day, x.number)
                      for x in w.svc.meetings.find(w.secretary, w.branch_id)
                      if x.obligations[0] is Ob.GROUP_MEETING)
    assert by_group == [(g1, 1, 1), (g1, 10, 2), (g2, 3, 1), (g2, 17, 2)]
    assert numbers(w) == [(date(2026, 12, 5), 1), (date(2027, 1, 8), 1)]
