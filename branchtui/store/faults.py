"""Telling a lost database connection (or a SQLite lock that outlasted the busy timeout)
from every other error, and dropping a dead connection so that the next call reconnects.

peewee wraps the driver's errors (``peewee.OperationalError(original, *args)``), and on a
dead connection the ROLLBACK that peewee attempts fails too and chains onto the first
error: the whole chain is examined. psycopg is never imported here for its own sake (a
SQLite-only install has none): its exceptions are recognised once one exists.

Measured on PostgreSQL 15 with psycopg 3.3 (a private cluster stopped with
``pg_ctl stop -m fast`` under an idle session): the next BEGIN raises ``AdminShutdown``
(SQLSTATE 57P01, "terminating connection due to administrator command"); a statement on the
already-dead connection raises ``OperationalError("the connection is closed")``; connecting
while the server is down raises ``OperationalError("connection failed: ... Connection
refused")``. The last two carry no SQLSTATE.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

from peewee import Database
from peewee import InterfaceError as PeeweeInterfaceError
from peewee import OperationalError as PeeweeOperationalError


def _pool() -> Any:
    """store/pool.py if a PostgreSQL database was opened, else None: a SQLite process
    never loads it (with playhouse.pool it costs ~5 ms of every start)."""
    return sys.modules.get("branchtui.store.pool")


def is_pooled(db: Any) -> bool:
    pool = _pool()
    return pool is not None and bool(pool.is_pooled(db))

LOST = "lost"  # the connection is gone or cannot be made: reconnect, maybe retry
BUSY = "busy"  # SQLite: the file stayed locked past busy_timeout

# SQLSTATE class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
# 57P03 cannot_connect_now (starting up, shutting down, in recovery), 53300
# too_many_connections: the server is going, gone or not yet there.
_PG_LOST_STATES = ("57P01", "57P02", "57P03", "53300")
# Connection failures that retrying cannot mend: they are errors, not outages.
_PG_REFUSALS = ("authentication", "no pg_hba.conf entry", "does not exist")
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it was raised from or during, and what peewee wrapped."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__]
        todo += [a for a in e.args if isinstance(a, BaseException)]


def _pg_lost(e: BaseException) -> bool:
    import psycopg  # already imported: ``e`` is one of its exceptions

    if isinstance(e, psycopg.InterfaceError):
        return "connection" in str(e).lower()
    if not isinstance(e, psycopg.OperationalError):
        return False
    state = getattr(e, "sqlstate", None)
    if state is None:  # libpq's own: refused, timed out, closed, lost
        text = str(e).lower()
        return not any(r in text for r in _PG_REFUSALS)
    return state.startswith("08") or state in _PG_LOST_STATES


def _broken(db: Database) -> bool:
    """This thread's connection is known dead (psycopg flags it after a failure)."""
    if db.is_closed():
        return False
    conn = db.connection()
    return bool(getattr(conn, "broken", False) or getattr(conn, "closed", False) is True)


def classify(exc: BaseException, db: Database | None = None) -> str | None:
    """``LOST``, ``BUSY`` or None (an ordinary error, to be raised as it is). A PostgreSQL
    pool whose connections stayed all in use past its wait (store/pool.py) is ``BUSY``."""
    from_db = False
    pool = _pool()
    for e in _chain(exc):
        if pool is not None and isinstance(e, pool.MaxConnectionsExceeded):
            return BUSY
        if isinstance(e, sqlite3.OperationalError):
            code = getattr(e, "sqlite_errorcode", None)
            text = str(e).lower()
            if (code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)) or \
                    "database is locked" in text or "database table is locked" in text:
                return BUSY
        elif type(e).__module__.startswith("psycopg") and _pg_lost(e):
            return LOST
        if isinstance(e, PeeweeOperationalError | PeeweeInterfaceError):
            from_db = True
    if from_db and db is not None and _broken(db):
        return LOST
    return None


def discard_connection(db: Database) -> None:
    """Forget this thread's connection, closing it if that still works, so that the next
    call connects afresh. Never raises. Call it outside any transaction. A pooled
    connection is dropped from the pool, never returned to it."""
    if is_pooled(db):
        db.discard()
        return
    conn = None if db.is_closed() else db.connection()
    db.dispose()  # peewee: reset this thread's state without touching the connection
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()
