"""A small per-process pool of PostgreSQL connections (peewee's ``PooledPostgresqlDatabase``
with three changes). Why: Textual runs thread workers on the event loop's default executor,
whose threads never end, and the gateway looks keys up through ``asyncio.to_thread``; with
one connection kept per thread a session held 3-4 connections and 50 sessions did not fit
in a server's default ``max_connections`` of 100.

peewee's pool keeps peewee's API: ``db.connect()`` checks a connection out to the calling
thread (peewee's connection state is per thread), ``db.close()`` checks it back in. The
services check out at the start of an outermost unit of work and back in at its end
(``services.base``), so a connection is reused across calls and threads and never
reconnected per call.

The changes:

- **A cheap check-out.** peewee tests an idle connection with ``SELECT 1`` before handing
  it out: a round trip on every service call. Here a connection is dead when psycopg says
  so, or when its socket is readable while it is idle: nothing is expected on an idle
  connection, and a server that stops, restarts or terminates the backend sends an error
  and closes the socket (EOF), so a stale connection is dropped before use, in
  microseconds, and a fresh one is made. What a check cannot see (a network silently
  gone) fails the first statement and goes through the services' retry (store/faults.py),
  which discards the connection without returning it (``discard``); TCP keepalives
  (store/db.py) make the kernel notice such a network within about a minute.
- **At most ``max_idle`` idle connections** (1): a burst of concurrent workers may check
  out up to ``max_connections`` (4; more wait up to ``timeout`` seconds, then
  ``MaxConnectionsExceeded``, a "busy" error for the services), but the extra ones are
  closed when they come back.
- **Idle ones are closed after ``idle_timeout`` seconds** (15) by a short-lived reaper
  thread (it exists only while an idle connection does, and sleeps until the oldest one is
  due), so an idle session holds no connection but its change feed's LISTEN, and the
  gateway holds one only around key look-ups. The next call reconnects (~8 ms).
"""

from __future__ import annotations

import heapq
import select
import threading
import time
import weakref
from typing import Any

from playhouse.pool import MaxConnectionsExceeded, PooledPostgresqlDatabase

__all__ = ["MaxConnectionsExceeded", "PgPool", "is_pooled"]

MAX_CONNECTIONS = 4  # per process: a session needs one; a few for concurrent workers
MAX_IDLE = 1  # connections kept open between calls
IDLE_TIMEOUT = 15.0  # seconds an idle connection is kept (above the 10 s presence beat)
WAIT_TIMEOUT = 15.0  # seconds a call waits for a free connection (like SQLite's busy wait)


def _readable(fd: int) -> bool:
    if hasattr(select, "poll"):
        p = select.poll()
        p.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(p.poll(0))
    return bool(select.select([fd], [], [], 0)[0])  # pragma: no cover - no poll()


def looks_dead(conn: Any) -> bool:
    """An idle psycopg connection that must not be handed out, known without a round
    trip: closed or broken, not idle, or with something (an error, EOF) waiting on its
    socket."""
    try:
        if conn.closed or conn.broken:
            return True
        from psycopg.pq import TransactionStatus

        if conn.pgconn.transaction_status != TransactionStatus.IDLE:
            return True
        return _readable(conn.fileno())
    except Exception:
        return True


class PgPool(PooledPostgresqlDatabase):
    """peewee's PostgreSQL pool with a cheap check-out, a cap on idle connections and an
    idle timeout (module docstring)."""

    def __init__(self, database: str, *, max_connections: int = MAX_CONNECTIONS,
                 max_idle: int = MAX_IDLE, idle_timeout: float = IDLE_TIMEOUT,
                 timeout: float = WAIT_TIMEOUT, **kwargs: Any) -> None:
        self.max_idle = max_idle
        self._idle_timeout = idle_timeout
        self._idle_since: dict[int, float] = {}  # id(conn) -> when it came back
        self._reaper: threading.Thread | None = None
        super().__init__(database, max_connections=max_connections, timeout=timeout,
                         **kwargs)
        self._reaper_wake = threading.Condition(self._pool_lock)

    @property
    def idle_timeout(self) -> float:
        return self._idle_timeout

    @idle_timeout.setter
    def idle_timeout(self, seconds: float) -> None:
        with self._pool_lock:
            self._idle_timeout = seconds
            self._reaper_wake.notify_all()  # a sleeping reaper recomputes its deadline

    # -- peewee's hooks ---------------------------------------------------------------------

    def _is_closed(self, conn: Any) -> bool:  # at check-out, under the pool lock
        return looks_dead(conn)

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        with self._pool_lock:
            if not close_conn and len(self._connections) >= self.max_idle:
                close_conn = True  # enough idle ones already
            super()._close(conn, close_conn)
            if not close_conn and any(c is conn for _, _, c in self._connections):
                self._idle_since[id(conn)] = time.monotonic()
                if self._reaper is None:
                    self._reaper = threading.Thread(
                        target=_reap, args=(weakref.ref(self), self._reaper_wake),
                        name="branchtui-pool", daemon=True)
                    self._reaper.start()

    def _connect(self) -> Any:
        conn = super()._connect()
        self._idle_since.pop(id(conn), None)
        return conn

    # -- for the services -------------------------------------------------------------------

    def release(self) -> None:
        """Give this thread's connection back to the pool (outside a transaction)."""
        if not self.is_closed() and not self.in_transaction():
            self.close()

    def discard(self) -> None:
        """Forget this thread's connection without returning it to the pool, closing it if
        that still works. Never raises. (peewee's ``dispose`` would forget every thread's
        connections, and ``manual_close`` refuses inside a transaction.)"""
        if self.is_closed():
            return
        conn = self._state.conn
        with self._pool_lock:
            self._in_use.pop(self.conn_key(conn), None)
            self._idle_since.pop(id(conn), None)
            self._pool_available.notify()
        with self._lock:
            self._state.reset()
        self._close_raw(conn)

    def idle_count(self) -> int:
        with self._pool_lock:
            return len(self._connections)

    def in_use_count(self) -> int:
        with self._pool_lock:
            return len(self._in_use)

    def _reap_due(self) -> float | None:
        """Close the connections idle for ``idle_timeout``; seconds until the next one is
        due, or None when none is left (the reaper ends)."""
        with self._pool_lock:
            now = time.monotonic()
            keep, due = [], []
            for item in self._connections:
                since = self._idle_since.get(id(item[2]), now)
                (due if now - since >= self.idle_timeout else keep).append(item)
            if due:
                heapq.heapify(keep)
                self._connections = keep
                for _, _, conn in due:
                    self._idle_since.pop(id(conn), None)
                    self._close_raw(conn)
            if not keep:
                self._reaper = None
                return None
            oldest = min(self._idle_since.get(id(c), now) for _, _, c in keep)
            return max(0.05, oldest + self.idle_timeout - now)


def _reap(ref: weakref.ref[PgPool], wake: threading.Condition) -> None:
    """The reaper: sleeps until the oldest idle connection is due, closes what is due, and
    ends when no idle connection is left (a new one starts it again). Holds the pool only
    weakly, so a forgotten pool is not kept alive by its reaper."""
    pool = ref()
    wait = pool.idle_timeout if pool is not None else None
    del pool
    while wait is not None:
        with wake:
            wake.wait(wait)
        pool = ref()
        if pool is None:
            return
        wait = pool._reap_due()
        del pool


def is_pooled(db: Any) -> bool:
    return isinstance(db, PgPool)
