"""Building the demo data (``branchtui.demo.generate.build``): this checkout next to a
baseline (another git revision of the generator), round by round, and a check that both
write the same rows.

Every build runs in a fresh process into a fresh, migrated database (a temp SQLite file,
or a scratch PostgreSQL database), so that neither side warms the other's caches; within a
round the two sides alternate, so the machine's noise hits them alike. The time is the
``build`` call alone (migrations excluded). After each build the process reads every table
back (``SELECT * ... ORDER BY id``, the values as the database stores them) and hashes it
row by row: equal digests for every table mean identical data (same rows, ids, values).

    uv run python bench/demo_build.py                          # A and B, SQLite, 5 rounds, baseline HEAD
    uv run python bench/demo_build.py --baseline 86fafde --profile A --rounds 1
    uv run python bench/demo_build.py --backend postgres --profile B
    uv run python bench/demo_build.py --today 2024-02-29 --seed 7 --profile A --rounds 1
    uv run python bench/demo_build.py --profile A --rounds 1 --keep /tmp/demo   # the files

The baseline is ``git archive REV branchtui db`` unpacked in a temp directory and put first
on ``PYTHONPATH``; exit status 1 when any digest differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BRANCHTUI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SKIP_TABLES = {"schema_migration"}  # the migration runner's history: applied-at times


# -- the child: one build, its time and its digests ---------------------------------------------


def _sqlite_digests(path: Path) -> dict[str, tuple[int, str]]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            if name not in SKIP_TABLES
        ]
        out = {}
        for table in tables:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            order = "id" if "id" in columns else "rowid"
            out[table] = _digest(conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}'))
        return out
    finally:
        conn.close()


def _pg_digests(url: str) -> dict[str, tuple[int, str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
            if name not in SKIP_TABLES
        ]
        out = {}
        for table in tables:
            out[table] = _digest(conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'))
        return out


def _digest(rows: Any) -> tuple[int, str]:
    h = hashlib.sha256()
    n = 0
    for row in rows:
        h.update(repr(tuple(row)).encode())
        h.update(b"\n")
        n += 1
    return n, h.hexdigest()


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, args.tree)
    from branchtui.demo.generate import build
    from branchtui.store.db import open_database, upgrade

    db = open_database(args.url, bind=False)
    upgrade(db)
    started, cpu_started = time.perf_counter(), time.process_time()
    summary = build(db, args.profile, today=date.fromisoformat(args.today), seed=args.seed)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    db.close()
    if args.url.startswith("sqlite:///"):
        digests = _sqlite_digests(Path(args.url[len("sqlite:///"):]))
    else:
        digests = _pg_digests(args.url)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "meetings": summary.meetings,
                      "attendance": summary.attendance, "members": summary.members,
                      "digests": digests}))


# -- the parent: rounds, both sides, the comparison ---------------------------------------------


def _baseline_tree(rev: str, into: Path) -> Path:
    tree = into / "baseline"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "branchtui", "db"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _pg_scratch() -> tuple[str, str]:
    import psycopg

    name = f"branchtui_genbench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"{PG_URL.rsplit('/', 1)[0]}/{name}"


def _pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def one_build(tree: Path, profile: str, args: argparse.Namespace, name: str) -> dict:
    """Runs one build in a child process with ``tree`` first on the path."""
    pg_name = None
    if args.backend == "sqlite":
        folder = Path(args.keep) if args.keep else Path(tempfile.gettempdir())
        url = f"sqlite:///{folder / f'{name}.sqlite3'}"
    else:
        pg_name, url = _pg_scratch()
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, __file__, "--child", "--tree", str(tree), "--url", url,
           "--profile", profile, "--today", args.today, "--seed", str(args.seed)]
    try:
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    finally:
        if pg_name:
            _pg_drop(pg_name)
        elif not args.keep:
            for suffix in ("", "-wal", "-shm", "-writelock"):
                Path(url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    return json.loads(out)


def _report(label: str, cur: list[float], base: list[float]) -> None:
    ratios = sorted(c / b for c, b in zip(cur, base, strict=True))
    print(
        f"  {label:4} current {statistics.median(cur):6.2f} s, baseline "
        f"{statistics.median(base):6.2f} s (medians); ratio of medians "
        f"{statistics.median(cur) / statistics.median(base):.3f}, per round "
        f"{statistics.median(ratios):.3f} [{ratios[0]:.3f}-{ratios[-1]:.3f}]"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="append", choices=("A", "B", "stress"))
    parser.add_argument("--baseline", default="HEAD", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--today", default=date.today().isoformat())
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--keep", metavar="DIR", help="keep the SQLite files in DIR")
    args = parser.parse_args()
    if args.child:
        args.profile = args.profile[0]
        child(args)
        return 0
    profiles = args.profile or ["A", "B"]
    differ = False
    with tempfile.TemporaryDirectory(prefix="demo-build-") as tmp:
        work = Path(tmp)
        sides = {"current": ROOT, "baseline": _baseline_tree(args.baseline, work)}
        print(f"{args.backend}, today {args.today}, seed {args.seed}, baseline {args.baseline}, "
              f"{args.rounds} rounds")
        for profile in profiles:
            times: dict[str, list[float]] = {side: [] for side in sides}
            cpu: dict[str, list[float]] = {side: [] for side in sides}
            digests: dict[str, dict] = {}
            for k in range(args.rounds):
                order = list(sides) if k % 2 == 0 else list(reversed(sides))
                for side in order:
                    name = f"demo-{profile}-{side}-{k + 1}-{uuid.uuid4().hex[:6]}"
                    result = one_build(sides[side], profile, args, name)
                    times[side].append(result["seconds"])
                    cpu[side].append(result["cpu"])
                    if digests.setdefault(side, result["digests"]) != result["digests"]:
                        print(f"  {side}: profile {profile} is not deterministic")
                        differ = True
            print(
                f"profile {profile} ({result['meetings']} meetings, {result['attendance']} "
                f"attendance rows, {result['members']} members)"
            )
            for label, measured in (("wall", times), ("CPU", cpu)):
                _report(label, measured["current"], measured["baseline"])
            same = digests["current"] == digests["baseline"]
            tables = digests["current"]
            rows = sum(n for n, _ in tables.values())
            print(f"  data: {'IDENTICAL' if same else 'DIFFERENT'} "
                  f"({len(tables)} tables, {rows} rows)")
            if not same:
                differ = True
                for table in sorted(set(tables) | set(digests["baseline"])):
                    a, b = tables.get(table), digests["baseline"].get(table)
                    if a != b:
                        print(f"    {table}: current {a}, baseline {b}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
