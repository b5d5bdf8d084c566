"""Keypress to updated screen on the attendance sheet of a 200-member branch (issue 3).

Target: p50 and p95 <= 50 ms from the key to the repainted row, with the mark saved
through ``services.meetings.mark`` (permission check, version check, hash-chained change
log, commit) in a thread worker.

Measured in a headless Pilot run (``app.run_test``, no pseudo-terminal), side by side in
the same process with two baselines that do the same keypress on a bare 200-row DataTable
app without any database:

- ``bare``: the key handler updates the cell and moves the cursor at once (the floor of
  any keypress in Textual on this machine);
- ``bare+worker``: the same, but through a thread worker that posts a message back (the
  floor of the sheet's data flow, without the database).

How a keypress is timed: the key event is handed to the driver exactly as Pilot does, but
without Pilot's idle waits (each ``pilot.press`` sleeps at least 2 x 20 ms to detect an
idle CPU, which would swamp what is measured). The clock stops at the first screen update
(the compositor's ``_display`` call) after the row shows the new status, i.e. after the
worker finished, the cell was updated and the row was rendered again.

    uv run python bench/attendance_keypress.py                   # SQLite temp file
    uv run python bench/attendance_keypress.py --backend both     # and PostgreSQL
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from rich.text import Text  # noqa: E402
from textual import events, work  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.binding import Binding, BindingType  # noqa: E402
from textual.message import Message  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from branchtui.core.enums import AttendanceStatus, Obligation  # noqa: E402
from branchtui.i18n import enum_label, set_language  # noqa: E402
from branchtui.services import FixedClock, MeetingDraft, MemberDraft, Services  # noqa: E402
from branchtui.store.db import open_database, upgrade  # noqa: E402
from branchtui.ui.app import BranchApp  # noqa: E402
from branchtui.ui.screens.attendance.screen import AttendanceScreen  # noqa: E402

MEMBERS = 200
PRESSES = 100
TARGET_MS = 50.0
START = datetime(2026, 11, 27, 19, 0)
SIZE = (120, 40)
GAP_SECONDS = 0.15
TABLE_HEIGHT = [0]  # the sheet's table height, given to the baselines


# -- the branch ------------------------------------------------------------------------------


def build_branch(url: str) -> tuple[Services, Any, int]:
    """bootstrap + 199 add_member: a branch of 200, one open meeting. Returns the
    services, the recorder (an ordinary member) and the meeting id."""
    db = open_database(url)
    upgrade(db)
    svc = Services.create(db, FixedClock(START - timedelta(days=1)))
    admin = svc.roster.bootstrap("某街道党工委", "第一党支部（200人）", MemberDraft(
        name="书记", login="admin", admitted=date(1990, 1, 1), full_since=date(1991, 1, 1)))
    branch_id = next(o.id for o in svc.roster.orgs(admin) if o.kind.value == "branch")
    ids = []
    for i in range(MEMBERS - 1):
        full = i % 10 != 0
        ids.append(svc.roster.add_member(admin, branch_id, MemberDraft(
            name=f"党员{i:03d}", admitted=date(2015, 1, 1),
            full_since=date(2016, 1, 1) if full else None), starts=date(2016, 1, 1)).id)
    recorder = svc.roster.actor_for_member(ids[0])
    mtg = svc.meetings.schedule(admin, MeetingDraft(
        branch_id=branch_id, title="主题党日暨党员大会", planned_start=START,
        obligations=(Obligation.THEME_DAY, Obligation.GENERAL_MEETING),
        planned_end=START + timedelta(hours=2), place="党群服务中心", recorder_id=ids[0]))
    svc.ctx.clock.current = START  # type: ignore[attr-defined]
    svc.meetings.open(recorder, mtg.id)
    return svc, recorder, mtg.id


# -- baselines -------------------------------------------------------------------------------


class Done(Message):
    def __init__(self, row: int) -> None:
        super().__init__()
        self.row = row


class BareTable(App[None]):
    """200 rows, one key that updates a cell and moves the cursor; no database."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("1", "mark", "mark")]
    # Like the sheet: the table scrolls inside a fixed height (auto height would make the
    # screen scroll instead, and repaint everything on each cursor move).
    CSS = "DataTable { height: 1fr; }"

    def __init__(self, via_worker: bool, height: int | None = None) -> None:
        super().__init__()
        self.via_worker = via_worker
        self.height = height
        self.present = enum_label(AttendanceStatus.PRESENT)

    def compose(self) -> ComposeResult:
        yield DataTable(id="t", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        if self.height:
            table.styles.height = self.height
        for key, width in (("no", 3), ("name", 10), ("kind", 4), ("status", 12),
                           ("note", 40), ("method", 10)):
            table.add_column(key, width=width, key=key)
        for i in range(MEMBERS):
            table.add_row(Text(str(i + 1)), Text(f"党员{i:03d}"), Text("正式"), Text("未登记"),
                          Text(""), Text(""), key=str(i))
        table.focus()

    def action_mark(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.move_cursor(row=row + 1)
        if self.via_worker:
            self._save(row)
        else:
            self._show(row)

    @work(thread=True, exit_on_error=False)
    def _save(self, row: int) -> None:
        self.post_message(Done(row))

    def on_done(self, message: Done) -> None:
        self._show(message.row)

    def _show(self, row: int) -> None:
        table = self.query_one(DataTable)
        table.update_cell(str(row), "status", Text(self.present, style="green"))
        table.update_cell(str(row), "method", Text("记录人标记", style="dim"))

    def status_of(self, index: int) -> str:
        return str(self.query_one(DataTable).get_cell(str(index), "status"))

    def cursor(self) -> int:
        return self.query_one(DataTable).cursor_row


# -- the harness -----------------------------------------------------------------------------


async def time_presses(app: App[Any], shown: Callable[[int], bool], cursor: Callable[[], int],
                       presses: int) -> list[float]:
    """Send '1' ``presses`` times; each time, wait for the first screen update after the
    row under the cursor shows the new status. Milliseconds per keypress."""
    stamps: list[float] = []
    watching: list[int] = []
    original = app._display

    def spy(screen: Any, renderable: Any) -> None:
        original(screen, renderable)
        if renderable is not None and watching and shown(watching[0]):
            stamps.append(time.perf_counter())
            watching.clear()

    app._display = spy  # type: ignore[method-assign]
    driver = app._driver
    assert driver is not None
    out = []
    for _ in range(presses):
        row = cursor()
        stamps.clear()
        watching[:] = [row]
        t0 = time.perf_counter()
        key = events.Key("1", "1")
        key.set_sender(app)
        driver.send_message(key)
        deadline = t0 + 10
        while not stamps:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"row {row} never showed its mark")
            await asyncio.sleep(0.0005)
        out.append((stamps[0] - t0) * 1000)
        # The next key comes after a pause, as a recorder's hand would give it (200
        # members in about 30 s). Without one, keys land on Textual's frame timer at
        # random phases, which measures the timer rather than the sheet.
        await asyncio.sleep(GAP_SECONDS)
    app._display = original  # type: ignore[method-assign]
    return out


async def run_sheet(svc: Services, recorder: Any, meeting_id: int, presses: int,
                    first_row: int = 0) -> list[float]:
    app = BranchApp(svc, recorder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = AttendanceScreen(meeting_id)
        app.push_screen(screen)
        for _ in range(200):
            await pilot.pause(0.01)
            if screen.sheet is not None:
                break
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(screen.order) == MEMBERS, len(screen.order)
        present = enum_label(AttendanceStatus.PRESENT)

        def shown(index: int) -> bool:
            mid = screen.order[index]
            return (screen.rows[mid].status is AttendanceStatus.PRESENT
                    and mid not in screen._pending
                    and str(screen.table.get_cell(str(mid), "status")) == present)

        TABLE_HEIGHT[0] = screen.table.size.height
        screen.table.move_cursor(row=first_row)
        await pilot.pause()
        times = await time_presses(app, shown, lambda: screen.table.cursor_row, presses)
        await app.workers.wait_for_complete()
        saved = svc.meetings.record(recorder, meeting_id)
        marked = sum(1 for a in saved.attendance if a.status is AttendanceStatus.PRESENT)
        assert marked == first_row + presses, f"{marked} marks saved, {presses} expected"
        return times


async def run_bare(via_worker: bool, presses: int, height: int | None) -> list[float]:
    app = BareTable(via_worker, height)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        present = enum_label(AttendanceStatus.PRESENT)
        return await time_presses(app, lambda i: app.status_of(i) == present, app.cursor,
                                  presses)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "pg", "both"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--presses", type=int, default=PRESSES)
    parser.add_argument("--rounds", type=int, default=4,
                        help="interleave the variants in this many rounds (noise hits all)")
    args = parser.parse_args()
    set_language("zh")
    presses = min(args.presses, MEMBERS)
    rounds = max(1, min(args.rounds, presses))
    per_round = [presses // rounds + (1 if i < presses % rounds else 0) for i in range(rounds)]
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        backends = ["sqlite", "pg"] if args.backend == "both" else [args.backend]
        branches = {}
        for backend in backends:
            url = (f"sqlite:///{Path(tmp) / 'bench.sqlite3'}" if backend == "sqlite"
                   else _pg_fresh(args.pg_url))
            t0 = time.perf_counter()
            branches[backend] = build_branch(url)
            print(f"built a {MEMBERS}-member branch on {backend} in "
                  f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        done = 0
        for n in per_round:
            for backend, (svc, recorder, mid) in branches.items():
                results.setdefault(f"sheet ({backend})", []).extend(
                    asyncio.run(run_sheet(svc, recorder, mid, n, first_row=done)))
            height = TABLE_HEIGHT[0] or None
            results.setdefault("bare", []).extend(asyncio.run(run_bare(False, n, height)))
            results.setdefault("bare+worker", []).extend(asyncio.run(run_bare(True, n, height)))
            done += n
        for svc, _recorder, _mid in branches.values():
            svc.ctx.db.close()
    print(f"\nkeypress -> updated screen, {presses} keypresses each, {MEMBERS}-row tables "
          f"{TABLE_HEIGHT[0]} lines high, terminal {SIZE[0]}x{SIZE[1]} (ms)\n")
    print(f"{'':22}{'p50':>8}{'p95':>8}{'max':>8}{'mean':>8}")
    for name, values in results.items():
        print(f"{name:22}{pct(values, .5):8.1f}{pct(values, .95):8.1f}{max(values):8.1f}"
              f"{statistics.fmean(values):8.1f}")
    worst = max(pct(v, .95) for k, v in results.items() if k.startswith("sheet"))
    verdict = "met" if worst <= TARGET_MS else "NOT met"
    print(f"\ntarget p95 <= {TARGET_MS:.0f} ms: {verdict}")


def _pg_fresh(admin_url: str) -> str:
    import psycopg

    name = "branchtui_bench_attendance"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


if __name__ == "__main__":
    main()
