"""What the schedule form reads and says, without widgets: dates and times as people type
them, the end of a series, the rule for the chosen repetition, the suggested titles, and
the preview of the next sittings with their holiday warnings."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, time

from textual.content import Content

from branchtui.core import dates, holidays, recurrence, series
from branchtui.core.enums import Obligation
from branchtui.core.errors import ValidationError
from branchtui.i18n import enum_label, language, t
from branchtui.ui.text import assemble

NO_REPEAT = "none"
GROUP_SERIES = "group_series"
REPEAT_KINDS = (NO_REPEAT, recurrence.Preset.MONTHLY_NTH_WEEKDAY,
                recurrence.Preset.QUARTERLY_LAST_WEEKDAY, recurrence.Preset.MONTHLY_ON_DAY,
                GROUP_SERIES, recurrence.Preset.CUSTOM)
PREVIEW_COUNT = 5
END_NEVER, END_UNTIL, END_COUNT = "never", "until", "count"
END_KINDS = (END_NEVER, END_UNTIL, END_COUNT)


# -- reading what was typed (pure; tested directly) ------------------------------------------


def _normal(text: str) -> str:
    # Full-width digits and colons become ASCII; a 60-year-old's IME types them.
    return unicodedata.normalize("NFKC", text).strip()


def parse_day(text: str) -> date:
    """2026-12-04, 2026/12/4, 2026.12.4, 2026年12月4日, 20261204 (full-width too)."""
    try:
        return dates.parse_day(text, required=True)  # type: ignore[return-value]
    except dates.NoSuchDay:
        raise ValidationError("ui_meetings.no_such_day", text=text.strip()[:40]) from None
    except ValueError:
        raise ValidationError("ui_meetings.bad_date", text=text.strip()[:40]) from None


def parse_clock(text: str, field: str) -> time:
    """14:30, 14：30, 1430, 14点30, 14点 (full-width too). ``field`` names it in errors."""
    try:
        return dates.parse_clock(text)
    except ValueError:
        raise ValidationError("ui_meetings.bad_time", field=field,
                              text=text.strip()[:20]) from None


def default_title(day: date, kinds: list[Obligation]) -> str:
    """2026年12月主题党日 (the kinds joined by 、), the way branches name their sittings."""
    names = "、".join(enum_label(k) for k in kinds) or t("ui_meetings.meeting")
    return t("ui_meetings.default_title", year=day.year, month=day.month, kinds=names)


def default_pattern(kinds: list[Obligation], quarterly: bool = False) -> str:
    """The title pattern suggested for a series: {year}年{month}月主题党日, or
    {year}年第{quarter}季度… for a quarterly rule; each sitting gets its own title."""
    names = "、".join(enum_label(k) for k in kinds) or t("ui_meetings.meeting")
    key = "ui_meetings.default_pattern_quarter" if quarterly else "ui_meetings.default_pattern"
    return t(key, kinds=names)


def read_end(kind: str, text: str) -> tuple[date | None, int | None]:
    """(until, count) from the end fields of the form; ValidationError when the text does
    not read as a day (for "until") or a number of sittings (for "count")."""
    if kind == END_UNTIL:
        if not text.strip():
            raise ValidationError("ui_meetings.end_required")
        return parse_day(text), None
    if kind == END_COUNT:
        s = _normal(text)
        if not s:
            raise ValidationError("ui_meetings.end_required")
        if not re.fullmatch(r"[0-9]{1,4}", s) or not 1 <= int(s) <= recurrence.MAX_COUNT:
            raise ValidationError("ui_meetings.bad_count", text=text.strip()[:20],
                                  max=recurrence.MAX_COUNT)
        return None, int(s)
    return None, None


def preview_content(found: list[series.Occurrence], years_without_data: tuple[int, ...],
                    time_text: str) -> Content:
    """The next sittings as the preview lists them: date, weekday and own title, with a
    warning after those on a public holiday or a 调休 working day, and a line for the
    years without holiday data. Titles are the user's text: never markup."""
    parts: list[str | tuple[str, str]] = [t("ui_meetings.preview_head", n=len(found),
                                            time=time_text)]
    for occ in found:
        day = occ.start.date()
        parts.append("\n" + t("ui_meetings.preview_line", day=day.isoformat(),
                                wd=t(f"ui_meetings.wd.{day.weekday()}"), title=occ.title))
        if occ.holiday is not None:
            parts.append((t("ui_meetings.preview_holiday",
                            note=holidays.describe(occ.holiday, lang=language())),
                          "bold $warning"))
    missing = holidays.no_data_text(years_without_data, lang=language())
    if missing:
        parts.append(("\n" + missing, "$text-muted"))
    return assemble(*parts)


def holiday_warning(notes: Iterable[holidays.HolidayNote]) -> str:
    """" 注意：… 在节假日或调休上班日" after the saved message, or "" (one note a day)."""
    by_day = {note.day: note for note in notes}
    if not by_day:
        return ""
    listed = t("ui_meetings.list_sep").join(
        t("ui_meetings.holiday_day", day=day.isoformat(),
          note=holidays.describe(note, lang=language()))
        for day, note in sorted(by_day.items()))
    return t("ui_meetings.series_holidays", n=len(by_day), days=listed)


def repeat_rule(kind: str, n: int, weekday: int, day_text: str, custom: str) -> str:
    """Rule text for the chosen kind of repetition; ValidationError when it cannot be
    built (the message says why)."""
    if kind in (recurrence.Preset.MONTHLY_NTH_WEEKDAY, GROUP_SERIES):
        return recurrence.monthly_nth_weekday(n, weekday)
    if kind == recurrence.Preset.QUARTERLY_LAST_WEEKDAY:
        return recurrence.quarterly_last_weekday(weekday)
    if kind == recurrence.Preset.MONTHLY_ON_DAY:
        s = _normal(day_text)
        if not re.fullmatch(r"-?[0-9]{1,2}", s):
            raise ValidationError("ui_meetings.bad_month_day", text=day_text.strip()[:20])
        return recurrence.monthly_on_day(int(s))
    return recurrence.normalise(custom)
