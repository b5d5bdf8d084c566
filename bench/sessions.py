"""50 concurrent SSH sessions on profile B: idle CPU and PSS per session, next to the same
number of bare Textual apps (issue 4).

    uv run python bench/sessions.py                          # SQLite file, 50 sessions
    uv run python bench/sessions.py --backend pg --pg-spare 15   # PostgreSQL, 50 (see below)
    uv run python bench/sessions.py --sessions 6 --branches 3 --window 5   # a quick check

How a session is started: through the gateway, as members do. The script starts
``branchtui serve`` on a loopback port and, for every session, the real OpenSSH client
(``ssh -tt`` with a key registered for that member through ``roster.add_key``) in a
pseudo-terminal of its own (100x32). The gateway spawns one app process per session
(``branchtui _session``, identity through its pipe), exactly as in production. What is
counted per session is that app process (server side); the gateway is shared by all and is
reported on its own line (also divided by the number of sessions); the ssh clients run on
the members' machines and are reported for information only.

Who: members of ``--branches`` branches of profile B (each branch's secretary and ordinary
members). Screens: the sessions of ``--meeting-branches`` branches open the record page of
the same open meeting of their branch (scheduled and opened here, through the services, so
that it is first on their home screen; Enter opens it; those screens send a presence
heartbeat every 10 s); ``--list-sessions`` sessions press F2 (the meetings list, with its
filter inputs); the rest stay on their home screen.

Baseline, side by side: as many bare Textual apps with DataTables (the app of
bench/startup.py), each in its own pseudo-terminal, started in waves alternating with the
sessions and alive during the same measuring window. After the last first frame the
script waits ``--settle`` seconds, then measures over ``--window`` seconds:

- idle CPU: utime+stime from /proc/PID/stat, per process, as % of one core;
- PSS from /proc/PID/smaps_rollup at the end of the window (with its anonymous/file and
  private/shared parts);
- bytes written to the terminals during the window (an idle screen should write none);
- on PostgreSQL, the change of ``xact_commit`` in pg_stat_database of the benchmark's own
  database (``branchtui_bench``, created once if missing, never dropped; each run works in
  a scratch schema that it drops) over the window: a proxy for the idle sessions' queries.
  Backends report their counters when idle, within ~10 s, so the figure lags by up to that
  much on both ends of the window.

PostgreSQL connections: a session holds its change feed's LISTEN connection, and one of
its process's pool (branchtui/store/pool.py) while it works and for 15 s after; so an idle
session holds 1, one on a meeting screen 2 (its 10 s heartbeat), and a session that has
just started 2 (before the pool: 3-4, one per executor thread used). The gateway holds one
for 15 s after a key look-up. 50 sessions hold ~60 once idle and peaked at 80-82 while
starting in waves of 5. The script refuses a run that would leave fewer than
``--pg-spare`` connections free on the server by its estimate (``LISTEN_PER_SESSION``;
``--force`` on a server of your own), and reports the peak it sampled.

Python: on SQLite the sessions (and the bare apps) run in the SQLite-only venv of
bench/startup.py (no psycopg: peewee imports it when installed, +16 MiB per process); on
PostgreSQL in this interpreter (the project's venv, with psycopg). ``--python`` overrides.
The load average is printed with every figure: the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import re
import selectors
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse, urlunparse

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "branchtui_bench"
SSH = "/usr/bin/ssh"
# PostgreSQL connections a session holds (see "connections held" in the report): its
# change feed's LISTEN connection, always; and one of its pool (store/pool.py) while it
# works and for 15 s after (the pool's idle timeout): the sessions on a meeting screen keep
# theirs (a presence heartbeat every 10 s), and at start-up so do the sessions of the last
# waves. The gateway holds one for 15 s after a key look-up.
LISTEN_PER_SESSION = 1
RECENT_WAVES = 3  # waves started within the pool's idle timeout (measured: a wave ~5 s)
ANSI = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|"
    rb"\x1b[()][A-Z0-9]|\x1b[=>78DEMc]"
)
CLK_TCK = os.sysconf("SC_CLK_TCK")
SMAPS_FIELDS = (
    "Rss",
    "Pss",
    "Pss_Anon",
    "Pss_File",
    "Pss_Shmem",
    "Shared_Clean",
    "Shared_Dirty",
    "Private_Clean",
    "Private_Dirty",
)


def code_version() -> str:
    """The commit, and whether branchtui/ has uncommitted changes (others edit this tree)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "branchtui"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + (" + uncommitted changes in branchtui/" if dirty else "")


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# -- profile B, on SQLite (a cached build, copied per run) or PostgreSQL (a scratch schema) --


def _cli(url: str, *args: str, python: str = sys.executable) -> None:
    subprocess.run(
        [python, "-m", "branchtui.cli", *args, "--db", url],
        check=True,
        cwd=ROOT,
        env={**os.environ, "LANG": "C.UTF-8"},
    )


def with_dbname(url: str, dbname: str) -> str:
    p = urlparse(url)
    return urlunparse(p._replace(path="/" + dbname))


def with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@contextlib.contextmanager
def profile_b(
    backend: str, pg_admin_url: str = PG_ADMIN_URL, keep: bool = False, prefix: str = "bench"
) -> Iterator[tuple[str, str, str | None]]:
    """Yields (url, where, pg database url or None) of a fresh profile B database built
    for today (the demo data is relative to the day it is built).

    SQLite: built once per day into bench/results/profile-B-DAY.sqlite3 and copied to a
    temp directory for the run. PostgreSQL: built into a new schema of the database
    ``branchtui_bench`` (created if missing), dropped afterwards unless ``keep``."""
    today = date.today().isoformat()
    if backend == "sqlite":
        cache = RESULTS / f"profile-B-{today}.sqlite3"
        if not cache.exists():
            RESULTS.mkdir(exist_ok=True)
            part = cache.with_name(f"{cache.name}.{os.getpid()}.part")
            print(f"building profile B into {cache} (once per day) ...", flush=True)
            _cli(f"sqlite:///{part}", "demo", "--profile", "B", "--build-only")
            with contextlib.closing(sqlite3.connect(part)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            for suffix in ("-wal", "-shm"):
                Path(f"{part}{suffix}").unlink(missing_ok=True)
            part.rename(cache)
        tmp = tempfile.mkdtemp(prefix=f"branchtui-{prefix}-")
        path = Path(tmp) / "profile-B.sqlite3"
        shutil.copyfile(cache, path)
        try:
            yield f"sqlite:///{path}", str(path), None
        finally:
            if not keep:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    import psycopg

    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    db_url = with_dbname(pg_admin_url, BENCH_DB)
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = with_schema(db_url, schema)
            print(f"building profile B into {BENCH_DB}, schema {schema} ...", flush=True)
            _cli(url, "demo", "--profile", "B", "--build-only")
            yield url, f"database {BENCH_DB}, schema {schema}", db_url
        finally:
            if not keep:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# -- who, and on which screen ------------------------------------------------------------


@dataclass
class Who:
    member_id: int
    login: str
    name: str
    branch_id: int
    branch: str
    role: str  # secretary | member
    screen: str = "home"  # home | meeting | list
    meeting_title: str = ""
    key: Path | None = None


def plan_sessions(
    url: str, tmp: Path, n: int, n_branches: int, meeting_branches: int, list_sessions: int
) -> list[Who]:
    """Pick members, open one meeting in each of the first ``meeting_branches`` branches,
    make and register an SSH key per member. Everything through the services."""
    from branchtui.core.enums import Obligation
    from branchtui.services import MeetingDraft, Services
    from branchtui.store import models as m
    from branchtui.store.db import close_database, open_database

    db = open_database(url)
    svc = Services.create(db)  # the system clock, as the app uses
    today = svc.ctx.today()
    admin = svc.roster.actor_for_login("admin")
    per_branch = -(-n // n_branches)

    def current(q: Any, starts: Any, ends: Any) -> Any:
        return q.where((starts <= today) & (ends.is_null() | (ends > today)))

    with svc.roster.read():
        branches = list(
            m.Org.select(m.Org.id, m.Org.name)
            .where(m.Org.kind == "branch")
            .order_by(m.Org.id)
            .tuples()
        )
        step = max(1, len(branches) // n_branches)
        chosen: list[list[Who]] = []
        for bid, bname in branches[::step]:
            sec = current(
                m.Position.select(m.Position.member).where(
                    (m.Position.org == bid) & (m.Position.role == "secretary")
                ),
                m.Position.starts,
                m.Position.ends,
            ).scalar()
            rows = list(
                current(
                    m.Member.select(m.Member.id, m.Member.login, m.Member.name)
                    .join(m.Membership, on=(m.Membership.member == m.Member.id))
                    .where(
                        (m.Membership.branch == bid)
                        & m.Member.login.is_null(False)
                        & m.Member.is_admin.in_([False])
                    ),
                    m.Membership.starts,
                    m.Membership.ends,
                )
                .order_by(m.Member.id)
                .tuples()
            )
            people = [r for r in rows if r[0] == sec] + [r for r in rows if r[0] != sec]
            if sec is None or len(people) < per_branch:
                continue
            chosen.append(
                [
                    Who(mid, login, name, bid, bname, "secretary" if mid == sec else "member")
                    for mid, login, name in people[:per_branch]
                ]
            )
            if len(chosen) == n_branches:
                break
    if len(chosen) < n_branches:
        raise SystemExit(f"only {len(chosen)} branches with a secretary and {per_branch} members")
    sessions = [w for group in chosen for w in group][:n]

    # The same open meeting for everyone of the first branches: first on their home screen.
    now = svc.ctx.now().replace(second=0)
    for k, group in enumerate(chosen[:meeting_branches]):
        sec = svc.roster.actor_for_member(group[0].member_id)
        actors = [svc.roster.actor_for_member(w.member_id) for w in group]
        earliest = min(
            (mt.planned_start for a in actors for mt in svc.meetings.upcoming(a, days=45)),
            default=now,
        )
        start = min(now, earliest) - timedelta(minutes=5)
        title = f"会话基准第{k + 1}场主题党日"
        made = svc.meetings.schedule(
            sec,
            MeetingDraft(
                branch_id=group[0].branch_id,
                title=title,
                obligations=(Obligation.THEME_DAY,),
                planned_start=start,
                planned_end=start + timedelta(hours=2),
                place="党员活动室",
                convener_id=sec.member_id,
                moderator_id=sec.member_id,
                recorder_id=sec.member_id,
                # Before an earlier sitting of today, it may be entered after its start.
                late_reason="基准：排在首页第一位",
            ),
        )
        svc.meetings.open(sec, made.id)
        for a, w in zip(actors, group, strict=True):
            first = svc.meetings.upcoming(a, days=45)
            if not first or first[0].id != made.id:
                raise SystemExit(f"meeting {made.id} is not first on {w.login}'s home screen")
            w.screen, w.meeting_title = "meeting", title
    # One session per remaining branch on the meetings list (F2), as many as asked.
    for group in chosen[meeting_branches:]:
        if list_sessions <= 0:
            break
        group[-1].screen = "list"
        list_sessions -= 1

    for i, w in enumerate(sessions):
        key = tmp / f"key{i:02d}"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", w.login, "-f", str(key)],
            check=True,
        )
        svc.roster.add_key(admin, w.member_id, (tmp / f"key{i:02d}.pub").read_text())
        w.key = key
    close_database(db)  # the pool's idle connection too (PostgreSQL)
    return sessions


# -- processes in pseudo-terminals ---------------------------------------------------------


class Pty:
    """A process on a pseudo-terminal of its own; the output is collected by a Reader."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int, rows: int) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.buf = b""
        self.nbytes = 0
        self.eof = False

    def feed(self, data: bytes) -> None:
        self.nbytes += len(data)
        self.buf = (self.buf + data)[-300_000:]

    def text(self) -> str:
        return ANSI.sub(b"", self.buf).decode("utf-8", "replace")

    def wait_for(self, needles: tuple[str, ...], timeout: float) -> float:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = self.text()
            if any(x in text for x in needles):
                return time.monotonic() - self.started
            if self.eof or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(
            f"{needles!r} never appeared (pid {self.proc.pid}, "
            f"exit {self.proc.poll()}); screen:\n{self.text()[-1500:]}"
        )

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)


class Reader(threading.Thread):
    """Drains every pseudo-terminal (a terminal nobody reads would block its app)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sel = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.stopped = False

    def add(self, p: Pty) -> Pty:
        with self.lock:
            self.sel.register(p.master, selectors.EVENT_READ, p)
        return p

    def run(self) -> None:
        while not self.stopped:
            with self.lock:
                ready = self.sel.select(timeout=0.05) if self.sel.get_map() else []
            if not ready:
                time.sleep(0.02)
            for key, _ in ready:
                p: Pty = key.data
                try:
                    data = os.read(p.master, 65536)
                except OSError:
                    data = b""
                if data:
                    p.feed(data)
                else:
                    p.eof = True
                    with self.lock:
                        self.sel.unregister(p.master)


@dataclass
class Gateway:
    proc: subprocess.Popen[bytes]
    port: int = 0
    log: list[str] = field(default_factory=list)
    pids: dict[int, int] = field(default_factory=dict)  # member id -> app pid


def start_gateway(
    python: str, url: str, host_key: Path, max_sessions: int, *extra: str
) -> Gateway:
    """``branchtui serve`` on a free loopback port, with ``extra`` options."""
    env = {**os.environ, "LANG": "C.UTF-8"}
    env.pop("BRANCHTUI_DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            python,
            "-m",
            "branchtui.cli",
            "serve",
            "--db",
            url,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--host-key",
            str(host_key),
            "--lang",
            "zh",
            "--max-sessions",
            str(max_sessions),
            "--idle-timeout",
            "0",
            *extra,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    gw = Gateway(proc)
    started = re.compile(r"start member=(\d+) .* pid=(\d+)")
    ready = threading.Event()

    def drain() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            gw.log.append(line)
            if not gw.port and (found := re.search(r"127\.0\.0\.1:(\d+)", line)):
                gw.port = int(found.group(1))
                ready.set()
            if found := started.search(line):
                gw.pids[int(found.group(1))] = int(found.group(2))
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    if not ready.wait(60) or not gw.port:
        proc.kill()
        raise SystemExit("the gateway did not start:\n" + "\n".join(gw.log))
    return gw


def ssh_argv(key: Path, port: int) -> list[str]:
    return [
        SSH,
        "-tt",
        "-i",
        str(key),
        "-p",
        str(port),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "LogLevel=ERROR",
        "-F",
        "/dev/null",
        "member@127.0.0.1",
    ]


# -- /proc ----------------------------------------------------------------------------------


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """utime+stime of the process (all its threads), or of one of its threads."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat"
    with open(path) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def smaps(pid: int) -> dict[str, int]:
    """KiB."""
    out = dict.fromkeys(SMAPS_FIELDS, 0)
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            name, _, rest = line.partition(":")
            if name in out:
                out[name] = int(rest.split()[0])
    return out


def pg_sockets() -> set[int]:
    """Inodes of the established TCP connections to port 5432 on this host."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            next(fh)
            for line in fh:
                parts = line.split()
                if parts[2].endswith(":1538") and parts[3] == "01":
                    found.add(int(parts[9]))
    return found


def db_connections(pid: int, inodes: set[int]) -> int:
    """How many of ``inodes`` the process holds open."""
    n = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and int(link[8:-1]) in inodes:
                    n += 1
    return n


def threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


IMPORT_SETS = {
    "Textual + widgets": ("textual.app", "textual.widgets"),
    "the session's modules without branchtui.serve": (
        "branchtui.cli",
        "branchtui.services",
        "branchtui.services.presence",
        "branchtui.store.db",
        "branchtui.ui.app",
        "branchtui.ui.screens.home",
        "textual.widgets",
    ),
    "the session's modules (cli._session imports branchtui.serve: asyncssh)": (
        "branchtui.cli",
        "branchtui.serve",
        "branchtui.services",
        "branchtui.services.presence",
        "branchtui.store.db",
        "branchtui.ui.app",
        "branchtui.ui.screens.home",
        "textual.widgets",
    ),
}


def import_breakdown(python: str) -> dict[str, dict[str, int]]:
    """PSS of processes that only import (no app running), one at a time, while the
    sessions are still up (so shared library pages are shared as in the run)."""
    out = {}
    for label, mods in IMPORT_SETS.items():
        code = f"import importlib, sys\nfor m in {mods!r}: importlib.import_module(m)\n"
        code += "print(len(sys.modules), flush=True)\nsys.stdin.read()\n"
        proc = subprocess.Popen(
            [python, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "LANG": "C.UTF-8"},
        )
        try:
            assert proc.stdout is not None
            modules = int(proc.stdout.readline())
            out[label] = {**smaps(proc.pid), "modules": modules}
        finally:
            proc.kill()
            proc.wait()
    return out


def pg_slots(admin_url: str) -> tuple[int, int]:
    """(max_connections, client connections open now) on the server. The server's own
    processes (checkpointer, autovacuum, ...) have slots of their own."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_setting('max_connections')::int, count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend'"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


def pg_xacts(db_url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback, (SELECT count(*) FROM "
            "pg_stat_activity WHERE datname = current_database()) - 1 "
            "FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


class PeakConnections(threading.Thread):
    """Samples, twice a second, the connections open to the benchmark's database and to the
    whole server (its own excluded), and keeps the highest: the start-up peak, when fresh
    sessions still hold their pool's connection, is what must fit in max_connections."""

    def __init__(self, admin_url: str, dbname: str) -> None:
        super().__init__(daemon=True)
        self.admin_url = admin_url  # not the benchmark's database: its queries would
        self.dbname = dbname  # count in the idle sessions' transactions
        self.peak = self.peak_server = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self.stopped.wait(0.5):
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE datname = %s), count(*) "
                    "FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'",
                    (self.dbname,),
                ).fetchone()
                assert row is not None
                self.peak = max(self.peak, int(row[0]))
                self.peak_server = max(self.peak_server, int(row[1]))

    def stop(self) -> None:
        self.stopped.set()
        self.join(5)


# -- the run --------------------------------------------------------------------------------


@dataclass
class Proc:
    kind: str  # session | bare | gateway | ssh
    pid: int
    label: str
    pty: Pty | None = None
    cpu0: float = 0.0
    cpu: float = float("nan")  # % of one core over the window
    main0: float = 0.0
    cpu_main: float = float("nan")  # of which the main thread (the event loop)
    mem: dict[str, int] = field(default_factory=dict)
    nthreads: int = 0
    out0: int = 0
    out_bytes: int = 0
    pg_conns: int = 0


def run(args: argparse.Namespace) -> dict[str, Any]:
    python = args.python
    if python is None:
        if args.backend == "sqlite":
            from startup import sqlite_only_python

            python = sqlite_only_python()
        else:
            python = sys.executable
    from startup import BARE_APP

    if args.backend == "pg":
        # Before the pool a session held 3-4 connections; now 1 when idle, 2 while busy
        # (see LISTEN_PER_SESSION). The server is shared: leave room for everyone else.
        most, used = pg_slots(args.pg)
        per_branch = -(-args.sessions // args.branches)
        on_meeting = min(args.sessions, per_branch * args.meeting_branches)
        need = (LISTEN_PER_SESSION * args.sessions + on_meeting
                + min(args.sessions, RECENT_WAVES * args.wave) + 8)
        if used + need > most - args.pg_spare and not args.force:
            raise SystemExit(
                f"{args.sessions} sessions need about {need} PostgreSQL connections; the "
                f"server allows {most} and {used} are in use. Use fewer --sessions, or "
                "--force on a server of your own."
            )

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "HOME": os.environ.get("HOME", "/tmp"),
        "COLORTERM": "truecolor",
    }
    reader = Reader()
    reader.start()
    procs: list[Proc] = []
    ptys: list[Pty] = []
    gw: Gateway | None = None
    result: dict[str, Any] = {}
    with (
        profile_b(args.backend, args.pg, args.keep, prefix="sess") as (url, where, pg_db),
        tempfile.TemporaryDirectory(prefix="branchtui-sessions-") as tmpdir,
    ):
        tmp = Path(tmpdir)
        who = plan_sessions(
            url, tmp, args.sessions, args.branches, args.meeting_branches, args.list_sessions
        )
        (tmp / "bare_app.py").write_text(BARE_APP)
        print(
            f"{args.backend}: {where}; {len(who)} sessions in "
            f"{len({w.branch_id for w in who})} branches "
            f"({sum(w.screen == 'meeting' for w in who)} on a meeting record, "
            f"{sum(w.screen == 'list' for w in who)} on the meetings list, "
            f"{sum(w.screen == 'home' for w in who)} at home); python {python}",
            flush=True,
        )
        sampler = PeakConnections(args.pg, BENCH_DB) if pg_db else None
        if sampler:
            sampler.start()
        try:
            gw = start_gateway(python, url, tmp / "host_key", len(who) + 10)
            first_frames: dict[str, list[float]] = {"session": [], "bare": []}
            t_start = time.monotonic()
            for lo in range(0, len(who), args.wave):
                wave = who[lo : lo + args.wave]
                started = []
                for w in wave:
                    assert w.key is not None
                    p = reader.add(Pty(ssh_argv(w.key, gw.port), env, args.cols, args.rows))
                    ptys.append(p)
                    started.append((w, p))
                for w, p in started:
                    first_frames["session"].append(p.wait_for((w.name,), 120))
                    if w.screen == "meeting":
                        p.send(b"\r")
                        p.wait_for((w.meeting_title,), 60)
                    elif w.screen == "list":
                        p.send(b"\x1bOQ")  # F2
                        p.wait_for(("可安排会议", "只读"), 60)
                    pid = gw.pids.get(w.member_id)
                    if pid is None:
                        raise SystemExit(f"no app process logged for member {w.member_id}")
                    procs.append(Proc("session", pid, f"{w.screen}:{w.role}", p))
                    procs.append(Proc("ssh", p.proc.pid, w.login))
                bares = [
                    reader.add(Pty([python, str(tmp / "bare_app.py")], env, args.cols, args.rows))
                    for _ in wave
                ]
                ptys.extend(bares)
                for p in bares:
                    first_frames["bare"].append(p.wait_for(("BARE-READY",), 120))
                    procs.append(Proc("bare", p.proc.pid, "bare", p))
                print(
                    f"  {lo + len(wave)} sessions and bare apps up "
                    f"({time.monotonic() - t_start:.0f} s, load {loadavg()})",
                    flush=True,
                )
            procs.append(Proc("gateway", gw.proc.pid, "gateway"))

            print(f"settling {args.settle:.0f} s ...", flush=True)
            time.sleep(args.settle)
            load0 = os.getloadavg()
            x0 = pg_xacts(pg_db) if pg_db else None
            for pr in procs:
                pr.cpu0 = cpu_seconds(pr.pid)
                pr.main0 = cpu_seconds(pr.pid, pr.pid)
                pr.out0 = pr.pty.nbytes if pr.pty else 0
            t0 = time.monotonic()
            print(f"measuring {args.window:.0f} s (load {loadavg()}) ...", flush=True)
            time.sleep(args.window)
            elapsed = time.monotonic() - t0
            for pr in procs:
                pr.cpu = (cpu_seconds(pr.pid) - pr.cpu0) / elapsed * 100
                pr.cpu_main = (cpu_seconds(pr.pid, pr.pid) - pr.main0) / elapsed * 100
                pr.out_bytes = (pr.pty.nbytes if pr.pty else 0) - pr.out0
            x1 = pg_xacts(pg_db) if pg_db else None
            load1 = os.getloadavg()
            inodes = pg_sockets() if pg_db else set()
            for pr in procs:
                pr.mem = smaps(pr.pid)
                pr.nthreads = threads(pr.pid)
                pr.pg_conns = db_connections(pr.pid, inodes)
            dead = [pr.label for pr in procs if pr.pty and pr.pty.eof]
            result = summarise(
                args, procs, who, elapsed, load0, load1, x0, x1, first_frames, python, where
            )
            result["dead"] = dead
            if sampler:
                sampler.stop()
                result["pg_peak"] = sampler.peak
                result["pg_peak_server"] = sampler.peak_server
            result["imports"] = import_breakdown(python)
        finally:
            if sampler:
                sampler.stopped.set()
            if gw is not None and gw.proc.poll() is None:
                gw.proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    gw.proc.wait(20)
            for p in ptys:
                p.stop(signal.SIGHUP)
            deadline = time.monotonic() + 10
            for p in ptys:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.proc.wait(max(0.1, deadline - time.monotonic()))
            for p in ptys:
                p.stop(signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.proc.wait(5)
            if gw is not None:
                if gw.proc.poll() is None:
                    gw.proc.kill()
                    gw.proc.wait(5)
                for pid in gw.pids.values():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            reader.stopped = True
            reader.join(2)
            for p in ptys:
                with contextlib.suppress(OSError):
                    os.close(p.master)
    return result


def _mib(kib: float) -> float:
    return kib / 1024


def _stats(procs: list[Proc]) -> dict[str, Any]:
    cpu = sorted(p.cpu for p in procs)
    pss = sorted(_mib(p.mem["Pss"]) for p in procs)

    def mean(key: str) -> float:
        return statistics.fmean(_mib(p.mem[key]) for p in procs)

    return {
        "n": len(procs),
        "cpu_mean": statistics.fmean(cpu),
        "cpu_median": statistics.median(cpu),
        "cpu_max": cpu[-1],
        "cpu_total": sum(cpu),
        "pss_mean": statistics.fmean(pss),
        "pss_median": statistics.median(pss),
        "pss_max": pss[-1],
        "pss_total": sum(pss),
        "rss_mean": mean("Rss"),
        "pss_anon": mean("Pss_Anon"),
        "pss_file": mean("Pss_File"),
        "private": statistics.fmean(
            _mib(p.mem["Private_Clean"] + p.mem["Private_Dirty"]) for p in procs
        ),
        "shared_rss": statistics.fmean(
            _mib(p.mem["Shared_Clean"] + p.mem["Shared_Dirty"]) for p in procs
        ),
        "threads": statistics.median(p.nthreads for p in procs),
        "cpu_main": statistics.fmean(p.cpu_main for p in procs),
        "pg_conns": statistics.fmean(p.pg_conns for p in procs),
        "pg_conns_max": max(p.pg_conns for p in procs),
        "out_bytes": statistics.fmean(p.out_bytes for p in procs),
    }


def summarise(
    args: argparse.Namespace,
    procs: list[Proc],
    who: list[Who],
    elapsed: float,
    load0: tuple[float, ...],
    load1: tuple[float, ...],
    x0: tuple[int, int] | None,
    x1: tuple[int, int] | None,
    first_frames: dict[str, list[float]],
    python: str,
    where: str,
) -> dict[str, Any]:
    by = {k: [p for p in procs if p.kind == k] for k in ("session", "bare", "gateway", "ssh")}
    rows = {k: _stats(v) for k, v in by.items() if v}
    screens = {}
    for screen in ("home", "meeting", "list"):
        sel = [p for p in by["session"] if p.label.startswith(screen + ":")]
        if sel:
            screens[screen] = _stats(sel)
    out: dict[str, Any] = {
        "date": date.today().isoformat(),
        "at": datetime.now().isoformat(timespec="seconds"),
        "backend": args.backend,
        "where": where,
        "python": python,
        "sessions": len(who),
        "branches": len({w.branch_id for w in who}),
        "window_s": elapsed,
        "load_before": load0,
        "load_after": load1,
        "cpus": os.cpu_count(),
        "code": code_version(),
        "first_frame_median_s": {k: statistics.median(v) for k, v in first_frames.items()},
        "rows": rows,
        "screens": screens,
    }
    if x0 and x1:
        out["pg_xacts"] = x1[0] - x0[0] - 1  # minus the reading's own transaction
        out["pg_connections"] = x1[1]
        out["meeting_sessions"] = sum(w.screen == "meeting" for w in who)
    return out


def report(r: dict[str, Any]) -> str:
    rows, n = r["rows"], r["sessions"]
    lines = [
        f"{r['backend']} ({r['where']}), {n} sessions in {r['branches']} branches, "
        f"{r['at']}, window {r['window_s']:.1f} s, load before/after "
        f"{'/'.join(f'{x:.2f}' for x in r['load_before'])} → "
        f"{'/'.join(f'{x:.2f}' for x in r['load_after'])}, {r['cpus']} CPUs, code {r['code']}",
        "",
        "| processes | n | idle CPU % of a core: mean | median | max | of which main "
        "thread | PSS MiB: mean | max | of which anon | file | private | RSS MiB | threads "
        "| bytes out |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = {
        "session": "branchtui app (one per session)",
        "bare": "bare Textual app",
        "gateway": "gateway (shared)",
        "ssh": "ssh clients (member side)",
    }

    def row(name: str, s: dict[str, Any]) -> str:
        return (
            f"| {name} | {s['n']} | {s['cpu_mean']:.3f} | {s['cpu_median']:.3f} | "
            f"{s['cpu_max']:.3f} | {s['cpu_main']:.3f} | {s['pss_mean']:.1f} | "
            f"{s['pss_max']:.1f} | {s['pss_anon']:.1f} | {s['pss_file']:.1f} | "
            f"{s['private']:.1f} | {s['rss_mean']:.1f} | {s['threads']:.0f} | "
            f"{s['out_bytes']:.0f} |"
        )

    lines += [row(names[k], rows[k]) for k in names if k in rows]
    lines += [row(f"app, {screen} screen", st) for screen, st in r["screens"].items()]
    app, bare = rows["session"], rows.get("bare")
    gw = rows.get("gateway")
    lines.append("")
    if gw:
        lines.append(
            f"per session incl. the gateway's share: CPU {app['cpu_mean'] + gw['cpu_total'] / n:.3f}% "
            f"of a core, PSS {app['pss_mean'] + gw['pss_total'] / n:.1f} MiB"
        )
    if bare:
        lines.append(
            f"ratio app/bare: idle CPU x{app['cpu_mean'] / max(bare['cpu_mean'], 1e-9):.2f}, "
            f"PSS x{app['pss_mean'] / bare['pss_mean']:.2f}"
        )
    lines.append(
        f"targets: idle CPU <= 0.3% per session: "
        f"{'met' if app['cpu_mean'] <= 0.3 else 'NOT met'} ({app['cpu_mean']:.3f}); "
        f"PSS <= 45 MiB per session: "
        f"{'met' if app['pss_mean'] <= 45 else 'NOT met'} ({app['pss_mean']:.1f})"
    )
    lines.append(
        f"first frame, median: session {r['first_frame_median_s']['session']:.2f} s, "
        f"bare {r['first_frame_median_s'].get('bare', float('nan')):.2f} s "
        "(started in waves, under the load of the others)"
    )
    if "pg_xacts" in r:
        lines.append(
            f"PostgreSQL: {r['pg_xacts']} transactions committed in the database over "
            f"the window ({r['pg_xacts'] / r['window_s']:.2f}/s; "
            f"{r['meeting_sessions']} sessions are on a meeting screen with a 10 s "
            f"presence heartbeat); {r['pg_connections']} connections open to the database"
        )
        if "pg_peak" in r:
            lines.append(
                f"  peak during the run (sampled every 0.5 s, start-up included): "
                f"{r['pg_peak']} connections to the database, {r['pg_peak_server']} to "
                "the whole server"
            )
        for k in ("session", "gateway"):
            lines.append(
                f"  connections held by the {names[k]}: mean {rows[k]['pg_conns']:.2f}, "
                f"max {rows[k]['pg_conns_max']}"
            )
        for screen, st in r["screens"].items():
            lines.append(f"  per app on the {screen} screen: mean {st['pg_conns']:.2f}")
    lines.append("")
    lines.append("| import only (no app running) | modules | PSS MiB | of which anon | RSS MiB |")
    lines.append("|---|---|---|---|---|")
    for label, mem in r.get("imports", {}).items():
        lines.append(
            f"| {label} | {mem['modules']} | {_mib(mem['Pss']):.1f} | "
            f"{_mib(mem['Pss_Anon']):.1f} | {_mib(mem['Rss']):.1f} |"
        )
    if r.get("dead"):
        lines.append(f"WARNING: terminals closed during the run: {r['dead']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite")
    ap.add_argument(
        "--pg",
        default=PG_ADMIN_URL,
        help="a PostgreSQL URL used to create the database branchtui_bench",
    )
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--branches", type=int, default=10)
    ap.add_argument(
        "--meeting-branches",
        type=int,
        default=2,
        help="branches whose sessions all open the same open meeting",
    )
    ap.add_argument(
        "--list-sessions",
        type=int,
        default=8,
        help="sessions on the meetings list (F2), one per other branch",
    )
    ap.add_argument("--window", type=float, default=30.0, help="seconds measured")
    ap.add_argument(
        "--settle",
        type=float,
        default=15.0,
        help="seconds after the last first frame before measuring",
    )
    ap.add_argument("--wave", type=int, default=5, help="sessions started at a time")
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--rows", type=int, default=32)
    ap.add_argument("--python", help="interpreter for the gateway, sessions and bare apps")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the database copy / schema")
    ap.add_argument(
        "--pg-spare",
        type=int,
        default=25,
        help="PostgreSQL connections to leave free for others (the server is shared)",
    )
    ap.add_argument("--force", action="store_true", help="skip the connection check")
    args = ap.parse_args(argv)
    args.branches = min(args.branches, args.sessions)
    args.meeting_branches = min(args.meeting_branches, args.branches)
    r = run(args)
    r["python_version"] = platform.python_version()
    print(report(r))
    if args.json:
        Path(args.json).write_text(json.dumps(r, ensure_ascii=False, indent=2))
    return 1 if r.get("dead") else 0


if __name__ == "__main__":
    sys.exit(main())
