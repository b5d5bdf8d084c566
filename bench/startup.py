"""Time to the first full frame of the home screen, and peak RSS, in a pseudo-terminal,
each run side by side with a bare Textual app that shows the same widgets (issue 3).

    uv run python bench/startup.py                 # builds a SQLite-only venv in bench/results
    uv run python bench/startup.py --runs 15 --python /path/to/venv/bin/python

"First full frame": the moment the terminal output contains the home screen's data (the
persona's name in the header line, written only after the home data has loaded), measured
from process start. The bare app writes its marker after mounting the same widgets with
static rows. Runs alternate app / bare so that noise hits both alike. Peak RSS is the
child's ru_maxrss.

peewee imports psycopg when it is installed (+200 ms, +16 MiB), so the app is measured in
a venv with the SQLite-only install (``pip install .``, no extras), as a user without
PostgreSQL would run it.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"

BARE_APP = r'''
import sys
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Label, Static

class Bare(App):
    def compose(self):
        yield Header()
        with VerticalScroll():
            yield Static("", id="who")
            for i in range(5):
                yield Label(f"section {i}")
                yield DataTable(id=f"t{i}")
            yield Static("")
        yield Footer()

    def on_mount(self):
        for i in range(5):
            t = self.query_one(f"#t{i}", DataTable)
            t.add_columns("a", "b", "c", "d", "e")
            for r in range(8):
                t.add_row(*(f"{r}-{c}" for c in range(5)))
        self.query_one("#who", Static).update("BARE-READY")

Bare().run()
'''


def sqlite_only_python() -> str:
    venv = RESULTS / "venv-sqlite-only"
    py = venv / "bin" / "python"
    if not py.exists():
        RESULTS.mkdir(exist_ok=True)
        subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        subprocess.run(["uv", "pip", "install", "-q", "--python", str(py), str(ROOT.parent)],
                       check=True)
    return str(py)


def run_in_pty(argv: list[str], marker: bytes, env: dict[str, str],
               timeout: float = 30.0) -> tuple[float, int]:
    """Start argv in a 100x32 pty; seconds until ``marker`` appears; then quit. Returns
    (seconds, 0): the caller reads the peak RSS with getrusage."""
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(argv[0], argv, env)
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 100, 0, 0))
    seen = b""
    elapsed = None
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen = (seen + chunk)[-200_000:]
            if marker in seen:
                elapsed = time.perf_counter() - t0
                break
    os.write(fd, b"\x11")  # ctrl+q
    end = time.perf_counter() + 5
    while time.perf_counter() < end:
        try:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                os.read(fd, 65536)
        except OSError:
            pass
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    os.close(fd)
    if elapsed is None:
        raise RuntimeError(f"marker {marker!r} never appeared for {argv}")
    return elapsed, 0


def measure(argv: list[str], marker: bytes, env: dict[str, str]) -> tuple[float, int]:
    """One run in its own helper process, so getrusage(RUSAGE_CHILDREN) sees only it."""
    code = (
        "import json, resource, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from startup import run_in_pty\n"
        f"s, _ = run_in_pty({argv!r}, {marker!r}, {env!r})\n"
        "print(json.dumps([s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    import json

    seconds, rss = json.loads(out.stdout.strip().splitlines()[-1])
    return seconds, rss


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--python", help="interpreter of a SQLite-only install of branchtui")
    args = p.parse_args()
    py = args.python or sqlite_only_python()
    db = RESULTS / "startup-demo-A.sqlite3"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "HOME": os.environ.get("HOME", "/tmp"), "COLORTERM": "truecolor"}
    if not db.exists():
        subprocess.run([py, "-m", "branchtui.cli", "demo", "--db", f"sqlite:///{db}",
                        "--build-only"], check=True, env=env)
    bare = RESULTS / "bare_app.py"
    bare.write_text(BARE_APP)
    app_argv = [py, "-m", "branchtui.cli", "demo", "--db", f"sqlite:///{db}", "--as", "shuji"]
    bare_argv = [py, str(bare)]
    # The secretary's name is written in the header line once the home data has loaded.
    app_marker = "李秀兰".encode()
    results: dict[str, list[tuple[float, int]]] = {"app": [], "bare": []}
    for _ in range(args.runs):
        results["app"].append(measure(app_argv, app_marker, env))
        results["bare"].append(measure(bare_argv, b"BARE-READY", env))
    print("| app | runs | time to full frame, median ms | p90 ms | peak RSS median MiB |")
    print("|---|---|---|---|---|")
    med = {}
    for name, rows in results.items():
        times = sorted(r[0] * 1000 for r in rows)
        rss = statistics.median(r[1] for r in rows) / 1024
        med[name] = (statistics.median(times), rss)
        print(f"| {name} | {len(rows)} | {med[name][0]:.0f} | "
              f"{times[int(0.9 * (len(times) - 1))]:.0f} | {rss:.1f} |")
    print(f"\nratio app/bare: time {med['app'][0] / med['bare'][0]:.2f} (target ≤ 1.25), "
          f"peak RSS {med['app'][1] / med['bare'][1]:.2f} (target ≤ 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
