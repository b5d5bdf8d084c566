"""A series' occurrences: title patterns, numbers, ends (COUNT/UNTIL) and holiday marks."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchtui.core import recurrence, series
from branchtui.core.errors import ValidationError
from branchtui.core.holidays import DayKind
from branchtui.core.text import TITLE_MAX

THEME = recurrence.monthly_nth_weekday(1, 4)  # 每月第一个星期五
START = datetime(2026, 12, 4, 14, 30)
L, R = "\uff5b", "\uff5d"  # full-width braces, as an IME types them


def test_each_occurrence_gets_its_own_title():
    """Issue 11, item 10: "2026年12月主题党日" was stamped on January to June."""
    found, _years = series.plan(THEME, START, "{year}年{month}月主题党日", limit=7)
    assert [o.title for o in found] == [
        "2026年12月主题党日", "2027年1月主题党日", "2027年2月主题党日", "2027年3月主题党日",
        "2027年4月主题党日", "2027年5月主题党日", "2027年6月主题党日"]
    assert [o.n for o in found] == list(range(1, 8))


def test_placeholders_quarter_number_padding_and_full_width_braces():
    day = date(2027, 8, 6)
    assert series.render_title("{year}年第{quarter}季度党课（第{n}次）", day, 3) == \
        "2027年第3季度党课（第3次）"
    assert series.render_title("Party day {year}-{month:02d}-{day:02}", day, 1) == \
        "Party day 2027-08-06"
    assert series.render_title(f"{L}year{R}年{L}month{R}月主题党日", day, 1) == "2027年8月主题党日"
    assert series.render_title("{YEAR}", day, 1) == "2027"


def test_a_pattern_without_placeholders_is_a_fixed_title():
    """Series stored before patterns keep their title on every occurrence."""
    for fixed in ("主题党日", "[@click=app.quit]x[/]主题党日", "学习{二十大}精神", "{", "}{"):
        assert not series.has_placeholders(fixed)
        assert series.check_pattern(fixed) == fixed
        assert series.render_title(fixed, date(2027, 1, 1), 9) == fixed


def test_an_unknown_placeholder_is_refused_by_the_check_and_kept_by_rendering():
    with pytest.raises(ValidationError) as err:
        series.check_pattern("{yaer}年{month}月主题党日")
    assert err.value.key == "series.unknown_placeholder"
    assert "{yaer}" in err.value.message() and "{month}" in err.value.message()
    assert series.render_title("{yaer}年{month}月", date(2027, 1, 1), 1) == "{yaer}年1月"


def test_numbers_count_from_the_first_occurrence_and_skip_nothing():
    later = series.plan(THEME, START, "第{n}次", start=datetime(2027, 3, 1),
                        exdates=[date(2027, 4, 2)], limit=2)[0]
    assert [(o.start.date(), o.title) for o in later] == [
        (date(2027, 3, 5), "第4次"), (date(2027, 5, 7), "第6次")]


def test_the_occurrence_on_new_years_day_is_marked():
    found, _years = series.plan(THEME, START, "{year}年{month}月主题党日", limit=3)
    jan = found[1]
    assert jan.start.date() == date(2027, 1, 1)
    assert jan.holiday is not None and jan.holiday.kind is DayKind.HOLIDAY
    assert jan.holiday.name == "new_years_day"
    assert found[0].holiday is None and found[2].holiday is None


def test_a_swapped_working_day_is_marked_and_missing_years_are_listed():
    sundays = "FREQ=WEEKLY;BYDAY=SU"
    found, years = series.plan(sundays, datetime(2025, 12, 28, 9), "{month}月{day}日", limit=2)
    assert found[1].start.date() == date(2026, 1, 4)
    assert found[1].holiday is not None and found[1].holiday.kind is DayKind.WORKDAY
    assert years == ()
    _found, years = series.plan("FREQ=YEARLY", datetime(2098, 5, 5, 9), "{year}", limit=3)
    assert years == (2098, 2099, 2100)


def test_an_end_date_or_a_count_ends_the_series():
    until = recurrence.with_end(THEME, until=date(2027, 6, 30), dtstart=START)
    assert until == "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20270630"
    assert recurrence.describe(until) == "每月第一个星期五，至2027年6月30日"
    assert [d.date() for d in recurrence.occurrences(until, START)][-1] == date(2027, 6, 4)
    count = recurrence.with_end(THEME, count=6)
    assert recurrence.describe(count, "en").endswith(", 6 times")
    assert len(recurrence.occurrences(count, START)) == 6
    # The whole last day counts, as the form's date means it.
    last_day = recurrence.with_end(THEME, until=date(2027, 6, 4), dtstart=START)
    assert recurrence.occurrences(last_day, START)[-1] == datetime(2027, 6, 4, 14, 30)
    assert recurrence.with_end(THEME) == THEME


@pytest.mark.parametrize(("rule", "params", "key"), [
    (THEME, {"until": date(2027, 1, 1), "count": 3}, "recurrence.count_and_until"),
    (THEME + ";COUNT=3", {"count": 4}, "recurrence.end_twice"),
    (THEME + ";UNTIL=20271231", {"until": date(2027, 6, 30)}, "recurrence.end_twice"),
    (THEME, {"count": 0}, "recurrence.bad_count"),
    (THEME, {"count": recurrence.MAX_COUNT + 1}, "recurrence.bad_count"),
    (THEME, {"until": date(2026, 12, 3), "dtstart": START}, "recurrence.until_before_start"),
])
def test_bad_ends_are_refused_with_a_message(rule, params, key):
    with pytest.raises(ValidationError) as err:
        recurrence.with_end(rule, **params)
    assert err.value.key == key and err.value.key in recurrence.ERROR_KEYS
    for lang in ("zh", "en"):
        message = recurrence.t(key, lang=lang, **err.value.params)
        assert message and "{" not in message


patterns = st.lists(
    st.one_of(st.sampled_from(["{year}", "{month}", "{quarter}", "{n}", "{day:02d}"]),
              st.text(alphabet="主题党日年月第次[]/@{} " + L + R, max_size=6)),
    max_size=8).map("".join)


@given(pattern=patterns,
       start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31)),
       interval=st.integers(min_value=1, max_value=5))
def test_titles_follow_each_occurrences_own_date_and_number(pattern, start, interval):
    """Every occurrence's title is the pattern rendered for its own date and number: two
    occurrences share a title only when the pattern cannot tell them apart."""
    found, _years = series.plan(recurrence.monthly(interval), start, pattern, limit=14)
    assert [o.n for o in found] == list(range(1, len(found) + 1))
    for o in found:
        day = o.start.date()
        assert o.title == series.render_title(pattern, day, o.n)
        assert len(o.title) <= TITLE_MAX
    if "{n}" in pattern or ("{year}" in pattern and "{month}" in pattern):
        assert len({o.title for o in found}) == len(found)
    if not series.has_placeholders(pattern):
        assert {o.title for o in found} <= {pattern[:TITLE_MAX]}
