"""Shared fixtures: a real temp-file SQLite, and a real PostgreSQL when
BRANCHTUI_TEST_PG_URL is set (a fresh schema per test). With BRANCHTUI_REQUIRE_PG=1 (CI)
a missing or unreachable PostgreSQL fails the run instead of skipping."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from branchtui.i18n import set_language
from branchtui.services import FixedClock, Services
from branchtui.store.db import close_database, open_database, upgrade

if TYPE_CHECKING:
    from tests.pg_cluster import PrivateCluster

PG_URL = os.environ.get("BRANCHTUI_TEST_PG_URL")
REQUIRE_PG = os.environ.get("BRANCHTUI_REQUIRE_PG") == "1"
NOW = datetime(2026, 11, 27, 9, 0)

# Hostile text for fixtures: markup, an action link, long Chinese, full-width punctuation.
HOSTILE = "[/]"
HOSTILE_LINK = "[@click=app.quit]x[/]"
LONG_ZH = "认真学习贯彻党的二十届四中全会精神，" * 12
FULLWIDTH = "（一）关于“三会一课”落实情况：已完成！？；"


def _no_pg(reason: str) -> None:
    if REQUIRE_PG:
        pytest.fail(f"PostgreSQL tests are required (BRANCHTUI_REQUIRE_PG=1) but {reason}")
    pytest.skip(reason)


def pg_schema_url(schema: str) -> str:
    assert PG_URL
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh, empty schema on the test server; yields a URL bound to it."""
    if not PG_URL:
        _no_pg("BRANCHTUI_TEST_PG_URL is not set")
    import psycopg

    schema = f"bt_{uuid.uuid4().hex[:12]}"
    try:
        conn = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _no_pg(f"PostgreSQL is unreachable: {exc}")
    with conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield pg_schema_url(schema)
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def private_pg() -> Iterator[PrivateCluster]:
    """A started PostgreSQL cluster of the test's own (tests/pg_cluster.py), for tests that
    stop and start the server; destroyed afterwards whatever happens. The shared server
    named by BRANCHTUI_TEST_PG_URL is never touched."""
    from tests.pg_cluster import PrivateCluster, pg_bindir

    bindir = pg_bindir()
    if bindir is None:
        _no_pg("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        raise AssertionError("unreachable")
    cluster = PrivateCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.pg)]
# For a module's own ``world`` fixture: ``@on_both_backends`` runs the test on a temp-file
# SQLite and on a fresh PostgreSQL schema (``world`` calls ``backend_url``).
on_both_backends = pytest.mark.parametrize("world", BACKENDS, indirect=True)


def backend_url(request: pytest.FixtureRequest, tmp_path, name: str) -> str:
    """The database URL for a ``world`` fixture: SQLite unless the test is parametrized
    with "pg" (``on_both_backends``), then a fresh schema on the test server."""
    if getattr(request, "param", "sqlite") == "pg":
        return request.getfixturevalue("pg_schema")
    return f"sqlite:///{tmp_path / name}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A URL of an empty database, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'branch.sqlite3'}"
    return request.getfixturevalue("pg_schema")


@pytest.fixture
def db(db_url: str):
    database = open_database(db_url)
    upgrade(database)
    yield database
    close_database(database)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def svc(db, clock) -> Services:
    return Services.create(db, clock)


# -- the process's own time zone -------------------------------------------------------------
# The modules of date cases (the core's periods, dates, compliance, lapse and zones; the
# services' compliance, lapse, warnings, member figures, sign-in and leave) run every case
# twice, in the machine's zone and under TZ=UTC (issue 11, item 14): no rule may depend on
# the zone the server runs in. On a machine that is itself in UTC the first run is in
# Asia/Shanghai, so that the two runs always differ. A module opts in with
# ``pytestmark = pytest.mark.usefixtures("process_tz")``.


def _set_tz(value: str | None) -> None:
    if value is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = value
    time.tzset()


@pytest.fixture(params=["tz-local", "tz-utc"])
def process_tz(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test with the process's zone set as the parameter says; yields its name."""
    saved = os.environ.get("TZ")
    if request.param == "tz-utc":
        _set_tz("UTC")
    elif time.localtime().tm_gmtoff == 0 and not time.daylight:
        _set_tz("Asia/Shanghai")
    try:
        yield time.tzname[0]
    finally:
        _set_tz(saved)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    set_language("zh")
    yield
    set_language("zh")
