"""Small date helpers of the generator, and its one span check (``within``)."""

from __future__ import annotations

from datetime import date, timedelta


def within(day: date, starts: date, ends: date | None) -> bool:
    """Whether ``day`` falls in the span from ``starts`` (included) to ``ends`` (excluded;
    None: open-ended), as memberships, exemptions and disciplines are stored.

    Every "is this day inside that span" of the generator goes through here."""
    return starts <= day and (ends is None or day < ends)


def month_start(day: date) -> date:
    return day.replace(day=1)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) ``weekday`` (Monday 0) of a month."""
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def is_holiday(day: date) -> bool:
    """New Year's Day, the May Day and National Day holidays: sittings move a week."""
    return (
        (day.month, day.day) == (1, 1)
        or (day.month == 5 and day.day <= 5)
        or (day.month == 10 and day.day <= 7)
    )


def quarter(month: int) -> int:
    return (month - 1) // 3
