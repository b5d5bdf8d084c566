"""Dates as people type them."""

from datetime import date

import pytest

from branchtui.core.dates import parse_day

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
