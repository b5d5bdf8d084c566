"""Opening a member's page: from pushing MemberDetailScreen to the page filled (the
dossier read in the worker and every widget updated), for a member with ten years of
history, over ~30 runs.

Three screens are pushed round by round in the same process and the same ``app.run_test``
so that the machine's noise hits them alike:

- ``member``: the real screen over the database;
- ``preloaded``: the same screen filled from a dossier read once before (no database):
  what the widgets cost;
- ``bare``: the same screen with the same widgets, no data and no database: the floor of
  pushing and mounting a screen.

Each is timed to three points: ``ready`` (the screen's ``ready`` event: data loaded and
every widget updated), ``settled`` (every message queued on the screen's widgets handled,
including the tables' deferred size computation) and ``idle`` (``pilot.pause()``, which
also waits for the process's CPU to go quiet, in 1/50 s steps: an upper bound).

Data: the stress profile (10 years, bench/results/profile-stress.sqlite3, built by
bench/queries.py) when present, the persona 记录人 (jilu, ~535 meetings) seen by the
branch secretary (shuji); otherwise ``--build`` makes a temp SQLite through the services
with one branch and ~500 meetings over ten years.

    uv run python bench/member_open.py
    uv run python bench/member_open.py --build --runs 30
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from branchtui.core.enums import AttendanceStatus, Obligation, PositionRole  # noqa: E402
from branchtui.services import (  # noqa: E402
    FixedClock,
    MeetingDraft,
    MemberDraft,
    Services,
)
from branchtui.store.db import open_database, upgrade  # noqa: E402
from branchtui.ui.app import BranchApp  # noqa: E402
from branchtui.ui.screens.base import Loaded  # noqa: E402
from branchtui.ui.screens.members import HISTORY_SHOWN, MemberDetailScreen  # noqa: E402

NOW = datetime(2026, 11, 27, 9, 0)
STRESS = ROOT / "results" / "profile-stress.sqlite3"
TARGET_MS = 100.0


class Bare(MemberDetailScreen):
    """The same widgets, no data, no database."""

    def action_refresh(self) -> None:
        self.ready.set()


class Preloaded(MemberDetailScreen):
    """The same widgets filled from a dossier already in memory."""

    dossier_data: Any = None

    def action_refresh(self) -> None:
        self.post_message(Loaded("dossier", self.dossier_data))


def build_history(path: Path, meetings: int = 500) -> None:
    """One branch of ten members with ``meetings`` sittings over ten years, through the
    services (schedule, open, mark, close), into a fresh SQLite file."""
    db = open_database(f"sqlite:///{path}")
    upgrade(db)
    clock = FixedClock(datetime(2016, 11, 1, 9))
    svc = Services.create(db, clock)
    admin = svc.roster.bootstrap("测试社区党委", "第一党支部", MemberDraft(
        name="管理员", login="admin", admitted=date(1990, 1, 1), full_since=date(1991, 1, 1)))
    branch = next(o.id for o in svc.roster.orgs(admin) if o.kind.value == "branch")
    ids = []
    for i, (name, login) in enumerate([("李秀兰", "shuji"), ("王敏", "jilu")] + [
            (f"党员{i:02d}", f"m{i:02d}") for i in range(8)]):
        ids.append(svc.roster.add_member(admin, branch, MemberDraft(
            name=name, login=login, admitted=date(2010, 1, 1), full_since=date(2011, 1, 1)),
            starts=date(2016, 1, 1)).id)
        if i == 0:
            svc.roster.appoint(admin, ids[0], branch, PositionRole.SECRETARY, date(2016, 1, 1))
    secretary = svc.roster.actor_for_member(ids[0])
    statuses = [AttendanceStatus.PRESENT] * 6 + [AttendanceStatus.LATE,
                                                 AttendanceStatus.ABSENT]
    start = datetime(2016, 12, 2, 14)
    step = (NOW - timedelta(days=10) - start) / meetings
    for n in range(meetings):
        at = (start + step * n).replace(hour=14, minute=0, second=0, microsecond=0)
        clock.current = at - timedelta(days=1)
        mtg = svc.meetings.schedule(secretary, MeetingDraft(
            branch_id=branch, title=f"主题党日（第{n + 1}次）", obligations=(Obligation.THEME_DAY,),
            planned_start=at, planned_end=at + timedelta(hours=2), place="党群服务中心",
            convener_id=ids[0], moderator_id=ids[0], recorder_id=ids[1]))
        clock.current = at
        svc.meetings.open(secretary, mtg.id)
        for k, mid in enumerate(ids[1:]):
            svc.meetings.mark(secretary, mtg.id, mid, statuses[(n + k) % len(statuses)])
        svc.meetings.close(secretary, mtg.id, gaps_reason="基准数据：只有出席情况")
    db.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(svc: Services, viewer_login: str, member_login: str, runs: int,
                  size: tuple[int, int]) -> dict[str, dict[str, list[float]]]:
    viewer = svc.roster.actor_for_login(viewer_login)
    member_id = svc.roster.actor_for_login(member_login).member_id
    Preloaded.dossier_data = svc.queries.member_dossier(viewer, member_id)
    kinds: dict[str, type[MemberDetailScreen]] = {
        "member": MemberDetailScreen, "preloaded": Preloaded, "bare": Bare}
    times: dict[str, dict[str, list[float]]] = {k: {"ready": [], "settled": [], "idle": []}
                                             for k in kinds}
    app = BranchApp(svc, viewer)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        for run in range(runs + 3):  # three warm-up rounds
            for kind, cls in kinds.items():
                t0 = time.perf_counter()
                screen = cls(member_id)
                await app.push_screen(screen)
                await screen.ready.wait()
                t1 = time.perf_counter()
                # Every message queued on the screen and its widgets handled, twice over
                # (the tables' deferred size updates queue more): a private Pilot helper.
                await pilot._wait_for_screen()
                await pilot._wait_for_screen()
                t2 = time.perf_counter()
                await pilot.pause()
                t3 = time.perf_counter()
                if run >= 3:
                    times[kind]["ready"].append((t1 - t0) * 1000)
                    times[kind]["settled"].append((t2 - t0) * 1000)
                    times[kind]["idle"].append((t3 - t0) * 1000)
                if kind == "member":
                    d = screen.dossier
                    assert d is not None and len(d.history) > 0
                    rows = screen.query_one("#member-history").row_count  # type: ignore[attr-defined]
                    assert rows == min(len(d.history), HISTORY_SHOWN), rows
                await app.pop_screen()
                await pilot.pause()
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", help="database URL (default: the stress profile if built)")
    p.add_argument("--build", action="store_true",
                   help="build a temp SQLite with one member's ten years through the services")
    p.add_argument("--meetings", type=int, default=500)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--viewer", default="shuji")
    p.add_argument("--member", default="jilu")
    p.add_argument("--size", default="120x40")
    args = p.parse_args()
    tmp = None
    if args.db:
        url = args.db
    elif args.build or not STRESS.exists():
        tmp = tempfile.TemporaryDirectory()
        path = Path(tmp.name) / "member.sqlite3"
        t0 = time.perf_counter()
        build_history(path, args.meetings)
        print(f"built {args.meetings} meetings through the services in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        url = f"sqlite:///{path}"
    else:
        url = f"sqlite:///{STRESS}"
    db = open_database(url)
    svc = Services.create(db, FixedClock(NOW))
    width, height = (int(x) for x in args.size.split("x"))
    times = asyncio.run(measure(svc, args.viewer, args.member, args.runs, (width, height)))
    d = Preloaded.dossier_data
    print(f"data: {url}")
    print(f"member: {d.member.name}, {len(d.history)} meetings, {len(d.rates.years)} years, "
          f"{len(d.rates.months)} months; runs: {args.runs}; size {args.size}")
    print("| screen | ready p50 ms | p95 | settled p50 ms | p95 | idle p50 ms | p95 |")
    print("|---|---|---|---|---|---|---|")
    for kind, tt in times.items():
        print(f"| {kind} | " + " | ".join(
            f"{statistics.median(tt[k]):.1f} | {pct(tt[k], .95):.1f}"
            for k in ("ready", "settled", "idle")) + " |")
    member = statistics.median(times["member"]["ready"])
    bare = statistics.median(times["bare"]["ready"])
    print(f"member page over bare screen: +{member - bare:.1f} ms at p50 "
          f"(target: member page <= {TARGET_MS:.0f} ms)")
    db.close()
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
