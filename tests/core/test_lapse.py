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
    st_ = lapse_status(7, history, today=date(2026, 7, 10))
    assert st_ == LapseStatus(
        member_id=7,
        last_attended=date(2026, 1, 10),
        months_since=6,
        unexcused_absences=1,
        near_lapse=False,
        lapsed=True,
        over_absence_threshold=False,
    ), st_


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
