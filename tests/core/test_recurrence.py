"""Recurrence rules: presets, validation, expansion and wording (DOMAIN.md §2)."""

from __future__ import annotations

import calendar
import itertools
import re
import string
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import branchtui.core.recurrence as recurrence
from branchtui.core.errors import ValidationError
from branchtui.core.recurrence import (
    ERROR_KEYS,
    WEEKDAY_CODES,
    Preset,
    build,
    describe,
    monthly,
    monthly_nth_weekday,
    monthly_on_day,
    next_occurrences,
    normalise,
    occurrences,
    preset_label,
    quarterly_last_weekday,
    validate,
)
from branchtui.i18n.messages import recurrence as messages

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 1, 10, 19, 0)  # a Friday evening

NTHS = [1, 2, 3, 4, -1, -2, -3, -4]
weekdays = st.integers(min_value=0, max_value=6)
nths = st.sampled_from(NTHS)
naive_starts = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
aware_starts = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 12, 31),
    timezones=st.just(SHANGHAI),
).map(lambda d: d.replace(microsecond=0))
starts = st.one_of(naive_starts, aware_starts)


@st.composite
def preset_rules(draw: st.DrawFn) -> str:
    """Any rule the presets can build."""
    kind = draw(st.sampled_from([p for p in Preset if p is not Preset.CUSTOM]))
    if kind is Preset.MONTHLY_NTH_WEEKDAY:
        return build(kind, n=draw(nths), weekday=draw(weekdays))
    if kind is Preset.QUARTERLY_LAST_WEEKDAY:
        return build(kind, weekday=draw(weekdays))
    if kind is Preset.MONTHLY_ON_DAY:
        day = draw(st.integers(min_value=1, max_value=28))
        return build(kind, day=day if draw(st.booleans()) else -day)
    return build(kind, interval=draw(st.integers(min_value=1, max_value=24)))


def _byday_token(n: int | None, wd: int) -> str:
    return f"{'' if n is None else n}{WEEKDAY_CODES[wd]}"


@st.composite
def free_rules(draw: st.DrawFn, *, rfc_only: bool = False) -> str:
    """Rules over FREQ/INTERVAL/BYDAY/BYMONTHDAY/BYMONTH/COUNT/UNTIL, in any order and case.

    With ``rfc_only`` the combinations RFC 5545 forbids (an ordinal weekday in a weekly
    rule, BYMONTHDAY in a weekly rule, COUNT with UNTIL) are not generated."""
    freq = draw(st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(min_value=1, max_value=12))}")
    with_months = draw(st.booleans())
    if with_months:
        months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True))
        parts.append("BYMONTH=" + ",".join(map(str, months)))
    if draw(st.booleans()):
        ordinal_ok = freq in ("MONTHLY", "YEARLY") or not rfc_only
        widest = 5 if freq == "MONTHLY" or with_months else 53
        ordinals = st.integers(-widest, widest).filter(bool) if ordinal_ok else st.nothing()
        items = draw(
            st.lists(st.tuples(st.one_of(st.none(), ordinals), weekdays), min_size=1, max_size=3)
        )
        parts.append("BYDAY=" + ",".join(_byday_token(n, wd) for n, wd in items))
    if draw(st.booleans()) and not (rfc_only and freq == "WEEKLY"):
        days = draw(st.lists(st.integers(1, 31), min_size=1, max_size=3, unique=True))
        signed = [d if draw(st.booleans()) else -d for d in days]
        parts.append("BYMONTHDAY=" + ",".join(map(str, signed)))
    with_count = draw(st.booleans())
    if with_count:
        parts.append(f"COUNT={draw(st.integers(min_value=1, max_value=60))}")
    if draw(st.booleans()) and not (rfc_only and with_count):
        until = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2120, 12, 31)))
        parts.append(f"UNTIL={until:%Y%m%d}")
    parts = draw(st.permutations(parts))
    text = ";".join(parts)
    if draw(st.booleans()):
        text = text.lower()
    if draw(st.booleans()):
        text = "RRULE:" + text
    return text


def _catch(call: Any, *args: Any, **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call(*args, **kwargs)
    error = info.value
    assert error.key in ERROR_KEYS
    for lang in ("zh", "en"):
        message = recurrence.t(error.key, lang=lang, **error.params)
        assert message and "{" not in message and "}" not in message
    return error


def _week_of_month(moment: datetime) -> tuple[int, int]:
    """(week from the start, week from the end), both 1-based: day 1-7 is week 1, the last
    seven days are week 1 from the end."""
    days_in_month = calendar.monthrange(moment.year, moment.month)[1]
    return (moment.day - 1) // 7 + 1, (days_in_month - moment.day) // 7 + 1


# -- presets ---------------------------------------------------------------------------------


def test_monthly_nth_weekday_text() -> None:
    assert monthly_nth_weekday(1, 4) == "FREQ=MONTHLY;BYDAY=1FR"
    assert monthly_nth_weekday(-1, 5) == "FREQ=MONTHLY;BYDAY=-1SA"
    assert monthly_nth_weekday(2, 1) == "FREQ=MONTHLY;BYDAY=2TU"


def test_quarterly_last_weekday_text() -> None:
    assert quarterly_last_weekday(5) == "FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=-1SA"


def test_monthly_on_day_and_monthly_text() -> None:
    assert monthly_on_day(15) == "FREQ=MONTHLY;BYMONTHDAY=15"
    assert monthly_on_day(-1) == "FREQ=MONTHLY;BYMONTHDAY=-1"
    assert monthly() == "FREQ=MONTHLY"
    assert monthly(2) == "FREQ=MONTHLY;INTERVAL=2"


@pytest.mark.parametrize(
    ("preset", "params", "expected"),
    [
        (Preset.MONTHLY_NTH_WEEKDAY, {"n": 1, "weekday": 4}, "FREQ=MONTHLY;BYDAY=1FR"),
        (Preset.QUARTERLY_LAST_WEEKDAY, {"weekday": 5}, "FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=-1SA"),
        (Preset.MONTHLY_ON_DAY, {"day": 15}, "FREQ=MONTHLY;BYMONTHDAY=15"),
        (Preset.MONTHLY, {}, "FREQ=MONTHLY"),
        (Preset.MONTHLY, {"interval": 3}, "FREQ=MONTHLY;INTERVAL=3"),
        ("monthly_nth_weekday", {"n": -1, "weekday": 0}, "FREQ=MONTHLY;BYDAY=-1MO"),
        (Preset.CUSTOM, {"rule": " rrule:freq=weekly; byday=mo,we "}, "FREQ=WEEKLY;BYDAY=MO,WE"),
    ],
)
def test_build(preset: Preset | str, params: dict[str, Any], expected: str) -> None:
    assert build(preset, **params) == expected


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (monthly_nth_weekday, {"n": 0, "weekday": 4}),
        (monthly_nth_weekday, {"n": 5, "weekday": 4}),
        (monthly_nth_weekday, {"n": -5, "weekday": 4}),
        (monthly_nth_weekday, {"n": 1, "weekday": 7}),
        (monthly_nth_weekday, {"n": 1, "weekday": -1}),
        (monthly_nth_weekday, {"n": True, "weekday": 4}),
        (monthly_nth_weekday, {"n": "1", "weekday": 4}),
        (quarterly_last_weekday, {"weekday": 9}),
        (monthly_on_day, {"day": 0}),
        (monthly_on_day, {"day": 29}),
        (monthly_on_day, {"day": -29}),
        (monthly, {"interval": 0}),
        (monthly, {"interval": 1000}),
    ],
)
def test_preset_parameters_are_checked(call: Any, kwargs: dict[str, Any]) -> None:
    assert _catch(call, **kwargs).key == "recurrence.bad_param"


def test_build_refuses_unknown_preset_and_bad_custom_rule() -> None:
    assert _catch(build, "weekly_on_tuesdays").key == "recurrence.bad_param"
    assert _catch(build, Preset.CUSTOM, rule="FREQ=HOURLY").key == "recurrence.too_frequent"
    with pytest.raises(TypeError):
        build(Preset.MONTHLY_NTH_WEEKDAY, n=1, weekday=4, colour="red")
    with pytest.raises(TypeError):
        build(Preset.CUSTOM)


@pytest.mark.parametrize("preset", list(Preset))
def test_preset_labels(preset: Preset) -> None:
    assert preset_label(preset) != preset_label(preset, "en")
    assert preset_label(preset) and preset_label(preset, "en")


@given(n=nths, weekday=weekdays, dtstart=starts)
def test_monthly_nth_weekday_lands_in_the_right_week(
    n: int, weekday: int, dtstart: datetime
) -> None:
    found = occurrences(monthly_nth_weekday(n, weekday), dtstart, limit=24)
    assert len(found) == 24
    months = [(m.year, m.month) for m in found]
    assert len(set(months)) == 24  # one a month
    for moment in found:
        assert moment.weekday() == weekday
        from_start, from_end = _week_of_month(moment)
        if n > 0:
            assert from_start == n
        else:
            assert from_end == -n  # n == -1: within the last 7 days of the month
        assert moment.time() == dtstart.time()
        assert moment >= dtstart


@given(weekday=weekdays, dtstart=starts)
def test_quarterly_last_weekday_once_per_quarter(weekday: int, dtstart: datetime) -> None:
    found = occurrences(quarterly_last_weekday(weekday), dtstart, limit=12)
    assert len(found) == 12
    for moment in found:
        assert moment.month in (3, 6, 9, 12)
        assert moment.weekday() == weekday
        assert _week_of_month(moment)[1] == 1  # within the last 7 days of the month
    quarters = [m.year * 4 + (m.month - 1) // 3 for m in found]
    assert quarters == list(range(quarters[0], quarters[0] + 12))  # exactly one per quarter
    first_quarter = dtstart.year * 4 + (dtstart.month - 1) // 3
    assert quarters[0] in (first_quarter, first_quarter + 1)


def test_quarterly_whatever_the_start_month() -> None:
    rule = quarterly_last_weekday(5)
    expected = [datetime(2025, 3, 29), datetime(2025, 6, 28), datetime(2025, 9, 27)]
    for month in (1, 2, 3):
        assert occurrences(rule, datetime(2025, month, 1), limit=3) == expected


@given(day=st.integers(min_value=1, max_value=28), dtstart=naive_starts)
def test_monthly_on_day_every_month(day: int, dtstart: datetime) -> None:
    for value in (day, -day):
        found = occurrences(monthly_on_day(value), dtstart, limit=14)
        assert len(found) == 14
        assert len({(m.year, m.month) for m in found}) == 14
        for moment in found:
            last = calendar.monthrange(moment.year, moment.month)[1]
            assert moment.day == (value if value > 0 else last + 1 + value)


@given(interval=st.integers(min_value=1, max_value=12), dtstart=naive_starts)
def test_monthly_interval(interval: int, dtstart: datetime) -> None:
    assume(dtstart.day <= 28)  # later days are skipped in short months (RFC 5545)
    found = occurrences(monthly(interval), dtstart, limit=6)
    assert found[0] == dtstart
    indices = [m.year * 12 + m.month for m in found]
    assert all(b - a == interval for a, b in itertools.pairwise(indices))
    assert all(m.day == dtstart.day for m in found)


# -- validate --------------------------------------------------------------------------------


@given(rule=preset_rules(), dtstart=starts)
def test_validate_accepts_every_preset(rule: str, dtstart: datetime) -> None:
    assert validate(rule, dtstart) == rule
    assert validate("RRULE:" + rule.lower(), dtstart) == rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FREQ=MONTHLY;BYDAY=1FR", "FREQ=MONTHLY;BYDAY=1FR"),
        ("  rrule:freq=monthly;byday=+1fr  ", "FREQ=MONTHLY;BYDAY=1FR"),
        ("RRULE: FREQ = MONTHLY ; BYDAY = 1FR ;", "FREQ=MONTHLY;BYDAY=1FR"),
        ("BYDAY=1FR;FREQ=MONTHLY;INTERVAL=1", "FREQ=MONTHLY;BYDAY=1FR"),
        ("FREQ=WEEKLY;BYDAY=MO,MO,WE", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("FREQ=MONTHLY;BYMONTHDAY=+05", "FREQ=MONTHLY;BYMONTHDAY=5"),
        ("COUNT=10;FREQ=MONTHLY;BYDAY=1FR", "FREQ=MONTHLY;BYDAY=1FR;COUNT=10"),
        ("FREQ=WEEKLY;WKST=SU;INTERVAL=2;BYDAY=TU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU"),
    ],
)
def test_validate_normalises(text: str, expected: str) -> None:
    assert validate(text, START) == expected
    assert normalise(text) == expected


@pytest.mark.parametrize("freq", ["HOURLY", "MINUTELY", "SECONDLY", "hourly"])
def test_validate_refuses_sub_daily_rules(freq: str) -> None:
    assert _catch(validate, f"FREQ={freq}", START).key == "recurrence.too_frequent"
    assert _catch(validate, f"FREQ={freq};BYHOUR=9;INTERVAL=2", START).key == (
        "recurrence.too_frequent"
    )


@given(
    freq=st.sampled_from(["HOURLY", "MINUTELY", "SECONDLY"]),
    rest=st.lists(st.sampled_from(["INTERVAL=2", "COUNT=3", "BYDAY=MO", "BYMONTH=1"]), unique=True),
    dtstart=starts,
)
def test_validate_refuses_any_sub_daily_rule(freq: str, rest: list[str], dtstart: datetime) -> None:
    text = ";".join([f"FREQ={freq}", *rest])
    assert _catch(validate, text, dtstart).key == "recurrence.too_frequent"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "recurrence.empty"),
        ("   ", "recurrence.empty"),
        ("RRULE:", "recurrence.empty"),
        ("x" * 501, "recurrence.too_long"),
        ("FREQ=MONTHLY;BYDAY=1FR" + " " * 480, "recurrence.too_long"),
        ("FREQ=MONTHLY\x00", "recurrence.control_chars"),
        ("FREQ=MONTHLY\n", "recurrence.control_chars"),
        ("FREQ=MONTHLY;\tBYDAY=1FR", "recurrence.control_chars"),
        ("FREQ=MONTHLY\x1b[31m", "recurrence.control_chars"),
        ("FREQ=MONTHLY\u200b", "recurrence.control_chars"),
        ("FREQ=MONTHLY\u202e", "recurrence.control_chars"),
        ("FREQ=MONTHLY\x7f", "recurrence.control_chars"),
        ("FREQ=MONTHLY\u2028", "recurrence.control_chars"),
        ("[/]", "recurrence.bad_chars"),
        ("[bold]FREQ=MONTHLY[/bold]", "recurrence.bad_chars"),
        ("FREQ=MONTHLY;BYDAY=1FR [/]", "recurrence.bad_chars"),
        ("[link=https://example.com]x[/link]", "recurrence.bad_chars"),
        ("FREQ=MONTHLY;BYDAY=-1\u017fA", "recurrence.bad_chars"),  # long s upper-cases to S
        ("每月第一个星期五", "recurrence.bad_chars"),
        ("FREQ=MONTHLY BYDAY=1FR", "recurrence.bad_chars"),
        ("DTSTART:20250101T000000\nRRULE:FREQ=DAILY", "recurrence.control_chars"),
        ("DTSTART:20250101T000000 RRULE:FREQ=DAILY", "recurrence.bad_chars"),
        ("EXDATE:20250101", "recurrence.bad_chars"),
        ("FREQ=DAILY;;COUNT=2", "recurrence.syntax"),
        ("FREQ", "recurrence.syntax"),
        ("FREQ=DAILY;COUNT", "recurrence.syntax"),
        ("FREQ=DAILY;COUNT==2", "recurrence.syntax"),
        ("hello", "recurrence.syntax"),
        ("BYDAY=MO", "recurrence.no_freq"),
        ("FREQ=FORTNIGHTLY", "recurrence.bad_freq"),
        ("FREQ=MONTHLY;BYHOUR=9", "recurrence.unknown_part"),
        ("FREQ=YEARLY;BYEASTER=0", "recurrence.unknown_part"),
        ("FREQ=MONTHLY;COLOUR=RED", "recurrence.unknown_part"),
        ("FREQ=MONTHLY;FREQ=WEEKLY", "recurrence.duplicate_part"),
        ("FREQ=MONTHLY;BYDAY=1FR;BYDAY=2FR", "recurrence.duplicate_part"),
        ("FREQ=MONTHLY;INTERVAL=0", "recurrence.bad_value"),
        ("FREQ=MONTHLY;INTERVAL=-1", "recurrence.bad_value"),
        ("FREQ=MONTHLY;INTERVAL=1000", "recurrence.bad_value"),
        ("FREQ=MONTHLY;COUNT=0", "recurrence.bad_value"),
        ("FREQ=MONTHLY;BYDAY=0FR", "recurrence.bad_value"),
        ("FREQ=MONTHLY;BYDAY=6FR", "recurrence.bad_value"),
        ("FREQ=MONTHLY;BYDAY=FRI", "recurrence.bad_value"),
        ("FREQ=MONTHLY;BYDAY=", "recurrence.syntax"),
        ("FREQ=MONTHLY;BYDAY=MO,", "recurrence.bad_value"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "recurrence.bad_value"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "recurrence.bad_value"),
        ("FREQ=YEARLY;BYMONTH=13", "recurrence.bad_value"),
        ("FREQ=YEARLY;BYMONTH=-1", "recurrence.bad_value"),
        ("FREQ=YEARLY;BYDAY=54MO", "recurrence.bad_value"),
        ("FREQ=MONTHLY;WKST=XX", "recurrence.bad_value"),
        ("FREQ=MONTHLY;UNTIL=20270230", "recurrence.bad_value"),
        ("FREQ=MONTHLY;UNTIL=2027-06-30", "recurrence.bad_value"),
        ("FREQ=MONTHLY;UNTIL=20270630T250000", "recurrence.bad_value"),
        ("FREQ=WEEKLY;BYDAY=1FR", "recurrence.nth_not_allowed"),
        ("FREQ=DAILY;BYDAY=-1SA", "recurrence.nth_not_allowed"),
        ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=1MO", "recurrence.nth_not_allowed"),
        ("FREQ=WEEKLY;BYMONTHDAY=15", "recurrence.part_not_allowed"),
        ("FREQ=MONTHLY;BYWEEKNO=3", "recurrence.part_not_allowed"),
        ("FREQ=MONTHLY;BYYEARDAY=100", "recurrence.part_not_allowed"),
        ("FREQ=MONTHLY;BYSETPOS=1", "recurrence.setpos_alone"),
        ("FREQ=MONTHLY;COUNT=3;UNTIL=20270630", "recurrence.count_and_until"),
        ("FREQ=MONTHLY;UNTIL=20270630T000000Z", "recurrence.until_utc"),
        ("FREQ=MONTHLY;UNTIL=20240101", "recurrence.no_occurrence"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "recurrence.no_occurrence"),
        ("FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31", "recurrence.no_occurrence"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "recurrence.no_occurrence"),
        ("FREQ=YEARLY;INTERVAL=11;BYMONTH=1;BYMONTHDAY=1", "recurrence.no_occurrence"),
    ],
)
def test_validate_refuses(text: str, key: str) -> None:
    assert _catch(validate, text, START).key == key


def test_validate_refuses_non_text() -> None:
    assert _catch(validate, None, START).key == "recurrence.empty"
    assert _catch(validate, 42, START).key == "recurrence.empty"


def test_impossible_daily_rule_is_refused_quickly() -> None:
    # dateutil alone searches up to year 9999 (seconds); the 400-year shift keeps it short.
    before = datetime.now()
    _catch(validate, "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", START)
    assert datetime.now() - before < timedelta(seconds=2)


def test_rare_but_possible_rules_are_accepted() -> None:
    # 29 February falls on a Monday in 2044; 10 years after 2036-01-01 covers it.
    rule = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"
    assert validate(rule, datetime(2036, 1, 1)) == rule
    assert occurrences(rule, datetime(2036, 1, 1), limit=1) == [datetime(2044, 2, 29)]
    assert _catch(validate, rule, datetime(2045, 1, 1)).key == "recurrence.no_occurrence"


def test_first_occurrence_must_fall_within_ten_years() -> None:
    rule = "FREQ=YEARLY;INTERVAL=10"
    assert validate(rule, START) == rule  # dtstart itself is the first
    assert validate("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1", datetime(2025, 1, 2)) is not None


@given(text=st.text(max_size=80), dtstart=starts)
@settings(deadline=None)
def test_validate_on_junk_raises_only_validation_error(text: str, dtstart: datetime) -> None:
    try:
        result = validate(text, dtstart)
    except ValidationError as error:
        assert error.key in ERROR_KEYS
    else:
        assert re.fullmatch(r"[A-Z0-9;=,+\-]+", result)


@given(
    before=st.text(alphabet=string.ascii_uppercase + "=;", max_size=20),
    control=st.sampled_from(["\x00", "\x07", "\x1b", "\n", "\r", "\t", "\x7f", "\x85", "\u200d"]),
    after=st.text(alphabet=string.ascii_uppercase + "=;", max_size=20),
)
def test_control_characters_are_always_refused(before: str, control: str, after: str) -> None:
    text = f"FREQ=MONTHLY{before}{control}{after}"
    assert _catch(validate, text, START).key == "recurrence.control_chars"


@given(text=st.text(alphabet="[]/=;ABCDEFQRMONTHLY", min_size=1).filter(lambda s: "[" in s))
def test_markup_like_text_is_refused(text: str) -> None:
    assert _catch(validate, text, START).key == "recurrence.bad_chars"


@given(rule=free_rules())
def test_normalise_is_idempotent(rule: str) -> None:
    try:
        once = normalise(rule)
    except ValidationError as error:
        assert error.key in ERROR_KEYS
        return
    assert normalise(once) == once
    assert describe(once) == describe(rule)


@given(rule=free_rules(rfc_only=True), dtstart=starts)
@settings(deadline=None)
def test_rfc_rules_validate_or_have_no_occurrence(rule: str, dtstart: datetime) -> None:
    try:
        text = validate(rule, dtstart)
    except ValidationError as error:
        assert error.key == "recurrence.no_occurrence"
        return
    assert text == normalise(rule)
    assert occurrences(text, dtstart, end=dtstart + timedelta(days=3653), limit=1)


# -- occurrences -----------------------------------------------------------------------------


def test_occurrences_window_is_half_open() -> None:
    rule = monthly_nth_weekday(1, 4)
    start = datetime(2025, 3, 7, 19, 0)
    end = datetime(2025, 6, 6, 19, 0)
    assert occurrences(rule, START, start=start, end=end) == [
        datetime(2025, 3, 7, 19, 0),
        datetime(2025, 4, 4, 19, 0),
        datetime(2025, 5, 2, 19, 0),
    ]


def test_occurrences_start_defaults_to_dtstart() -> None:
    assert occurrences(monthly_nth_weekday(1, 4), datetime(2025, 1, 3, 19, 0), limit=2) == [
        datetime(2025, 1, 3, 19, 0),
        datetime(2025, 2, 7, 19, 0),
    ]


def test_occurrences_validate_their_rule() -> None:
    assert _catch(occurrences, "FREQ=HOURLY", START).key == "recurrence.too_frequent"
    assert _catch(next_occurrences, "junk[/]", START, START).key == "recurrence.bad_chars"


def test_count_and_until() -> None:
    rule = "FREQ=MONTHLY;BYDAY=1FR;COUNT=3"
    assert len(occurrences(rule, START, limit=100)) == 3
    # A bare UNTIL date includes that whole day: the 19:00 meeting on 2025-03-07 counts.
    until = "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20250307"
    assert occurrences(until, START)[-1] == datetime(2025, 3, 7, 19, 0)
    # A local UNTIL time before the meeting's time ends the series the meeting before.
    early = "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20250307T180000"
    assert occurrences(early, START)[-1] == datetime(2025, 2, 7, 19, 0)


def test_time_zones() -> None:
    dtstart = datetime(2025, 1, 10, 19, 0, tzinfo=SHANGHAI)
    rule = "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20250307"
    found = occurrences(rule, dtstart)
    assert found == [
        datetime(2025, 2, 7, 19, 0, tzinfo=SHANGHAI),
        datetime(2025, 3, 7, 19, 0, tzinfo=SHANGHAI),
    ]
    # 11:00 UTC is 19:00 in Shanghai: included; 10:59 UTC is not.
    assert occurrences(rule[:-8] + "20250307T110000Z", dtstart) == found
    assert occurrences(rule[:-8] + "20250307T105900Z", dtstart) == found[:1]
    assert (
        _catch(occurrences, rule, dtstart, start=datetime(2025, 1, 1)).key
        == "recurrence.tz_mismatch"
    )
    assert _catch(next_occurrences, rule, START, datetime(2025, 1, 1, tzinfo=SHANGHAI)).key == (
        "recurrence.tz_mismatch"
    )


@given(
    rule=preset_rules(),
    dtstart=starts,
    data=st.data(),
)
def test_occurrences_honour_exdates(rule: str, dtstart: datetime, data: st.DataObject) -> None:
    end = dtstart + timedelta(days=3 * 366)
    full = occurrences(rule, dtstart, end=end, limit=1000)
    assert full, "every preset has a meeting within three years"
    skipped = data.draw(st.sets(st.sampled_from([m.date() for m in full])))
    # exdates given as dates or as datetimes (their date counts) behave the same.
    as_datetimes = [datetime.combine(d, datetime.min.time()) for d in skipped]
    expected = [m for m in full if m.date() not in skipped]
    assert occurrences(rule, dtstart, end=end, limit=1000, exdates=skipped) == expected
    assert occurrences(rule, dtstart, end=end, limit=1000, exdates=as_datetimes) == expected
    assert occurrences(rule, dtstart, end=end, limit=1000, exdates=iter(skipped)) == expected


@given(rule=preset_rules(), dtstart=starts, limit=st.integers(min_value=-2, max_value=40))
def test_occurrences_honour_limit(rule: str, dtstart: datetime, limit: int) -> None:
    end = dtstart + timedelta(days=366 * 5)
    full = occurrences(rule, dtstart, end=end, limit=1000)
    limited = occurrences(rule, dtstart, end=end, limit=limit)
    assert limited == full[: max(limit, 0)]


@given(rule=preset_rules(), dtstart=starts, data=st.data())
def test_occurrences_stay_in_window_and_order(
    rule: str, dtstart: datetime, data: st.DataObject
) -> None:
    offset = data.draw(st.integers(min_value=-400, max_value=2000))
    span = data.draw(st.integers(min_value=0, max_value=800))
    start = dtstart + timedelta(days=offset)
    end = start + timedelta(days=span)
    found = occurrences(rule, dtstart, start=start, end=end)
    assert found == sorted(set(found))
    assert all(start <= m < end and m >= dtstart for m in found)


def test_limit_stops_an_open_series() -> None:
    assert len(occurrences("FREQ=DAILY", START)) == recurrence.DEFAULT_LIMIT
    assert len(occurrences("FREQ=DAILY", START, limit=7)) == 7


def test_exdates_skip_in_an_open_series() -> None:
    rule = monthly_nth_weekday(1, 4)
    found = occurrences(rule, START, limit=3, exdates=[date(2025, 2, 7), date(2025, 3, 8)])
    assert found == [
        datetime(2025, 3, 7, 19, 0),
        datetime(2025, 4, 4, 19, 0),
        datetime(2025, 5, 2, 19, 0),
    ]


@given(rule=preset_rules(), dtstart=starts, data=st.data())
def test_next_occurrences_are_strictly_after(
    rule: str, dtstart: datetime, data: st.DataObject
) -> None:
    after = dtstart + timedelta(days=data.draw(st.integers(min_value=-100, max_value=1000)))
    preview = next_occurrences(rule, dtstart, after)
    assert len(preview) == 5
    assert all(m > after for m in preview)
    assert preview == occurrences(rule, dtstart, start=after + timedelta(seconds=1), limit=5)


def test_next_occurrences_preview() -> None:
    rule = monthly_nth_weekday(1, 4)
    at = datetime(2025, 2, 7, 19, 0)  # itself an occurrence: not repeated
    assert next_occurrences(rule, START, at, n=2) == [
        datetime(2025, 3, 7, 19, 0),
        datetime(2025, 4, 4, 19, 0),
    ]
    assert next_occurrences(rule, START, at, n=2, exdates=[date(2025, 3, 7)]) == [
        datetime(2025, 4, 4, 19, 0),
        datetime(2025, 5, 2, 19, 0),
    ]
    assert next_occurrences(rule, START, at, n=0) == []
    # COUNT=2 from a start after the first Friday of January: 7 February and 7 March.
    assert next_occurrences("FREQ=MONTHLY;BYDAY=1FR;COUNT=2", START, at) == [
        datetime(2025, 3, 7, 19, 0)
    ]


# -- describe --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "zh", "en"),
    [
        ("FREQ=MONTHLY;BYDAY=1FR", "每月第一个星期五", "Every month on the first Friday"),
        (
            "FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=-1SA",
            "每季度最后一个星期六",
            "Every quarter on the last Saturday",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "每月15日", "Every month on day 15"),
        ("FREQ=WEEKLY;BYDAY=MO,WE", "每周星期一、星期三", "Every week on Monday and Wednesday"),
        (
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU",
            "每2个月第二个星期二",
            "Every 2 months on the second Tuesday",
        ),
        (
            "FREQ=MONTHLY;BYDAY=1FR;COUNT=10",
            "每月第一个星期五，共10次",
            "Every month on the first Friday, 10 times",
        ),
        (
            "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20270630",
            "每月第一个星期五，至2027年6月30日",
            "Every month on the first Friday, until June 30, 2027",
        ),
        (
            "FREQ=MONTHLY;BYDAY=1FR;COUNT=1",
            "每月第一个星期五，仅1次",
            "Every month on the first Friday, once",
        ),
        (
            "FREQ=MONTHLY;UNTIL=20270630T180000Z",
            "每月，至2027年6月30日 18:00（UTC）",
            "Every month, until June 30, 2027 18:00 UTC",
        ),
        ("FREQ=MONTHLY", "每月", "Every month"),
        ("FREQ=MONTHLY;INTERVAL=3", "每3个月", "Every 3 months"),
        ("FREQ=YEARLY", "每年", "Every year"),
        ("FREQ=YEARLY;INTERVAL=2", "每2年", "Every 2 years"),
        ("FREQ=WEEKLY", "每周", "Every week"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "每2周星期四", "Every 2 weeks on Thursday"),
        ("FREQ=DAILY", "每天", "Every day"),
        ("FREQ=DAILY;INTERVAL=3", "每3天", "Every 3 days"),
        (
            "FREQ=DAILY;BYDAY=MO,TU,WE",
            "每天（仅限星期一、星期二、星期三）",
            "Every day (only on Monday, Tuesday and Wednesday)",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "每月最后一天", "Every month on the last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15", "每月1日、15日", "Every month on day 1 and day 15"),
        (
            "FREQ=MONTHLY;BYDAY=-2FR",
            "每月倒数第二个星期五",
            "Every month on the second-to-last Friday",
        ),
        ("FREQ=MONTHLY;BYDAY=MO", "每月的每个星期一", "Every month on every Monday"),
        (
            "FREQ=MONTHLY;BYDAY=1MO,3MO",
            "每月第一个星期一、第三个星期一",
            "Every month on the first Monday and the third Monday",
        ),
        (
            "FREQ=MONTHLY;BYDAY=1FR;BYMONTH=3,6",
            "每月第一个星期五（仅限3月、6月）",
            "Every month on the first Friday (only in March and June)",
        ),
        ("FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1", "每年7月的1日", "Every year in July on day 1"),
        (
            "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
            "每季度最后一天",
            "Every quarter on the last day",
        ),
        (
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYDAY=1SA",
            "每季度第一个星期六",
            "Every quarter on the first Saturday",
        ),
        (
            # the first Saturday of March is not the quarter's first Saturday
            "FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=1SA",
            "每年3月、6月、9月、12月的第一个星期六",
            "Every year in March, June, September and December on the first Saturday",
        ),
        (
            "FREQ=YEARLY;INTERVAL=2;BYMONTH=3,6,9,12;BYDAY=-1SA",
            "每2年3月、6月、9月、12月的最后一个星期六",
            "Every 2 years in March, June, September and December on the last Saturday",
        ),
        ("FREQ=YEARLY;BYMONTH=12", "每年12月", "Every year in December"),
        ("FREQ=YEARLY;BYDAY=20MO", "每年第二十个星期一", "Every year on the 20th Monday"),
        ("FREQ=YEARLY;BYDAY=-1FR", "每年最后一个星期五", "Every year on the last Friday"),
        (
            "FREQ=YEARLY;BYMONTH=11;BYDAY=TH",
            "每年11月的每个星期四",
            "Every year in November on every Thursday",
        ),
        ("rrule:freq=monthly;byday=+1fr", "每月第一个星期五", "Every month on the first Friday"),
    ],
)
def test_describe_examples(rule: str, zh: str, en: str) -> None:
    assert describe(rule) == zh
    assert describe(rule, "zh") == zh
    assert describe(rule, "en") == en
    assert describe(rule, "en_US.UTF-8") == en


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=YEARLY;BYWEEKNO=20",
        "FREQ=YEARLY;BYYEARDAY=100",
        "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        "FREQ=MONTHLY;BYDAY=1MO,FR",
        "FREQ=YEARLY;BYMONTHDAY=15",
        "FREQ=DAILY;BYMONTHDAY=1",
        "FREQ=DAILY;BYDAY=MO;BYMONTH=1",
    ],
)
def test_describe_falls_back_to_custom_wording(rule: str) -> None:
    text = normalise(rule)
    assert describe(rule) == f"自定义规则：{text}"
    assert describe(rule, "en") == f"Custom rule: {text}"


@pytest.mark.parametrize("junk", ["", "[/]", "FREQ=HOURLY", "x" * 600, "FREQ=MONTHLY\x00", None, 7])
def test_describe_of_invalid_text(junk: Any) -> None:
    assert describe(junk) == "无效的重复规则"
    assert describe(junk, "en") == "Invalid recurrence rule"


@given(rule=st.one_of(preset_rules(), free_rules(), free_rules(rfc_only=True)))
def test_describe_never_raises(rule: str) -> None:
    try:
        valid = bool(normalise(rule))
    except ValidationError:
        valid = False
    for lang in ("zh", "en"):
        text = describe(rule, lang)
        assert isinstance(text, str) and text.strip()
        assert "{" not in text and "}" not in text
        assert "recurrence." not in text  # no key leaked through a catalogue gap
        assert (text in ("无效的重复规则", "Invalid recurrence rule")) is not valid


@given(n=nths, weekday=weekdays)
def test_describe_presets_name_their_day(n: int, weekday: int) -> None:
    zh = describe(monthly_nth_weekday(n, weekday))
    en = describe(monthly_nth_weekday(n, weekday), "en")
    assert (
        zh
        == "每月"
        + messages.ZH[f"recurrence.nth.{n}"]
        + messages.ZH[f"recurrence.weekday.{weekday}"]
    )
    assert (
        en
        == f"Every month on the {messages.EN[f'recurrence.nth.{n}']} {messages.EN[f'recurrence.weekday.{weekday}']}"
    )
    assert (
        describe(quarterly_last_weekday(weekday))
        == "每季度最后一个" + messages.ZH[f"recurrence.weekday.{weekday}"]
    )


def test_describe_ignores_the_current_language() -> None:
    from branchtui.i18n import language, set_language

    before = language()
    try:
        set_language("en")
        assert describe("FREQ=MONTHLY;BYDAY=1FR") == "每月第一个星期五"
    finally:
        set_language(before)


# -- catalogue -------------------------------------------------------------------------------


def test_both_languages_have_the_same_keys_and_fields() -> None:
    assert set(messages.ZH) == set(messages.EN)
    formatter = string.Formatter()
    for key in messages.ZH:
        assert messages.ZH[key].strip() and messages.EN[key].strip(), key
        zh_fields = {f for _, f, _, _ in formatter.parse(messages.ZH[key]) if f}
        en_fields = {f for _, f, _, _ in formatter.parse(messages.EN[key]) if f}
        if key == "recurrence.date":  # 2027年6月30日 / June 30, 2027: month number vs name
            assert zh_fields - {"m"} == en_fields - {"month"}
        else:
            assert zh_fields == en_fields, key


def test_every_literal_key_in_the_module_exists() -> None:
    source = Path(recurrence.__file__).read_text(encoding="utf-8")
    literal = set(re.findall(r'(?<![{f])"(recurrence\.[a-z_.]+[a-z_])"', source))
    assert literal >= ERROR_KEYS
    for key in literal:
        assert key in messages.ZH and key in messages.EN, key


def test_every_family_key_exists() -> None:
    families = [
        *(f"recurrence.weekday.{i}" for i in range(7)),
        *(f"recurrence.month.{m}" for m in range(1, 13)),
        *(f"recurrence.nth.{n}" for n in range(-53, 54) if n),
        *(f"recurrence.monthday.{d}" for d in range(-31, 32) if d),
        *(
            f"recurrence.every.{f}{s}"
            for f in ("yearly", "monthly", "weekly", "daily")
            for s in ("", "_n")
        ),
        *(f"recurrence.preset.{p.value}" for p in Preset),
    ]
    for key in families:
        assert key in messages.ZH and key in messages.EN, key
    assert messages.ZH["recurrence.nth.1"] == "第一个"
    assert messages.ZH["recurrence.nth.-1"] == "最后一个"
    assert messages.ZH["recurrence.nth.21"] == "第二十一个"
    assert messages.EN["recurrence.nth.22"] == "22nd"
    assert messages.EN["recurrence.nth.-12"] == "12th-to-last"
    assert messages.ZH["recurrence.weekday.4"] == "星期五"


@pytest.fixture
def used_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    seen: set[str] = set()
    real = recurrence.t

    def spy(key: str, /, lang: str | None = None, **params: Any) -> str:
        seen.add(key)
        return real(key, lang=lang, **params)

    monkeypatch.setattr(recurrence, "t", spy)
    yield seen


def test_every_key_used_at_run_time_exists(used_keys: set[str]) -> None:
    rules = [
        "FREQ=MONTHLY;BYDAY=1FR;COUNT=10",
        "FREQ=MONTHLY;BYDAY=1FR;COUNT=1",
        "FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=-1SA;UNTIL=20270630",
        "FREQ=YEARLY;BYMONTH=3,6;BYMONTHDAY=-2;UNTIL=20270630T120000Z",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12",
        "FREQ=DAILY;INTERVAL=2;BYDAY=MO",
        "FREQ=DAILY;BYMONTH=5",
        "FREQ=MONTHLY;INTERVAL=4;BYDAY=FR",
        "FREQ=YEARLY;INTERVAL=2;BYDAY=MO",
        "FREQ=YEARLY;BYWEEKNO=1",
        "invalid[/]",
    ]
    for lang in ("zh", "en"):
        for rule in rules:
            describe(rule, lang)
        for preset in Preset:
            preset_label(preset, lang)
    for bad in (
        "FREQ=HOURLY",
        "",
        "x" * 501,
        "A\x00",
        "[/]",
        "X",
        "BYDAY=MO",
        "FREQ=MONTHLY;UNTIL=20240101",
    ):
        with pytest.raises(ValidationError) as info:
            validate(bad, START)
        used_keys.add(info.value.key)
    assert len(used_keys) > 30
    for key in used_keys:
        assert key in messages.ZH and key in messages.EN, key


def test_module_stays_pure() -> None:
    source = Path(recurrence.__file__).read_text(encoding="utf-8")
    imports = re.findall(r"^(?:from|import) ([\w.]+)", source, flags=re.MULTILINE)
    allowed = (
        "__future__",
        "re",
        "unicodedata",
        "collections",
        "dataclasses",
        "datetime",
        "enum",
        "typing",
        "dateutil",
        "branchtui.core",
        "branchtui.i18n",
    )
    for module in imports:
        assert module.startswith(allowed), module
