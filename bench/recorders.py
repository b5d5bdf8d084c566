"""50 recorders, each writing into its own open meeting for 60 s, on profile B: errors, lost
updates, throughput and write latency, next to one recorder alone (issue 4).

    uv run python bench/recorders.py                                # SQLite, then PostgreSQL
    uv run python bench/recorders.py --backend sqlite --recorders 5 --seconds 5   # quick
    uv run python bench/recorders.py --backend pg --json out.json

Setup, through the services on a fresh profile B database (a copy of the cached SQLite
build, or a scratch schema of the database ``branchtui_bench``, see bench/sessions.py):
in 1 + ``--recorders`` different branches the secretary schedules a meeting for now, with
an ordinary member of the branch as its recorder, and opens it.

Each recorder is a separate OS process with its own connection that does what the
recorder's screens do, through the services: it loads the attendance sheet once, then, in
a closed loop (``--think-ms`` adds a pause between writes), marks members down the sheet
(出席/迟到/请假/缺席, a reason for 请假) with the version it holds for the row, adds speeches
(言必录) and now and then corrects one of its own earlier speeches (``edit_speech`` with the
version it holds). It keeps what it believes is in the database: every row's status,
reason and version, every speech's text and version, and how many writes committed.
Nobody else writes to its meeting, so a ``Conflict`` would mean a lost or phantom write:
it is counted (and must be 0), not retried.

Phases: the baseline (one recorder alone for ``--seconds``), then ``--recorders`` at once
(released together by a barrier) for the same time. Afterwards the parent checks in SQL,
meeting by meeting, that the attendance rows and speeches are exactly what the recorder
believes (values and versions, nothing missing, nothing extra) and that the change log
grew by exactly the number of committed writes; the hash chains are verified through the
services. Latency is per service call, measured with ``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import queue
import random
import sqlite3
import statistics
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sessions import PG_ADMIN_URL, code_version, loadavg, profile_b

BARRIER_TIMEOUT = 300.0
STATUSES = ("present", "late", "leave", "absent")


# -- one recorder (a child process) ---------------------------------------------------------


def _recorder(idx: int, url: str, job: dict[str, Any], barrier: Any, out: Any) -> None:
    """Puts exactly one result dict on ``out``."""
    from branchtui.core.enums import AttendanceStatus, LeaveKind
    from branchtui.core.errors import Conflict
    from branchtui.services import Services
    from branchtui.store.db import open_database

    res: dict[str, Any] = {
        "idx": idx,
        "meeting_id": job["meeting_id"],
        "lat": [],
        "ops": {"mark": 0, "speech": 0, "edit": 0},
        "conflicts": 0,
        "errors": [],
        "rows": {},
        "speeches": {},
        "committed": 0,
        "first": None,
        "last": None,
    }
    try:
        db = open_database(url)
        svc = Services.create(db)
        actor = svc.roster.actor_for_member(job["recorder_id"], via="ssh")
        sheet = svc.meetings.attendance_sheet(actor, job["meeting_id"])
        if not sheet.can_mark:
            raise RuntimeError("the recorder may not mark this meeting")
        rows = {
            a.member_id: [a.status.value if a.status else None, a.reason, a.version]
            for a in sheet.record.attendance
            if a.status is None or a.status.value != "exempt"
        }
    except Exception:
        res["errors"].append(f"recorder {idx} setup: {traceback.format_exc()}")
        barrier.abort()
        out.put(res)
        return
    try:
        barrier.wait(timeout=BARRIER_TIMEOUT)
    except threading.BrokenBarrierError:
        res["errors"].append(f"recorder {idx}: start barrier broken")
        out.put(res)
        return
    rng = random.Random(job["seed"] * 1000 + idx)
    members = sorted(rows)
    speeches: dict[int, list[Any]] = {}
    lat: list[float] = res["lat"]
    clock = time.perf_counter
    think = job["think_ms"] / 1000
    mid, tag = job["meeting_id"], job["tag"]
    cursor = 0
    i = 0
    res["first"] = time.time()
    deadline = time.monotonic() + job["seconds"]
    try:
        while time.monotonic() < deadline:
            i += 1
            roll = rng.random()
            t0 = clock()
            try:
                if roll < 0.6 or (not speeches and roll < 0.95):
                    member = members[cursor % len(members)]
                    cursor += 1
                    status = AttendanceStatus(rng.choice(STATUSES))
                    reason = f"因公外出（{tag}{idx}-{i}）" if status.value == "leave" else ""
                    row = svc.meetings.mark(
                        actor,
                        mid,
                        member,
                        status,
                        reason=reason,
                        leave_kind=LeaveKind.OFFICIAL if reason else None,
                        expected_version=rows[member][2],
                    )
                    rows[member] = [
                        row.status.value if row.status else None,
                        row.reason,
                        row.version,
                    ]
                    res["ops"]["mark"] += 1
                elif roll < 0.95 or not speeches:
                    text = f"{tag} 第{idx:02d}号记录人第{i:05d}条：同意支部的安排，言必录[/]"
                    sp = svc.minutes.add_speech(actor, mid, text, speaker_id=rng.choice(members))
                    speeches[sp.id] = [sp.text, sp.version]
                    res["ops"]["speech"] += 1
                else:
                    sid = rng.choice(list(speeches))
                    text = f"{speeches[sid][0].split('（更正')[0]}（更正{i}）"
                    sp = svc.minutes.edit_speech(
                        actor, sid, text, expected_version=speeches[sid][1]
                    )
                    speeches[sid] = [sp.text, sp.version]
                    res["ops"]["edit"] += 1
                res["committed"] += 1
            except Conflict as exc:
                res["conflicts"] += 1
                res["errors"].append(f"recorder {idx} write {i}: unexpected conflict: {exc}")
            except Exception as exc:
                res["errors"].append(f"recorder {idx} write {i}: {type(exc).__name__}: {exc}")
            finally:
                lat.append(clock() - t0)
            if think:
                time.sleep(think * rng.uniform(0.5, 1.5))
    except Exception:
        res["errors"].append(f"recorder {idx} crashed: {traceback.format_exc()}")
    finally:
        res["last"] = time.time()
        res["rows"] = rows
        res["speeches"] = speeches
        with contextlib.suppress(Exception):
            db.close()
        out.put(res)


def _run_phase(url: str, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(jobs))
    out = ctx.Queue()
    children = [
        ctx.Process(target=_recorder, args=(i, url, job, barrier, out), daemon=True)
        for i, job in enumerate(jobs)
    ]
    for p in children:
        p.start()
    results: list[dict[str, Any]] = []
    deadline = time.monotonic() + BARRIER_TIMEOUT + jobs[0]["seconds"] + 120
    try:
        while len(results) < len(jobs):
            try:
                results.append(out.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                raise SystemExit(f"only {len(results)} of {len(jobs)} recorders reported") from None
    finally:
        for p in children:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
    return results


# -- setup and the check (the parent) -------------------------------------------------------


def setup(url: str, n: int) -> list[dict[str, Any]]:
    """n meetings in n different branches, each opened by the branch secretary, each with
    an ordinary member as recorder."""
    from branchtui.core.enums import Obligation
    from branchtui.services import MeetingDraft, Services
    from branchtui.store import models as m
    from branchtui.store.db import open_database

    db = open_database(url)
    svc = Services.create(db)
    today = svc.ctx.today()
    now = svc.ctx.now().replace(second=0)
    picked: list[tuple[int, int, int]] = []
    with svc.roster.read():
        branches = [
            b
            for (b,) in m.Org.select(m.Org.id)
            .where(m.Org.kind == "branch")
            .order_by(m.Org.id)
            .tuples()
        ]
        for bid in branches:
            sec = (
                m.Position.select(m.Position.member)
                .where(
                    (m.Position.org == bid)
                    & (m.Position.role == "secretary")
                    & (m.Position.starts <= today)
                    & (m.Position.ends.is_null() | (m.Position.ends > today))
                )
                .scalar()
            )
            officers = {
                p
                for (p,) in m.Position.select(m.Position.member)
                .where(
                    (m.Position.org == bid)
                    & (m.Position.starts <= today)
                    & (m.Position.ends.is_null() | (m.Position.ends > today))
                )
                .tuples()
            }
            member = (
                m.Membership.select(m.Membership.member)
                .where(
                    (m.Membership.branch == bid)
                    & (m.Membership.starts <= today)
                    & (m.Membership.ends.is_null() | (m.Membership.ends > today))
                    & m.Membership.member.not_in(list(officers) or [0])
                )
                .order_by(m.Membership.member)
                .scalar()
            )
            if sec is not None and member is not None:
                picked.append((bid, sec, member))
            if len(picked) == n:
                break
    if len(picked) < n:
        raise SystemExit(f"only {len(picked)} branches with a secretary and a member")
    jobs = []
    for k, (bid, sec_id, rec_id) in enumerate(picked):
        sec = svc.roster.actor_for_member(sec_id)
        made = svc.meetings.schedule(
            sec,
            MeetingDraft(
                branch_id=bid,
                title=f"记录基准第{k + 1}场支部党员大会",
                obligations=(Obligation.GENERAL_MEETING,),
                planned_start=now,
                planned_end=now + timedelta(hours=2),
                place="党员活动室",
                convener_id=sec_id,
                moderator_id=sec_id,
                recorder_id=rec_id,
            ),
        )
        svc.meetings.open(sec, made.id)
        jobs.append({"meeting_id": made.id, "recorder_id": rec_id, "branch_id": bid})
    db.close()
    return jobs


def _sql(url: str) -> Any:
    """A plain DB-API connection (no peewee) for the check."""
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url[len("sqlite:///") :])
    import psycopg

    return psycopg.connect(url)  # libpq takes the URL, ?options=-csearch_path... included


def chain_counts(url: str, meeting_ids: list[int]) -> dict[int, int]:
    with contextlib.closing(_sql(url)) as conn:
        cur = conn.cursor()
        marks = ",".join(str(int(x)) for x in meeting_ids)
        cur.execute(
            f"SELECT meeting_id, count(*) FROM change_log WHERE meeting_id IN ({marks}) "
            "GROUP BY meeting_id"
        )
        got = {int(a): int(b) for a, b in cur.fetchall()}
    return {mid: got.get(mid, 0) for mid in meeting_ids}


def check(url: str, results: list[dict[str, Any]], base: dict[int, int]) -> dict[str, Any]:
    """Lost updates, in SQL: every attendance row and speech of the recorder's meeting is
    what the recorder believes (values and versions), and the change log grew by exactly
    the committed writes. The hash chains are verified through the services."""
    from branchtui.services import Services
    from branchtui.store.db import open_database

    lost: list[str] = []
    with contextlib.closing(_sql(url)) as conn:
        cur = conn.cursor()
        ph = "?" if url.startswith("sqlite") else "%s"
        for r in results:
            mid = r["meeting_id"]
            cur.execute(
                f"SELECT member_id, status, reason, version FROM attendance "
                f"WHERE meeting_id = {ph}",
                (mid,),
            )
            db_rows = {int(a): [b, c, int(d)] for a, b, c, d in cur.fetchall()}
            for member, want in r["rows"].items():
                got = db_rows.get(int(member))
                if got != want:
                    lost.append(
                        f"meeting {mid} member {member}: recorder believes {want}, "
                        f"database has {got}"
                    )
            cur.execute(f"SELECT id, text, version FROM speech WHERE meeting_id = {ph}", (mid,))
            db_sp = {int(a): [b, int(c)] for a, b, c in cur.fetchall()}
            for sid, want in r["speeches"].items():
                got = db_sp.get(int(sid))
                if got != want:
                    lost.append(
                        f"meeting {mid} speech {sid}: recorder believes {want}, database has {got}"
                    )
            extra = set(db_sp) - {int(s) for s in r["speeches"]}
            if extra:
                lost.append(f"meeting {mid}: {len(extra)} speeches nobody believes written")
            cur.execute(f"SELECT count(*) FROM change_log WHERE meeting_id = {ph}", (mid,))
            entries = int(cur.fetchone()[0])
            if entries != base[mid] + r["committed"]:
                lost.append(
                    f"meeting {mid}: change log has {entries - base[mid]} new entries, "
                    f"{r['committed']} writes committed"
                )
    db = open_database(url)
    svc = Services.create(db)
    chain_ok = True
    for r in results:
        actor = svc.roster.actor_for_member(r["recorder_id"])
        chain_ok = chain_ok and svc.meetings.record(actor, r["meeting_id"]).chain_ok
    db.close()
    return {"lost": lost, "chain_ok": chain_ok}


# -- figures --------------------------------------------------------------------------------


def _pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary(
    label: str,
    backend: str,
    results: list[dict[str, Any]],
    chk: dict[str, Any],
    load0: str,
    load1: str,
) -> dict[str, Any]:
    lat = sorted(x * 1000 for r in results for x in r["lat"])
    ok = sum(r["committed"] for r in results)
    starts = [r["first"] for r in results if r["first"]]
    ends = [r["last"] for r in results if r["last"]]
    wall = (max(ends) - min(starts)) if starts and ends else float("nan")
    errors = [e for r in results for e in r["errors"]]
    ops = {k: sum(r["ops"][k] for r in results) for k in ("mark", "speech", "edit")}
    per = sorted(r["committed"] for r in results)
    return {
        "run": label,
        "backend": backend,
        "recorders": len(results),
        "writes": ok,
        "ops": ops,
        "errors": len(errors),
        "conflicts": sum(r["conflicts"] for r in results),
        "lost": len(chk["lost"]),
        "chain_ok": chk["chain_ok"],
        "calls": len(lat),
        "p50_ms": _pct(lat, 50),
        "p95_ms": _pct(lat, 95),
        "p99_ms": _pct(lat, 99),
        "max_ms": lat[-1] if lat else float("nan"),
        "mean_ms": statistics.fmean(lat) if lat else float("nan"),
        "over_1s": sum(1 for x in lat if x >= 1000),
        "wall_s": wall,
        "writes_per_s": ok / wall if wall else float("nan"),
        "per_recorder_min": per[0] if per else 0,
        "per_recorder_max": per[-1] if per else 0,
        "overlap": bool(starts and ends and max(starts) < min(ends)),
        "load_before": load0,
        "load_after": load1,
        "error_samples": errors[:10],
        "lost_samples": chk["lost"][:10],
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| run | backend | recorders | writes | errors | lost | chain ok | writes/s | "
        "p50 ms | p95 ms | p99 ms | max ms | ≥1 s | load before → after |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['run']} | {r['backend']} | {r['recorders']} | {r['writes']:,} | "
            f"{r['errors']} | {r['lost']} | {'yes' if r['chain_ok'] else 'NO'} | "
            f"{r['writes_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['over_1s']} | "
            f"{r['load_before']} → {r['load_after']} |"
        )
    return "\n".join(lines)


def run_backend(backend: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with profile_b(backend, args.pg, args.keep, prefix="rec") as (url, where, _pg_db):
        jobs = setup(url, 1 + args.recorders)
        print(
            f"{backend}: {where}; {args.recorders} recorders, {args.seconds:.0f} s, "
            f"think {args.think_ms:.0f} ms; {os.cpu_count()} CPUs",
            flush=True,
        )
        for label, phase in (("alone", jobs[:1]), ("concurrent", jobs[1:])):
            for job in phase:
                job.update(
                    seconds=args.seconds, think_ms=args.think_ms, seed=args.seed, tag=label[0]
                )
            base = chain_counts(url, [j["meeting_id"] for j in phase])
            load0 = loadavg()
            results = _run_phase(url, phase)
            load1 = loadavg()
            for r in results:
                r["recorder_id"] = phase[r["idx"]]["recorder_id"]
            chk = check(url, results, base)
            row = summary(label, backend, results, chk, load0, load1)
            rows.append(row)
            print(
                f"  {label}: {row['writes']:,} writes, {row['errors']} errors, "
                f"{row['lost']} lost, {row['writes_per_s']:.0f}/s, p50 {row['p50_ms']:.1f} ms, "
                f"p99 {row['p99_ms']:.1f} ms, max {row['max_ms']:.0f} ms "
                f"(load {load0} → {load1})",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--backend", choices=("sqlite", "pg", "both"), default="both")
    ap.add_argument(
        "--pg",
        default=PG_ADMIN_URL,
        help="a PostgreSQL URL used to create the database branchtui_bench",
    )
    ap.add_argument("--recorders", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause between two writes of a recorder (0: closed loop)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the database copy / schema")
    args = ap.parse_args(argv)
    backends = ("sqlite", "pg") if args.backend == "both" else (args.backend,)
    rows = []
    for backend in backends:
        rows += run_backend(backend, args)
    print()
    print(
        f"{datetime.now().isoformat(timespec='seconds')}, Python {platform.python_version()}, "
        f"code {code_version()}"
    )
    print(table(rows))
    for base, conc in zip(rows[::2], rows[1::2], strict=True):
        print(
            f"{conc['backend']}: concurrent/alone p50 x{conc['p50_ms'] / base['p50_ms']:.1f}, "
            f"p99 x{conc['p99_ms'] / base['p99_ms']:.1f}, throughput "
            f"x{conc['writes_per_s'] / base['writes_per_s']:.2f}; writes per recorder "
            f"{conc['per_recorder_min']}-{conc['per_recorder_max']}; ops {conc['ops']}"
        )
    for r in rows:
        for e in r["error_samples"]:
            print(f"  error ({r['backend']} {r['run']}): {e}", file=sys.stderr)
        for e in r["lost_samples"]:
            print(f"  LOST ({r['backend']} {r['run']}): {e}", file=sys.stderr)
        if not r["overlap"] and r["recorders"] > 1:
            print(
                f"  note ({r['backend']} {r['run']}): the recorders did not all overlap",
                file=sys.stderr,
            )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"args": vars(args), "rows": rows}, ensure_ascii=False, indent=2)
        )
    bad = any(r["errors"] or r["lost"] or not r["chain_ok"] for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
