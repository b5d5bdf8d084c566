"""A series' occurrences as they will be: each with its number, its own title and a
warning when it falls on a public holiday or a 调休 working day.

A series keeps a title **pattern**: ``{year}年{month}月主题党日`` gives 2027年1月主题党日 to
the January sitting and 2027年2月主题党日 to the February one. The placeholders:

* ``{year}``, ``{month}``, ``{day}``: the occurrence's date (its slot in the rule);
* ``{quarter}``: 1..4;
* ``{n}``: the occurrence's number in the series (1 = the first; a cancelled one keeps
  its number, see :func:`branchtui.core.recurrence.numbered_occurrences`).

``{month:02d}`` pads with zeros (``{month:02}`` too); full-width braces (U+FF5B, U+FF5D,
as an IME types them) count as braces. A pattern without placeholders is a fixed title, which is
what every series stored before patterns existed has. Other text in braces is kept as it
is (``学习{二十大}精神``), except an unknown ASCII name (``{yaer}``): :func:`check_pattern`
refuses it as a typing mistake, :func:`render_title` keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from branchtui.core import holidays, recurrence
from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.text import TITLE_MAX

__all__ = [
    "PLACEHOLDERS",
    "Occurrence",
    "check_pattern",
    "has_placeholders",
    "plan",
    "render_title",
]

PLACEHOLDERS = ("year", "month", "day", "quarter", "n")

# {name} or {name:02d}; ASCII or full-width braces. Names are matched case-insensitively.
_FIELD = re.compile("[{\uff5b]\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(?::\\s*0?([1-9])d?\\s*)?[}\uff5d]")


def _fields(pattern: str) -> list[re.Match[str]]:
    return list(_FIELD.finditer(pattern))


def has_placeholders(pattern: str) -> bool:
    """Whether ``pattern`` names at least one known placeholder (so titles differ)."""
    return any(m[1].lower() in PLACEHOLDERS for m in _fields(pattern))


def check_pattern(pattern: str) -> str:
    """``pattern`` unchanged, or ValidationError ``series.unknown_placeholder`` for a
    ``{name}`` that is not one of :data:`PLACEHOLDERS` (``{yaer}``)."""
    for match in _fields(pattern):
        if match[1].lower() not in PLACEHOLDERS:
            raise ValidationError("series.unknown_placeholder", placeholder=match[0],
                                  known=" ".join(f"{{{p}}}" for p in PLACEHOLDERS))
    return pattern


def render_title(pattern: str, day: date, n: int, max_len: int = TITLE_MAX) -> str:
    """The title of the ``n``-th occurrence, on ``day``, of a series titled ``pattern``;
    at most ``max_len`` characters. Never raises."""
    values = {"year": day.year, "month": day.month, "day": day.day,
              "quarter": (day.month - 1) // 3 + 1, "n": n}

    def field(match: re.Match[str]) -> str:
        name = match[1].lower()
        if name not in values:
            return match[0]
        width = int(match[2]) if match[2] else 0
        return str(values[name]).zfill(width)

    return _FIELD.sub(field, pattern)[:max_len]


@frozen
class Occurrence:
    """One occurrence of a series: when, its number, its title, and a holiday warning."""

    start: datetime
    n: int
    title: str
    holiday: holidays.HolidayNote | None = None


def plan(
    rule_text: str,
    dtstart: datetime,
    pattern: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = recurrence.DEFAULT_LIMIT,
    exdates: Iterable[date] = (),
) -> tuple[list[Occurrence], tuple[int, ...]]:
    """The occurrences in ``[start, end)`` (as :func:`recurrence.numbered_occurrences`),
    titled from ``pattern`` and marked for holidays, and the years among them that have no
    holiday data. Raises ValidationError for a bad rule."""
    numbered = recurrence.numbered_occurrences(rule_text, dtstart, start=start, end=end,
                                               limit=limit, exdates=exdates)
    found = holidays.lookup(when.date() for _n, when in numbered)
    notes = {note.day: note for note in found.notes}
    out = [Occurrence(start=when, n=n, title=render_title(pattern, when.date(), n),
                      holiday=notes.get(when.date()))
           for n, when in numbered]
    return out, found.years_without_data
