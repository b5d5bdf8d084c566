"""A lost database connection, for real: a private PostgreSQL cluster stopped and started
under the services (tests/pg_cluster.py: the shared server is never restarted), and a
backend terminated at a chosen moment (before a statement, before COMMIT) on the test
server. Reads and writes that failed before COMMIT are retried on a new connection; a
failure during COMMIT is never retried; a server that stays away, or a SQLite file that
stays locked past the busy timeout, becomes a translated ``Unavailable``."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from branchtui.core.enums import Obligation
from branchtui.core.errors import OutcomeUnknown, Unavailable
from branchtui.i18n import set_language, t
from branchtui.services import FixedClock, Services
from branchtui.services import base as services_base
from branchtui.services.base import Health, verify_chain
from branchtui.store.db import close_database, open_database, upgrade
from tests.conftest import HOSTILE_LINK, LONG_ZH, NOW
from tests.factories import build_world, draft

PG_ONLY = [pytest.param("pg", marks=pytest.mark.pg)]
START = datetime(2026, 11, 27, 9, 0)
TEXT = "会议记录：" + LONG_ZH + HOSTILE_LINK
PATIENT = 60.0  # retry budget while a restart is under way (the machine may be busy)


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The services keep reconnecting long enough for a restart on a loaded machine; the
    default budget (a few seconds) is tested on its own below."""
    monkeypatch.setattr(services_base, "RETRY_SECONDS", PATIENT)


def _services(url: str) -> Iterator[Services]:
    db = open_database(url)
    upgrade(db)
    try:
        yield Services.create(db, FixedClock(NOW))
    finally:
        close_database(db)


@pytest.fixture
def on_private(private_pg) -> Iterator[Services]:
    yield from _services(private_pg.url)


def _states(svc: Services) -> list[str]:
    seen: list[str] = []
    svc.ctx.health.subscribe(seen.append)
    return seen


def _restart_later(cluster: Any, delay: float) -> tuple[threading.Thread, list[float]]:
    """Start the stopped cluster after ``delay`` seconds; the list gets the moment it is
    accepting connections (time.monotonic)."""
    ready: list[float] = []

    def run() -> None:
        time.sleep(delay)
        cluster.start()  # pg_ctl -w: returns once the server accepts connections
        ready.append(time.monotonic())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, ready


@pytest.mark.parametrize("backend", PG_ONLY)
def test_read_and_safe_write_survive_a_restart(backend, private_pg, on_private, patient):
    svc, cluster = on_private, private_pg
    w = build_world(svc)
    mtg = svc.meetings.schedule(w.secretary, draft(w, START, Obligation.GENERAL_MEETING))
    svc.meetings.open(w.recorder, mtg.id)
    svc.drafts.save(w.recorder, "speech:k", "之前")
    states = _states(svc)
    figures: list[float] = []

    # A write: the server goes down under an idle session and comes back a second later.
    cluster.stop()
    thread, ready = _restart_later(cluster, 1.0)
    saved = svc.drafts.save(w.recorder, "speech:k", TEXT)
    done = time.monotonic()
    thread.join(PATIENT)
    assert ready, "the cluster did not come back"
    figures.append(done - ready[0])
    assert saved.text == TEXT
    assert svc.drafts.load(w.recorder, "speech:k").text == TEXT
    assert states == [Health.LOST, Health.OK], "reconnecting, then back"

    # A read, the same way.
    cluster.stop()
    thread, ready = _restart_later(cluster, 1.0)
    record = svc.meetings.record(w.recorder, mtg.id)
    done = time.monotonic()
    thread.join(PATIENT)
    figures.append(done - ready[0])
    assert record.meeting.id == mtg.id and len(record.attendance) == len(w.members)

    # A record entry (a write with its hash chain): in exactly once.
    cluster.stop()
    thread, ready = _restart_later(cluster, 1.0)
    sp = svc.minutes.add_speech(w.recorder, mtg.id, TEXT, speaker_id=w.member.member_id)
    done = time.monotonic()
    thread.join(PATIENT)
    figures.append(done - ready[0])
    speeches = svc.meetings.record(w.recorder, mtg.id).speeches
    assert [(s.id, s.text) for s in speeches] == [(sp.id, TEXT)]
    with svc.meetings.read():
        assert verify_chain(mtg.id)[0]
    # From "the server accepts connections" to "the call returned": one backoff step at
    # most (MAX_DELAY) plus the work, with room for a busy machine.
    assert max(figures) < services_base.MAX_DELAY + 5.0, figures
    print(f"reconnect after the server was back: {', '.join(f'{f:.2f}s' for f in figures)}")


@pytest.mark.parametrize("backend", PG_ONLY)
def test_a_server_that_stays_away_is_a_translated_unavailable(backend, private_pg, on_private):
    svc, cluster = on_private, private_pg
    w = build_world(svc, extra_full=0)
    states = _states(svc)
    cluster.stop()
    began = time.monotonic()
    with pytest.raises(Unavailable) as err:
        svc.drafts.save(w.recorder, "speech:k", TEXT)
    took = time.monotonic() - began
    assert err.value.retry_safe and not isinstance(err.value, OutcomeUnknown)
    assert err.value.message() == t("error.db_lost") == "数据库连接中断，正在重新连接…" \
        "您输入的内容都还在，稍后可以再试一次。"
    assert services_base.RETRY_SECONDS - 0.5 <= took < services_base.RETRY_SECONDS + 4.0, took
    set_language("en")
    assert err.value.message().startswith("The connection to the database was lost")
    set_language("zh")
    with pytest.raises(Unavailable):  # reads too
        svc.meetings.find(w.secretary)
    assert states == [Health.LOST]
    cluster.start()
    svc.ping()
    assert states == [Health.LOST, Health.OK]
    svc.drafts.save(w.recorder, "speech:k", TEXT)
    assert svc.drafts.load(w.recorder, "speech:k").text == TEXT


# -- a backend terminated at a chosen moment (the shared test server: only our own backend) --


def _terminate_own_backend(url: str, db: Any) -> None:
    import psycopg

    pid = db.connection().info.backend_pid
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))


@pytest.fixture
def on_test_server(pg_schema) -> Iterator[tuple[str, Services]]:
    for svc in _services(pg_schema):
        yield pg_schema, svc


@pytest.mark.parametrize("backend", PG_ONLY)
def test_a_statement_that_fails_before_commit_is_retried_once(backend, on_test_server,
                                                              monkeypatch):
    url, svc = on_test_server
    w = build_world(svc, extra_full=0)
    mtg = svc.meetings.schedule(w.secretary, draft(w, START, Obligation.GENERAL_MEETING))
    svc.meetings.open(w.recorder, mtg.id)
    db = svc.ctx.db
    real = db.execute_sql
    inserts: list[str] = []

    def execute_sql(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if sql.startswith('INSERT INTO "speech"'):
            inserts.append(sql)
            if len(inserts) == 1:  # the connection dies just before the first INSERT
                _terminate_own_backend(url, db)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", execute_sql)
    sp = svc.minutes.add_speech(w.recorder, mtg.id, TEXT, speaker_id=w.member.member_id)
    monkeypatch.undo()
    assert len(inserts) == 2, "failed once inside the transaction, then retried"
    speeches = svc.meetings.record(w.recorder, mtg.id).speeches
    assert [(s.id, s.text) for s in speeches] == [(sp.id, TEXT)]
    with svc.meetings.read():
        ok, entries, _ = verify_chain(mtg.id)
    assert ok and entries >= 2  # opened, one speech: nothing half-written in the chain


@pytest.mark.parametrize("backend", PG_ONLY)
def test_a_failure_during_commit_is_not_retried(backend, on_test_server, monkeypatch):
    url, svc = on_test_server
    w = build_world(svc, extra_full=0)
    db = svc.ctx.db
    real = db.commit
    commits: list[int] = []

    def commit() -> None:
        commits.append(1)
        _terminate_own_backend(url, db)  # COMMIT goes out on a dead connection
        real()

    monkeypatch.setattr(db, "commit", commit)
    with pytest.raises(OutcomeUnknown) as err:
        svc.drafts.save(w.recorder, "speech:k", TEXT)
    monkeypatch.undo()
    assert commits == [1], "never retried blindly"
    assert not err.value.retry_safe
    assert "无法确定是否已经存上" in err.value.message() and "F5" in err.value.message()
    # The connection is replaced: the next call works, and here COMMIT never reached the
    # server, so nothing was saved.
    assert svc.drafts.load(w.recorder, "speech:k") is None
    assert svc.ctx.health.state == Health.OK


# -- SQLite: a lock that outlasts the busy timeout ------------------------------------------


@pytest.fixture
def sqlite_services(tmp_path) -> Iterator[tuple[str, Services]]:
    path = tmp_path / "busy.sqlite3"
    for svc in _services(f"sqlite:///{path}"):
        yield str(path), svc


def _hold_write_lock(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_sqlite_writers_wait_for_the_lock_instead_of_failing(sqlite_services):
    path, svc = sqlite_services
    w = build_world(svc, extra_full=0)
    holder = _hold_write_lock(path)
    threading.Timer(0.8, holder.rollback).start()
    began = time.monotonic()
    svc.drafts.save(w.recorder, "speech:k", TEXT)  # waits (busy_timeout), no error
    assert time.monotonic() - began >= 0.5
    assert svc.drafts.load(w.recorder, "speech:k").text == TEXT
    holder.close()


def test_sqlite_lock_past_the_busy_timeout_is_a_translated_unavailable(sqlite_services):
    path, svc = sqlite_services
    w = build_world(svc, extra_full=0)
    svc.ctx.db.pragma("busy_timeout", 300, permanent=True)  # 15 s in real life
    states = _states(svc)
    holder = _hold_write_lock(path)
    try:
        with pytest.raises(Unavailable) as err:
            svc.drafts.save(w.recorder, "speech:k", TEXT)
        assert err.value.retry_safe
        assert err.value.message() == t("error.db_busy")
        assert "数据库正忙" in err.value.message()
        # Readers are not blocked by the writer (WAL), and nothing "reconnects".
        assert svc.drafts.load(w.recorder, "speech:k") is None
        assert states == []
    finally:
        holder.rollback()
        holder.close()
    svc.drafts.save(w.recorder, "speech:k", TEXT)  # the same action, tried again
    assert svc.drafts.load(w.recorder, "speech:k").text == TEXT
