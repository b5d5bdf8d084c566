"""Calendar periods (month, quarter, year) as half-open date spans.

A period is ``[starts, ends)``: ``ends`` is the first day *after* the period, so periods of
one kind tile the calendar without gaps or overlaps. Report years (组织生活会 belongs to a
report year, DOMAIN.md §2) use the calendar year as their span; the grace window after the
year is a compliance rule (``branchtui.core.compliance``), not part of the span.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from branchtui.core.enums import PeriodKind
from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen

# The last year whose periods can be represented: a period of year 9999 would end on
# 10000-01-01, which ``datetime.date`` cannot hold.
MIN_YEAR = 1
MAX_YEAR = 9998

_MONTHS: dict[PeriodKind, int] = {
    PeriodKind.MONTH: 1,
    PeriodKind.QUARTER: 3,
    PeriodKind.YEAR: 12,
}

# ASCII digits only ([0-9], not \d, which also matches other scripts' digits).
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_QUARTER_RE = re.compile(r"([0-9]{4})-?[Qq]([0-9])")
_YEAR_RE = re.compile(r"([0-9]{4})")


@frozen(order=True)
class PeriodSpan:
    """A half-open span of days ``[starts, ends)`` of one period kind."""

    kind: PeriodKind
    starts: date
    ends: date

    def __post_init__(self) -> None:
        if not self.starts < self.ends:
            raise ValueError(f"empty period: {self.starts} .. {self.ends}")

    @property
    def year(self) -> int:
        """The calendar year the period starts in."""
        return self.starts.year

    @property
    def quarter(self) -> int:
        """The quarter (1-4) the period starts in."""
        return (self.starts.month - 1) // 3 + 1

    @property
    def last_day(self) -> date:
        """The last day inside the period (``ends`` is exclusive)."""
        return self.ends - timedelta(days=1)

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls inside the period."""
        return self.starts <= day < self.ends

    def overlaps(self, other: PeriodSpan) -> bool:
        """Whether the two spans share at least one day."""
        return self.starts < other.ends and other.starts < self.ends

    def next(self) -> PeriodSpan:
        """The period of the same kind right after this one."""
        return period_containing(self.kind, self.ends)

    def label(self, lang: str | None = None) -> str:
        """The period in words: "2026年11月" / "2026年第4季度" / "2026年度" in Chinese,
        "2026-11" / "2026 Q4" / "2026" in English. ``lang`` defaults to the current
        language (Chinese unless set otherwise)."""
        from branchtui.i18n import t

        return t(
            f"period.{self.kind.value}",
            lang=lang,
            year=self.starts.year,
            month=self.starts.month,
            quarter=self.quarter,
        )

    def code(self) -> str:
        """The period in the form ``parse_period`` reads: "2026-11", "2026-Q4", "2026"."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.starts.year:04d}-{self.starts.month:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.starts.year:04d}-Q{self.quarter}"
        return f"{self.starts.year:04d}"


def _check_year(year: int, day: date | None = None) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError("period.out_of_range", day=str(day) if day else str(year))


def _after(kind: PeriodKind, starts: date) -> date:
    """The first day after the period of ``kind`` starting on ``starts`` (a 1st of month).
    Plain arithmetic: this runs once per sitting in the compliance roll-up."""
    month0 = starts.month - 1 + _MONTHS[kind]
    return date(starts.year + month0 // 12, month0 % 12 + 1, 1)


def period_start(kind: PeriodKind, day: date) -> date:
    """The first day of the period of ``kind`` that contains ``day``."""
    if kind is PeriodKind.MONTH:
        return date(day.year, day.month, 1)
    if kind is PeriodKind.QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def period_containing(kind: PeriodKind, day: date) -> PeriodSpan:
    """The period of ``kind`` that contains ``day``."""
    kind = PeriodKind(kind)
    _check_year(day.year, day)
    starts = period_start(kind, day)
    return PeriodSpan(kind, starts, _after(kind, starts))


def periods_overlapping(kind: PeriodKind, window: PeriodSpan) -> list[PeriodSpan]:
    """Every period of ``kind`` sharing at least one day with ``window``, in order.

    A quarter window gives three months, a year window four quarters, a month window the
    one quarter (or year) around it."""
    kind = PeriodKind(kind)
    out: list[PeriodSpan] = []
    current = period_containing(kind, window.starts)
    while current.starts < window.ends:
        out.append(current)
        if current.ends.year > MAX_YEAR:
            break
        current = PeriodSpan(kind, current.ends, _after(kind, current.ends))
    return out


def _printable(text: str, limit: int = 40) -> str:
    """``text`` made safe to show in an error: control characters escaped, length capped."""
    out = []
    for ch in text[:limit]:
        if unicodedata.category(ch).startswith("C"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(text) > limit else "")


def parse_period(text: str) -> PeriodSpan:
    """Read a period: "2026-11" (month), "2026-Q4" / "2026q4" (quarter), "2026" (year).

    Surrounding spaces are ignored; anything else (a bad month such as 2026-13, a bad
    quarter, control characters, other text) raises ``ValidationError("period.bad")``."""
    if not isinstance(text, str):
        raise ValidationError("period.bad", text=_printable(repr(text)))
    stripped = text.strip(" ")
    bad = ValidationError("period.bad", text=_printable(text))
    if not stripped or any(unicodedata.category(ch).startswith("C") for ch in stripped):
        raise bad
    if m := _MONTH_RE.fullmatch(stripped):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise bad
        kind, starts = PeriodKind.MONTH, (year, month)
    elif m := _QUARTER_RE.fullmatch(stripped):
        year, quarter = int(m[1]), int(m[2])
        if not 1 <= quarter <= 4:
            raise bad
        kind, starts = PeriodKind.QUARTER, (year, (quarter - 1) * 3 + 1)
    elif m := _YEAR_RE.fullmatch(stripped):
        year = int(m[1])
        kind, starts = PeriodKind.YEAR, (year, 1)
    else:
        raise bad
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise bad
    return period_containing(kind, date(starts[0], starts[1], 1))
