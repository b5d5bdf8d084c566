"""Periods: half-open spans, labels, parsing."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchtui.core.enums import PeriodKind
from branchtui.core.errors import ValidationError
from branchtui.core.periods import (
    PeriodSpan,
    parse_period,
    period_containing,
    periods_overlapping,
)
from branchtui.i18n import CATALOGUE

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
kinds = st.sampled_from(list(PeriodKind))


def test_month_span() -> None:
    p = period_containing(PeriodKind.MONTH, date(2026, 11, 17))
    assert p == PeriodSpan(PeriodKind.MONTH, date(2026, 11, 1), date(2026, 12, 1))
    assert p.last_day == date(2026, 11, 30)
    assert p.contains(date(2026, 11, 1))
    assert p.contains(date(2026, 11, 30))
    assert not p.contains(date(2026, 12, 1))
    assert not p.contains(date(2026, 10, 31))


def test_december_and_february() -> None:
    assert period_containing(PeriodKind.MONTH, date(2026, 12, 31)).ends == date(2027, 1, 1)
    assert period_containing(PeriodKind.MONTH, date(2028, 2, 10)).last_day == date(2028, 2, 29)


def test_quarter_and_year_spans() -> None:
    q = period_containing(PeriodKind.QUARTER, date(2026, 11, 17))
    assert (q.starts, q.ends) == (date(2026, 10, 1), date(2027, 1, 1))
    assert q.last_day == date(2026, 12, 31)
    y = period_containing(PeriodKind.YEAR, date(2026, 3, 1))
    assert (y.starts, y.ends) == (date(2026, 1, 1), date(2027, 1, 1))


def test_labels_zh_and_en() -> None:
    m = parse_period("2026-11")
    q = parse_period("2026-Q4")
    y = parse_period("2026")
    assert m.label("zh") == "2026年11月"
    assert q.label("zh") == "2026年第4季度"
    assert y.label("zh") == "2026年度"
    assert m.label("en") == "2026-11"
    assert parse_period("2026-03").label("en") == "2026-03"
    assert q.label("en") == "2026 Q4"
    assert y.label("en") == "2026"


def test_label_keys_exist_in_both_languages() -> None:
    for kind in PeriodKind:
        for lang in ("zh", "en"):
            assert f"period.{kind.value}" in CATALOGUE[lang]


def test_overlapping_quarter_gives_three_months() -> None:
    months = periods_overlapping(PeriodKind.MONTH, parse_period("2026-Q4"))
    assert [p.code() for p in months] == ["2026-10", "2026-11", "2026-12"]


def test_overlapping_year_gives_four_quarters_and_month_gives_its_quarter() -> None:
    quarters = periods_overlapping(PeriodKind.QUARTER, parse_period("2026"))
    assert [p.code() for p in quarters] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert periods_overlapping(PeriodKind.QUARTER, parse_period("2026-05")) == [
        parse_period("2026-Q2")
    ]
    assert periods_overlapping(PeriodKind.YEAR, parse_period("2026-05")) == [parse_period("2026")]


def test_overlapping_odd_window() -> None:
    window = PeriodSpan(PeriodKind.MONTH, date(2026, 1, 31), date(2026, 3, 1))
    assert [p.code() for p in periods_overlapping(PeriodKind.MONTH, window)] == [
        "2026-01",
        "2026-02",
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-11", "2026-11"),
        ("2026-1", "2026-01"),
        ("2026-01", "2026-01"),
        ("2026-Q4", "2026-Q4"),
        ("2026q4", "2026-Q4"),
        ("2026Q1", "2026-Q1"),
        ("2026-q2", "2026-Q2"),
        ("2026", "2026"),
        (" 2026-11 ", "2026-11"),
    ],
)
def test_parse_period_accepts(text: str, code: str) -> None:
    assert parse_period(text).code() == code


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-0",
        "2026-00",
        "2026-Q5",
        "2026-Q0",
        "2026-",
        "26",
        "0000",
        "20261",
        "",
        "   ",
        "junk",
        "2026-11-01",
        "2026-11\n",
        "2026\x1b[31m",
        "2026\t",
        "2026-1\x00",
        "\uff12\uff10\uff12\uff16",  # full-width digits
        "2026/11",
        "Q4-2026",
    ],
)
def test_parse_period_rejects(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_period(text)
    assert err.value.key == "period.bad"
    shown = err.value.params["text"]
    assert "\x1b" not in shown and "\n" not in shown and "\x00" not in shown


def test_parse_period_error_message_is_readable() -> None:
    with pytest.raises(ValidationError) as err:
        parse_period("2026-13")
    assert "2026-13" in err.value.message()


def test_empty_span_is_refused() -> None:
    with pytest.raises(ValueError):
        PeriodSpan(PeriodKind.MONTH, date(2026, 1, 1), date(2026, 1, 1))


@given(kinds, days)
def test_period_contains_its_day(kind: PeriodKind, day: date) -> None:
    p = period_containing(kind, day)
    assert p.contains(day)
    assert p.kind is kind
    assert p.starts.day == 1
    assert period_containing(kind, p.last_day) == p
    assert period_containing(kind, p.ends) == p.next()


@given(kinds, days)
def test_code_round_trips(kind: PeriodKind, day: date) -> None:
    p = period_containing(kind, day)
    assert parse_period(p.code()) == p


@given(kinds, days, st.integers(min_value=1, max_value=800))
def test_overlapping_tiles_the_window(kind: PeriodKind, start: date, length: int) -> None:
    window = PeriodSpan(PeriodKind.MONTH, start, start + timedelta(days=length))
    periods = periods_overlapping(kind, window)
    assert periods, "a non-empty window overlaps at least one period"
    assert all(p.overlaps(window) for p in periods)
    assert periods[0].contains(window.starts)
    assert periods[-1].contains(window.last_day)
    for a, b in itertools.pairwise(periods):
        assert a.ends == b.starts


@given(st.text(max_size=12))
def test_parse_period_never_crashes(text: str) -> None:
    try:
        p = parse_period(text)
    except ValidationError as exc:
        assert exc.key == "period.bad"
    else:
        assert parse_period(p.code()) == p
