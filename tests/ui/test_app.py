"""Pilot tests of the app skeleton over the real services, with hostile text in every
fixture: markup must show as text and never run."""

from __future__ import annotations

from datetime import datetime

import pytest
from textual.widgets import DataTable, Static

from branchtui.core.enums import AttendanceStatus, Obligation
from branchtui.i18n import set_language
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.home import HomeScreen
from branchtui.ui.screens.persona import PersonaScreen
from branchtui.ui.screens.record import RecordScreen
from tests.conftest import HOSTILE_LINK, LONG_ZH, NOW
from tests.factories import build_world, draft


@pytest.fixture
def world(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'ui.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc)
    mtg = svc.meetings.schedule(
        w.secretary, draft(w, datetime(2026, 11, 27, 14), Obligation.THEME_DAY,
                           title=HOSTILE_LINK + "主题党日[/]"))
    svc.meetings.open(w.recorder, mtg.id)
    svc.meetings.mark(w.recorder, mtg.id, w.member.member_id, AttendanceStatus.PRESENT)
    svc.minutes.add_speech(w.recorder, mtg.id, LONG_ZH + "[/]", speaker_id=w.member.member_id)
    w.meeting_id = mtg.id  # type: ignore[attr-defined]
    yield w
    db.close()


def table_text(table: DataTable) -> str:
    return "\n".join(
        " ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)
    )


async def test_home_shows_hostile_titles_as_text(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        upcoming = app.screen.query_one("#upcoming", DataTable)
        assert HOSTILE_LINK + "主题党日[/]" in table_text(upcoming)
        who = str(app.screen.query_one("#who", Static).render())
        assert "张书记" in who
        # The link text must not have become an action: clicking around keeps the app alive.
        await pilot.click("#upcoming")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RecordScreen)
        speeches = app.screen.query_one("#speeches", DataTable)
        assert (LONG_ZH + "[/]") in table_text(speeches)
        assert app.is_running


async def test_member_cannot_read_other_branch_and_gets_a_message(world):
    app = BranchApp(world.svc, world.other_secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        app.push_screen(RecordScreen(world.meeting_id))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any("无权查看" in str(n) for n in notes), notes


async def test_demo_persona_picker_switches_actor(world):
    set_language("zh")
    app = BranchApp(world.svc, None, personas={"shuji": "shuji", "dangyuan": "dangyuan"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PersonaScreen)
        await pilot.press("down", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.actor is not None and app.actor.login == "dangyuan"
        assert isinstance(app.screen, HomeScreen)


async def test_help_lists_keys(world):
    app = BranchApp(world.svc, world.member)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("#help-table", DataTable)
        assert "刷新" in table_text(table)


async def test_english_on_request_including_key_descriptions(world):
    set_language("en")
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        descriptions = {b.description for b in app.screen.active_bindings.values()
                        for b in [b.binding]}
        assert "Refresh" in descriptions and "刷新" not in descriptions
        await pilot.press("f1")
        await pilot.pause()
        assert "Refresh" in table_text(app.screen.query_one("#help-table", DataTable))
    set_language("zh")


async def test_function_keys_reach_every_top_level_screen(world):
    from branchtui.ui.screens.appraisal import AppraisalScreen
    from branchtui.ui.screens.leave import LeaveInboxScreen
    from branchtui.ui.screens.meetings import MeetingsScreen
    from branchtui.ui.screens.members import MembersScreen
    from branchtui.ui.screens.mine import MineScreen
    from branchtui.ui.screens.orglife.tracker import RectificationScreen

    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        for key, screen in (("f2", MeetingsScreen), ("f3", MembersScreen),
                            ("f4", RectificationScreen), ("f6", MineScreen),
                            ("f7", LeaveInboxScreen), ("f8", AppraisalScreen),
                            ("f9", HomeScreen)):
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, screen), (key, app.screen)
            # F-keys replace the top-level screen instead of piling screens up.
            assert len(app.screen_stack) <= 3
        assert app.is_running


async def test_palette_lists_navigation_in_both_languages(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        names = [c.title for c in app.get_system_commands(app.screen)]
        assert "会议 Meetings" in names and "整改清单 Rectification" in names


async def test_a_resize_to_the_same_size_does_not_lay_screens_out_again(tmp_path):
    """Textual keeps a Resize of an unchanged size and sends it to the screens when the app
    next goes idle (a full layout each: the driver sends one at every start). BranchApp
    drops it; a real change of size still reaches the screen."""
    from textual import events
    from textual.geometry import Size


    db = open_database(f"sqlite:///{tmp_path / 'resize.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc)
    seen: list[Size] = []

    class Counting(HomeScreen):
        def on_resize(self, event: events.Resize) -> None:
            seen.append(event.size)

    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.push_screen(Counting())
        await pilot.pause()
        seen.clear()
        app.post_message(events.Resize(Size(100, 30), Size(100, 30)))
        await pilot.pause()
        await pilot.pause()
        assert seen == [], (app._size, app._pixel_size)
        await pilot.resize_terminal(90, 28)
        await pilot.pause()
        assert seen and seen[-1] == Size(90, 28)
    db.close()


async def test_home_shows_its_body_with_the_data_or_after_a_short_wait(tmp_path, monkeypatch):
    """The home body is laid out once, with its data (not first as five empty tables); a
    slow database shows it empty after FIRST_SHOW_SECONDS, and the data fills in later."""
    import threading

    from textual.containers import VerticalScroll

    from branchtui.ui.screens import home as home_mod

    db = open_database(f"sqlite:///{tmp_path / 'body.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc)
    release = threading.Event()
    load = svc.home.load

    def slow_load(actor):
        release.wait(10)
        return load(actor)

    monkeypatch.setattr(svc.home, "load", slow_load)
    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        body = screen.query_one("#body", VerticalScroll)
        assert not body.display  # no data yet: nothing laid out
        await pilot.pause(home_mod.FIRST_SHOW_SECONDS + 0.3)
        assert body.display and body.has_focus  # shown anyway, keys work
        assert screen.query_one("#upcoming", DataTable).row_count == 0
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.query_one("#upcoming", DataTable).row_count > 0
    release.set()
    db.close()


async def test_home_body_shows_as_soon_as_its_data_is_there(tmp_path, monkeypatch):
    from textual.containers import VerticalScroll

    from branchtui.ui.screens import home as home_mod

    monkeypatch.setattr(home_mod, "FIRST_SHOW_SECONDS", 60.0)  # only the data can show it

    db = open_database(f"sqlite:///{tmp_path / 'fast.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc)
    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        body = app.screen.query_one("#body", VerticalScroll)
        assert body.display and body.has_focus
        assert app.screen.query_one("#upcoming", DataTable).row_count > 0
    db.close()


async def test_a_failed_load_says_so_once(tmp_path, monkeypatch):
    """Textual calls the Failed handler of every class in a screen's MRO: a screen that
    also called DataScreen's itself showed each error twice (seven screens did)."""
    from branchtui.core.errors import Unavailable

    db = open_database(f"sqlite:///{tmp_path / 'fail.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc)

    def down(actor):
        raise Unavailable()

    monkeypatch.setattr(svc.home, "load", down)
    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        assert len(shown) == 1, shown
        assert app.screen.query_one("#body").display  # the page shows, empty, with the notice
    db.close()
