"""Concurrent writers into one open meeting: latency, conflicts and lost updates.

    uv run python bench/writers.py                       # temp SQLite file
    uv run python bench/writers.py --db postgresql://postgres@127.0.0.1:5432/test
    uv run python bench/writers.py --procs 20 --writes 200 --json out.json

Builds a small branch through the real services, opens meetings, then runs the same
workload twice, each time from spawned OS processes that each open their own connection:
once from ONE process (the baseline) and once from ``--procs`` processes at the same time
(released together by a barrier). A write is an attendance mark (with the version from a
fresh read; a ``Conflict`` is the correct outcome of a race and is retried after
re-reading) or a speech entry with a unique text; some go to a second meeting. Latency is
per service call (conflicted attempts included), measured with ``time.perf_counter``.
Afterwards every written speech must be there exactly once, every attendance row's
version must account for every successful mark, and the meetings' hash chains must
verify with one entry per write: anything else is reported as lost updates.

On PostgreSQL the benchmark works in a scratch schema that it creates and drops, so it
never touches the tables of the database it is pointed at. The machine is probably noisy:
read the concurrent figures against the baseline beside them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import queue
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from branchtui.core.enums import AttendanceStatus, LeaveKind, Obligation
from branchtui.core.errors import Conflict
from branchtui.services import FixedClock, MeetingDraft, MemberDraft, Services
from branchtui.store import models as m
from branchtui.store.db import is_sqlite, open_database, upgrade

NOW = datetime(2026, 11, 27, 9, 0)
JOINED = date(2020, 1, 1)
STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT,
            AttendanceStatus.LEAVE)
MAX_ATTEMPTS = 500
BARRIER_TIMEOUT = 180.0


# -- the workload (runs in the child processes) ----------------------------------------------


def _fresh_version(svc: Services, meeting_id: int, member_id: int) -> int:
    with svc.meetings.read():
        return int(
            m.Attendance.select(m.Attendance.version)
            .where((m.Attendance.meeting == meeting_id) & (m.Attendance.member == member_id))
            .scalar()
        )


def _worker(idx: int, url: str, plan: dict[str, Any], barrier: Any, out: Any) -> None:
    """One client process; puts exactly one result dict on ``out``."""
    res: dict[str, Any] = {"idx": idx, "lat": [], "marks": [], "speeches": [],
                           "conflicts": 0, "errors": [], "first": None, "last": None}
    db = None
    try:
        db = open_database(url)
        svc = Services.create(db, FixedClock(NOW))
        actors = [svc.roster.actor_for_member(a) for a in plan["actor_ids"]]
        with svc.meetings.read():  # connect and warm up before the start line
            pass
    except Exception:
        res["errors"].append(f"child {idx} setup: {traceback.format_exc()}")
        barrier.abort()
        out.put(res)
        return
    try:
        barrier.wait(timeout=BARRIER_TIMEOUT)
    except threading.BrokenBarrierError:
        res["errors"].append(f"child {idx}: start barrier broken")
        out.put(res)
        return
    try:
        _writes(idx, svc, actors, plan, res)
    except Exception:
        res["errors"].append(f"child {idx} crashed: {traceback.format_exc()}")
    finally:
        db.close()
        out.put(res)


def _writes(idx: int, svc: Services, actors: list[Any], plan: dict[str, Any],
            res: dict[str, Any]) -> None:
    rng = random.Random(plan["seed"] * 1000 + idx)
    members: list[int] = plan["member_ids"]
    lat: list[float] = res["lat"]
    clock = time.perf_counter
    res["first"] = time.time()
    for i in range(plan["writes"]):
        meeting_id = (plan["second_id"] if rng.random() < plan["second_share"]
                      else plan["meeting_id"])
        actor = actors[(idx + i) % len(actors)]
        if i % 2 == 0:
            member_id = rng.choice(members)
            status = rng.choice(STATUSES)
            reason = f"因公外出 {plan['tag']}c{idx}w{i}" if status is AttendanceStatus.LEAVE else ""
            for _attempt in range(MAX_ATTEMPTS):
                version = _fresh_version(svc, meeting_id, member_id)
                t0 = clock()
                try:
                    svc.meetings.mark(actor, meeting_id, member_id, status, reason=reason,
                                      leave_kind=LeaveKind.OFFICIAL if reason else None,
                                      expected_version=version)
                except Conflict:
                    lat.append(clock() - t0)
                    res["conflicts"] += 1
                    continue
                except Exception as exc:
                    lat.append(clock() - t0)
                    res["errors"].append(f"child {idx} write {i} mark: "
                                         f"{type(exc).__name__}: {exc}")
                    break
                lat.append(clock() - t0)
                res["marks"].append((meeting_id, member_id, version))
                break
            else:
                res["errors"].append(f"child {idx} write {i}: {MAX_ATTEMPTS} conflicts in a row")
        else:
            text = f"{plan['tag']} 第{idx:02d}号客户端第{i:04d}条发言：言必录[/]"
            t0 = clock()
            try:
                svc.minutes.add_speech(actor, meeting_id, text, speaker_id=rng.choice(members))
            except Exception as exc:
                lat.append(clock() - t0)
                res["errors"].append(f"child {idx} write {i} speech: {type(exc).__name__}: {exc}")
            else:
                lat.append(clock() - t0)
                res["speeches"].append((meeting_id, text))
    res["last"] = time.time()


# -- the parent -------------------------------------------------------------------------------


def _run_phase(url: str, procs: int, plan: dict[str, Any]) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(procs)
    out = ctx.Queue()
    children = [ctx.Process(target=_worker, args=(i, url, plan, barrier, out), daemon=True)
                for i in range(procs)]
    for p in children:
        p.start()
    results: list[dict[str, Any]] = []
    deadline = time.monotonic() + BARRIER_TIMEOUT + 60 * max(1, plan["writes"] // 50)
    try:
        while len(results) < procs:
            try:
                results.append(out.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                raise SystemExit(f"only {len(results)} of {procs} writers reported") from None
    finally:
        for p in children:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
    return results


def _setup(svc: Services, members: int) -> dict[str, Any]:
    """A branch with ``members`` members and a recorder, and two pairs of open meetings
    (one pair for the baseline, one for the concurrent run)."""
    admin = svc.roster.bootstrap(
        "基准测试党委", "基准测试党支部",
        MemberDraft(name="书记", login="bench-admin", admitted=date(1990, 1, 1),
                    full_since=date(1991, 1, 1)),
    )
    branch_id = svc.roster.my_branches(admin)[0].id
    ids = []
    for i in range(members - 1):
        mem = svc.roster.add_member(
            admin, branch_id,
            MemberDraft(name=f"党员{i:03d}", login=f"bench-m{i:03d}", admitted=date(2015, 3, 1),
                        full_since=date(2016, 3, 1) if i % 7 else None),
            starts=JOINED)
        ids.append(mem.id)
    recorder = ids[0]

    def meeting(hour: int, title: str) -> int:
        start = NOW.replace(hour=hour)
        made = svc.meetings.schedule(admin, MeetingDraft(
            branch_id=branch_id, title=title, obligations=(Obligation.THEME_DAY,),
            planned_start=start, planned_end=start + timedelta(hours=1),
            place="会议室", convener_id=admin.member_id, moderator_id=admin.member_id,
            recorder_id=recorder))
        svc.meetings.open(admin, made.id)
        return made.id

    pairs = {"baseline": (meeting(9, "基准：单进程"), meeting(10, "基准：单进程（第二会议）")),
             "concurrent": (meeting(14, "基准：多进程"), meeting(16, "基准：多进程（第二会议）"))}
    rec = svc.meetings.record(admin, pairs["baseline"][0])
    return {"admin": admin, "actor_ids": [admin.member_id, recorder], "pairs": pairs,
            "member_ids": [a.member_id for a in rec.attendance]}


def _check(svc: Services, admin: Any, meetings: tuple[int, int], base_entries: dict[int, int],
           results: list[dict[str, Any]]) -> dict[str, Any]:
    """Lost updates: speeches missing or doubled, attendance rows whose version does not
    account for the successful marks, marks accepted on a stale version, chain entries
    missing; and whether the chains verify."""
    bases: dict[tuple[int, int], list[int]] = {}
    for r in results:
        for mt, mb, v in r["marks"]:
            bases.setdefault((mt, mb), []).append(v)
    written = [(mt, t) for r in results for mt, t in r["speeches"]]
    lost: list[str] = []
    chain_ok = True
    for mid in meetings:
        rec = svc.meetings.record(admin, mid)
        mine = [t for x, t in written if x == mid]
        present = Counter(s.text for s in rec.speeches)
        lost += [f"speech missing: {t}" for t in mine if t not in present]
        lost += [f"speech stored {n} times: {t}" for t, n in present.items() if n > 1]
        for a in rec.attendance:
            got = sorted(bases.get((mid, a.member_id), []))
            if got != list(range(1, a.version)):
                lost.append(f"meeting {mid} member {a.member_id}: version {a.version}, "
                            f"marks accepted on versions {got}")
        n_marks = sum(len(v) for (x, _), v in bases.items() if x == mid)
        expected = base_entries[mid] + n_marks + len(mine)
        if rec.chain_entries != expected:
            lost.append(f"meeting {mid}: chain has {rec.chain_entries} entries, "
                        f"expected {expected}")
        chain_ok = chain_ok and rec.chain_ok
    return {"lost": lost, "chain_ok": chain_ok}


def _pct(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return float("nan")
    k = (len(sorted_ms) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_ms) - 1)
    return sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * (k - lo)


def _summary(label: str, backend: str, procs: int, writes: int,
             results: list[dict[str, Any]], check: dict[str, Any]) -> dict[str, Any]:
    lat = sorted(x * 1000 for r in results for x in r["lat"])
    ok = sum(len(r["marks"]) + len(r["speeches"]) for r in results)
    starts = [r["first"] for r in results if r["first"]]
    ends = [r["last"] for r in results if r["last"]]
    wall = (max(ends) - min(starts)) if starts and ends else float("nan")
    errors = [e for r in results for e in r["errors"]]
    return {
        "run": label, "backend": backend, "procs": procs, "writes": procs * writes,
        "ok": ok, "errors": len(errors), "conflicts": sum(r["conflicts"] for r in results),
        "lost": len(check["lost"]), "chain_ok": check["chain_ok"],
        "calls": len(lat),
        "p50_ms": _pct(lat, 50), "p95_ms": _pct(lat, 95), "p99_ms": _pct(lat, 99),
        "max_ms": lat[-1] if lat else float("nan"),
        "mean_ms": statistics.fmean(lat) if lat else float("nan"),
        "over_100ms": sum(1 for x in lat if x >= 100), "over_1s": sum(1 for x in lat if x >= 1000),
        "wall_s": wall, "writes_per_s": ok / wall if wall else float("nan"),
        "overlap": bool(starts and ends and max(starts) < min(ends)),
        "error_samples": errors[:10], "lost_samples": check["lost"][:10],
    }


def _table(rows: list[dict[str, Any]]) -> str:
    cols = [("run", "run", "{}"), ("backend", "backend", "{}"), ("procs", "procs", "{}"),
            ("writes", "writes", "{}"), ("errors", "errors", "{}"),
            ("conflicts", "conflicts (retried)", "{}"), ("lost", "lost updates", "{}"),
            ("chain_ok", "chain ok", "{}"),
            ("p50_ms", "p50 ms", "{:.1f}"), ("p95_ms", "p95 ms", "{:.1f}"),
            ("p99_ms", "p99 ms", "{:.1f}"), ("max_ms", "max ms", "{:.1f}"),
            ("over_1s", ">=1 s", "{}"), ("writes_per_s", "writes/s", "{:.0f}")]
    cells = [[h for _, h, _ in cols]] + [[f.format(r[k]) for k, _, f in cols] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    lines = ["  ".join(c.rjust(wd) if i > 1 else c.ljust(wd)
                       for i, (c, wd) in enumerate(zip(row, widths, strict=True)))
             for row in cells]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


@contextmanager
def _target(url: str | None, keep: bool) -> Iterator[tuple[str, str]]:
    """(url to use, what to print). A temp SQLite file, or a scratch PostgreSQL schema."""
    if url is None:
        tmp = tempfile.mkdtemp(prefix="branchtui-bench-")
        try:
            yield f"sqlite:///{tmp}/bench.sqlite3", f"{tmp}/bench.sqlite3"
        finally:
            if not keep:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    if url.startswith(("postgresql://", "postgres://")):
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
            sep = "&" if "?" in url else "?"
            try:
                yield f"{url}{sep}options={quote(f'-csearch_path={schema}')}", f"schema {schema}"
            finally:
                if not keep:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        return
    yield url, url


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--db", help="database URL (default: a temp SQLite file; on PostgreSQL "
                                 "a scratch schema is created and dropped)")
    ap.add_argument("--procs", type=int, default=20, help="concurrent writer processes")
    ap.add_argument("--writes", type=int, default=200, help="writes per process")
    ap.add_argument("--members", type=int, default=30, help="members in the branch")
    ap.add_argument("--second-share", type=float, default=0.1,
                    help="share of writes that go to a second open meeting")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the database / schema")
    args = ap.parse_args(argv)

    with _target(args.db, args.keep) as (url, where):
        db = open_database(url)
        upgrade(db)
        backend = "sqlite" if is_sqlite(db) else "postgresql"
        svc = Services.create(db, FixedClock(NOW))
        world = _setup(svc, args.members)
        with svc.meetings.read():
            version = (db.execute_sql("select sqlite_version()") if is_sqlite(db)
                       else db.execute_sql("show server_version")).fetchone()[0]
        print(f"{backend} {version} at {where}; {os.cpu_count()} CPUs; "
              f"{len(world['member_ids'])} members; {args.writes} writes per process",
              flush=True)
        rows = []
        for label, procs in (("baseline", 1), ("concurrent", args.procs)):
            main_id, second_id = world["pairs"][label]
            base_entries = {mid: svc.meetings.record(world["admin"], mid).chain_entries
                            for mid in (main_id, second_id)}
            plan = {"seed": args.seed, "writes": args.writes, "meeting_id": main_id,
                    "second_id": second_id, "second_share": args.second_share,
                    "member_ids": world["member_ids"], "actor_ids": world["actor_ids"],
                    "tag": label[0]}
            db.close()  # the parent holds no connection while the children write
            results = _run_phase(url, procs, plan)
            check = _check(svc, world["admin"], (main_id, second_id), base_entries, results)
            rows.append(_summary(label, backend, procs, args.writes, results, check))
        db.close()

    print(_table(rows))
    base, conc = rows
    print(f"ratio concurrent/baseline: p50 x{conc['p50_ms'] / base['p50_ms']:.1f}, "
          f"p95 x{conc['p95_ms'] / base['p95_ms']:.1f}, "
          f"p99 x{conc['p99_ms'] / base['p99_ms']:.1f}, "
          f"throughput x{conc['writes_per_s'] / base['writes_per_s']:.2f}")
    for r in rows:
        for e in r["error_samples"]:
            print(f"  error ({r['run']}): {e}", file=sys.stderr)
        for e in r["lost_samples"]:
            print(f"  LOST ({r['run']}): {e}", file=sys.stderr)
        if not r["overlap"] and r["procs"] > 1:
            print(f"  note ({r['run']}): the writers did not all overlap", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"args": vars(args), "backend": backend, "server_version": version,
                       "cpus": os.cpu_count(), "python": platform.python_version(),
                       "runs": rows}, fh, ensure_ascii=False, indent=2)
    bad = any(r["errors"] or r["lost"] or not r["chain_ok"] for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
