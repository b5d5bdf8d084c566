"""Warning lines: unexcused absences and months without 组织生活 (DOMAIN.md §3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from branchtui.core.enums import AttendanceStatus
from branchtui.core.lapse import LapseStatus, lapse_status, months_between
from branchtui.core.ruleset import DEFAULT_RULES

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")

S = AttendanceStatus

# -- months_between --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "later", "months"),
    [
        (date(2026, 1, 31), date(2026, 2, 28), 0),
        (date(2026, 1, 31), date(2026, 3, 1), 1),
        (date(2024, 1, 31), date(2024, 2, 29), 0),
        (date(2026, 3, 31), date(2026, 4, 30), 0),
        (date(2026, 3, 31), date(2026, 5, 1), 1),
        (date(2026, 7, 15), date(2026, 1, 15), -6),
        (date(2026, 1, 15), date(2026, 7, 14), 5),
        (date(2026, 1, 15), date(2026, 7, 15), 6),
        (date(2025, 12, 31), date(2026, 12, 31), 12),
        (date(2026, 5, 1), date(2026, 5, 1), 0),
    ],
)
def test_months_between_examples(earlier: date, later: date, months: int) -> None:
    assert months_between(earlier, later) == months, f"{earlier} -> {later} should be {months}"


days = st.dates(min_value=date(2018, 1, 1), max_value=date(2032, 12, 31))


@given(days, days, days)
def test_months_between_is_monotone_and_bounded(a: date, b: date, c: date) -> None:
    b, c = min(b, c), max(b, c)
    assert months_between(a, b) <= months_between(a, c), f"{a}: {b} gives more months than {c}"
    if a <= b:
        k = months_between(a, b)
        assert k >= 0, f"{a} -> {b}: negative months"
        assert a + relativedelta(months=k) <= b, f"{a} + {k} months passes {b}"


@given(days, st.integers(0, 120))
def test_adding_whole_months_gives_them_back(a: date, k: int) -> None:
    a = a.replace(day=min(a.day, 28))
    assert months_between(a, a + relativedelta(months=k)) == k, f"{a} + {k} months"


# -- examples of lapse_status ----------------------------------------------------------------


def test_six_months_with_an_unexcused_absence_is_lapsed() -> None:
    history = [
        (date(2026, 1, 10), S.PRESENT),
        (date(2026, 2, 10), S.ABSENT),
        (date(2026, 3, 10), S.LEAVE),
    ]
    st_ = lapse_status(7, history, today=date(2026, 8, 10))
    assert st_ == LapseStatus(
        member_id=7,
        last_attended=date(2026, 1, 10),
        months_since=7,
        unexcused_months=6,
        unexcused_absences=1,
        near_lapse=False,
        lapsed=True,
        over_absence_threshold=False,
    ), st_


# -- DOMAIN.md §3: six consecutive months without good reason; exemption and approved leave
# are good reason and do not count towards the six (issue 11, item 7) -------------------------


def test_exempt_february_to_june_then_absent_in_july_is_not_lapsed() -> None:
    """The issue's reproduction: exempt February-June, one unexcused absence in July."""
    history = [(date(2026, 1, 10), S.PRESENT), (date(2026, 7, 10), S.ABSENT)]
    exempt = [(date(2026, 2, 1), date(2026, 7, 1))]
    st_ = lapse_status(7, history, today=date(2026, 7, 20), exemptions=exempt)
    assert st_.months_since == 6, "the raw figure stays: six months since last attended"
    assert st_.unexcused_months == 1, st_
    assert not st_.lapsed and not st_.near_lapse, f"five exempt months counted: {st_}"


def test_the_clock_goes_on_after_an_exemption_ends() -> None:
    history = [(date(2026, 1, 10), S.PRESENT), (date(2026, 7, 10), S.ABSENT)]
    exempt = [(date(2026, 2, 1), date(2026, 7, 1))]
    # 1 Jan-10 to Feb-1 (22 days) before, then from 1 July: six months without reason in
    # early December.
    assert not lapse_status(7, history, date(2026, 12, 8), exemptions=exempt).lapsed
    late = lapse_status(7, history, date(2026, 12, 20), exemptions=exempt)
    assert late.unexcused_months == 6 and late.lapsed, late


def test_an_open_exemption_stops_the_clock() -> None:
    history = [(date(2025, 1, 10), S.PRESENT), (date(2025, 2, 10), S.ABSENT)]
    st_ = lapse_status(7, history, date(2026, 7, 1), exemptions=[(date(2025, 3, 1), None)])
    assert st_.months_since == 17 and st_.unexcused_months == 1, st_
    assert not st_.lapsed and not st_.near_lapse, st_


def test_approved_leave_months_do_not_count() -> None:
    history = [(date(2026, 1, 10), S.PRESENT), (date(2026, 2, 10), S.ABSENT),
               *[(date(2026, mo, 10), S.LEAVE) for mo in (3, 4, 5)]]
    st_ = lapse_status(7, history, today=date(2026, 7, 10))
    # The clock pauses for the 92 days of March-May: 10 January + 92 days is 12 April.
    assert st_.months_since == 6 and st_.unexcused_months == 2, st_
    assert not st_.lapsed and not st_.near_lapse, "three months on approved leave counted"


def test_exempt_meetings_do_not_count() -> None:
    history = [(date(2026, 1, 10), S.PRESENT), (date(2026, 2, 10), S.ABSENT),
               (date(2026, 3, 10), S.EXEMPT), (date(2026, 4, 10), S.EXEMPT)]
    st_ = lapse_status(7, history, today=date(2026, 7, 10))
    assert st_.unexcused_months == 3 and not st_.lapsed, st_


def test_good_reason_pauses_the_clock_and_does_not_reset_it() -> None:
    """Three months absent, two exempt, three more absent: six without good reason."""
    history = [(date(2026, 1, 1), S.PRESENT), (date(2026, 2, 1), S.ABSENT),
               (date(2026, 7, 1), S.ABSENT)]
    st_ = lapse_status(7, history, date(2026, 10, 1),
                       exemptions=[(date(2026, 4, 1), date(2026, 6, 1))])
    assert st_.months_since == 9 and st_.unexcused_months == 6 and st_.lapsed, st_
    before = lapse_status(7, history, date(2026, 9, 1),
                          exemptions=[(date(2026, 4, 1), date(2026, 6, 1))])
    assert before.unexcused_months == 5 and before.near_lapse, before


def test_an_exemption_before_the_last_attendance_does_not_help() -> None:
    history = [(date(2026, 1, 10), S.PRESENT), (date(2026, 2, 10), S.ABSENT)]
    st_ = lapse_status(7, history, date(2026, 7, 10),
                       exemptions=[(date(2025, 6, 1), date(2026, 1, 5))])
    assert st_.unexcused_months == 6 and st_.lapsed, st_


def test_never_attended_exempt_since_joining() -> None:
    history = [(date(2026, 6, 1), S.ABSENT)]
    st_ = lapse_status(7, history, date(2026, 7, 1), member_since=date(2026, 1, 1),
                       exemptions=[(date(2026, 1, 1), date(2026, 5, 1))])
    assert st_.months_since == 6 and st_.unexcused_months == 2 and not st_.lapsed, st_


def test_the_month_before_is_near_lapse() -> None:
    history = [(date(2026, 1, 10), S.LATE), (date(2026, 2, 10), S.ABSENT)]
    st_ = lapse_status(7, history, today=date(2026, 7, 9))
    assert st_.months_since == 5 and st_.last_attended == date(2026, 1, 10), st_
    assert st_.near_lapse and not st_.lapsed, "five whole months: near the line, not over it"
    early = lapse_status(7, history, today=date(2026, 6, 9))
    assert not early.near_lapse and not early.lapsed, "four months is not near yet"


def test_leave_and_exemption_are_good_reasons() -> None:
    history = [
        (date(2026, 1, 10), S.PRESENT),
        (date(2026, 2, 10), S.LEAVE),
        (date(2026, 4, 10), S.EXEMPT),
        (date(2026, 6, 10), S.LEAVE),
    ]
    st_ = lapse_status(7, history, today=date(2026, 9, 1))
    assert st_.months_since == 7, st_
    assert not st_.lapsed and not st_.near_lapse, "no unexcused absence: not 自行脱党"


def test_never_attended_counts_from_member_since() -> None:
    history = [(date(2025, 12, 1), S.ABSENT), (date(2026, 2, 1), S.ABSENT)]
    st_ = lapse_status(7, history, today=date(2026, 7, 1), member_since=date(2026, 1, 1))
    assert st_.last_attended is None and st_.months_since == 6, st_
    assert st_.lapsed, "six months since joining, absent without leave"
    unknown = lapse_status(7, history, today=date(2026, 7, 1))
    assert unknown.months_since is None, "neither attendance nor member_since: unknown"
    assert not unknown.lapsed and not unknown.near_lapse, unknown


def test_absence_before_member_since_does_not_count_towards_lapse() -> None:
    history = [(date(2025, 12, 1), S.ABSENT), (date(2026, 2, 1), S.LEAVE)]
    st_ = lapse_status(7, history, today=date(2026, 7, 1), member_since=date(2026, 1, 1))
    assert not st_.lapsed, "the only absence was before the member joined"


def test_same_day_absence_after_attending_does_not_count() -> None:
    history = [(date(2026, 1, 10), S.PRESENT), (date(2026, 1, 10), S.ABSENT)]
    st_ = lapse_status(7, history, today=date(2026, 8, 1))
    assert not st_.lapsed, "attended that day"


def test_unexcused_absences_in_the_window() -> None:
    history = [
        (date(2025, 11, 5), S.ABSENT),
        (date(2026, 1, 5), S.ABSENT),
        (date(2026, 2, 5), S.PRESENT),
        (date(2026, 3, 5), S.ABSENT),
        (date(2026, 4, 5), S.ABSENT),
        (date(2026, 6, 5), S.ABSENT),
    ]
    today = date(2026, 5, 1)
    st_ = lapse_status(7, history, today=today)
    assert st_.unexcused_absences == 3, "this year up to today: Jan, Mar, Apr (June is future)"
    assert st_.over_absence_threshold, "three unexcused absences reach the line"
    window = lapse_status(7, history, today=today, window_start=date(2026, 2, 1))
    assert window.unexcused_absences == 2 and not window.over_absence_threshold, window
    wider = lapse_status(7, history, today=today, window_start=date(2025, 1, 1))
    assert wider.unexcused_absences == 4, wider


def test_rows_after_today_are_ignored() -> None:
    history = [
        (date(2026, 1, 10), S.PRESENT),
        (date(2026, 2, 10), S.ABSENT),
        (date(2026, 8, 1), S.PRESENT),
    ]
    st_ = lapse_status(7, history, today=date(2026, 7, 10))
    assert st_.last_attended == date(2026, 1, 10) and st_.lapsed, st_


def test_local_rules_move_the_lines() -> None:
    rules = DEFAULT_RULES.merged({"lapse_months": 3, "unexcused_absence_threshold": 1})
    history = [(date(2026, 1, 10), S.PRESENT), (date(2026, 2, 10), S.ABSENT)]
    st_ = lapse_status(7, history, today=date(2026, 4, 10), rules=rules)
    assert st_.lapsed and st_.over_absence_threshold, st_


# -- properties ------------------------------------------------------------------------------

TODAY = date(2026, 7, 1)
past = st.dates(min_value=date(2024, 1, 1), max_value=TODAY)
histories = st.lists(st.tuples(past, st.sampled_from(list(AttendanceStatus))), max_size=25)


@given(histories, st.none() | past, st.none() | past)
def test_status_is_consistent(
    history: list[tuple[date, AttendanceStatus]], since: date | None, window: date | None
) -> None:
    st_ = lapse_status(1, history, TODAY, member_since=since, window_start=window)
    assert not (st_.lapsed and st_.near_lapse), f"both lapsed and near: {st_}"
    attended = [d for d, s in history if s.is_present]
    assert st_.last_attended == (max(attended) if attended else None), st_
    if st_.months_since is not None:
        assert st_.unexcused_months is not None
        assert 0 <= st_.unexcused_months <= st_.months_since, st_
    if st_.lapsed:
        assert st_.months_since is not None and st_.months_since >= DEFAULT_RULES.lapse_months, st_
        assert any(
            s is S.ABSENT and (st_.last_attended is None or d > st_.last_attended)
            for d, s in history
        ), f"lapsed without an unexcused absence since last attending: {history}"
    start = window or date(TODAY.year, 1, 1)
    absences = sum(1 for d, s in history if s is S.ABSENT and d >= start)
    assert st_.unexcused_absences == absences, f"{st_.unexcused_absences} != {absences}"
    assert st_.over_absence_threshold == (absences >= DEFAULT_RULES.unexcused_absence_threshold)


@given(histories, st.none() | past)
def test_without_unexcused_absence_no_lapse(
    history: list[tuple[date, AttendanceStatus]], since: date | None
) -> None:
    excused = [(d, s) for d, s in history if s is not S.ABSENT]
    st_ = lapse_status(1, excused, TODAY, member_since=since)
    assert not st_.lapsed and not st_.near_lapse, f"leave/exempt only, still flagged: {st_}"


@given(histories, st.none() | past)
def test_attending_today_resets_the_clock(
    history: list[tuple[date, AttendanceStatus]], since: date | None
) -> None:
    st_ = lapse_status(1, [*history, (TODAY, S.PRESENT)], TODAY, member_since=since)
    assert st_.months_since == 0 and st_.last_attended == TODAY, st_
    assert not st_.lapsed and not st_.near_lapse, st_


@given(histories, st.none() | past, st.integers(0, 400))
def test_lapse_only_gets_worse_with_time(
    history: list[tuple[date, AttendanceStatus]], since: date | None, wait: int
) -> None:
    now = lapse_status(1, history, TODAY, member_since=since)
    later = lapse_status(1, history, TODAY + timedelta(days=wait), member_since=since)
    if now.months_since is not None:
        assert later.months_since is not None and later.months_since >= now.months_since
    assert not now.lapsed or later.lapsed, "lapsed today but not later with no new meetings"
