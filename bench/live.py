"""Live propagation: a writer process adds speeches; a change-feed watcher in this process
sees them. Reports p50/p95 of (callback time - the writer's commit time) on SQLite and
PostgreSQL, and the idle CPU of a watcher over ``--idle`` seconds.

    uv run python bench/live.py                                    # SQLite only
    uv run python bench/live.py --pg postgresql://postgres@127.0.0.1:5432/test --writes 200

Writes are spaced 50-150 ms apart at random so that they land at every phase of the SQLite
poll (4 Hz). PostgreSQL runs in a scratch schema, created and dropped here. Run from the
checkout (it builds the branch with tests/factories.py).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

START = datetime(2026, 11, 27, 9, 0)


def setup(url: str) -> tuple[int, int, str, int]:
    from branchtui.core.enums import Obligation
    from branchtui.services import FixedClock, Services
    from branchtui.store.db import open_database, upgrade
    from tests.factories import build_world, draft

    db = open_database(url)
    upgrade(db)
    clock = FixedClock(START - timedelta(minutes=5))
    svc = Services.create(db, clock)
    w = build_world(svc, extra_full=0)
    mid = svc.meetings.schedule(w.secretary, draft(w, START, Obligation.THEME_DAY)).id
    svc.meetings.open(w.recorder, mid)
    db.close()
    return mid, w.recorder.member_id, w.recorder.name, w.member.member_id


def writer(url: str, mid: int, rid: int, rname: str, speaker: int, conn) -> None:
    from branchtui.services import Actor, FixedClock, Services
    from branchtui.store.db import open_database

    svc = Services.create(open_database(url), FixedClock(START))
    actor = Actor(rid, rname)
    while (msg := conn.recv()) is not None:
        svc.minutes.add_speech(actor, mid, f"第{msg}条", speaker_id=speaker)
        conn.send(time.time())


def propagation(url: str, writes: int) -> list[float]:
    from branchtui.services.presence import ChangeWatcher

    mid, rid, rname, speaker = setup(url)
    seen = threading.Event()
    stamp: list[float] = []

    def changed(ids: set[int]) -> None:
        if mid in ids:
            stamp.append(time.time())
            seen.set()

    watcher = ChangeWatcher(url, changed).start()
    time.sleep(1.0)
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=writer,
                                           args=(url, mid, rid, rname, speaker, child))
    proc.start()
    lat: list[float] = []
    try:
        for i in range(writes):
            time.sleep(random.uniform(0.05, 0.15))
            seen.clear()
            stamp.clear()
            parent.send(i)
            done = parent.recv()
            if not seen.wait(5):
                raise SystemExit(f"write {i} never seen")
            lat.append(stamp[0] - done)
    finally:
        parent.send(None)
        proc.join(10)
        watcher.stop()
    return lat


def idle_cpu(url: str, seconds: float) -> float:
    """Share of one core used by this process while a watcher sits on an idle database."""
    from branchtui.services.presence import ChangeWatcher

    watcher = ChangeWatcher(url, lambda ids: None).start()
    time.sleep(1.0)
    c0, t0 = time.process_time(), time.monotonic()
    time.sleep(seconds)
    share = (time.process_time() - c0) / (time.monotonic() - t0)
    watcher.stop()
    return share


def pct(xs: list[float], p: float) -> float:
    return statistics.quantiles(xs, n=100)[int(p) - 1] if len(xs) > 1 else xs[0]


def report(name: str, lat: list[float], cpu: float) -> None:
    ms = [x * 1000 for x in lat]
    print(f"{name:10} writes={len(ms)} p50={pct(ms, 50):.1f} ms p95={pct(ms, 95):.1f} ms "
          f"max={max(ms):.1f} ms  idle watcher CPU={cpu * 100:.3f}% of a core")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", help="PostgreSQL URL (a scratch schema is used)")
    ap.add_argument("--writes", type=int, default=100)
    ap.add_argument("--idle", type=float, default=30.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'live.sqlite3'}"
        lat = propagation(url, args.writes)
        report("SQLite", lat, idle_cpu(url, args.idle))
    if args.pg:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
            try:
                sep = "&" if "?" in args.pg else "?"
                url = f"{args.pg}{sep}options={quote(f'-csearch_path={schema}')}"
                lat = propagation(url, args.writes)
                report("PostgreSQL", lat, idle_cpu(url, args.idle))
            finally:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
