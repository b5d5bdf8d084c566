"""Opening the store, transactions, and the schema version.

URLs: ``sqlite:///relative/or/absolute/path`` (``sqlite:////abs``) or
``postgresql://user@host:port/dbname``. The default is a SQLite file in the user data
directory (platformdirs), see :func:`default_url`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peewee import Database, SqliteDatabase

from branchtui.core.errors import BranchError, SchemaOutOfDate
from branchtui.store.faults import is_pooled
from branchtui.store.models import database_proxy
from branchtui.store.writequeue import queued

if TYPE_CHECKING:
    from playhouse.migrations import Runner

ENV_URL = "BRANCHTUI_DATABASE_URL"

# SQLite: WAL so readers never block the writer; busy_timeout so that writers queue
# instead of failing; foreign keys on (SQLite leaves them off by default).
SQLITE_PRAGMAS: dict[str, Any] = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 15000,
    "cache_size": -32000,
}


def data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("branchtui", appauthor=False))


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'branchtui.sqlite3'}"


def resolve_url(explicit: str | None = None) -> str:
    """``--db`` wins, then BRANCHTUI_DATABASE_URL, then the default SQLite file."""
    return explicit or os.environ.get(ENV_URL) or default_url()


def is_sqlite(db: Database) -> bool:
    return isinstance(db, SqliteDatabase)


# libpq parameters for every PostgreSQL connection (the URL's own win). TCP keepalives: a
# network that silently went away (a laptop's NAT, a firewall dropping idle flows) is
# noticed by the kernel after about 30 + 3 x 10 s instead of hours, which matters most to
# the change feed's LISTEN connection, idle by design. application_name names the
# connections in pg_stat_activity.
PG_CONNECTION_DEFAULTS: dict[str, str] = {
    "keepalives": "1",
    "keepalives_idle": "30",
    "keepalives_interval": "10",
    "keepalives_count": "3",
    "application_name": "branchtui",
}


def release_connection(db: Database) -> None:
    """Give the calling thread's connection back to the pool (PostgreSQL); keep it open on
    SQLite, where a per-thread connection is cheap. Outside a transaction only; never
    raises (a connection that cannot be checked in is closed by the pool)."""
    if is_pooled(db):
        with contextlib.suppress(Exception):
            db.release()


def close_database(db: Database) -> None:
    """Close every connection this process holds to ``db`` (tests, scripts, shutdown):
    the pool's idle ones too, not only the calling thread's."""
    if is_pooled(db):
        db.close_all()
    else:
        db.close()


def open_database(url: str, *, bind: bool = True) -> Database:
    """Open (lazily connect) the database at ``url``. With ``bind`` the models use it."""
    db: Database
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path or path == ":memory:":
            # Each thread would get its own empty database: refuse early.
            raise BranchError("error.sqlite_memory")
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        db = SqliteDatabase(
            str(Path(path).expanduser()),
            pragmas=SQLITE_PRAGMAS,
            timeout=15,
            check_same_thread=False,
        )
    elif url.startswith(("postgresql://", "postgres://")):
        from urllib.parse import parse_qsl, unquote, urlparse

        parsed = urlparse(url)
        # Query parameters pass through to libpq: ?sslmode=require, ?options=-csearch_path%3Dx
        extra = dict(parse_qsl(parsed.query))
        # A server that does not answer must fail a connect in seconds, not hang a worker:
        # the services retry with backoff (services.base.unit_of_work).
        extra.setdefault("connect_timeout", "3")
        for key, value in PG_CONNECTION_DEFAULTS.items():
            extra.setdefault(key, value)
        # One small pool per process (store/pool.py): a session holds at most one
        # connection between calls, none once idle, whatever thread its workers run on.
        from branchtui.store.pool import PgPool

        db = PgPool(
            unquote(parsed.path.lstrip("/")) or "postgres",
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            prefer_psycopg3=True,
            **extra,
        )
    else:
        raise BranchError("error.bad_url", url=url)
    if bind:
        database_proxy.initialize(db)
    return db


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[None]:
    """One write transaction. On SQLite it is ``BEGIN IMMEDIATE``: a deferred
    read-then-write transaction fails with "database is locked" under concurrent writers
    without honouring busy_timeout (measured: 74-91% of writes failed). An outermost one
    first queues for the write lock (``store.writequeue``: without the queue a few writers
    lost to the others for the whole busy_timeout); a nested one is a savepoint of the
    transaction that already holds it."""
    if is_sqlite(db):
        if db.transaction_depth() == 0:
            with queued(db.database), db.atomic("IMMEDIATE"):
                yield
        else:
            with db.atomic("IMMEDIATE"):
                yield
    else:
        with db.atomic():
            yield


# -- schema version -----------------------------------------------------------------------


def migrations_dir() -> Path:
    """The packaged migrations first (wheel install), the checkout's ``db/migrations``
    second."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_migrations"
    if packaged.is_dir():
        return packaged
    checkout = here.parent / "db" / "migrations"
    return checkout


MIGRATION_TABLE = "schema_migration"  # playhouse.migrations.Runner's default history table


def runner(db: Database) -> Runner:
    # playhouse.migrations (with its schema migrator) costs ~15 ms to import: only the
    # admin step that applies migrations pays for it, not every start of the app.
    from playhouse.migrations import Runner

    return Runner(db, directory=str(migrations_dir()), table_name=MIGRATION_TABLE)


def _index(name: str) -> int:
    digits = name[: len(name) - len(name.lstrip("0123456789"))]
    return int(digits) if digits else -1


def schema_status(db: Database) -> tuple[list[str], list[str], list[str]]:
    """(applied, pending, unknown): unknown are applied names this program lacks.

    The same answer as ``Runner.status()`` (files ``[0-9]*.py`` against the history
    table, in numeric order), read with one query so that starting the app does not
    import the migration machinery."""
    files = sorted((_index(p.stem), p.stem) for p in migrations_dir().glob("[0-9]*.py"))
    done: set[str] = set()
    if MIGRATION_TABLE in db.get_tables():
        done = {name for (name,) in
                db.execute_sql(f'SELECT name FROM "{MIGRATION_TABLE}"').fetchall()}
    names = {name for _, name in files}
    applied = [name for _, name in files if name in done]
    pending = [name for _, name in files if name not in done]
    unknown = [name for _, name in sorted((_index(n), n) for n in done - names)]
    return applied, pending, unknown


def upgrade(db: Database) -> list[str]:
    """Apply pending migrations (an admin step: ``branchtui db upgrade``)."""
    if not schema_status(db)[1]:
        return []
    return runner(db).up()


def check_schema(db: Database) -> None:
    """Refuse to run on an older (or newer) schema; never migrates on its own."""
    applied, pending, unknown = schema_status(db)
    if unknown:
        raise SchemaOutOfDate(
            "error.schema_new", current=unknown[-1], needed=(applied or ["-"])[-1]
        )
    if pending:
        raise SchemaOutOfDate(
            current=(applied or ["0"])[-1], needed=pending[-1]
        )
