"""Read-side benchmarks on a generated profile (B by default), SQLite and PostgreSQL.

Targets (issue 2): compliance roll-up of all branches over one quarter <= 30 ms; one
member's full history <= 10 ms; one branch's attendance rates for a year <= 10 ms; the
stress profile within 3x of those.

Everything is measured through the services (permission checks included), as the app
calls them, interleaved round by round with two baselines run side by side on the same
connection, because this machine is noisy:

- ``naive``: the roll-up as a plain GROUP BY on a formatted date (what the design notes
  measured at 90 ms over 300 branches);
- ``select1``: one round trip, the floor of any query.

    uv run python bench/queries.py --profile B --backend both
    uv run python bench/queries.py --profile stress --backend sqlite --repeat 15

Databases are built once and kept: SQLite in bench/results/, PostgreSQL as the database
``branchtui_bench_<profile>`` on the server of --pg-url.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from peewee import SQL, fn  # noqa: E402

from branchtui.core.enums import OrgKind, PeriodKind  # noqa: E402
from branchtui.core.periods import period_containing  # noqa: E402
from branchtui.demo.generate import build  # noqa: E402
from branchtui.services import FixedClock, Services  # noqa: E402
from branchtui.store import models as m  # noqa: E402
from branchtui.store.db import is_sqlite, open_database, upgrade  # noqa: E402

TODAY = date(2026, 11, 27)
TARGETS_MS = {"compliance": 30.0, "history": 10.0, "rates": 10.0}


def _pg_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def open_profile(profile: str, backend: str, pg_url: str, rebuild: bool):
    if backend == "sqlite":
        path = ROOT / "results" / f"profile-{profile}.sqlite3"
        path.parent.mkdir(exist_ok=True)
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        name = f"branchtui_bench_{profile.lower()}"
        if rebuild:
            import psycopg

            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        url = _pg_database(pg_url, name)
    db = open_database(url)
    upgrade(db)
    with db.connection_context():
        empty = not m.Org.select().exists()
    if empty:
        t0 = time.perf_counter()
        summary = build(db, profile, today=TODAY, progress=lambda s: print("  " + s,
                                                                             file=sys.stderr))
        print(f"built profile {profile} on {backend} in {time.perf_counter() - t0:.1f} s: "
              f"{summary.members} members, {summary.meetings} meetings, "
              f"{summary.attendance} attendance rows", file=sys.stderr)
    db.execute_sql("ANALYZE")  # fresh statistics, as a maintained server would have
    return db


def naive_rollup_sql(db, start: date, end: date) -> tuple[str, tuple]:
    fmt = "strftime('%Y-%m', mo.day)" if is_sqlite(db) else "to_char(mo.day, 'YYYY-MM')"
    sql = (f"SELECT mo.branch_id, mo.obligation, {fmt} AS ym, COUNT(*) "
           "FROM meeting_obligation mo JOIN meeting mt ON mt.id = mo.meeting_id "
           f"WHERE {fmt} >= %s AND {fmt} < %s AND mt.status IN ('closed', 'sealed') "
           "GROUP BY mo.branch_id, mo.obligation, ym")
    if is_sqlite(db):
        sql = sql.replace("%s", "?")
    return sql, (start.strftime("%Y-%m"), end.strftime("%Y-%m"))


def measure(ops: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Round-robin: every round runs every op once, so noise hits all of them alike."""
    for op in ops.values():  # warm caches and connections
        for _ in range(3):
            op()
    times: dict[str, list[float]] = {k: [] for k in ops}
    for _ in range(repeat):
        for name, op in ops.items():
            t0 = time.perf_counter()
            op()
            times[name].append((time.perf_counter() - t0) * 1000)
    return times


def run(profile: str, backend: str, pg_url: str, repeat: int, rebuild: bool) -> dict:
    db = open_profile(profile, backend, pg_url, rebuild)
    svc = Services.create(db, FixedClock(datetime(2026, 11, 27, 9)))
    with db.connection_context():
        admin = svc.roster.actor_for_login("admin")
        top = (m.Org.select(m.Org.id).where(m.Org.kind == OrgKind.WORK_COMMITTEE.value)
               .order_by(m.Org.id).scalar())
        member_id, n_rows = (m.Attendance.select(m.Attendance.member,
                                                 fn.COUNT(m.Attendance.id).alias("n"))
                             .group_by(m.Attendance.member).order_by(SQL("n DESC"))
                             .limit(1).tuples().first())
        branch_id = (m.Attendance.select(m.Attendance.branch)
                     .where(m.Attendance.meeting_day >= date(2025, 1, 1))
                     .group_by(m.Attendance.branch)
                     .order_by(fn.COUNT(m.Attendance.id).desc()).limit(1).scalar())
        branches = m.Org.select().where(m.Org.kind == OrgKind.BRANCH.value).count()
        attendance = m.Attendance.select().count()
    quarter = period_containing(PeriodKind.QUARTER, date(2026, 7, 1))
    sql, params = naive_rollup_sql(db, quarter.starts, quarter.ends)
    db.connect(reuse_if_open=True)
    ops = {
        "compliance": lambda: svc.queries.compliance(admin, top, quarter),
        "history": lambda: svc.queries.member_history(admin, member_id),
        "rates": lambda: svc.queries.attendance_rates(admin, branch_id, 2025),
        "naive": lambda: db.execute_sql(sql, params).fetchall(),
        "select1": lambda: db.execute_sql("SELECT 1").fetchall(),
    }
    check = svc.queries.compliance(admin, top, quarter)
    assert len(check) == branches, (len(check), branches)
    times = measure(ops, repeat)
    result = {
        "profile": profile, "backend": backend, "branches": branches,
        "attendance_rows": attendance, "history_rows": n_rows, "repeat": repeat,
        "ops": {k: {"median_ms": round(statistics.median(v), 2),
                    "p95_ms": round(sorted(v)[int(0.95 * (len(v) - 1))], 2)}
                for k, v in times.items()},
    }
    db.close()
    return result


def table(results: list[dict]) -> str:
    lines = ["| profile | backend | op | median ms | p95 ms | target ms | vs naive roll-up | "
             "vs SELECT 1 |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        naive = r["ops"]["naive"]["median_ms"]
        one = r["ops"]["select1"]["median_ms"]
        factor = 3 if r["profile"] == "stress" else 1
        for op in ("compliance", "history", "rates", "naive", "select1"):
            o = r["ops"][op]
            target = TARGETS_MS.get(op)
            lines.append(
                f"| {r['profile']} | {r['backend']} | {op} | {o['median_ms']} | {o['p95_ms']} | "
                f"{target * factor if target else ''} | {o['median_ms'] / naive:.2f} | "
                f"{o['median_ms'] / one:.0f}x |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--profile", default="B", choices=("A", "B", "stress"))
    p.add_argument("--backend", default="both", choices=("sqlite", "pg", "both"))
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    backends = ("sqlite", "pg") if args.backend == "both" else (args.backend,)
    results = [run(args.profile, b, args.pg_url, args.repeat, args.rebuild) for b in backends]
    print(table(results))
    for r in results:
        print(f"{r['backend']}: {r['branches']} branches, {r['attendance_rows']} attendance "
              f"rows, history of {r['history_rows']} rows")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
