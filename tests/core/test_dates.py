"""Dates as people type them."""

from datetime import date, time

import pytest

from branchtui.core.dates import parse_clock, parse_day

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")


@pytest.mark.parametrize("text", ["2026-11-27", "2026/11/27", "2026.11.27", "20261127",
                                  "2026年11月27日", "\uff12\uff10\uff12\uff16\uff0d\uff11\uff11\uff0d\uff12\uff17", " 2026-11-27 "])
def test_accepts_common_forms(text):
    assert parse_day(text) == date(2026, 11, 27)


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "27/11/2026", "明天", "1850-01-01",
                                  "2026-11", "[/]"])
def test_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError):
        parse_day(text)


def test_empty():
    assert parse_day("") is None and parse_day(None) is None
    with pytest.raises(ValueError):
        parse_day(" ", required=True)


@pytest.mark.parametrize(("text", "expected"), [
    ("14:30", time(14, 30)), ("14：30", time(14, 30)), ("1430", time(14, 30)),
    ("14点30", time(14, 30)), ("14点30分", time(14, 30)), ("9点", time(9, 0)),
    ("\uff11\uff14\uff1a\uff13\uff10", time(14, 30)), (" 8.05 ", time(8, 5)), ("0:00", time(0, 0)),
])
def test_reads_a_time_of_day(text, expected):
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["", " ", "25:00", "14:60", "下午两点", "14:30:00", "[/]", "123"])
def test_refuses_what_is_not_a_time(text):
    with pytest.raises(ValueError):
        parse_clock(text)
