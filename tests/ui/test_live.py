"""Live screens: another connection changes the meeting and the open screen shows it
without a key press, keeping the cursor and what the user is typing; presence on one line.
Real services on a temp-file SQLite, the app's own change-feed watcher."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

import pytest
from textual.screen import Screen
from textual.widgets import DataTable, Static, TextArea

from branchtui.core.enums import Act, AttendanceStatus, Obligation
from branchtui.i18n import enum_label, set_language
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.attendance.screen import AttendanceScreen
from branchtui.ui.screens.minutes.screen import MinutesScreen
from branchtui.ui.screens.record import RecordScreen
from tests.conftest import (
    FULLWIDTH,
    HOSTILE,
    HOSTILE_LINK,
    LONG_ZH,
    NOW,
    backend_url,
    on_both_backends,
)
from tests.factories import GAPS_REASON, build_world, draft

START = datetime(2026, 11, 27, 9, 0)
THEIRS = FULLWIDTH + HOSTILE_LINK + "另一位同志的发言" + HOSTILE


@pytest.fixture
def world(tmp_path, request):
    url = backend_url(request, tmp_path, "live.sqlite3")
    db = open_database(url)
    upgrade(db)
    clock = FixedClock(NOW)
    svc = Services.create(db, clock)
    w = build_world(svc)
    mtg = svc.meetings.schedule(w.secretary, draft(
        w, START, Obligation.THEME_DAY, title=HOSTILE_LINK + "主题党日[/]",
        agenda=(("学习文件[/]", None), ("讨论决定事项", Act.GENERAL_DECISION))))
    clock.current = START - timedelta(minutes=5)
    svc.meetings.open(w.recorder, mtg.id)
    w.url, w.mid, w.clock = url, mtg.id, clock  # type: ignore[attr-defined]
    yield w
    db.close()


async def elsewhere(fn: Callable[[], object]) -> None:
    """Run a service call on another thread, hence another database connection."""
    await asyncio.to_thread(fn)


async def until(pilot, check: Callable[[], bool], seconds: float = 3.0) -> float:
    """Let the app run (no keys) until ``check()``; the seconds it took."""
    t0 = time.monotonic()
    while not check():
        assert time.monotonic() - t0 < seconds, "the change never showed"
        await pilot.pause(0.05)
    return time.monotonic() - t0


async def settle(app, pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


S = TypeVar("S", bound=Screen)


async def show(app, pilot, screen: S) -> S:
    """Let the app start, open ``screen`` over home and let it load."""
    await settle(app, pilot)
    app.push_screen(screen)
    await settle(app, pilot)
    return screen


def table_text(table: DataTable) -> str:
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i))
                     for i in range(table.row_count))


async def test_the_record_shows_a_new_speech_without_a_key_at_80x24(world):
    w = world
    app = BranchApp(w.svc, w.secretary, db_url=w.url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show(app, pilot, RecordScreen(w.mid))
        speeches = screen.query_one("#speeches", DataTable)
        assert speeches.row_count == 0
        await elsewhere(lambda: w.svc.minutes.add_speech(
            w.recorder, w.mid, THEIRS, speaker_id=w.member.member_id))
        took = await until(pilot, lambda: THEIRS in table_text(speeches))
        assert took < 1.5, f"shown after {took:.2f}s"
        assert app.is_running and app.screen is screen
        # One write, one reload: the app hands the message down and it never comes back up
        # (a bubbling Changed once looped thousands of times a second).
        loads: list[str] = []
        screen.fetch = lambda tag, call: loads.append(tag)  # type: ignore[method-assign]
        await elsewhere(lambda: w.svc.minutes.add_speech(
            w.recorder, w.mid, "再说一句", speaker_id=w.member.member_id))
        await pilot.pause(1.2)
        assert loads == ["record"], loads


async def test_attendance_redraws_only_the_changed_row_and_keeps_the_cursor(world):
    w = world
    app = BranchApp(w.svc, w.recorder, db_url=w.url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(app, pilot, AttendanceScreen(w.mid))
        assert screen.sheet is not None
        screen.table.move_cursor(row=2)
        target = screen.order[5]
        before = {mid: str(screen.table.get_cell(str(mid), "status")) for mid in screen.order}
        rendered: list[str] = []
        original = screen._render_row

        def spy(member_id: int) -> None:
            rendered.append(str(member_id))
            original(member_id)

        screen._render_row = spy  # type: ignore[method-assign]
        # The member signs in (or the secretary marks) from another session.
        await elsewhere(lambda: w.svc.meetings.mark(w.secretary, w.mid, target,
                                                    AttendanceStatus.PRESENT))
        present = enum_label(AttendanceStatus.PRESENT)
        took = await until(pilot, lambda: str(
            screen.table.get_cell(str(target), "status")) == present)
        assert took < 1.5
        assert rendered == [str(target)], "only the changed row is redrawn"
        assert screen.table.cursor_row == 2, "the cursor stayed where the recorder left it"
        after = {mid: str(screen.table.get_cell(str(mid), "status")) for mid in screen.order}
        assert {mid for mid in after if after[mid] != before[mid]} == {target}
        assert "1" in str(screen.query_one("#att-counts", Static).render())


async def test_minutes_show_others_speeches_and_keep_what_i_type(world):
    w = world
    app = BranchApp(w.svc, w.recorder, db_url=w.url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(app, pilot, MinutesScreen(w.mid))
        area = screen.query_one("#speech-text", TextArea)
        area.focus()
        await pilot.press(*"我正在记")
        area.move_cursor((0, 2))
        typed, cursor = area.text, area.cursor_location
        assert typed == "我正在记"
        speeches = screen.query_one("#speeches", DataTable)
        item = screen.items[screen.item_index]
        assert item is not None
        await elsewhere(lambda: w.svc.minutes.add_speech(
            w.secretary, w.mid, THEIRS + LONG_ZH, speaker_id=w.member.member_id,
            agenda_item_id=item.id))
        await until(pilot, lambda: THEIRS in table_text(speeches))
        assert area.text == typed and area.cursor_location == cursor and area.has_focus
        # And the typing carries on where it was.
        await pilot.press("X")
        assert area.text == "我正X在记"
        # A status change (closed elsewhere) shows too: the area becomes read-only.
        w.clock.current = START + timedelta(hours=1)
        await elsewhere(lambda: w.svc.meetings.close(w.secretary, w.mid, gaps_reason=GAPS_REASON))
        await until(pilot, lambda: area.read_only)
        assert area.text == "我正X在记"
        assert app.is_running


async def test_presence_line_names_viewers_and_editors_as_text(world):
    w = world
    set_language("zh")
    app = BranchApp(w.svc, w.member, db_url=w.url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show(app, pilot, RecordScreen(w.mid))
        line = screen.query_one("#presence", Static)
        assert not line.display, "nobody else: no line"
        await elsewhere(lambda: w.svc.presence.beat(w.secretary, w.mid, "view"))
        await elsewhere(lambda: w.svc.presence.beat(w.recorder, w.mid, "edit"))
        screen._beat()
        await until(pilot, lambda: bool(line.display))
        text = str(line.render())
        assert text == (f"正在查看：{w.secretary.name}；正在编辑：{w.recorder.name}"), text
        assert HOSTILE_LINK in text and app.is_running
        # A heartbeat that finds the same people redraws nothing: an idle session stays idle.
        updates: list[object] = []
        real_update = line.update
        line.update = lambda *a, **k: (updates.append(a), real_update(*a, **k))[1]  # type: ignore[method-assign]
        screen._beat()
        await settle(app, pilot)
        assert updates == [], "same people, no redraw"
        await elsewhere(lambda: w.svc.presence.leave(w.recorder, w.mid))
        screen._beat()
        await until(pilot, lambda: bool(updates))
        assert str(line.render()) == f"正在查看：{w.secretary.name}"
        # Our own heartbeat is in the table; closing the screen removes it.
        assert w.member.name in w.svc.presence.who(w.secretary, w.mid).viewing
        app.pop_screen()
        await settle(app, pilot)
        assert w.member.name not in w.svc.presence.who(w.secretary, w.mid).viewing


@on_both_backends
async def test_others_coming_switching_and_leaving_show_without_waiting_for_a_beat(world):
    """A second session's join, switch to editing and leave reach this session's presence
    line through the change feed within about a second; this session does not beat in the
    meantime (its heartbeat is every 10 s)."""
    w = world
    set_language("zh")
    mine: list[float] = []
    real_beat = w.svc.presence.beat

    def beat(actor, meeting_id, mode="view"):
        if actor.member_id == w.member.member_id:
            mine.append(time.monotonic())
        return real_beat(actor, meeting_id, mode)

    w.svc.presence.beat = beat
    app = BranchApp(w.svc, w.member, db_url=w.url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show(app, pilot, RecordScreen(w.mid))
        line = screen.query_one("#presence", Static)
        assert not line.display and len(mine) == 1, "the screen beat once, alone"
        await pilot.pause(0.3)  # the feed has seen our own join

        await elsewhere(lambda: w.svc.presence.beat(w.secretary, w.mid, "view"))
        took = [await until(pilot, lambda: str(line.render()) == f"正在查看：{w.secretary.name}"
                            and bool(line.display), seconds=2.5)]
        await elsewhere(lambda: w.svc.presence.beat(w.secretary, w.mid, "edit"))
        took.append(await until(pilot, lambda: str(line.render())
                                == f"正在编辑：{w.secretary.name}", seconds=2.5))
        await elsewhere(lambda: w.svc.presence.leave(w.secretary, w.mid))
        took.append(await until(pilot, lambda: not line.display, seconds=2.5))
        assert len(mine) == 1, "a heartbeat of this session did the work"
        assert max(took) < 2.0, took
        assert app.is_running


async def test_presence_line_in_english(world):
    w = world
    set_language("en")
    try:
        app = BranchApp(w.svc, w.member, db_url=w.url)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await show(app, pilot, RecordScreen(w.mid))
            await elsewhere(lambda: w.svc.presence.beat(w.secretary, w.mid, "view"))
            screen._beat()
            line = screen.query_one("#presence", Static)
            await until(pilot, lambda: bool(line.display))
            assert str(line.render()) == f"Viewing: {w.secretary.name}"
    finally:
        set_language("zh")


async def test_my_record_follows_my_open_meeting_without_a_key_at_80x24(world):
    """我的记录 of a member: the recorder allows or stops self sign-in in another session,
    and the page says so at once (it once kept saying "report to the recorder")."""
    from branchtui.i18n import t
    from branchtui.ui.screens.mine import MineScreen

    w = world
    version = w.svc.meetings.record(w.recorder, w.mid).meeting.version
    w.svc.meetings.set_self_signin(w.recorder, w.mid, False, version)
    app = BranchApp(w.svc, w.member, db_url=w.url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show(app, pilot, MineScreen())
        table = screen.query_one("#meetings", DataTable)
        assert t("ui_mine.no_self_sign_in") in table_text(table)
        meeting = w.svc.meetings.record(w.recorder, w.mid).meeting
        await elsewhere(lambda: w.svc.meetings.set_self_signin(
            w.recorder, w.mid, True, meeting.version))
        took = await until(pilot, lambda: t("ui_mine.can_sign_in") in table_text(table))
        assert took < 2.0, f"shown after {took:.2f}s"  # polled at 4 Hz, gathered 0.5 s
        assert HOSTILE_LINK + "主题党日[/]" in table_text(table) and app.is_running
        # Under another screen the page waits: coming back reloads it anyway.
        loads: list[str] = []
        real_fetch = screen.fetch
        screen.fetch = lambda tag, call: loads.append(tag)  # type: ignore[method-assign]
        app.push_screen(RecordScreen(w.mid))
        await settle(app, pilot)
        await elsewhere(lambda: w.svc.minutes.add_speech(
            w.recorder, w.mid, THEIRS, speaker_id=w.member.member_id))
        await pilot.pause(1.2)
        assert loads == [], loads
        # Back on top: a meeting that is not mine changes, no reload; mine does, one.
        other = w.svc.meetings.schedule(w.other_secretary, replace(
            draft(w, START + timedelta(days=3)), branch_id=w.other_branch_id,
            convener_id=None, moderator_id=None, recorder_id=None))
        screen.fetch = real_fetch  # type: ignore[method-assign]
        app.pop_screen()
        await settle(app, pilot)
        screen.fetch = lambda tag, call: loads.append(tag)  # type: ignore[method-assign]
        await elsewhere(lambda: w.svc.meetings.cancel(w.other_secretary, other.id,
                                                      other.version, "改期[/]"))
        await pilot.pause(1.2)
        assert loads == [], loads
        await elsewhere(lambda: w.svc.minutes.add_speech(
            w.recorder, w.mid, "再说一句", speaker_id=w.member.member_id))
        await until(pilot, lambda: loads == ["mine"])
