"""The PostgreSQL connection pool (store/pool.py) under the services, on the real server:
a process holds at most one connection between calls whatever threads call (like Textual's
executor), none once idle, reuses it without reconnecting, waits (then says "busy") when
every connection is in use, and replaces a dead one (terminated backend, restarted
server) without handing it out again. The connections are counted by the server
(pg_stat_activity, by an application_name of the test's own). SQLite is left as it was."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest

from branchtui.core.enums import Obligation
from branchtui.core.errors import Unavailable
from branchtui.i18n import t
from branchtui.services import FixedClock, Services
from branchtui.services import base as services_base
from branchtui.services.base import Health
from branchtui.store import pool as pool_mod
from branchtui.store.db import close_database, open_database, upgrade
from branchtui.store.feed import ChangeFeed
from tests.conftest import NOW
from tests.factories import build_world, draft

PG_ONLY = [pytest.param("pg", marks=pytest.mark.pg)]
START = datetime(2026, 11, 27, 9, 0)


class Pg:
    """The test's services on a fresh schema, and a separate admin connection that counts
    the backends whose application_name is the test's own."""

    def __init__(self, url: str, admin_url: str) -> None:
        import psycopg

        self.app = f"bt-pool-{uuid.uuid4().hex[:8]}"
        self.url = f"{url}&application_name={self.app}"
        self.db = open_database(self.url)
        upgrade(self.db)
        self.db.close()  # back to the pool
        self.svc = Services.create(self.db, FixedClock(NOW))
        self.admin = psycopg.connect(admin_url, autocommit=True)

    def pids(self) -> set[int]:
        rows = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            (self.app,)).fetchall()
        return {r[0] for r in rows}

    def count(self) -> int:
        return len(self.pids())

    def terminate(self, pid: int) -> None:
        self.admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))

    def close(self) -> None:
        close_database(self.db)
        self.admin.close()


@pytest.fixture
def pg(pg_schema) -> Iterator[Pg]:
    from tests.conftest import PG_URL

    assert PG_URL
    p = Pg(pg_schema, PG_URL)
    try:
        yield p
    finally:
        p.close()


def _faults(monkeypatch: pytest.MonkeyPatch) -> list[Exception]:
    """Record every database fault the services see (a retry follows each)."""
    seen: list[Exception] = []
    real = services_base._fault

    def fault(ctx: Any, exc: Exception) -> str | None:
        seen.append(exc)
        return real(ctx, exc)

    monkeypatch.setattr(services_base, "_fault", fault)
    return seen


@pytest.mark.parametrize("backend", PG_ONLY)
def test_many_threads_share_one_connection_between_calls(backend, pg):
    svc, db = pg.svc, pg.db
    w = build_world(svc)
    mtg = svc.meetings.schedule(w.secretary, draft(w, START, Obligation.GENERAL_MEETING))
    assert pg.count() == 1, "the calls so far (one thread) left one connection, idle"

    # Six threads, like the event loop's default executor on this machine, calling reads
    # and writes in parallel; the server is asked how many connections the process has.
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], pg.count())
            time.sleep(0.005)

    def work(i: int) -> None:
        if i % 3 == 0:
            svc.drafts.save(w.recorder, f"speech:{i % 5}", f"第{i}稿")
        elif i % 3 == 1:
            svc.meetings.record(w.recorder, mtg.id)
        else:
            svc.meetings.find(w.secretary)

    sampler = threading.Thread(target=sample)
    sampler.start()
    with ThreadPoolExecutor(max_workers=6) as ex:
        list(ex.map(work, range(90)))
    stop.set()
    sampler.join()
    # Old behaviour: one connection per thread, kept: 7 here (6 workers + main thread).
    assert pg.count() == 1, "after the burst: one idle connection left, the others closed"
    assert db.in_use_count() == 0 and db.idle_count() == 1
    assert 1 <= peak[0] <= pool_mod.MAX_CONNECTIONS, peak
    print(f"peak connections during the burst: {peak[0]}")

    # Idle: the last one is closed too after the idle timeout (15 s in real life).
    db.idle_timeout = 0.3
    svc.meetings.find(w.secretary)  # checked in now with the short timeout
    deadline = time.monotonic() + 10
    while pg.count() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pg.count() == 0, "an idle process holds no connection"
    assert db.idle_count() == 0
    svc.meetings.find(w.secretary)  # and the next call simply connects again
    assert pg.count() == 1


@pytest.mark.parametrize("backend", PG_ONLY)
def test_calls_reuse_the_connection_without_reconnecting(backend, pg):
    svc = pg.svc
    w = build_world(svc, extra_full=0)
    before = pg.pids()
    assert len(before) == 1
    for i in range(20):
        svc.drafts.save(w.recorder, "speech:k", f"稿{i}")
        svc.ping()
    other = threading.Thread(target=lambda: svc.meetings.find(w.secretary))
    other.start()
    other.join()
    assert pg.pids() == before, "the same backend for every call, on every thread"


@pytest.mark.parametrize("backend", PG_ONLY)
def test_the_connection_goes_back_at_the_end_of_the_outermost_unit_only(backend, pg):
    svc, db = pg.svc, pg.db
    w = build_world(svc, extra_full=0)
    # A read opened by a script outside any service call: the connection is the thread's
    # for the block (nested calls included) and goes back at its end.
    with svc.meetings.read():
        svc.ping()
        svc.meetings.find(w.secretary)
        assert not db.is_closed() and db.in_use_count() == 1
    assert db.is_closed() and db.in_use_count() == 0
    # A caller's own transaction: the calls inside never give the connection back.
    with db.atomic():
        svc.drafts.save(w.recorder, "speech:k", "一")
        assert db.in_transaction() and db.in_use_count() == 1
        svc.ping()
        assert db.in_transaction() and db.in_use_count() == 1
    # A connection the thread already held (a script's) stays with the thread.
    assert not db.is_closed()
    svc.ping()
    assert not db.is_closed() and db.in_use_count() == 1
    db.close()
    assert db.in_use_count() == 0 and db.idle_count() == 1
    assert svc.drafts.load(w.recorder, "speech:k").text == "一"


@pytest.mark.parametrize("backend", PG_ONLY)
def test_an_exhausted_pool_waits_then_says_busy(backend, pg):
    svc, db = pg.svc, pg.db
    w = build_world(svc, extra_full=0)
    db._max_connections = 1
    db._wait_timeout = 0.3
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with svc.meetings.read():  # keeps the only connection until told
            holding.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    states: list[str] = []
    svc.ctx.health.subscribe(states.append)
    began = time.monotonic()
    with pytest.raises(Unavailable) as err:
        svc.meetings.find(w.secretary)
    assert 0.25 <= time.monotonic() - began < 5
    assert err.value.message() == t("error.db_busy")
    assert states == [], "busy is not a lost database"
    # With a longer wait the call simply waits for the connection to come back.
    db._wait_timeout = 10
    threading.Timer(0.3, done.set).start()
    began = time.monotonic()
    svc.meetings.find(w.secretary)
    assert time.monotonic() - began >= 0.2
    holder.join()
    assert pg.count() == 1 and db.in_use_count() == 0


@pytest.mark.parametrize("backend", PG_ONLY)
def test_a_terminated_idle_connection_is_replaced_at_check_out(backend, pg, monkeypatch):
    svc, db = pg.svc, pg.db
    w = build_world(svc, extra_full=0)
    (dead,) = pg.pids()
    pg.terminate(dead)  # the server ends the pooled, idle connection
    faults = _faults(monkeypatch)
    states: list[str] = []
    svc.ctx.health.subscribe(states.append)
    svc.drafts.save(w.recorder, "speech:k", "之后")
    assert faults == [], "the dead connection was never handed out: no failed attempt"
    assert states == []
    assert svc.drafts.load(w.recorder, "speech:k").text == "之后"
    (alive,) = pg.pids()
    assert alive != dead and db.idle_count() == 1


@pytest.mark.parametrize("backend", PG_ONLY)
def test_a_connection_that_dies_in_a_call_is_not_given_back(backend, pg, monkeypatch):
    svc, db = pg.svc, pg.db
    w = build_world(svc, extra_full=0)
    mtg = svc.meetings.schedule(w.secretary, draft(w, START, Obligation.GENERAL_MEETING))
    svc.meetings.open(w.recorder, mtg.id)
    faults = _faults(monkeypatch)
    real = db.execute_sql
    killed: list[int] = []

    def execute_sql(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if sql.startswith('INSERT INTO "speech"') and not killed:
            pid = db.connection().info.backend_pid
            pg.terminate(pid)  # dies mid-transaction, after check-out
            killed.append(pid)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", execute_sql)
    svc.minutes.add_speech(w.recorder, mtg.id, "发言", speaker_id=w.member.member_id)
    monkeypatch.undo()
    assert len(faults) == 1, "failed once, retried on a new connection"
    assert db.in_use_count() == 0 and db.idle_count() == 1
    (alive,) = pg.pids()
    assert alive != killed[0]
    # The one in the pool is the live one: the next call uses it, with no fault.
    faults2 = _faults(monkeypatch)
    assert len(svc.meetings.record(w.recorder, mtg.id).speeches) == 1
    assert faults2 == [] and pg.pids() == {alive}


@pytest.mark.parametrize("backend", PG_ONLY)
def test_connections_ask_for_tcp_keepalives(backend, pg):
    pg.svc.ping()
    with pg.db.connection_context():
        dsn = pg.db.connection().info.dsn
    assert "keepalives=1" in dsn and "keepalives_idle=30" in dsn
    feed = ChangeFeed.open(pg.url)
    try:
        dsn = feed.conn.info.dsn  # type: ignore[attr-defined]
        assert "keepalives=1" in dsn and "keepalives_idle=30" in dsn
        # The feed has a connection of its own, outside the pool.
        assert pg.db.in_use_count() == 0 and pg.count() == 2
    finally:
        feed.close()


def test_sqlite_keeps_a_connection_per_thread(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc, extra_full=0)
    svc.ping()
    assert not db.is_closed(), "SQLite: the thread's connection stays open"
    assert svc.drafts.load(w.recorder, "speech:k") is None
    close_database(db)


# -- a restarted server, on a private cluster (tests/pg_cluster.py) --------------------------


@pytest.mark.parametrize("backend", PG_ONLY)
def test_stale_connections_after_a_restart_are_replaced(backend, private_pg, monkeypatch):
    db = open_database(private_pg.url)
    upgrade(db)
    db.close()
    svc = Services.create(db, FixedClock(NOW))
    try:
        w = build_world(svc, extra_full=0)
        assert db.idle_count() == 1
        private_pg.stop()
        private_pg.start()  # back before the next call: the pooled connection is stale
        faults = _faults(monkeypatch)
        states: list[str] = []
        svc.ctx.health.subscribe(states.append)
        svc.drafts.save(w.recorder, "speech:k", "重启之后")
        assert faults == [], "the stale connection was dropped at check-out, not used"
        assert states == [] and svc.ctx.health.state == Health.OK
        assert svc.drafts.load(w.recorder, "speech:k").text == "重启之后"
        assert db.idle_count() == 1 and db.in_use_count() == 0
    finally:
        close_database(db)
