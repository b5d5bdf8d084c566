"""Public holidays and 调休 working days (core.holidays): published years from the
chinesecalendar data, the statute for a year past it, and no crash for any year."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from branchtui.core import holidays
from branchtui.core.holidays import DayKind


def test_published_days_off_and_swapped_working_days_with_names():
    first, last = holidays.data_years()
    assert first <= 2026 <= last
    new_year = holidays.note_for(date(2026, 1, 1))
    assert new_year is not None and new_year.kind is DayKind.HOLIDAY
    assert new_year.name == "new_years_day" and new_year.confirmed
    assert holidays.describe(new_year) == "元旦放假"
    assert holidays.describe(new_year, "en") == "New Year's Day, a day off"
    # Sunday 4 January 2026 was worked in exchange for the New Year bridge day.
    swapped = holidays.note_for(date(2026, 1, 4))
    assert swapped is not None and swapped.kind is DayKind.WORKDAY
    assert holidays.describe(swapped) == "元旦调休上班"
    # A bridge day carries its holiday's name; an ordinary day or weekend carries nothing.
    assert holidays.note_for(date(2026, 1, 2)).name == "new_years_day"  # type: ignore[union-attr]
    assert holidays.note_for(date(2026, 2, 17)).name == "spring_festival"  # type: ignore[union-attr]
    assert holidays.note_for(date(2026, 3, 3)) is None
    assert holidays.note_for(date(2026, 3, 7)) is None  # a plain Saturday


def test_a_year_without_data_says_so_and_keeps_the_statutory_days():
    year = 2099  # far past any release of the data
    found = holidays.lookup([date(year, 1, 1), date(year, 3, 3), date(year, 10, 2)])
    assert found.years_without_data == (year,)
    assert [(n.day, n.name, n.confirmed) for n in found.notes] == [
        (date(year, 1, 1), "new_years_day", False),
        (date(year, 10, 2), "national_day", False)]
    assert holidays.describe(found.notes[0]) == "元旦放假（法定日期）"
    assert holidays.no_data_text(found.years_without_data) == (
        "2099年放假安排暂无数据：春节、清明、端午、中秋及调休日无法提示。")
    assert holidays.no_data_text([year], "en").startswith("No holiday data for 2099")
    assert holidays.no_data_text([]) == ""


def test_new_years_day_of_the_next_year_is_flagged_whether_or_not_published():
    """The first Friday of January 2027 is 元旦 (issue 11, item 10): flagged from the
    published arrangement once the data has it, from the statute until then."""
    note = holidays.note_for(date(2027, 1, 1))
    assert note is not None and note.kind is DayKind.HOLIDAY and note.name == "new_years_day"


def test_a_holiday_the_catalogue_does_not_know_keeps_the_datas_name():
    assert holidays.holiday_name("anti_fascist_70th_day")  # in the catalogue
    assert holidays.holiday_name("some_new_holiday") == "some_new_holiday"


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_any_day_of_any_year_is_answered(day: date) -> None:
    note = holidays.note_for(day)
    found = holidays.lookup([day])
    assert found.notes == ((note,) if note else ())
    first, last = holidays.data_years()
    assert (day.year in found.years_without_data) == (not first <= day.year <= last)
    if note is not None:
        assert holidays.describe(note) and holidays.describe(note, "en")


def test_every_day_of_a_published_year_matches_the_data():
    import chinese_calendar

    day = date(2025, 1, 1)
    while day.year == 2025:
        note = holidays.note_for(day)
        on_weekend = day.weekday() >= 5
        if note is None:
            assert chinese_calendar.is_workday(day) != on_weekend
        elif note.kind is DayKind.WORKDAY:
            assert on_weekend and chinese_calendar.is_workday(day)
        else:
            assert chinese_calendar.is_holiday(day) and note.name
        day += timedelta(days=1)
