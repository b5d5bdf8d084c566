"""SQLite writers queue in the kernel for the write lock instead of polling for it.

SQLite's busy handler polls: a writer that finds the file locked sleeps (1, 2, 5, 10, ...
up to 100 ms) and tries again, so under steady load the writers that happen to try at the
right moment keep winning and a few lose for the whole busy_timeout (measured with 50
recorders in a closed loop: 9-14 writes in 60 s failed after waiting 15 s, docs/
benchmarks.md). So before ``BEGIN IMMEDIATE`` a writer takes an exclusive ``flock`` on a
sidecar file, ``<database>-writelock``, and holds it until after COMMIT or ROLLBACK. A
blocked ``flock`` sleeps in the kernel and is woken when the lock is released: no polling,
and since Linux 5.0 the waiters of an exclusive flock form a queue (each new waiter is
parked behind the last one that conflicts with it), so the lock goes round in turn. The
SQLite lock itself is then almost always free when ``BEGIN IMMEDIATE`` asks for it;
busy_timeout remains the guard against writers that do not queue (migrations, an older
client, the ``sqlite3`` shell).

Every transaction opens the file anew: ``flock`` locks belong to an open file description,
so two threads of one process each with their own descriptor queue like two processes
(one shared descriptor would let a second thread walk past the lock). Closing the
descriptor releases the lock, and the kernel closes it for a process that dies, so a
crashed writer never blocks the queue.

The wait is bounded (``WAIT_SECONDS``, generous): the holder is inside one write
transaction of a few milliseconds, so a minute in the queue means it is stopped (SIGSTOP,
a debugger), not slow; the caller then gets the same "database busy" error as a lock
that outlasted busy_timeout. ``flock`` has no timeout and SIGALRM cannot interrupt a
thread, so a contended wait happens in a helper thread that the caller waits for with a
timeout; a helper whose caller gave up releases the lock as soon as it gets it. (Measured
with 50 writers in a closed loop: about 10% fewer writes/s than an unbounded wait in the
calling thread, the price of a second wake-up per turn; nothing at a realistic pace.)

Windows has no ``fcntl``: there writers rely on busy_timeout alone, as before. A lock file
that cannot be opened (a read-only directory) does the same.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

WAIT_SECONDS = 60.0  # at a few ms per write, thousands of writers ahead; see the docstring
SUFFIX = "-writelock"
DEFAULT_MODE = 0o600  # when the database file's own mode cannot be read


def lock_path(database: str) -> str:
    """The sidecar lock file of the SQLite database file ``database``."""
    return f"{database}{SUFFIX}"


def _open(path: str, database: str) -> int | None:
    """A new open file description of the lock file (created with the database file's
    permissions, as SQLite creates ``-wal`` and ``-shm``), or None when that fails."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        mode = os.stat(database).st_mode & 0o666
    except OSError:
        mode = DEFAULT_MODE
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:  # another writer created it meanwhile
        try:
            return os.open(path, flags)
        except OSError:
            return None
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.fchmod(fd, mode)  # the umask would otherwise narrow a group-shared database's
    return fd


def _wait(fd: int, timeout: float) -> bool:
    """Wait in the kernel's queue for the lock on ``fd``, at most ``timeout`` seconds.
    True: the lock is held on ``fd``. False: given up, and ``fd`` now belongs to the
    helper thread, which closes it (releasing the lock at once) when its turn comes."""
    assert fcntl is not None
    done = threading.Event()
    gate = threading.Lock()
    gave_up = False

    def helper() -> None:
        with contextlib.suppress(OSError):  # cannot happen on a valid descriptor; if it
            fcntl.flock(fd, fcntl.LOCK_EX)  # did, the writer goes on with busy_timeout
        with gate:
            if gave_up:
                os.close(fd)
            else:
                done.set()

    threading.Thread(target=helper, name="sqlite-write-queue", daemon=True).start()
    if done.wait(timeout):
        return True
    with gate:
        if done.is_set():
            return True
        gave_up = True
    return False


@contextlib.contextmanager
def queued(database: str, timeout: float | None = None) -> Iterator[None]:
    """Hold this database's write lock for the duration of the block (a no-op without
    ``fcntl`` or when the lock file cannot be opened). Waiting longer than ``timeout``
    (default ``WAIT_SECONDS``) raises ``sqlite3.OperationalError("database is locked")``,
    which the services report as "database busy" (``store.faults.BUSY``)."""
    if fcntl is None:
        yield
        return
    fd = _open(lock_path(database), database)
    if fd is None:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            wait = WAIT_SECONDS if timeout is None else timeout
            if not _wait(fd, wait):
                fd = -1  # the helper closes it
                raise sqlite3.OperationalError(
                    f"database is locked (waited {wait:.0f} s in the write queue)"
                ) from None
        yield
    finally:
        if fd >= 0:
            os.close(fd)  # releases the lock
