"""The change feed: which meetings changed, pushed (PostgreSQL) or cheaply polled (SQLite).

One interface, two backends:

- SQLite has no push. A dedicated connection polls ``PRAGMA data_version`` about four times
  a second; the value changes only when ANOTHER connection commits. Only then does the feed
  read the change log past the last id it has seen. An idle session runs the pragma and
  nothing else.
- PostgreSQL: the services send ``NOTIFY branchtui_changes, '<meeting id>'`` inside the
  write transaction (delivered at commit, see ``services.base.record_change``); the feed
  LISTENs on a dedicated connection and blocks on its socket.

Presence (who is viewing or editing a meeting) travels the same way but is not record: a
join, leave or change of mode adds a row to ``presence_change`` (SQLite, read in the same
statement as the change log) or sends ``NOTIFY branchtui_changes, 'p<meeting id>'``
(PostgreSQL), never an entry in the meeting's hash-chained change log.

``ChangeFeed.open(url)`` returns the backend's feed: ``wait(timeout)`` gives the set of keys
changed (``None``: nothing), ``close()`` ends it: a meeting id for a change of its record,
``presence_key(id)`` (the id negated) for a change of who is on it; ``split`` tells them
apart. ``ChangeWatcher`` runs a feed in a daemon thread, calls back with the meeting ids
(and, separately, those whose presence changed), reconnects with backoff when the database
goes away and reports its state ("live" / "reconnecting"). After a reconnect it reports
``EVERYTHING`` (changes may have been missed while away).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHANNEL = "branchtui_changes"
EVERYTHING = 0  # no meeting has id 0: "anything may have changed, reload"
SQLITE_TICK = 0.25  # seconds between two PRAGMA data_version
LIVE, RECONNECTING = "live", "reconnecting"
PRESENCE_PREFIX = "p"  # NOTIFY payload of a presence change: "p<meeting id>"


def presence_key(meeting_id: int) -> int:
    """The feed's key for "who is on ``meeting_id`` changed" (meeting ids are positive)."""
    return -meeting_id


def split(keys: set[int]) -> tuple[set[int], set[int]]:
    """(meetings whose record changed, with EVERYTHING; meetings whose presence changed)."""
    return {k for k in keys if k >= 0}, {-k for k in keys if k < 0}


class ChangeFeed:
    """Base of the two feeds."""

    statements = 0  # statements run on the feed's connection (tests check idle cost)
    # How long the watcher lets one ``wait`` block. SQLite polls inside ``wait`` anyway;
    # PostgreSQL blocks on its socket, and ``interrupt`` ends the wait at once.
    idle_wait = 0.5

    @staticmethod
    def open(url: str) -> ChangeFeed:
        if url.startswith("sqlite:///"):
            return SqliteFeed(str(Path(url[len("sqlite:///"):]).expanduser()))
        if url.startswith(("postgresql://", "postgres://")):
            return PgFeed(url)
        raise ValueError(f"no change feed for {url.split(':', 1)[0]}")

    def wait(self, timeout: float) -> set[int] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def interrupt(self) -> None:
        """Make a blocked ``wait`` return now (from another thread)."""


class SqliteFeed(ChangeFeed):
    def __init__(self, path: str, tick: float = SQLITE_TICK) -> None:
        if not Path(path).exists():
            raise FileNotFoundError(path)
        self.tick = tick
        # Autocommit: the feed never holds a read transaction open (it would pin the WAL).
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                    timeout=15)
        self.statements = 0
        self.version = self._data_version()
        # A database without presence_change (before migration 0005: only tests build
        # one) still feeds record changes.
        row = self._query(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM change_log), "
            "(SELECT count(*) FROM sqlite_master WHERE name = 'presence_change')").fetchone()
        self.last_id: int = row[0]
        self.last_presence: int | None = None
        if row[1]:
            self.last_presence = self._query(
                "SELECT COALESCE(MAX(id), 0) FROM presence_change").fetchone()[0]

    def _query(self, sql: str, *params: Any) -> sqlite3.Cursor:
        self.statements += 1
        return self.conn.execute(sql, params)

    def _data_version(self) -> int:
        return int(self._query("PRAGMA data_version").fetchone()[0])

    def poll(self) -> set[int] | None:
        """One tick: the pragma; the change log (and the presence markers, in the same
        statement) only when another connection committed."""
        version = self._data_version()
        if version == self.version:
            return None
        self.version = version
        if self.last_presence is None:
            rows = self._query(
                "SELECT meeting_id, MAX(id), 0 FROM change_log WHERE id > ? "
                "GROUP BY meeting_id", self.last_id).fetchall()
        else:
            rows = self._query(
                "SELECT meeting_id, MAX(id), 0 FROM change_log WHERE id > ? "
                "GROUP BY meeting_id UNION ALL "
                "SELECT meeting_id, MAX(id), 1 FROM presence_change WHERE id > ? "
                "GROUP BY meeting_id", self.last_id, self.last_presence).fetchall()
        keys: set[int] = set()
        for meeting_id, last, presence in rows:
            if presence:
                self.last_presence = max(self.last_presence or 0, last)
                keys.add(presence_key(meeting_id))
            else:
                self.last_id = max(self.last_id, last)
                if meeting_id is not None:
                    keys.add(meeting_id)
        # None: a commit that is in neither (drafts, a heartbeat that changed nothing).
        return keys or None

    def wait(self, timeout: float) -> set[int] | None:
        deadline = time.monotonic() + timeout
        while True:
            ids = self.poll()
            if ids:
                return ids
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(self.tick, left))

    def close(self) -> None:
        self.conn.close()


class PgFeed(ChangeFeed):
    # An idle session's feed wakes only when a notification (or the stop) arrives: no
    # timer. A lost server makes the socket readable too (end of file), so a restart is
    # still noticed at once.
    idle_wait = 60.0

    def __init__(self, url: str) -> None:
        from urllib.parse import parse_qsl, urlparse

        import psycopg

        from branchtui.store.db import PG_CONNECTION_DEFAULTS

        # Its own connection, never one of the services' pool: it LISTENs for the whole
        # session. Keepalives (unless the URL says otherwise) let a silently dropped
        # network end the blocked wait, so the watcher reconnects.
        given = dict(parse_qsl(urlparse(url).query))
        params = {k: v for k, v in PG_CONNECTION_DEFAULTS.items() if k not in given}
        if "application_name" in params:
            params["application_name"] = "branchtui-feed"
        self.conn = psycopg.connect(url, autocommit=True, connect_timeout=5, **params)
        self.conn.execute(f"LISTEN {CHANNEL}")
        self.statements = 1
        self._wake_r, self._wake_w = os.pipe()

    def wait(self, timeout: float) -> set[int] | None:
        import select

        ids: set[int] = set()
        # Block on the socket (or the wake pipe) until something arrives, then take what
        # is queued without blocking.
        ready, _, _ = select.select([self.conn.fileno(), self._wake_r], [], [], timeout)
        if self._wake_r in ready:
            os.read(self._wake_r, 512)
        if self.conn.fileno() in ready:
            for n in self.conn.notifies(timeout=0.001):
                ids.add(_key(n.payload))
        if self.conn.closed or self.conn.broken:
            import psycopg

            raise psycopg.OperationalError("the change feed lost its connection")
        ids.discard(_BAD)
        return ids or None

    def interrupt(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def close(self) -> None:
        self.conn.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)


_BAD = -(2**63)  # a payload this program does not understand


def _key(payload: str) -> int:
    """The feed's key of a NOTIFY payload: "<meeting id>" or "p<meeting id>"."""
    try:
        if payload.startswith(PRESENCE_PREFIX):
            return presence_key(int(payload[len(PRESENCE_PREFIX):]))
        return int(payload)
    except ValueError:
        return _BAD


def notify_sql() -> str:
    """The statement the services run (with the meeting id as parameter) on PostgreSQL."""
    return f"SELECT pg_notify('{CHANNEL}', %s)"


def presence_payload(meeting_id: int) -> str:
    """The ``notify_sql`` parameter for a change of who is on ``meeting_id``."""
    return f"{PRESENCE_PREFIX}{meeting_id}"


class ChangeWatcher:
    """Runs a feed in a daemon thread. ``on_change(meeting ids)``, ``on_presence(meeting
    ids)`` and ``on_state(state)`` are called from that thread; the caller hands them over
    to its own loop."""

    def __init__(self, url: str, on_change: Callable[[set[int]], None],
                 on_state: Callable[[str], object] | None = None, *,
                 on_presence: Callable[[set[int]], object] | None = None,
                 poll: float | None = None, backoff_max: float = 5.0) -> None:
        self.url = url
        self.on_change = on_change
        self.on_presence: Callable[[set[int]], object] = on_presence or (lambda _ids: None)
        self.on_state: Callable[[str], object] = on_state or (lambda _s: None)
        self.poll = poll
        self.backoff_max = backoff_max
        self.state = LIVE
        self.feed: ChangeFeed | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="branchtui-feed", daemon=True)

    def start(self) -> ChangeWatcher:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        feed = self.feed
        if feed is not None:
            feed.interrupt()
        self._thread.join(timeout)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.on_state(state)

    def _run(self) -> None:
        delay = 0.25
        lost = False
        while not self._stop.is_set():
            try:
                self.feed = ChangeFeed.open(self.url)
            except Exception:
                self._set_state(RECONNECTING)
                lost = True
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            delay = 0.25
            self._set_state(LIVE)
            if lost:
                self.on_change({EVERYTHING})
                lost = False
            try:
                wait = self.poll if self.poll is not None else self.feed.idle_wait
                while not self._stop.is_set():
                    keys = self.feed.wait(wait)
                    if keys:
                        ids, presence = split(keys)
                        if ids:
                            self.on_change(ids)
                        if presence:
                            self.on_presence(presence)
            except Exception:
                lost = True
                self._set_state(RECONNECTING)
            finally:
                with contextlib.suppress(Exception):
                    self.feed.close()
                self.feed = None
