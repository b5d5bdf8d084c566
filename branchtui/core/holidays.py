"""Public holidays and 调休 working days in mainland China, for warnings on planned sittings.

Each year's arrangement (放假安排: which days are off, which weekend days are worked in
exchange) is published by the State Council in November or December of the year before.
The ``chinesecalendar`` package carries the published years (1.11.0: 2004 to 2026), with
the holiday each day belongs to. A year past its data is answered from the statute alone
(《全国年节及纪念日放假办法》, 2024 revision): 元旦 on 1 January, 劳动节 on 1-2 May and
国庆节 on 1-3 October are days off whatever the arrangement; the lunar holidays (春节, 端午,
中秋), 清明 and the 调休 days of that year are unknown, and :func:`lookup` says which years
those are so that the screen can say "2027年的放假安排暂无数据". Nothing here raises for
a year without data.

Words come from the catalogue (``holiday.*`` in ``branchtui.i18n.messages.recurrence``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from functools import lru_cache

from branchtui.core.frozen import frozen
from branchtui.i18n import language, t

__all__ = [
    "DayKind",
    "HolidayNote",
    "Lookup",
    "data_years",
    "describe",
    "holiday_name",
    "lookup",
    "no_data_text",
    "note_for",
]

# Days off fixed by date in the statute (2024 revision, in force from 2025): month, day, key.
_STATUTORY = {
    (1, 1): "new_years_day",
    (5, 1): "labour_day",
    (5, 2): "labour_day",
    (10, 1): "national_day",
    (10, 2): "national_day",
    (10, 3): "national_day",
}
_STATUTE_SINCE = 2025


class DayKind(StrEnum):
    """What a day is, for a sitting planned on it."""

    HOLIDAY = "holiday"  # a day off (放假), the holiday itself or a day given in exchange
    WORKDAY = "workday"  # a weekend day worked in exchange for a holiday (调休上班)


@frozen
class HolidayNote:
    """A warning for one day: a day off or a 调休 working day, and for which holiday.

    ``name`` is the holiday's key (``new_years_day``, ``spring_festival``, …; see
    :func:`holiday_name`). ``confirmed`` is False when the year's arrangement is not in the
    data and the day comes from the statute alone."""

    day: date
    kind: DayKind
    name: str
    confirmed: bool = True


@frozen
class Lookup:
    """The notes for some days, in the order asked, and the years among those days that
    have no published arrangement in the data (so a day there may be off unnoticed)."""

    notes: tuple[HolidayNote, ...]
    years_without_data: tuple[int, ...]


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[date, str], dict[date, str], dict[str, tuple[str, str]], int, int]:
    """(days off, 调休 working days, key -> (zh, en) name, first year, last year)."""
    # Imported on first use: its tables cost a few milliseconds, paid by scheduling only.
    import chinese_calendar

    names = {h.value: h.name for h in chinese_calendar.Holiday}
    words = {h.name: (h.chinese, h.value) for h in chinese_calendar.Holiday}
    off = {day: names.get(value, value) for day, value in chinese_calendar.holidays.items()}
    worked = {day: names.get(value, value) for day, value in chinese_calendar.workdays.items()}
    years = [day.year for day in off]
    return off, worked, words, min(years), max(years)


def data_years() -> tuple[int, int]:
    """The first and last year whose arrangement is in the data (2004, 2026 in 1.11.0)."""
    _off, _worked, _words, first, last = _tables()
    return first, last


def _has_data(year: int) -> bool:
    first, last = data_years()
    return first <= year <= last


def note_for(day: date) -> HolidayNote | None:
    """The note for ``day``, or None for an ordinary day (or a day of a year without data
    that the statute does not fix)."""
    off, worked, _words, _first, last = _tables()
    if _has_data(day.year):
        if day in worked:
            return HolidayNote(day=day, kind=DayKind.WORKDAY, name=worked[day])
        if day in off:
            return HolidayNote(day=day, kind=DayKind.HOLIDAY, name=off[day])
        return None
    key = _STATUTORY.get((day.month, day.day))
    if key is None or day.year <= last or day.year < _STATUTE_SINCE:
        return None
    return HolidayNote(day=day, kind=DayKind.HOLIDAY, name=key, confirmed=False)


def lookup(days: Iterable[date]) -> Lookup:
    """Notes for those of ``days`` that are days off or 调休 working days, in order, and
    the years among ``days`` without data (sorted)."""
    notes: list[HolidayNote] = []
    missing: set[int] = set()
    for day in days:
        if not _has_data(day.year):
            missing.add(day.year)
        note = note_for(day)
        if note is not None:
            notes.append(note)
    return Lookup(notes=tuple(notes), years_without_data=tuple(sorted(missing)))


def holiday_name(key: str, lang: str | None = None) -> str:
    """The holiday's name (元旦, 春节, …) from the catalogue; a holiday the catalogue does
    not know (a newer data release) gets the data's own name."""
    catalogue_key = f"holiday.name.{key}"
    text = t(catalogue_key, lang=lang)
    if text != catalogue_key:
        return text
    zh, en = _tables()[2].get(key, (key, key))
    return en if (lang or language()) == "en" else zh


def describe(note: HolidayNote, lang: str | None = None) -> str:
    """元旦放假 / 国庆节调休上班 / 元旦放假（法定日期）: the last for a year without data."""
    name = holiday_name(note.name, lang)
    text = t(f"holiday.{note.kind.value}", lang=lang, name=name)
    if not note.confirmed:
        text = t("holiday.statutory_only", lang=lang, text=text)
    return text


def no_data_text(years: Iterable[int], lang: str | None = None) -> str:
    """"2027年的放假安排暂无数据…", or "" when every year is known."""
    listed = sorted(set(years))
    if not listed:
        return ""
    joined = t("holiday.year_sep", lang=lang).join(str(y) for y in listed)
    return t("holiday.no_data", lang=lang, years=joined)
