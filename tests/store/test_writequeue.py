"""The SQLite write queue (store/writequeue.py) on real files: the lock file, held exactly
while an outermost write transaction runs (nested ones are savepoints and never lock
again, whatever raises where), a waiter that waits instead of failing, a dead holder that
frees the queue, and the bounded wait."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import Database

from branchtui.store import writequeue
from branchtui.store.db import open_database, write_transaction
from branchtui.store.writequeue import lock_path


@pytest.fixture
def sqlite_db(tmp_path) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path / 'q.sqlite3'}", bind=False)
    db.execute_sql("CREATE TABLE t (k INTEGER)")
    yield db
    db.close()


def held(db: Database) -> bool:
    """Whether someone holds the write lock: try it from a new open file description."""
    fd = os.open(lock_path(db.database), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_the_lock_file_sits_next_to_the_database_with_its_mode(tmp_path):
    path = tmp_path / "shared.sqlite3"
    db = open_database(f"sqlite:///{path}", bind=False)
    db.connect()
    os.chmod(path, 0o660)  # a database shared by a group
    old = os.umask(0o077)
    try:
        with write_transaction(db):
            db.execute_sql("CREATE TABLE t (k INTEGER)")
            assert held(db)
    finally:
        os.umask(old)
        db.close()
    lock = tmp_path / "shared.sqlite3-writelock"
    assert lock.exists()
    assert lock.stat().st_mode & 0o777 == 0o660
    assert lock.stat().st_size == 0


@dataclass
class Block:
    """One write_transaction: inserts ``key``, runs its children (catching their
    failures), then raises if ``fails``."""

    key: int
    children: list[Block]
    fails: bool


class Boom(Exception):
    pass


def blocks() -> st.SearchStrategy[Block]:
    keys = iter(range(1, 10**9))

    def node(children: st.SearchStrategy[list[Block]]) -> st.SearchStrategy[Block]:
        return st.builds(lambda c, f: Block(next(keys), c, f), children, st.booleans())

    leaf = node(st.just([]))
    return st.recursive(leaf, lambda inner: node(st.lists(inner, max_size=3)), max_leaves=8)


def kept(block: Block) -> set[int]:
    """The rows that savepoint semantics keep when ``block`` runs at the top."""
    if block.fails:
        return set()
    out = {block.key}
    for child in block.children:
        out |= kept(child)
    return out


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(top=blocks())
def test_the_lock_is_held_exactly_while_the_outermost_transaction_runs(sqlite_db, top):
    db = sqlite_db
    db.execute_sql("DELETE FROM t")
    seen_inside: list[bool] = []

    def run(block: Block) -> None:
        with write_transaction(db):  # nested: a savepoint, no second lock (no deadlock)
            db.execute_sql("INSERT INTO t (k) VALUES (?)", (block.key,))
            seen_inside.append(held(db))
            for child in block.children:
                with contextlib.suppress(Boom):
                    run(child)
                seen_inside.append(held(db))
            if block.fails:
                raise Boom

    with contextlib.suppress(Boom):
        run(top)
    assert all(seen_inside), "the lock was free inside a write transaction"
    assert not held(db), "the lock outlived the transaction"
    rows = {k for (k,) in db.execute_sql("SELECT k FROM t").fetchall()}
    assert rows == kept(top)


def test_a_second_thread_waits_for_the_first_instead_of_failing(sqlite_db):
    """Each thread has its own open file description: the second one queues behind the
    first although both are in one process, and a short busy_timeout never fires."""
    db = sqlite_db
    db.pragma("busy_timeout", 10)
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        db.pragma("busy_timeout", 10)
        try:
            with write_transaction(db):
                db.execute_sql("INSERT INTO t (k) VALUES (1)")
                inside.set()
                release.wait(10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    t = threading.Thread(target=first)
    t.start()
    assert inside.wait(10)
    threading.Timer(0.4, release.set).start()
    began = time.monotonic()
    with write_transaction(db):  # would be "database is locked" after 10 ms unqueued
        db.execute_sql("INSERT INTO t (k) VALUES (2)")
    waited = time.monotonic() - began
    t.join(10)
    assert not errors, errors
    assert waited >= 0.3
    assert [k for (k,) in db.execute_sql("SELECT k FROM t ORDER BY k").fetchall()] == [1, 2]


def test_a_killed_holder_frees_the_queue(sqlite_db):
    db = sqlite_db
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import fcntl, os, sys, time
            fd = os.open({lock_path(db.database)!r}, os.O_RDONLY | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            print("holding", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        done = threading.Event()

        def write() -> None:
            with write_transaction(db):
                db.execute_sql("INSERT INTO t (k) VALUES (1)")
            db.close()
            done.set()

        threading.Thread(target=write, daemon=True).start()
        assert not done.wait(0.5), "the writer walked past a held lock"
        holder.kill()  # no unlock: the kernel releases the lock of a dead process
        assert done.wait(10), "the writer still waits after the holder died"
    finally:
        holder.kill()
        holder.wait()
    assert db.execute_sql("SELECT count(*) FROM t").fetchone()[0] == 1


def test_a_wait_past_the_bound_is_database_busy_and_leaves_the_queue_working(
        sqlite_db, monkeypatch):
    from branchtui.store.faults import BUSY, classify

    db = sqlite_db
    monkeypatch.setattr(writequeue, "WAIT_SECONDS", 0.3)  # a minute in real life
    fd = os.open(lock_path(db.database), os.O_RDONLY | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a stopped holder
    try:
        began = time.monotonic()
        with pytest.raises(Exception) as err, write_transaction(db):
            pytest.fail("entered the transaction without the lock")
        assert 0.25 <= time.monotonic() - began < 5
        assert classify(err.value, db) == BUSY, err.value
        assert "write queue" in str(err.value)
        assert not db.in_transaction()
    finally:
        os.close(fd)  # the holder goes on; the abandoned waiter gets the lock, lets it go
    deadline = time.monotonic() + 5
    while held(db) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not held(db), "the abandoned waiter kept the lock"
    with write_transaction(db):
        db.execute_sql("INSERT INTO t (k) VALUES (1)")
    assert not held(db)
    for t in threading.enumerate():
        if t.name == "sqlite-write-queue":
            t.join(5)
            assert not t.is_alive(), "the abandoned waiter never finished"


def test_without_fcntl_writers_rely_on_busy_timeout(sqlite_db, monkeypatch):
    """Windows: no lock file, the transaction runs as before."""
    db = sqlite_db
    monkeypatch.setattr(writequeue, "fcntl", None)
    with write_transaction(db):
        db.execute_sql("INSERT INTO t (k) VALUES (1)")
    assert not os.path.exists(lock_path(db.database))
