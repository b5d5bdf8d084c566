"""Home follows the database: another session's write shows without a key press, reloads
are gathered, a home screen under another one waits until it is shown again, and the
cursor stays. Real services on a temp-file SQLite, the app's own change-feed watcher."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from textual.widgets import DataTable

from branchtui.core.enums import Obligation
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.home import LIVE_SETTLE_SECONDS, HomeScreen
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK, LONG_ZH, NOW
from tests.factories import build_world, draft


@pytest.fixture
def world(tmp_path):
    url = f"sqlite:///{tmp_path / 'home.sqlite3'}"
    db = open_database(url)
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc)
    for days in (3, 5, 8):
        svc.meetings.schedule(w.secretary, draft(
            w, NOW + timedelta(days=days), Obligation.THEME_DAY, title=f"已排会议{days}"))
    w.url = url  # type: ignore[attr-defined]
    yield w
    db.close()


def upcoming_text(app) -> str:
    table = app.screen.query_one("#upcoming", DataTable)
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i))
                     for i in range(table.row_count))


async def until(pilot, check: Callable[[], bool], seconds: float) -> float:
    t0 = time.monotonic()
    while not check():
        assert time.monotonic() - t0 < seconds, "the change never showed on the home screen"
        await pilot.pause(0.05)
    return time.monotonic() - t0


async def settle(app, pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def schedule(w, title: str, days: int) -> Callable[[], object]:
    start = datetime.combine(NOW.date() + timedelta(days=days), datetime.min.time()).replace(
        hour=14)
    return lambda: w.svc.meetings.schedule(w.secretary, draft(
        w, start, Obligation.THEME_DAY, title=title))


async def test_a_meeting_scheduled_elsewhere_appears_on_home_and_the_cursor_stays(world):
    w = world
    title = FULLWIDTH + HOSTILE_LINK + LONG_ZH[:40] + HOSTILE
    app = BranchApp(w.svc, w.secretary, db_url=w.url)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#upcoming", DataTable)
        assert table.row_count == 3
        table.focus()
        table.move_cursor(row=1)
        loads: list[str] = []
        real_fetch = app.screen.fetch

        def counting(tag, call):
            loads.append(tag)
            return real_fetch(tag, call)

        app.screen.fetch = counting  # type: ignore[method-assign]
        # Another session (another connection) schedules two meetings in quick succession.
        await asyncio.to_thread(schedule(w, title, 20))
        await asyncio.to_thread(schedule(w, "第二个会议", 21))
        took = await until(pilot, lambda: "第二个会议" in upcoming_text(app),
                           LIVE_SETTLE_SECONDS + 3)
        assert app.is_running, "hostile text in a title must not act as markup"
        assert title in upcoming_text(app), "the title is shown literally"
        assert loads == ["home"], f"two writes, one gathered reload: {loads}"
        assert took >= LIVE_SETTLE_SECONDS * 0.5
        assert table.row_count == 5
        assert table.cursor_row == 1, "the reload kept the cursor on the row it was on"


async def test_home_under_another_screen_reloads_when_shown_again(world):
    w = world
    app = BranchApp(w.svc, w.secretary, db_url=w.url)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        home = app.screen
        await pilot.press("f3")  # the roster covers home
        await settle(app, pilot)
        assert app.screen is not home
        loads: list[str] = []
        real_fetch = home.fetch
        home.fetch = lambda tag, call: (loads.append(tag), real_fetch(tag, call))[1]  # type: ignore[method-assign]
        await asyncio.to_thread(schedule(w, "帮助页打开时排的会", 12))
        await pilot.pause(LIVE_SETTLE_SECONDS + 1.0)
        assert loads == [], "no query for a screen nobody sees"
        app.pop_screen()
        assert app.screen is home
        await until(pilot, lambda: "帮助页打开时排的会" in upcoming_text(app), 3)
        assert loads == ["home"]
