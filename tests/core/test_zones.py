"""core.zones: an organisation's zone from the tree, and the wall time of an instant there,
whatever zone the process itself runs in (this module runs under TZ=UTC too)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchtui.core.errors import ValidationError
from branchtui.core.zones import (
    DEFAULT_TIME_ZONE,
    ZoneMap,
    as_instant,
    check_zone,
    uniform,
    wall_date,
    wall_time,
    zone_map,
)

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")


def test_a_naive_time_is_shanghai_wall_time_never_the_process_s():
    assert as_instant(datetime(2026, 12, 2, 1, 30)) == datetime(2026, 12, 1, 17, 30,
                                                                tzinfo=UTC)
    assert as_instant(datetime(2026, 7, 1, 12), "Europe/Berlin") == datetime(
        2026, 7, 1, 10, tzinfo=UTC)  # summer time


def test_wall_time_and_date_in_a_zone():
    instant = datetime(2026, 12, 31, 20, tzinfo=UTC)
    assert wall_time(instant, "Asia/Shanghai") == datetime(2027, 1, 1, 4)
    assert wall_time(instant, "Europe/Berlin") == datetime(2026, 12, 31, 21)
    assert wall_date(instant, "Asia/Shanghai") == date(2027, 1, 1)
    assert wall_date(instant, "Europe/Berlin") == date(2026, 12, 31)
    assert wall_time(instant, "Asia/Shanghai").tzinfo is None  # stored naive


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)))
def test_shanghai_wall_time_round_trips(wall: datetime):
    """Shanghai has had no summer time since 1991: every wall time is one instant."""
    if wall.year <= 1991:
        return
    assert wall_time(as_instant(wall), DEFAULT_TIME_ZONE) == wall


@pytest.mark.parametrize("name", ["Asia/Shanghai", "Europe/Berlin", "UTC",
                                  "America/Argentina/Buenos_Aires", "Etc/GMT-8"])
def test_known_zones_are_accepted(name: str):
    assert check_zone(f"  {name} ") == name


@pytest.mark.parametrize("name", [None, "", "   "])
def test_blank_means_inherit(name: str | None):
    assert check_zone(name) is None


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime",
                                  "Asia/Shang hai", "上海", "x" * 65, "Asia/[/]"])
def test_unknown_or_odd_names_are_refused(name: str):
    with pytest.raises(ValidationError) as err:
        check_zone(name)
    assert err.value.key == "org.bad_time_zone"
    assert err.value.params["name"] == name.strip()[:64]


# The tree: 1 (top) > 2 (branch) > 3 (group); 1 > 4 (branch); a second top 5 > 6.
TREE = [(1, None, None), (2, 1, None), (3, 2, None), (4, 1, None), (5, None, None),
        (6, 5, None)]


def with_zones(**zones: str) -> list[tuple[int, int | None, str | None]]:
    return [(oid, parent, zones.get(f"o{oid}", own)) for oid, parent, own in TREE]


def test_nobody_set_a_zone_everyone_is_in_shanghai():
    zm = zone_map(with_zones())
    assert zm.single == DEFAULT_TIME_ZONE and zm.name(None) == zm.name(3) == "Asia/Shanghai"


def test_a_zone_is_inherited_down_the_tree():
    zm = zone_map(with_zones(o2="Europe/Berlin"))
    assert zm.single is None
    assert [zm.name(o) for o in (1, 2, 3, 4, 5, 6)] == [
        "Asia/Shanghai", "Europe/Berlin", "Europe/Berlin", "Asia/Shanghai", "Asia/Shanghai",
        "Asia/Shanghai"]
    assert zm.name(None) == "Asia/Shanghai"
    # A nearer setting wins over one further up.
    zm = zone_map(with_zones(o1="Europe/Berlin", o3="Asia/Shanghai"))
    assert [zm.name(o) for o in (1, 2, 3, 4)] == [
        "Europe/Berlin", "Europe/Berlin", "Asia/Shanghai", "Europe/Berlin"]
    assert zm.name(None) == "Europe/Berlin"  # the first top's
    assert zm.name(99) == "Europe/Berlin"  # unknown (created since): the first top's


def test_one_zone_for_all_needs_no_tree():
    assert uniform(set()) == ZoneMap("Asia/Shanghai", "Asia/Shanghai")
    assert uniform({None}) == ZoneMap("Asia/Shanghai", "Asia/Shanghai")
    assert uniform({None, "Asia/Shanghai"}) == ZoneMap("Asia/Shanghai", "Asia/Shanghai")
    assert uniform({"Europe/Berlin"}) == ZoneMap("Europe/Berlin", "Europe/Berlin")
    assert uniform({None, "Europe/Berlin"}) is None
    everyone = zone_map([(oid, p, "Europe/Berlin" if p is None else z) for oid, p, z in TREE])
    assert everyone.single == "Europe/Berlin" and not everyone.parents


def test_a_cycle_in_a_damaged_tree_does_not_hang():
    zm = zone_map([(1, 2, None), (2, 1, None), (3, None, "Europe/Berlin")])
    assert zm.name(1) == DEFAULT_TIME_ZONE


@given(st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_the_day_changes_at_local_midnight(offset_minutes: int):
    """Any instant: the date in Shanghai is the UTC date of the instant plus 8 hours."""
    instant = datetime(2026, 12, 31, 16, tzinfo=UTC) + timedelta(minutes=offset_minutes)
    assert wall_date(instant, "Asia/Shanghai") == (instant + timedelta(hours=8)).date()


def test_the_date_cases_run_in_two_process_zones(process_tz: str,
                                                 request: pytest.FixtureRequest):
    """The fixture did what it says: UTC, or a zone that is not UTC (tests/conftest.py)."""
    offset = time.localtime().tm_gmtoff
    if request.node.callspec.params["process_tz"] == "tz-utc":
        assert (offset, process_tz) == (0, "UTC")
    else:
        assert offset != 0 or time.daylight
        # A naive wall time still means Shanghai, whatever the process's zone.
        assert as_instant(datetime(2026, 12, 2, 1, 30)).hour == 17
