"""The database server restarts while a recorder types the minutes: the app says it is
reconnecting, keeps the text in the widget, keeps retrying the autosave, says when it is
back, and the full text reaches the database. A private PostgreSQL cluster
(tests/pg_cluster.py) is stopped and started; the shared test server is never touched.
Also, on SQLite, the same status when the services report the loss (no server needed)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

import pytest
from textual.widgets import Input, TextArea

from branchtui.core.enums import Obligation
from branchtui.i18n import set_language, t
from branchtui.services import FixedClock, Services
from branchtui.services.base import Health
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.minutes.screen import MinutesScreen
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK, NOW
from tests.factories import build_world, draft

START = datetime(2026, 11, 27, 9, 0)
WAIT = 60.0  # upper bound for anything below (a busy 2-core machine); usually seconds


def notes(app, severity: str | None = None) -> list[str]:
    return [str(n.message) for n in app._notifications
            if severity is None or n.severity == severity]


async def until(pilot, what: str, check: Callable[[], bool], timeout: float = WAIT) -> float:
    """Let the app run until ``check()``; returns the seconds it took."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"after {timeout:.0f} s still not: {what}")
        await pilot.pause(0.1)
    return time.monotonic() - began


@pytest.mark.parametrize("backend", [pytest.param("pg", marks=pytest.mark.pg)])
async def test_minutes_survive_a_server_restart(backend, private_pg):
    cluster = private_pg
    db = open_database(cluster.url)
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc, extra_full=4)
    mtg = svc.meetings.schedule(w.secretary, draft(w, START, Obligation.GENERAL_MEETING))
    svc.meetings.open(w.recorder, mtg.id)
    key = f"speech:m={mtg.id}:i={mtg.agenda[0].id}"

    def saved_draft() -> str | None:  # on the test's thread, only while the server is up
        d = svc.drafts.load(w.recorder, key)
        return d.text if d else None

    part1, part2, part3 = "第一段" + HOSTILE_LINK, "断线时" + FULLWIDTH, "恢复前" + HOSTILE
    app = BranchApp(svc, w.recorder, db_url=cluster.url)  # the change feed follows it too
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, "home is shown", lambda: app.screen is not None)
            app.push_screen(MinutesScreen(mtg.id))
            await until(pilot, "the minutes are loaded", lambda: isinstance(
                app.screen, MinutesScreen) and app.screen.record is not None)
            screen = app.screen
            assert isinstance(screen, MinutesScreen)
            await until(pilot, "the speaker field has focus",
                        lambda: screen.query_one("#speaker-input", Input).has_focus)
            await pilot.press(*"孙党员")
            await pilot.press("enter")
            area = screen.query_one("#speech-text", TextArea)
            await until(pilot, "the text area has focus", lambda: area.has_focus)
            area.insert(part1)
            await until(pilot, "the first autosave", lambda: saved_draft() == part1)

            # The server goes away.
            await asyncio.to_thread(cluster.stop)
            stopped = time.monotonic()
            area.insert(part2)
            await until(pilot, "the app says it is reconnecting", lambda: (
                app.sub_title == t("ui.db_status_reconnecting")
                and t("ui.live_reconnecting") in notes(app, "warning")))
            shown_after = time.monotonic() - stopped
            assert area.text == part1 + part2
            # A save while away: refused with the translated reason, the text stays.
            await pilot.press("ctrl+s")
            await until(pilot, "the save is refused", lambda: t("error.db_lost") in notes(app))
            assert area.text == part1 + part2
            # Both noticed, and both feed the one status: the services (the autosave and
            # the save could not reconnect) and the change feed.
            assert app.connection.lost == {"services", "feed"}
            area.insert(part3)
            await pilot.pause(3.0)  # autosave ticks fail meanwhile, quietly
            assert area.text == part1 + part2 + part3
            assert app.connection.away

            # The server comes back.
            await asyncio.to_thread(cluster.start)
            back_after = await until(pilot, "the app says it is back", lambda: (
                not app.connection.away and t("ui.live_back") in notes(app)
                and app.sub_title == ""))
            full = part1 + part2 + part3
            assert area.text == full
            await until(pilot, "the autosave reaches the database",
                        lambda: saved_draft() == full)
            assert svc.ctx.health.state == Health.OK

            await pilot.press("ctrl+s")
            await until(pilot, "the speech is saved", lambda: bool(
                svc.meetings.record(w.recorder, mtg.id).speeches))
            await until(pilot, "the text area is cleared", lambda: area.text == "")
            [speech] = svc.meetings.record(w.recorder, mtg.id).speeches
            assert speech.text == full and speech.speaker_id == w.member.member_id
            await until(pilot, "the draft is cleared", lambda: saved_draft() is None)

            # Nothing but translated messages: no traceback, no "unexpected error".
            unexpected = t("ui.unexpected", detail="").split("（")[0]
            assert not [n for n in notes(app) if "Traceback" in n or unexpected in n]
            assert set(notes(app, "error")) <= {t("error.db_lost")}, notes(app, "error")
            assert app.is_running and app._exception is None
            print(f"reconnecting shown {shown_after:.1f}s after the stop; back shown "
                  f"{back_after:.1f}s after the server accepted connections")
    finally:
        db.close()


async def test_the_services_status_shows_in_english_and_clears(tmp_path):
    """Without a server to stop: the services' health drives the same status line and
    notices, in the user's language (here English), and the probe brings it back."""
    db = open_database(f"sqlite:///{tmp_path / 'status.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc, extra_full=0)
    set_language("en")
    try:
        app = BranchApp(svc, w.secretary)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            svc.ctx.health.set(Health.LOST)  # as a call that could not reconnect does
            await until(pilot, "the app says it is reconnecting",
                        lambda: app.sub_title == "Database connection lost, reconnecting…")
            assert "Lost the connection to the database; reconnecting… Nothing you typed " \
                "is lost." in notes(app, "warning")
            # The database answers (SQLite always does): the probe sets it back.
            await until(pilot, "the app says it is back",
                        lambda: "Reconnected to the database." in notes(app))
            assert app.sub_title == "" and not app.connection.away
    finally:
        set_language("zh")
        db.close()
