"""Reading a date or a time of day a person typed. Forgiving about the separators people
use (2026-11-27, 2026/11/27, 2026.11.27, 2026年11月27日, 20261127; 14:30, 14点30, 1430;
full-width digits), strict about the value itself: a day that does not exist is refused,
never guessed."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time

_SPLIT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME_RE = re.compile(r"([0-9]{1,2})\s*(?:[:.点时]\s*([0-9]{1,2})?\s*分?)?")
_TIME_COMPACT_RE = re.compile(r"([0-9]{2})([0-9]{2})")


class NoSuchDay(ValueError):
    """The text has the shape of a date, but the day does not exist (2026-02-30)."""


def parse_day(text: str | None, *, required: bool = False) -> date | None:
    """The date in ``text``; None for an empty text unless ``required``. Raises ValueError
    for anything that is not a real date between 1900 and 2100."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        if required:
            raise ValueError("empty")
        return None
    match = _SPLIT.match(value) or _COMPACT.match(value)
    if match is None:
        raise ValueError(value)
    year, month, day = (int(x) for x in match.groups())
    if not 1900 <= year <= 2100:
        raise ValueError(value)
    try:
        return date(year, month, day)
    except ValueError:
        raise NoSuchDay(value) from None


def parse_clock(text: str) -> time:
    """14:30, 14：30, 1430, 14点30, 14点 (full-width too). Raises ValueError for anything
    else, an empty text included."""
    s = unicodedata.normalize("NFKC", text).strip()
    m = _TIME_COMPACT_RE.fullmatch(s) or _TIME_RE.fullmatch(s)
    if not s or m is None:
        raise ValueError(text)
    hour, minute = int(m[1]), int(m[2] or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(text)
    return time(hour, minute)
