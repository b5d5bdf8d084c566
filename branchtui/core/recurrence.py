"""Recurrence rules for planned meetings: a checked subset of RFC 5545 ``RRULE`` text.

A series of planned meetings is stored as rule text (``FREQ=MONTHLY;BYDAY=1FR``) plus a
start (``dtstart``). This module builds the common rules (presets), validates user-written
rules, expands a rule into dates, and words a rule for people in Chinese or English.

What a valid rule looks like here (stricter than dateutil, looser than nothing):

* one ``RRULE`` value, optionally prefixed ``RRULE:``; case and spaces around ``; = ,`` do
  not matter; ASCII letters, digits and ``; = , + -`` only, at most 500 characters;
* ``FREQ`` is YEARLY, MONTHLY, WEEKLY or DAILY (meetings are not hourly);
* parts: FREQ, INTERVAL (1..999), BYMONTH, BYWEEKNO, BYYEARDAY, BYMONTHDAY, BYDAY, BYSETPOS,
  WKST, COUNT, UNTIL, each at most once, combined as RFC 5545 allows (no ``1FR`` in a weekly
  rule, no BYMONTHDAY in a weekly rule, BYWEEKNO/BYYEARDAY only in yearly rules, COUNT or
  UNTIL but not both);
* at least one occurrence within 10 years of ``dtstart``.

``UNTIL`` is read in the start's own terms: a bare date (``UNTIL=20270630``) includes that
whole day; a local time (``T180000``) is in the start's time zone; a ``Z`` time is UTC and
needs a start with a time zone.

Validation failures raise :class:`~branchtui.core.errors.ValidationError` with keys
``recurrence.<reason>``; all words come from ``branchtui.i18n.messages.recurrence``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import MAXYEAR, UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen
from branchtui.i18n import t

__all__ = [
    "DEFAULT_LIMIT",
    "ERROR_KEYS",
    "HORIZON_YEARS",
    "MAX_COUNT",
    "MAX_INTERVAL",
    "MAX_RULE_LENGTH",
    "WEEKDAY_CODES",
    "Preset",
    "build",
    "describe",
    "monthly",
    "monthly_nth_weekday",
    "monthly_on_day",
    "next_occurrences",
    "normalise",
    "numbered_occurrences",
    "occurrences",
    "preset_label",
    "quarterly_last_weekday",
    "validate",
    "with_end",
]

MAX_RULE_LENGTH = 500
HORIZON_YEARS = 10
MAX_INTERVAL = 999
DEFAULT_LIMIT = 500
MAX_COUNT = 999  # a series' number of sittings, when the form sets one

# Every key a ValidationError from this module can carry.
ERROR_KEYS = frozenset(
    {
        "recurrence.bad_chars",
        "recurrence.bad_freq",
        "recurrence.bad_param",
        "recurrence.bad_count",
        "recurrence.bad_value",
        "recurrence.control_chars",
        "recurrence.count_and_until",
        "recurrence.duplicate_part",
        "recurrence.empty",
        "recurrence.end_twice",
        "recurrence.no_freq",
        "recurrence.no_occurrence",
        "recurrence.nth_not_allowed",
        "recurrence.part_not_allowed",
        "recurrence.setpos_alone",
        "recurrence.syntax",
        "recurrence.too_frequent",
        "recurrence.too_long",
        "recurrence.tz_mismatch",
        "recurrence.unknown_part",
        "recurrence.unparseable",
        "recurrence.until_before_start",
        "recurrence.until_utc",
    }
)

# Index = Python weekday number (0 = Monday), as in ``datetime.weekday()`` and dateutil.
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
_TOO_FREQUENT = ("HOURLY", "MINUTELY", "SECONDLY")
# Canonical order of the parts in normalised text.
_PARTS = (
    "FREQ",
    "INTERVAL",
    "BYMONTH",
    "BYWEEKNO",
    "BYYEARDAY",
    "BYMONTHDAY",
    "BYDAY",
    "BYSETPOS",
    "WKST",
    "COUNT",
    "UNTIL",
)
_QUARTER_ENDS = frozenset({3, 6, 9, 12})
_QUARTER_STARTS = frozenset({1, 4, 7, 10})
# Unicode categories refused as "control characters": controls, format characters
# (zero-width, bidi overrides), surrogates, private use, line/paragraph separators.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})

_SEPARATOR_SPACES = re.compile(r" *([;=,]) *")
_ALLOWED_TEXT = re.compile(r"[A-Z0-9;=,+\-]+")
_SIGNED_INT = re.compile(r"[+-]?[0-9]{1,3}")
_UNSIGNED_INT = re.compile(r"[0-9]{1,6}")
_BYDAY_TOKEN = re.compile(r"(?:([+-]?[0-9]{1,2}))?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL_VALUE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})(?:T([0-9]{2})([0-9]{2})([0-9]{2})(Z)?)?")

# Errors dateutil may raise on text it refuses; turned into ValidationError.
_PARSER_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)


# -- presets ---------------------------------------------------------------------------------


class Preset(StrEnum):
    """The rules offered ready-made; CUSTOM is a user-written rule."""

    MONTHLY_NTH_WEEKDAY = "monthly_nth_weekday"  # 每月第一个星期五 (主题党日)
    QUARTERLY_LAST_WEEKDAY = "quarterly_last_weekday"  # 每季度最后一个星期六 (党员大会, 党课)
    MONTHLY_ON_DAY = "monthly_on_day"  # 每月15日
    MONTHLY = "monthly"  # 每月 / 每2个月 (支委会, 党小组会: one series per group)
    CUSTOM = "custom"


def _int_param(name: str, value: object, allowed: Callable[[int], bool]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not allowed(value):
        raise ValidationError("recurrence.bad_param", name=name, value=value)
    return value


def _weekday_param(weekday: object) -> str:
    return WEEKDAY_CODES[_int_param("weekday", weekday, lambda w: 0 <= w <= 6)]


def monthly_nth_weekday(n: int, weekday: int) -> str:
    """Every month on the ``n``-th ``weekday`` (0 = Monday): ``n`` is 1..4 counted from the
    start of the month, or -1..-4 from its end (-1 = the last). ``(1, 4)`` gives
    ``"FREQ=MONTHLY;BYDAY=1FR"`` (每月第一个星期五). A fifth weekday is refused: not every
    month has one."""
    nth = _int_param("n", n, lambda v: 1 <= abs(v) <= 4)
    return f"FREQ=MONTHLY;BYDAY={nth}{_weekday_param(weekday)}"


def quarterly_last_weekday(weekday: int) -> str:
    """Every quarter on its last ``weekday`` (0 = Monday), i.e. the last such weekday of
    March, June, September and December, whatever month the series starts in:
    ``"FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=-1SA"`` (每季度最后一个星期六)."""
    return f"FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=-1{_weekday_param(weekday)}"


def monthly_on_day(day: int) -> str:
    """Every month on day ``day``: 1..28, or -1..-28 counted from the month's end (-1 = the
    last day). Days 29..31 are refused because months without them would be skipped."""
    value = _int_param("day", day, lambda v: 1 <= abs(v) <= 28)
    return f"FREQ=MONTHLY;BYMONTHDAY={value}"


def monthly(interval: int = 1) -> str:
    """Every ``interval`` months on the start's day of the month (``"FREQ=MONTHLY"``,
    ``"FREQ=MONTHLY;INTERVAL=2"``). For "once a month per 党小组" keep one series per
    group; which group a series belongs to is the caller's concern."""
    value = _int_param("interval", interval, lambda v: 1 <= v <= MAX_INTERVAL)
    return "FREQ=MONTHLY" if value == 1 else f"FREQ=MONTHLY;INTERVAL={value}"


def build(preset: Preset | str, **params: Any) -> str:
    """Rule text for ``preset`` with its parameters, e.g.
    ``build(Preset.MONTHLY_NTH_WEEKDAY, n=1, weekday=4)``. ``Preset.CUSTOM`` takes
    ``rule=`` (user text) and returns it normalised (see :func:`normalise`). Bad values
    raise ValidationError; unknown parameter names raise TypeError (a programming error)."""
    try:
        kind = Preset(preset)
    except ValueError:
        raise ValidationError("recurrence.bad_param", name="preset", value=preset) from None
    builders: dict[Preset, Callable[..., str]] = {
        Preset.MONTHLY_NTH_WEEKDAY: monthly_nth_weekday,
        Preset.QUARTERLY_LAST_WEEKDAY: quarterly_last_weekday,
        Preset.MONTHLY_ON_DAY: monthly_on_day,
        Preset.MONTHLY: monthly,
    }
    if kind is Preset.CUSTOM:
        if set(params) != {"rule"}:
            raise TypeError("build(Preset.CUSTOM) takes exactly one parameter: rule")
        return normalise(params["rule"])
    return builders[kind](**params)


def preset_label(preset: Preset | str, lang: str = "zh") -> str:
    """The name of a preset for a picker (每月第几个星期几, …)."""
    return t(f"recurrence.preset.{Preset(preset).value}", lang=_language(lang))


# -- parsing ---------------------------------------------------------------------------------


@frozen
class _Until:
    day: date
    clock: time | None  # None: a bare date, the whole day counts
    utc: bool
    text: str


@frozen
class _Rule:
    freq: str
    interval: int = 1
    bymonth: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byday: tuple[tuple[int | None, int], ...] = ()  # (ordinal or None, weekday 0..6)
    bysetpos: tuple[int, ...] = ()
    wkst: int | None = None
    count: int | None = None
    until: _Until | None = None

    def text(self, until: str | None = None) -> str:
        """Canonical rule text; ``until`` replaces the UNTIL value (for dateutil)."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        for name, values in (
            ("BYMONTH", self.bymonth),
            ("BYWEEKNO", self.byweekno),
            ("BYYEARDAY", self.byyearday),
            ("BYMONTHDAY", self.bymonthday),
        ):
            if values:
                parts.append(f"{name}={','.join(map(str, values))}")
        if self.byday:
            tokens = [f"{'' if n is None else n}{WEEKDAY_CODES[wd]}" for n, wd in self.byday]
            parts.append(f"BYDAY={','.join(tokens)}")
        if self.bysetpos:
            parts.append(f"BYSETPOS={','.join(map(str, self.bysetpos))}")
        if self.wkst is not None:
            parts.append(f"WKST={WEEKDAY_CODES[self.wkst]}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        until_text = until if until is not None else (self.until.text if self.until else None)
        if until_text:
            parts.append(f"UNTIL={until_text}")
        return ";".join(parts)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in _CONTROL_CATEGORIES


def _clean(rule_text: object) -> str:
    """Surface checks and normalisation: length, characters, case, prefix, spaces."""
    if not isinstance(rule_text, str):
        raise ValidationError("recurrence.empty")
    if len(rule_text) > MAX_RULE_LENGTH:
        raise ValidationError("recurrence.too_long", length=len(rule_text), max=MAX_RULE_LENGTH)
    if any(_is_control(ch) for ch in rule_text):
        raise ValidationError("recurrence.control_chars")
    text = rule_text.strip()
    if not text.isascii():
        raise ValidationError("recurrence.bad_chars")
    text = text.upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :].strip()
    text = _SEPARATOR_SPACES.sub(r"\1", text).strip(";")
    if not text:
        raise ValidationError("recurrence.empty")
    if not _ALLOWED_TEXT.fullmatch(text):
        raise ValidationError("recurrence.bad_chars")
    return text


def _bad(part: str, value: str) -> ValidationError:
    return ValidationError("recurrence.bad_value", part=part, value=value)


def _int_list(part: str, value: str, low: int, high: int, *, signed: bool) -> tuple[int, ...]:
    """Comma-separated integers with ``low <= |v| <= high`` (negatives only if ``signed``);
    duplicates dropped, order kept."""
    result: list[int] = []
    for token in value.split(","):
        if not _SIGNED_INT.fullmatch(token):
            raise _bad(part, value)
        number = int(token)
        if not low <= abs(number) <= high or (number < 0 and not signed):
            raise _bad(part, value)
        if number not in result:
            result.append(number)
    return tuple(result)


def _byday(value: str) -> tuple[tuple[int | None, int], ...]:
    result: list[tuple[int | None, int]] = []
    for token in value.split(","):
        match = _BYDAY_TOKEN.fullmatch(token)
        if not match:
            raise _bad("BYDAY", value)
        nth = int(match.group(1)) if match.group(1) else None
        if nth == 0:
            raise _bad("BYDAY", value)
        item = (nth, WEEKDAY_CODES.index(match.group(2)))
        if item not in result:
            result.append(item)
    return tuple(result)


def _until(value: str) -> _Until:
    match = _UNTIL_VALUE.fullmatch(value)
    if not match:
        raise _bad("UNTIL", value)
    year, month, day, hour, minute, second, utc = match.groups()
    try:
        the_day = date(int(year), int(month), int(day))
        clock = time(int(hour), int(minute), int(second)) if hour is not None else None
    except ValueError:
        raise _bad("UNTIL", value) from None
    return _Until(day=the_day, clock=clock, utc=utc is not None, text=value)


def _split(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        name, sep, value = chunk.partition("=")
        if not sep or not name or not value or "=" in value:
            raise ValidationError("recurrence.syntax", part=chunk)
        if name in parts:
            raise ValidationError("recurrence.duplicate_part", part=name)
        parts[name] = value
    return parts


def _parse(text: str) -> _Rule:
    """Parse cleaned text into a rule, enforcing the RFC 5545 combinations we accept."""
    parts = _split(text)
    freq = parts.get("FREQ")
    if freq is None:
        raise ValidationError("recurrence.no_freq")
    if freq in _TOO_FREQUENT:
        raise ValidationError("recurrence.too_frequent", value=freq)
    if freq not in _FREQUENCIES:
        raise ValidationError("recurrence.bad_freq", value=freq)
    for name in parts:
        if name not in _PARTS:
            raise ValidationError("recurrence.unknown_part", part=name)

    def number(part: str, low: int, high: int) -> int | None:
        raw = parts.get(part)
        if raw is None:
            return None
        if not _UNSIGNED_INT.fullmatch(raw) or not low <= int(raw) <= high:
            raise _bad(part, raw)
        return int(raw)

    def numbers(part: str, low: int, high: int, *, signed: bool = True) -> tuple[int, ...]:
        raw = parts.get(part)
        return () if raw is None else _int_list(part, raw, low, high, signed=signed)

    wkst_raw = parts.get("WKST")
    if wkst_raw is not None and wkst_raw not in WEEKDAY_CODES:
        raise _bad("WKST", wkst_raw)
    rule = _Rule(
        freq=freq,
        interval=number("INTERVAL", 1, MAX_INTERVAL) or 1,
        bymonth=numbers("BYMONTH", 1, 12, signed=False),
        byweekno=numbers("BYWEEKNO", 1, 53),
        byyearday=numbers("BYYEARDAY", 1, 366),
        bymonthday=numbers("BYMONTHDAY", 1, 31),
        byday=_byday(parts["BYDAY"]) if "BYDAY" in parts else (),
        bysetpos=numbers("BYSETPOS", 1, 366),
        wkst=WEEKDAY_CODES.index(wkst_raw) if wkst_raw is not None else None,
        count=number("COUNT", 1, 999_999),
        until=_until(parts["UNTIL"]) if "UNTIL" in parts else None,
    )
    _check_combinations(rule)
    return rule


def _check_combinations(rule: _Rule) -> None:
    if rule.count is not None and rule.until is not None:
        raise ValidationError("recurrence.count_and_until")
    for part, values in (("BYWEEKNO", rule.byweekno), ("BYYEARDAY", rule.byyearday)):
        if values and rule.freq != "YEARLY":
            raise ValidationError("recurrence.part_not_allowed", part=part, freq=rule.freq)
    if rule.bymonthday and rule.freq == "WEEKLY":
        raise ValidationError("recurrence.part_not_allowed", part="BYMONTHDAY", freq=rule.freq)
    ordinals = [n for n, _ in rule.byday if n is not None]
    if ordinals:
        if rule.freq not in ("MONTHLY", "YEARLY") or rule.byweekno:
            raise ValidationError("recurrence.nth_not_allowed")
        # Within a month there are at most five of a weekday; within a year 53.
        widest = 5 if rule.freq == "MONTHLY" or rule.bymonth else 53
        for n, wd in rule.byday:
            if n is not None and abs(n) > widest:
                raise _bad("BYDAY", f"{n}{WEEKDAY_CODES[wd]}")
    others = (rule.bymonth, rule.byweekno, rule.byyearday, rule.bymonthday, rule.byday)
    if rule.bysetpos and not any(others):
        raise ValidationError("recurrence.setpos_alone")


def normalise(rule_text: str) -> str:
    """Check ``rule_text`` without a start date and return it in canonical form: upper
    case, no ``RRULE:`` prefix, parts in a fixed order, INTERVAL=1 dropped, ``+1FR`` as
    ``1FR``. Raises ValidationError like :func:`validate`, except for the checks that need
    a start (no occurrence within 10 years, UNTIL against the start's time zone)."""
    return _parse(_clean(rule_text)).text()


def with_end(
    rule_text: str,
    *,
    until: date | None = None,
    count: int | None = None,
    dtstart: datetime | None = None,
) -> str:
    """``rule_text`` normalised, ending on the day ``until`` (included: ``UNTIL=20270630``)
    or after ``count`` occurrences (``COUNT=6``); with neither, unchanged. Refused
    (ValidationError): both at once, a rule that already has its own COUNT or UNTIL, a
    count outside 1..MAX_COUNT, an ``until`` before ``dtstart``'s day."""
    rule = _parse(_clean(rule_text))
    if until is None and count is None:
        return rule.text()
    if until is not None and count is not None:
        raise ValidationError("recurrence.count_and_until")
    if rule.count is not None or rule.until is not None:
        raise ValidationError("recurrence.end_twice")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
            raise ValidationError("recurrence.bad_count", value=count, max=MAX_COUNT)
        return replace(rule, count=count).text()
    assert until is not None
    if dtstart is not None and until < dtstart.date():
        raise ValidationError("recurrence.until_before_start", until=until.isoformat(),
                              start=dtstart.date().isoformat())
    text = f"{until.year:04d}{until.month:02d}{until.day:02d}"
    return replace(rule, until=_until(text)).text()


# -- expansion -------------------------------------------------------------------------------


def _is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def _effective_until(until: _Until | None, dtstart: datetime) -> datetime | None:
    """UNTIL as a datetime comparable with occurrences of ``dtstart``."""
    if until is None:
        return None
    aware = _is_aware(dtstart)
    if until.utc:
        if not aware:
            raise ValidationError("recurrence.until_utc")
        return datetime.combine(until.day, until.clock or time(), tzinfo=UTC)
    local = datetime.combine(until.day, until.clock or time(23, 59, 59))
    return local.replace(tzinfo=dtstart.tzinfo) if aware else local


def _until_text(until: datetime) -> str:
    if _is_aware(until):
        until = until.astimezone(UTC)
        suffix = "Z"
    else:
        suffix = ""
    return (
        f"{until.year:04d}{until.month:02d}{until.day:02d}"
        f"T{until.hour:02d}{until.minute:02d}{until.second:02d}{suffix}"
    )


def _engine(rule: _Rule, dtstart: datetime, until: datetime | None) -> rrule:
    source = rule.text(until=_until_text(until) if until is not None else None)
    try:
        parsed = rrulestr(source, dtstart=dtstart)
    except _PARSER_ERRORS as exc:
        raise ValidationError("recurrence.unparseable", detail=str(exc)) from exc
    if not isinstance(parsed, rrule):  # a set: cannot happen for one RRULE line
        raise ValidationError("recurrence.unparseable", detail=source)
    return parsed


def _walk(engine: rrule, after: datetime | None, *, inc: bool) -> Iterator[datetime]:
    """Occurrences from ``after`` on; stops quietly at the end of the calendar (year 9999)."""
    source: Iterator[datetime] = iter(engine) if after is None else engine.xafter(after, inc=inc)
    while True:
        try:
            moment = next(source)
        except (StopIteration, OverflowError, ValueError):  # past year 9999
            return
        yield moment


def _has_occurrence_within(
    rule: _Rule, dtstart: datetime, until: datetime | None, years: int
) -> bool:
    """Whether the rule yields something in ``[dtstart, dtstart + years)``.

    dateutil looks for a first match until year 9999, which takes seconds for an
    impossible daily rule (30 February). The Gregorian calendar repeats every 400 years
    (146097 days, a whole number of weeks), so the same question is asked of the rule
    moved forward by a multiple of 400 years, close to year 9999, where the search ends
    quickly."""
    shift = max(0, (MAXYEAR - years - 1 - dtstart.year) // 400 * 400)
    start = dtstart.replace(year=dtstart.year + shift)
    moved_until: datetime | None = None
    if until is not None and until.year + shift <= MAXYEAR:
        moved_until = until.replace(year=until.year + shift)
    # (an UNTIL past year 9999 once moved lies beyond the window: leaving it out is exact)
    first = next(_walk(_engine(rule, start, moved_until), start, inc=True), None)
    if first is None:
        return False
    try:
        horizon = start + relativedelta(years=years)
    except (OverflowError, ValueError):
        return True
    return first < horizon


def _compile(rule_text: str, dtstart: datetime) -> tuple[str, rrule]:
    rule = _parse(_clean(rule_text))
    until = _effective_until(rule.until, dtstart)
    engine = _engine(rule, dtstart, until)
    if not _has_occurrence_within(rule, dtstart, until, HORIZON_YEARS):
        raise ValidationError("recurrence.no_occurrence", years=HORIZON_YEARS)
    return rule.text(), engine


def validate(rule_text: str, dtstart: datetime) -> str:
    """Check ``rule_text`` for a series starting at ``dtstart`` and return it normalised
    (see :func:`normalise`; no ``RRULE:`` prefix). Raises ValidationError
    (``recurrence.<reason>``) for text that is too long, holds control characters or
    anything but ``A-Z 0-9 ; = , + -``, cannot be parsed, repeats hourly or faster, or
    yields no occurrence within 10 years of ``dtstart``."""
    text, _ = _compile(rule_text, dtstart)
    return text


def _check_same_kind(moment: datetime | None, dtstart: datetime) -> None:
    if moment is not None and _is_aware(moment) != _is_aware(dtstart):
        raise ValidationError("recurrence.tz_mismatch")


def _excluded_days(exdates: Iterable[date]) -> frozenset[date]:
    return frozenset(d.date() if isinstance(d, datetime) else d for d in exdates)


def _collect(
    source: Iterator[datetime], end: datetime | None, limit: int, skip: frozenset[date]
) -> list[datetime]:
    found: list[datetime] = []
    if limit <= 0:
        return found
    for moment in source:
        if end is not None and moment >= end:
            break
        if moment.date() in skip:
            continue
        found.append(moment)
        if len(found) >= limit:
            break
    return found


def occurrences(
    rule_text: str,
    dtstart: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    exdates: Iterable[date] = (),
) -> list[datetime]:
    """The occurrences of the rule in ``[start, end)`` (``start`` defaults to ``dtstart``,
    no ``end`` means open), in order, leaving out those whose date (in the start's time
    zone) is in ``exdates``, at most ``limit`` of them. The rule is validated first
    (ValidationError); ``start``/``end`` must have a time zone exactly when ``dtstart``
    has one."""
    _, engine = _compile(rule_text, dtstart)
    _check_same_kind(start, dtstart)
    _check_same_kind(end, dtstart)
    skip = _excluded_days(exdates)
    return _collect(_walk(engine, start, inc=True), end, limit, skip)


def numbered_occurrences(
    rule_text: str,
    dtstart: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    exdates: Iterable[date] = (),
) -> list[tuple[int, datetime]]:
    """:func:`occurrences`, each with its number in the series: 1 for the first occurrence
    at or after ``dtstart``, counted over every occurrence of the rule, also those before
    ``start`` and those left out by ``exdates`` (a cancelled sitting keeps its number, so
    the numbers never shift). As COUNT counts."""
    _, engine = _compile(rule_text, dtstart)
    _check_same_kind(start, dtstart)
    _check_same_kind(end, dtstart)
    skip = _excluded_days(exdates)
    found: list[tuple[int, datetime]] = []
    if limit <= 0:
        return found
    for n, moment in enumerate(_walk(engine, None, inc=True), start=1):
        if end is not None and moment >= end:
            break
        if (start is not None and moment < start) or moment.date() in skip:
            continue
        found.append((n, moment))
        if len(found) >= limit:
            break
    return found


def next_occurrences(
    rule_text: str,
    dtstart: datetime,
    after: datetime,
    n: int = 5,
    exdates: Iterable[date] = (),
) -> list[datetime]:
    """The first ``n`` occurrences strictly after ``after`` (skipping ``exdates``), for a
    preview while a rule is being edited. Raises ValidationError like :func:`occurrences`."""
    _, engine = _compile(rule_text, dtstart)
    _check_same_kind(after, dtstart)
    return _collect(_walk(engine, after, inc=False), None, n, _excluded_days(exdates))


# -- wording ---------------------------------------------------------------------------------


def _language(lang: object) -> str:
    return "en" if isinstance(lang, str) and lang.lower().startswith("en") else "zh"


class _Words:
    """Catalogue look-ups in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: Any) -> str:
        return t(key, lang=self.lang, **params)

    def join(self, items: list[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        return self("recurrence.sep").join(items[:-1]) + self("recurrence.sep_last") + items[-1]

    def months(self, months: Iterable[int]) -> str:
        return self.join([self(f"recurrence.month.{m}") for m in months])

    def weekdays(self, weekdays: Iterable[int]) -> str:
        return self.join([self(f"recurrence.weekday.{wd}") for wd in weekdays])

    def nth_weekdays(self, items: Iterable[tuple[int, int]]) -> str:
        return self.join(
            [
                self(
                    "recurrence.nth_weekday",
                    nth=self(f"recurrence.nth.{n}"),
                    weekday=self(f"recurrence.weekday.{wd}"),
                )
                for n, wd in items
            ]
        )

    def monthdays(self, days: Iterable[int]) -> str:
        return self.join([self(f"recurrence.monthday.{d}") for d in days])


def _is_quarterly(rule: _Rule, nth: list[tuple[int, int]]) -> bool:
    """Whether "every quarter" is an exact wording: the last-month-of-quarter days counted
    from the end, or first-month weekdays counted from the start (at most the 4th, which
    every month has)."""
    if rule.freq != "YEARLY" or rule.interval != 1:
        return False
    months = frozenset(rule.bymonth)
    if months == _QUARTER_ENDS:
        if nth and len(nth) == len(rule.byday) and not rule.bymonthday:
            return all(-4 <= n <= -1 for n, _ in nth)
        if rule.bymonthday and not rule.byday:
            return all(-28 <= d <= -1 for d in rule.bymonthday)
    if months == _QUARTER_STARTS and nth and len(nth) == len(rule.byday):
        return not rule.bymonthday and all(1 <= n <= 4 for n, _ in nth)
    return False


def _word_rule(rule: _Rule, w: _Words) -> str | None:
    """The wording of ``rule`` without COUNT/UNTIL, or None when no exact wording is known."""
    if rule.bysetpos or rule.byweekno or rule.byyearday:
        return None
    nth = [(n, wd) for n, wd in rule.byday if n is not None]
    plain = [wd for n, wd in rule.byday if n is None]
    if (nth and plain) or (rule.bymonthday and rule.byday):
        return None
    selector = w.nth_weekdays(nth) if nth else w.monthdays(rule.bymonthday)
    suffix = "_n" if rule.interval != 1 else ""
    period = w(f"recurrence.every.{rule.freq.lower()}{suffix}", n=rule.interval)

    if _is_quarterly(rule, nth):
        return w("recurrence.on", period=w("recurrence.every.quarterly"), selector=selector)
    if rule.freq == "YEARLY":
        if rule.bymonthday and not rule.bymonth:
            return None  # BYMONTHDAY alone in a yearly rule means every month: unusual
        if rule.bymonth:
            period = w("recurrence.in_months", period=period, months=w.months(rule.bymonth))
        if selector:
            key = "recurrence.on_in_months" if rule.bymonth else "recurrence.on"
            return w(key, period=period, selector=selector)
        if plain:
            return w("recurrence.on_every", period=period, days=w.weekdays(plain))
        return period
    if rule.freq == "MONTHLY":
        if selector:
            text = w("recurrence.on", period=period, selector=selector)
        elif plain:
            text = w("recurrence.on_every", period=period, days=w.weekdays(plain))
        else:
            text = period
    elif rule.freq == "WEEKLY":
        text = w("recurrence.on", period=period, selector=w.weekdays(plain)) if plain else period
    else:  # DAILY
        if rule.bymonthday or (plain and rule.bymonth):
            return None
        text = w("recurrence.only_days", text=period, days=w.weekdays(plain)) if plain else period
    if rule.bymonth:
        text = w("recurrence.only_months", text=text, months=w.months(rule.bymonth))
    return text


def _word_limits(rule: _Rule, text: str, w: _Words) -> str:
    if rule.count is not None:
        key = "recurrence.count_once" if rule.count == 1 else "recurrence.count"
        return w(key, text=text, n=rule.count)
    if rule.until is not None:
        day = rule.until.day
        date_text = w(
            "recurrence.date",
            y=day.year,
            m=day.month,
            d=day.day,
            month=w(f"recurrence.month.{day.month}"),
        )
        clock = rule.until.clock
        if clock is None:
            return w("recurrence.until", text=text, date=date_text)
        clock_text = f"{clock.hour:02d}:{clock.minute:02d}"
        if clock.second:
            clock_text += f":{clock.second:02d}"
        if rule.until.utc:
            clock_text = w("recurrence.time_utc", time=clock_text)
        return w("recurrence.until_time", text=text, date=date_text, time=clock_text)
    return text


def describe(rule_text: str, lang: str = "zh") -> str:
    """Word a rule for people: ``"FREQ=MONTHLY;BYDAY=1FR"`` gives 每月第一个星期五 (zh) or
    "Every month on the first Friday" (en), with COUNT/UNTIL appended (，共10次 /
    ，至2027年6月30日). A valid rule without a known wording gives 自定义规则：<rule>;
    invalid text gives 无效的重复规则. Never raises."""
    w = _Words(_language(lang))
    try:
        rule = _parse(_clean(rule_text))
    except ValidationError:
        return w("recurrence.invalid")
    try:
        worded = _word_rule(rule, w)
    except Exception:  # wording must never break a screen; the custom wording is exact
        worded = None
    if worded is None:
        return w("recurrence.custom", rule=rule.text())
    return _word_limits(rule, worded, w)
