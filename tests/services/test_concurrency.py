"""Twenty OS processes write into the same open meeting at the same time, on both backends.

Each child opens its own connection (``open_database``) and its own ``Services``, waits
behind a barrier, then mixes attendance marks (optimistic, with the version from a fresh
read; a ``Conflict`` is the correct outcome of a race and is retried after re-reading) with
speech entries (unique texts). Afterwards nothing may be lost or doubled, every row's
version must account for every successful mark, and the meeting's hash chain must verify
with exactly one entry per successful write.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import random
import threading
import time
import traceback
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from branchtui.core.enums import AttendanceStatus, LeaveKind
from branchtui.core.errors import Conflict
from branchtui.services import FixedClock, Services
from branchtui.store import models as m
from branchtui.store.db import open_database, upgrade
from tests.conftest import NOW
from tests.factories import build_world, draft

PROCS = 20
WRITES = 40  # per process: half marks, half speeches
SECOND_MEETING_SHARE = 0.15  # "a few" writes go to another meeting
MAX_ATTEMPTS = 200  # a mark that loses this many races in a row is starvation: an error
BARRIER_TIMEOUT = 90.0  # spawning 20 interpreters on a small machine takes a while
RESULT_TIMEOUT = 150.0

STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT,
            AttendanceStatus.LEAVE)


def _fresh_version(svc: Services, meeting_id: int, member_id: int) -> int:
    """What a client sees when it reloads the row before editing it (one read
    transaction, on the service's connection)."""
    with svc.meetings.read():
        version = (
            m.Attendance.select(m.Attendance.version)
            .where((m.Attendance.meeting == meeting_id) & (m.Attendance.member == member_id))
            .scalar()
        )
    assert version is not None, f"no attendance row for member {member_id}"
    return int(version)


def _setup_failed(idx: int, barrier: Any, out: Any, result: dict[str, Any]) -> None:
    """A child could not get ready (call it in the ``except``): post why, and release the
    others from the start line."""
    result["errors"].append(f"child {idx} setup: {traceback.format_exc()}")
    barrier.abort()
    out.put(result)


def _started(idx: int, barrier: Any, out: Any, result: dict[str, Any]) -> bool:
    """Wait for every child at the start line; False (result posted) if one failed."""
    try:
        barrier.wait(timeout=BARRIER_TIMEOUT)
    except threading.BrokenBarrierError:
        result["errors"].append(f"child {idx}: start barrier broken (another child failed)")
        out.put(result)
        return False
    return True


def _writer(idx: int, url: str, plan: dict[str, Any], barrier: Any, out: Any) -> None:
    """One client process. Puts exactly one result dict on ``out``."""
    result: dict[str, Any] = {
        "idx": idx, "marks": [], "speeches": [], "conflicts": 0, "errors": [],
        "first": None, "last": None,
    }
    try:
        db = open_database(url)
        svc = Services.create(db, FixedClock(plan["now"]))
        actors = [svc.roster.actor_for_member(a) for a in plan["actor_ids"]]
    except Exception:
        _setup_failed(idx, barrier, out, result)
        return
    if not _started(idx, barrier, out, result):
        return

    try:
        _write_loop(idx, svc, actors, plan, result)
    except Exception:
        result["errors"].append(f"child {idx} crashed: {traceback.format_exc()}")
    finally:
        db.close()
        out.put(result)


def _write_loop(idx: int, svc: Services, actors: list[Any], plan: dict[str, Any],
                result: dict[str, Any]) -> None:
    rng = random.Random(plan["seed"] * 1000 + idx)
    members: list[int] = plan["member_ids"]
    result["first"] = time.time()
    for i in range(plan["writes"]):
        meeting_id = (plan["second_id"] if rng.random() < SECOND_MEETING_SHARE
                      else plan["meeting_id"])
        actor = actors[(idx + i) % len(actors)]
        if i % 2 == 0:
            member_id = rng.choice(members)
            status = rng.choice(STATUSES)
            reason = f"因公外出 c{idx:02d}w{i:03d}" if status is AttendanceStatus.LEAVE else ""
            for _attempt in range(MAX_ATTEMPTS):
                try:
                    version = _fresh_version(svc, meeting_id, member_id)
                    svc.meetings.mark(actor, meeting_id, member_id, status, reason=reason,
                                      leave_kind=LeaveKind.OFFICIAL if reason else None,
                                      expected_version=version)
                except Conflict:
                    result["conflicts"] += 1
                    continue
                except Exception as exc:
                    result["errors"].append(
                        f"child {idx} write {i}: mark meeting {meeting_id} member {member_id}"
                        f" -> {type(exc).__name__}: {exc}")
                    break
                # Accepted on top of ``version``: the row is now version + 1.
                result["marks"].append((meeting_id, member_id, version))
                break
            else:
                result["errors"].append(
                    f"child {idx} write {i}: mark of member {member_id} lost {MAX_ATTEMPTS} "
                    "races in a row (starvation)")
        else:
            text = f"第{idx:02d}号客户端第{i:03d}条发言：言必录[/]（并发测试）"
            try:
                svc.minutes.add_speech(actor, meeting_id, text,
                                       speaker_id=rng.choice(members))
            except Exception as exc:
                result["errors"].append(
                    f"child {idx} write {i}: speech to meeting {meeting_id} -> "
                    f"{type(exc).__name__}: {exc}")
            else:
                result["speeches"].append((meeting_id, text))
    result["last"] = time.time()


def _run_children(url: str, plan: dict[str, Any], target: Any = _writer,
                  n: int = PROCS) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(i, url, plan, barrier, out), daemon=True)
             for i in range(n)]
    for p in procs:
        p.start()
    results: list[dict[str, Any]] = []
    deadline = time.monotonic() + RESULT_TIMEOUT
    try:
        while len(results) < n:
            try:
                results.append(out.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                dead = [p.pid for p in procs if p.exitcode not in (None, 0)]
                pytest.fail(f"only {len(results)} of {n} writers reported within "
                            f"{RESULT_TIMEOUT:.0f} s; crashed pids: {dead}")
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
    return results


@pytest.mark.slow
def test_twenty_processes_write_one_open_meeting(db_url, db, svc, clock):
    w = build_world(svc)
    main = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 10),
                                                    title="并发写入：主会议[/]"))
    second = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 15),
                                                      title="并发写入：第二个会议"))
    svc.meetings.open(w.recorder, main.id)
    svc.meetings.open(w.recorder, second.id)
    before = {mid: svc.meetings.record(w.secretary, mid) for mid in (main.id, second.id)}
    members = [a.member_id for a in before[main.id].attendance]
    assert {a.member_id for a in before[second.id].attendance} == set(members)
    for rec in before.values():
        assert rec.chain_ok and not rec.speeches
        assert {a.version for a in rec.attendance} == {1}, "rows start at version 1"

    plan = {
        "now": NOW, "seed": 20261127, "writes": WRITES, "meeting_id": main.id,
        "second_id": second.id, "member_ids": members,
        "actor_ids": [w.recorder.member_id, w.secretary.member_id],
    }
    started = time.monotonic()
    results = _run_children(db_url, plan)
    elapsed = time.monotonic() - started

    errors = [e for r in results for e in r["errors"]]
    locked = [e for e in errors if "locked" in e.lower()]
    assert not locked, f"'database is locked' reached a caller {len(locked)} times:\n" + \
        "\n".join(locked[:10])
    assert not errors, f"{len(errors)} unexpected errors in the writers:\n" + "\n".join(
        errors[:20])

    # They really overlapped: every writer had started before the first one finished.
    last_start = max(r["first"] for r in results)
    first_end = min(r["last"] for r in results)
    assert last_start < first_end, (
        f"writers did not overlap: the last started {last_start - first_end:.3f} s after "
        "the first finished")

    marked: Counter[tuple[int, int]] = Counter()
    bases: dict[tuple[int, int], list[int]] = {}
    for r in results:
        for meeting_id, member_id, version in r["marks"]:
            marked[(meeting_id, member_id)] += 1
            bases.setdefault((meeting_id, member_id), []).append(version)
    written = [(mid, text) for r in results for mid, text in r["speeches"]]
    conflicts = sum(r["conflicts"] for r in results)
    total_marks = sum(marked.values())
    assert total_marks + len(written) == PROCS * WRITES

    after = {mid: svc.meetings.record(w.secretary, mid) for mid in (main.id, second.id)}
    for mid, rec in after.items():
        # 0 lost, 0 doubled speeches; none from nowhere.
        mine = [t for (x, t) in written if x == mid]
        assert len(set(mine)) == len(mine), "two writers used the same text: test bug"
        present = Counter(s.text for s in rec.speeches)
        lost = sorted(set(mine) - set(present))
        doubled = sorted(t for t, n in present.items() if n > 1)
        strays = sorted(set(present) - set(mine))
        assert not lost, f"meeting {mid}: {len(lost)} of {len(mine)} speeches lost: {lost[:10]}"
        assert not doubled, f"meeting {mid}: speeches stored twice: {doubled[:10]}"
        assert not strays, f"meeting {mid}: speeches nobody wrote (or in the wrong meeting): " \
            f"{strays[:10]}"

        # Every successful mark bumped its row exactly once.
        wrong = [
            (a.member_id, a.version, 1 + marked[(mid, a.member_id)])
            for a in rec.attendance if a.version != 1 + marked[(mid, a.member_id)]
        ]
        assert not wrong, (
            f"meeting {mid}: attendance versions do not match the successful marks "
            f"(member, version, expected): {wrong}")
        # ...and no two writers were accepted on top of the same version (a lost update):
        # the versions the successful marks started from are exactly 1, 2, ..., final - 1.
        stale = [
            (a.member_id, sorted(bases.get((mid, a.member_id), [])))
            for a in rec.attendance
            if sorted(bases.get((mid, a.member_id), [])) != list(range(1, a.version))
        ]
        assert not stale, (
            f"meeting {mid}: marks accepted on a stale version (member, base versions): "
            f"{stale}")

        # The row holds what the chain says was written last.
        with svc.meetings.read():
            last_mark: dict[int, str] = {}
            for (payload,) in (m.ChangeLog.select(m.ChangeLog.data)
                               .where((m.ChangeLog.meeting == mid)
                                      & (m.ChangeLog.action == "attendance.mark"))
                               .order_by(m.ChangeLog.id).tuples()):
                data = json.loads(payload)["data"]
                last_mark[data["member"]] = data["status"]
        disagree = [
            (a.member_id, a.status and a.status.value, last_mark.get(a.member_id))
            for a in rec.attendance
            if (a.status.value if a.status else None) != last_mark.get(a.member_id)
        ]
        assert not disagree, (
            f"meeting {mid}: final status differs from the last logged mark "
            f"(member, row, log): {disagree}")

        # The chain verifies and has exactly one entry per successful write.
        expected = (before[mid].chain_entries + sum(n for (x, _), n in marked.items() if x == mid)
                    + len(mine))
        assert rec.chain_ok, f"meeting {mid}: the change-log hash chain does not verify"
        assert rec.chain_entries == expected, (
            f"meeting {mid}: chain has {rec.chain_entries} entries, expected {expected}")

    print(f"\n{db_url.split(':', 1)[0]}: {PROCS} procs x {WRITES} writes, {total_marks} marks, "
          f"{len(written)} speeches, {conflicts} conflicts retried, {elapsed:.1f} s")


def test_concurrent_schedules_get_distinct_numbers(db_url, db, svc):
    """第X次 is computed from the sittings that exist: concurrent schedulers in one branch
    must not both see the same state (on PostgreSQL the branch row is locked). Whatever
    order they commit in, the sittings end numbered 1..n in date order, and the change log
    of each one renumbered on the way still verifies."""
    w = build_world(svc)
    n = 8
    barrier = threading.Barrier(n)
    errors: list[str] = []

    def schedule(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 1 + i, 10)))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            db.close()  # this thread's connection

    threads = [threading.Thread(target=schedule, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    made = svc.meetings.find(w.secretary, w.branch_id)
    numbers = [mtg.number for mtg in made]  # in date order
    assert numbers == list(range(1, n + 1)), f"第X次 not 1..{n} in date order: {numbers}"
    assert all(svc.meetings.record(w.secretary, mtg.id).chain_ok for mtg in made)


# -- SQLite: writers queue for the lock, so a busy wait never reaches a caller ---------------

QUEUE_PROCS = 8
QUEUE_WRITES = 60  # per process, each into its own meeting, in a closed loop
QUEUE_BUSY_MS = 20  # busy_timeout in the children: 15 s in real life
# BRANCHTUI_TEST_UNQUEUED=1 runs the children without the queue, as before it existed: the
# test must then fail (checked: 172 of the 480 writes failed with "database busy"; with the
# queue none did). The thread test below fails the same way with the queue switched off.
UNQUEUED = os.environ.get("BRANCHTUI_TEST_UNQUEUED") == "1"


def _speaker(idx: int, url: str, plan: dict[str, Any], barrier: Any, out: Any) -> None:
    """One recorder process writing speeches into its own meeting as fast as it can."""
    from branchtui.store import db as store_db
    from branchtui.store import writequeue

    result: dict[str, Any] = {"idx": idx, "speeches": [], "errors": [], "first": None,
                              "last": None}
    try:
        store_db.SQLITE_PRAGMAS = {**store_db.SQLITE_PRAGMAS,
                                   "busy_timeout": plan["busy_ms"]}
        if plan["unqueued"]:
            writequeue.fcntl = None  # type: ignore[assignment]
        db = open_database(url)
        svc = Services.create(db, FixedClock(plan["now"]))
        actor = svc.roster.actor_for_member(plan["recorder_id"])
        meeting_id, members = plan["meetings"][idx], plan["member_ids"]
    except Exception:
        _setup_failed(idx, barrier, out, result)
        return
    if not _started(idx, barrier, out, result):
        return
    result["first"] = time.time()
    try:
        for i in range(plan["writes"]):
            text = f"第{idx:02d}号记录人第{i:03d}条：排队写入[/]"
            try:
                svc.minutes.add_speech(actor, meeting_id, text,
                                       speaker_id=members[i % len(members)])
            except Exception as exc:
                result["errors"].append(f"child {idx} write {i}: {type(exc).__name__}: {exc}")
            else:
                result["speeches"].append(text)
    finally:
        result["last"] = time.time()
        db.close()
        out.put(result)


@pytest.mark.slow
def test_sqlite_writers_in_many_processes_queue_instead_of_failing(tmp_path, clock):
    """Eight processes write into eight meetings in a closed loop with a busy_timeout of
    20 ms: SQLite's polling busy handler alone lets some of them lose the lock for longer
    than that ("database is locked"); with the write queue every write waits its turn in
    the kernel, so there is no error and nothing is lost."""
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    db = open_database(url)
    upgrade(db)
    svc = Services.create(db, clock)
    w = build_world(svc, extra_full=2)
    meetings = []
    for k in range(QUEUE_PROCS):
        made = svc.meetings.schedule(w.secretary, draft(
            w, datetime(2026, 11, 27, 9, 0) + timedelta(hours=k), title=f"排队写入第{k}场"))
        svc.meetings.open(w.recorder, made.id)
        meetings.append(made.id)
    before = {mid: svc.meetings.record(w.secretary, mid).chain_entries for mid in meetings}
    members = [a.member_id for a in svc.meetings.record(w.secretary, meetings[0]).attendance]
    plan = {"now": NOW, "writes": QUEUE_WRITES, "busy_ms": QUEUE_BUSY_MS,
            "unqueued": UNQUEUED, "meetings": meetings, "member_ids": members,
            "recorder_id": w.recorder.member_id}

    started = time.monotonic()
    results = _run_children(url, plan, target=_speaker, n=QUEUE_PROCS)
    elapsed = time.monotonic() - started

    errors = [e for r in results for e in r["errors"]]
    assert not errors, f"{len(errors)} of {QUEUE_PROCS * QUEUE_WRITES} writes failed:\n" + \
        "\n".join(errors[:10])
    assert max(r["first"] for r in results) < min(r["last"] for r in results), \
        "the writers did not overlap"
    for r in results:
        mid = meetings[r["idx"]]
        rec = svc.meetings.record(w.secretary, mid)
        assert sorted(s.text for s in rec.speeches) == sorted(r["speeches"])
        assert len(r["speeches"]) == QUEUE_WRITES
        assert rec.chain_ok
        assert rec.chain_entries == before[mid] + QUEUE_WRITES
    db.close()
    print(f"\nqueued: {QUEUE_PROCS} procs x {QUEUE_WRITES} writes, busy_timeout "
          f"{QUEUE_BUSY_MS} ms, {elapsed:.1f} s")


def test_sqlite_writer_threads_of_one_process_queue_too(tmp_path, clock):
    """Threads of one process (the app's workers) each with their own connection: each
    transaction opens the lock file anew, so they queue like processes and a short
    busy_timeout never fires (one shared descriptor would let them all through)."""
    url = f"sqlite:///{tmp_path / 'threads.sqlite3'}"
    db = open_database(url)
    upgrade(db)
    svc = Services.create(db, clock)
    w = build_world(svc, extra_full=0)
    made = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 9, 0)))
    svc.meetings.open(w.recorder, made.id)
    n, writes = 6, 40
    barrier = threading.Barrier(n)
    errors: list[str] = []

    def writer(k: int) -> None:
        try:
            db.connect(reuse_if_open=True)
            db.pragma("busy_timeout", 5)  # this thread's connection
            barrier.wait(timeout=30)
            for i in range(writes):
                try:
                    svc.minutes.add_speech(w.recorder, made.id, f"线程{k}第{i}条[/]",
                                           speaker_id=w.recorder.member_id)
                except Exception as exc:
                    errors.append(f"thread {k} write {i}: {type(exc).__name__}: {exc}")
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, f"{len(errors)} errors:\n" + "\n".join(errors[:10])
    rec = svc.meetings.record(w.secretary, made.id)
    assert len(rec.speeches) == n * writes
    assert rec.chain_ok
    db.close()


def test_reschedules_and_roster_writes_in_one_branch_do_not_deadlock(db_url, db, svc):
    """A reschedule renumbers the branch's planned sittings (locking them after the one it
    moves); a roster write brings the rolls of the same sittings up to date (locking them
    in id order). Both take the branch lock first, so on PostgreSQL neither waits for the
    other while holding what the other needs."""
    w = build_world(svc)
    made = [svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, d, 14)))
            for d in (4, 11, 18, 25)]
    last = made[-1]
    barrier = threading.Barrier(2)
    errors: list[str] = []
    rounds = 25

    def move() -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(rounds):
                mtg = svc.meetings.get(w.secretary, last.id)
                day = 2 if i % 2 == 0 else 25  # before the others, then back after them
                svc.meetings.reschedule(w.secretary, last.id, mtg.version,
                                        planned_start=datetime(2026, 12, day, 14))
        except Exception as exc:
            errors.append(f"reschedule: {type(exc).__name__}: {exc}")
        finally:
            db.close()

    def exempt() -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(rounds):
                xid = svc.roster.add_exemption(w.organiser, w.member.member_id,
                                               date(2026, 12, 1), None, f"住院{i}")
                svc.roster.end_exemption(w.organiser, xid, date(2026, 12, 2))
        except Exception as exc:
            errors.append(f"exemption: {type(exc).__name__}: {exc}")
        finally:
            db.close()

    threads = [threading.Thread(target=move), threading.Thread(target=exempt)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    numbers = [mtg.number for mtg in svc.meetings.find(w.secretary, w.branch_id)]
    assert numbers == [1, 2, 3, 4]
    assert all(svc.meetings.record(w.secretary, mtg.id).chain_ok for mtg in made)
