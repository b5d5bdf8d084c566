"""The change feed on both backends: a write from another connection or process is seen
within 1 s on SQLite and 200 ms on PostgreSQL; an idle SQLite feed runs nothing but
``PRAGMA data_version``; the watcher says it is reconnecting and comes back."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta

import pytest

from branchtui.core.enums import Obligation
from branchtui.store.feed import (
    EVERYTHING,
    LIVE,
    RECONNECTING,
    ChangeFeed,
    ChangeWatcher,
    SqliteFeed,
)
from tests.factories import build_world, draft

START = datetime(2026, 11, 27, 9, 0)


def limit(url: str) -> float:
    return 1.0 if url.startswith("sqlite") else 0.2


@pytest.fixture
def meeting(svc, clock):
    w = build_world(svc, extra_full=0)
    mtg = svc.meetings.schedule(w.secretary, draft(w, START, Obligation.THEME_DAY))
    clock.current = START - timedelta(minutes=5)
    svc.meetings.open(w.recorder, mtg.id)
    return w, mtg.id


def wait_for(feed: ChangeFeed, meeting_id: int, seconds: float) -> float | None:
    """Seconds until the feed reports ``meeting_id`` (None: not within ``seconds``)."""
    t0 = time.monotonic()
    while (left := seconds - (time.monotonic() - t0)) > 0:
        ids = feed.wait(left)
        if ids and meeting_id in ids:
            return time.monotonic() - t0
    return None


def test_a_write_on_another_connection_is_seen_in_time(db_url, svc, meeting):
    w, mid = meeting
    feed = ChangeFeed.open(db_url)
    try:
        assert feed.wait(0.3) is None, "a feed opened after the writes reports nothing"
        done = threading.Event()

        def write() -> None:  # another thread: peewee gives it its own connection
            svc.minutes.add_speech(w.recorder, mid, "我说几句" + "[/]",
                                   speaker_id=w.member.member_id)
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert done.wait(10)
        seen = wait_for(feed, mid, 2.0)
        writer.join()
        assert seen is not None, "the feed never reported the meeting"
        assert seen < limit(db_url), f"seen after {seen:.3f}s"
        # Reported once: nothing more until the next write.
        assert feed.wait(0.3) is None
    finally:
        feed.close()


def test_a_write_from_another_process_is_seen_in_time(db_url, svc, meeting):
    w, mid = meeting
    code = textwrap.dedent(f"""
        import sys
        from datetime import datetime
        from branchtui.services import Actor, FixedClock, Services
        from branchtui.store.db import open_database
        svc = Services.create(open_database({db_url!r}), FixedClock(datetime(2026, 11, 27, 9, 0)))
        actor = Actor({w.recorder.member_id}, {w.recorder.name!r})
        sys.stdin.readline()
        svc.minutes.add_speech(actor, {mid}, "另一个进程", speaker_id={w.member.member_id})
        print("done", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    feed = ChangeFeed.open(db_url)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "done"
        seen = wait_for(feed, mid, 2.0)
        assert seen is not None, "the feed never reported the other process's write"
        assert seen < limit(db_url), f"seen {seen:.3f}s after the writer said done"
    finally:
        feed.close()
        proc.wait(10)
    assert proc.returncode == 0


SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PG_ONLY = pytest.mark.parametrize("db_url", [pytest.param("pg", marks=pytest.mark.pg)],
                                  indirect=True)


@SQLITE_ONLY  # PostgreSQL blocks on its socket: no statements at all
def test_an_idle_sqlite_feed_runs_only_the_pragma(tmp_path, svc, meeting, db_url):
    w, mid = meeting
    feed = ChangeFeed.open(db_url)
    assert isinstance(feed, SqliteFeed)
    statements: list[str] = []
    feed.conn.set_trace_callback(statements.append)
    try:
        assert feed.wait(1.0) is None
        assert statements, "the feed did not poll"
        assert set(statements) == {"PRAGMA data_version"}, statements
        assert 3 <= len(statements) <= 6, f"{len(statements)} polls in 1 s (about 4 Hz)"
        # Commits outside the change log (a draft) cost one small query, and report nothing.
        statements.clear()
        svc.drafts.save(w.recorder, "speech:m=1:i=0", "草稿")
        assert feed.wait(0.6) is None
        assert sum(not s.startswith("PRAGMA") for s in statements) == 1, statements
        # Our own connection's writes... are another connection's for the feed: seen.
        svc.minutes.add_speech(w.recorder, mid, "再说一句", speaker_id=w.member.member_id)
        assert wait_for(feed, mid, 1.0) is not None
    finally:
        feed.close()


@SQLITE_ONLY
def test_the_pragma_is_cheap(tmp_path, svc, meeting, db_url):
    """Measure: one PRAGMA data_version on an open connection (well under 50 µs here)."""
    feed = ChangeFeed.open(db_url)
    assert isinstance(feed, SqliteFeed)
    try:
        n = 2000
        t0 = time.perf_counter()
        for _ in range(n):
            feed.poll()
        per = (time.perf_counter() - t0) / n
    finally:
        feed.close()
    assert per < 200e-6, f"{per * 1e6:.1f} µs per poll"


@PG_ONLY  # kills the listening PostgreSQL backend
def test_the_watcher_calls_back_and_reconnects_after_losing_postgresql(db_url, svc, meeting):
    import psycopg

    w, mid = meeting
    seen: list[set[int]] = []
    states: list[str] = []
    got = threading.Event()

    def changed(ids: set[int]) -> None:
        seen.append(ids)
        got.set()

    watcher = ChangeWatcher(db_url, changed, states.append, poll=0.2, backoff_max=0.5).start()
    try:
        deadline = time.monotonic() + 5
        while watcher.feed is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert watcher.feed is not None
        svc.minutes.add_speech(w.recorder, mid, "一", speaker_id=w.member.member_id)
        assert got.wait(2) and mid in seen[-1]
        # "Restart" the server for this session: terminate the feed's backend.
        got.clear()
        pid = watcher.feed.conn.info.backend_pid  # type: ignore[attr-defined]
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert got.wait(5), "the watcher did not come back"
        assert states[:2] == [RECONNECTING, LIVE], states
        assert EVERYTHING in seen[-1], "after a gap the watcher asks for a full reload"
        got.clear()
        svc.minutes.add_speech(w.recorder, mid, "二", speaker_id=w.member.member_id)
        assert got.wait(2) and mid in seen[-1]
    finally:
        watcher.stop()


def test_the_watcher_reports_reconnecting_while_the_database_is_away(tmp_path):
    states: list[str] = []
    missing = tmp_path / "not-yet.sqlite3"
    watcher = ChangeWatcher(f"sqlite:///{missing}", lambda ids: None, states.append,
                            backoff_max=0.2).start()
    try:
        deadline = time.monotonic() + 3
        while not states and time.monotonic() < deadline:
            time.sleep(0.02)
        assert states == [RECONNECTING]
        import sqlite3

        con = sqlite3.connect(missing)
        con.execute("CREATE TABLE change_log (id INTEGER PRIMARY KEY, meeting_id INTEGER)")
        con.close()
        deadline = time.monotonic() + 3
        while states[-1] != LIVE and time.monotonic() < deadline:
            time.sleep(0.02)
        assert states == [RECONNECTING, LIVE]
    finally:
        watcher.stop()


@PG_ONLY
def test_an_idle_postgresql_watcher_sleeps_until_told_and_stops_at_once(db_url, svc, meeting):
    """No timer on PostgreSQL: an idle feed blocks on its socket (and a wake pipe), so an
    idle session does not wake twice a second; a notification still arrives at once, and
    stopping does not wait for a timeout."""
    w, mid = meeting
    got = threading.Event()
    watcher = ChangeWatcher(db_url, lambda ids: got.set()).start()
    try:
        deadline = time.monotonic() + 5
        while watcher.feed is None and time.monotonic() < deadline:
            time.sleep(0.02)
        feed = watcher.feed
        assert feed is not None and feed.idle_wait >= 30
        waits: list[float] = []
        real_wait = feed.wait

        def counting(timeout: float):
            waits.append(timeout)
            return real_wait(timeout)

        feed.wait = counting  # type: ignore[method-assign]
        svc.minutes.add_speech(w.recorder, mid, "唤醒", speaker_id=w.member.member_id)
        assert got.wait(2), "a notification wakes the feed"
        time.sleep(1.5)
        assert len(waits) <= 2, f"{len(waits)} wake-ups in 1.5 s idle"
        t0 = time.monotonic()
        watcher.stop(timeout=2)
        assert time.monotonic() - t0 < 0.5, "stop waited for the wait's timeout"
        assert not watcher._thread.is_alive()
    finally:
        watcher.stop()
