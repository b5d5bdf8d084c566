"""One member's login over SSH while the gateway is flooded (issue 10): time from starting
``ssh`` to the first full frame of their home screen, on an idle gateway and under a flood,
side by side in one run.

    uv run python bench/gateway_flood.py                  # 1,000 silent connections, 100 logins
    uv run python bench/gateway_flood.py --silent 200 --logins 10 --rounds 2   # a quick check

The gateway (``branchtui serve``, default limits) runs on a loopback port on a copy of the
profile A demo database of bench/startup.py, in its SQLite-only venv, as in
bench/sessions.py; members get keys through ``roster.add_key`` (``plan_sessions``), and
every login is the real OpenSSH client (``ssh -tt``) in a pseudo-terminal of its own. The
first full frame: the member's name in the header, written once the home data has loaded.
Three cases, each probed by the same member:

1. idle: nothing else happens (``--rounds`` logins, one after another);
2. silent flood: ``--silent`` TCP connections that never send a byte are kept open: each one
   the gateway closes is replaced, at most ``--churn`` a second (``--rounds`` logins);
3. the same flood, and ``--logins`` other members logging in at once; the probe starts
   right after them (one login per round; ``--flood-rounds`` rounds). Their first frames
   are reported too, and then all of them drop at once (their ssh clients killed): how
   long the gateway took to see every app gone, and whether any needed SIGTERM or
   SIGKILL after the hang-up.

Also reported: the gateway's log during the flood (lines and bytes), and how many silent
connections were opened and closed. Loopback only, bounded in count (``--silent`` at most
5,000, ``--logins`` at most 200) and in time (``--deadline`` seconds for the whole run);
everything it started is stopped at the end. The load average is printed: the machine is
shared.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sessions import (
    Pty,
    Reader,
    Who,
    cpu_seconds,
    loadavg,
    plan_sessions,
    ssh_argv,
    start_gateway,
)
from startup import demo_db, sqlite_only_python

from branchtui.serve import raise_open_files_limit

MAX_SILENT = 5000
MAX_LOGINS = 200
CTRL_Q = b"\x11"
SESSION_END = re.compile(r"session member=(\d+) .* end=client closed status=(\d+)(.*)")


class SilentFlood(threading.Thread):
    """Keeps ``n`` TCP connections to 127.0.0.1:``port`` open that never send a byte; one
    the gateway closes is replaced, at most ``churn`` a second (0: not replaced)."""

    def __init__(self, port: int, n: int, churn: float, until: float) -> None:
        super().__init__(daemon=True)
        self.port, self.n, self.churn, self.until = port, n, churn, until
        self.sel = selectors.DefaultSelector()
        self.opened = self.closed = 0
        self.stopped = threading.Event()
        self.ready = threading.Event()  # the first ``n`` are open

    def _open(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", self.port))  # in progress, or done: either is fine
        self.sel.register(sock, selectors.EVENT_READ)
        self.opened += 1

    def open_now(self) -> int:
        return len(self.sel.get_map())

    def run(self) -> None:
        try:
            for _ in range(self.n):
                self._open()
            self.ready.set()
            budget, last = 0.0, time.monotonic()
            while not self.stopped.is_set() and time.monotonic() < self.until:
                for key, _ in self.sel.select(0.05):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    try:
                        data = sock.recv(4096)  # the gateway's version line, if any
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        self.sel.unregister(sock)
                        sock.close()
                        self.closed += 1
                now = time.monotonic()
                budget = min(budget + (now - last) * self.churn, self.churn)
                last = now
                while budget >= 1 and self.open_now() < self.n:
                    self._open()
                    budget -= 1
        finally:
            self.ready.set()
            for key in list(self.sel.get_map().values()):
                with contextlib.suppress(OSError):
                    key.fileobj.close()  # type: ignore[union-attr]
            self.sel.close()


class Login(Pty):
    """``ssh`` for one member, noting the moment the first full frame arrives (the reader
    thread feeds it): waiting for many in turn must not count the wait for the others."""

    def __init__(self, who: Who, port: int, env: dict[str, str]) -> None:
        assert who.key is not None
        self.marker = who.name.encode()
        self.seen: float | None = None
        super().__init__(ssh_argv(who.key, port), env, 100, 32)

    def feed(self, data: bytes) -> None:
        super().feed(data)
        if self.seen is None and self.marker in self.buf[-(len(data) + len(self.marker)):]:
            self.seen = time.monotonic() - self.started

    def first_frame(self, timeout: float) -> float | None:
        """Seconds from start to the first full frame, None when the connection ended."""
        deadline = time.monotonic() + timeout
        while self.seen is None and time.monotonic() < deadline:
            if self.eof or self.proc.poll() is not None:
                time.sleep(0.2)  # the last bytes may still be on their way
                break
            time.sleep(0.05)
        if self.seen is None and self.marker.decode() in self.text():  # split by escapes
            self.seen = time.monotonic() - self.started
        return self.seen


def login(reader: Reader, who: Who, port: int, env: dict[str, str],
          timeout: float) -> tuple[Login, float | None]:
    """Start ``ssh`` for ``who``: the pty, and the seconds to its first full frame (None
    when the connection ended first)."""
    p = reader.add(Login(who, port, env))
    return p, p.first_frame(timeout)


def probe(reader: Reader, who: Who, port: int, env: dict[str, str], timeout: float) -> float:
    """One login to the first frame, then Ctrl+Q and wait for the end."""
    p, took = login(reader, who, port, env, timeout)
    try:
        if took is None:
            raise SystemExit(f"the probe login failed:\n{p.text()[-1500:]}")
        p.send(CTRL_Q)
        p.proc.wait(30)
        return took
    finally:
        p.stop(signal.SIGKILL)


def spread(xs: list[float]) -> str:
    return f"{min(xs):.2f}-{max(xs):.2f}" if xs else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--silent", type=int, default=1000, help="silent connections kept open")
    ap.add_argument("--churn", type=float, default=500.0,
                    help="replacements a second for silent connections the gateway closes")
    ap.add_argument("--logins", type=int, default=100, help="members logging in at once")
    ap.add_argument("--rounds", type=int, default=5, help="probe logins, idle and flooded")
    ap.add_argument("--flood-rounds", type=int, default=1,
                    help="rounds of the flood with the logins at once")
    ap.add_argument("--cap", type=int,
                    help="the gateway's --max-unauthenticated (default: its own default)")
    ap.add_argument("--deadline", type=float, default=1200.0, help="seconds for everything")
    ap.add_argument("--python", help="interpreter of the gateway (default: SQLite-only venv)")
    args = ap.parse_args(argv)
    if not (0 < args.silent <= MAX_SILENT and 0 <= args.logins <= MAX_LOGINS):
        raise SystemExit(f"--silent 1..{MAX_SILENT}, --logins 0..{MAX_LOGINS}")
    until = time.monotonic() + args.deadline
    raise_open_files_limit()  # a socket per silent connection, a pty per login
    py = args.python or sqlite_only_python()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "HOME": os.environ.get("HOME", "/tmp"),
           "COLORTERM": "truecolor"}
    cached = demo_db(py, env)
    reader = Reader()
    reader.start()
    ptys: list[Pty] = []
    flood: SilentFlood | None = None
    with tempfile.TemporaryDirectory(prefix="branchtui-flood-") as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "demo-A.sqlite3"
        shutil.copyfile(cached, path)
        url = f"sqlite:///{path}"
        print(f"profile A copy, keys for {args.logins + 1} members ...", flush=True)
        who = plan_sessions(url, tmp, args.logins + 1, 5, 0, 0)
        crowd, me = who[:-1], who[-1]
        cap = ("--max-unauthenticated", str(args.cap)) if args.cap else ()
        gw = start_gateway(py, url, tmp / "host_key", args.logins + 20, *cap)
        for line in gw.log:
            if "open files" in line:
                print("gateway:", line.split(" branchtui.serve ")[-1])
        try:
            probe(reader, me, gw.port, env, 60)  # writes the caches; not counted
            figures: dict[str, list[float]] = {"idle": [], "silent": [], "logins": []}
            print(f"idle: {args.rounds} logins (load {loadavg()})", flush=True)
            for _ in range(args.rounds):
                figures["idle"].append(probe(reader, me, gw.port, env, 60))
            flood = SilentFlood(gw.port, args.silent, args.churn, until)
            log_from = len(gw.log)
            flood.start()
            flood.ready.wait(60)
            print(f"silent flood: {args.rounds} logins (load {loadavg()})", flush=True)
            cpu0, t0 = cpu_seconds(gw.proc.pid), time.monotonic()
            for _ in range(args.rounds):
                figures["silent"].append(probe(reader, me, gw.port, env, 120))
            gw_cpu = (cpu_seconds(gw.proc.pid) - cpu0) / (time.monotonic() - t0) * 100
            churned = flood.opened - args.silent
            crowd_frames: list[float] = []
            crowd_failed: list[str] = []
            hangups: list[str] = []
            for rnd in range(args.flood_rounds):
                print(f"flood + {args.logins} logins at once, round {rnd + 1} "
                      f"(load {loadavg()})", flush=True)
                failed_before = len(crowd_failed)
                started = [(w, reader.add(Login(w, gw.port, env))) for w in crowd]
                ptys.extend(p for _, p in started)
                p_me, took = login(reader, me, gw.port, env, max(60.0, until - time.monotonic()))
                ptys.append(p_me)
                if took is None:
                    crowd_failed.append("the probe: " + p_me.text()[-300:].strip())
                else:
                    figures["logins"].append(took)
                for _w, p in started:
                    seen = p.first_frame(max(1.0, until - time.monotonic()))
                    if seen is None:
                        crowd_failed.append(p.text()[-300:].strip().replace("\n", " "))
                    else:
                        crowd_frames.append(seen)
                print(f"  all up (load {loadavg()}); dropping all {len(started) + 1} at once",
                      flush=True)
                mark = len(gw.log)
                dropped = time.monotonic()
                for p in [p for _, p in started] + [p_me]:
                    p.stop(signal.SIGKILL)
                up = len(started) + 1 - (len(crowd_failed) - failed_before)
                gone = 0.0
                while time.monotonic() < dropped + 60:
                    ends = [m for line in gw.log[mark:] if (m := SESSION_END.search(line))]
                    if len(ends) >= up:
                        gone = time.monotonic() - dropped
                        break
                    time.sleep(0.1)
                hangups.append(f"{len(ends)} of {up} apps gone {gone:.1f} s after their "
                               f"clients dropped; exited on the SIGHUP: "
                               f"{sum(m.group(2) == '129' and 'SIGTERM' not in m.group(3) for m in ends)}, "
                               f"needed SIGTERM: {sum('SIGTERM' in m.group(3) for m in ends)}, "
                               f"SIGKILL: {sum('SIGKILL' in m.group(3) for m in ends)}")
                for p in ptys:
                    p.proc.wait(10)
            flood_log = gw.log[log_from:]
        finally:
            if flood is not None:
                flood.stopped.set()
                flood.join(10)
            for p in ptys:
                p.stop(signal.SIGKILL)
            if gw.proc.poll() is None:
                gw.proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    gw.proc.wait(30)
            if gw.proc.poll() is None:
                gw.proc.kill()
            reader.stopped = True
            reader.join(2)
            for p in ptys:
                with contextlib.suppress(OSError):
                    os.close(p.master)

    idle = statistics.median(figures["idle"])
    print(f"\nload average at the end: {loadavg()}")
    print("| case | logins | first frame, median s | range s | ÷ idle |")
    print("|---|---|---|---|---|")
    for name, label in (("idle", "idle gateway"),
                        ("silent", f"{args.silent:,} silent connections kept open"),
                        ("logins", f"the same, and {args.logins} other logins at once")):
        xs = figures[name]
        if xs:
            print(f"| {label} | {len(xs)} | {statistics.median(xs):.2f} | {spread(xs)} | "
                  f"{statistics.median(xs) / idle:.2f} |")
        else:
            print(f"| {label} | 0 (refused) | | | |")
    print(f"\ngateway: --max-unauthenticated {args.cap or 'default (64)'}, "
          f"--max-sessions {args.logins + 20}, other limits at their defaults")
    print(f"silent connections: {flood.opened if flood else 0:,} opened, "
          f"{flood.closed if flood else 0:,} closed by the gateway; while the probe "
          f"logged in alone under the flood, {churned:,} replaced and the gateway used "
          f"{gw_cpu:.0f}% of a core")
    if crowd_frames:
        xs = sorted(crowd_frames)
        print(f"the {args.logins} logins at once: {len(xs)} first frames, median "
              f"{statistics.median(xs):.1f} s, p95 {xs[int(0.95 * (len(xs) - 1))]:.1f} s, "
              f"max {xs[-1]:.1f} s; {len(crowd_failed)} failed (the probe included)")
    for reason in crowd_failed[:5]:
        print(f"  failed: {reason}")
    for line in hangups:
        print(f"hang-up: {line}")
    size = sum(len(line) + 1 for line in flood_log)
    summaries = [line for line in flood_log if "connections in the last" in line]
    print(f"gateway log during the flood: {len(flood_log)} lines, {size:,} bytes "
          f"({len(summaries)} summary lines)")
    for line in summaries[:3]:
        print("  " + line.split(" branchtui.serve ")[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
