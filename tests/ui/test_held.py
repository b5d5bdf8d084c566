"""Issue 11, items 8 and 9 through the keys: F10 on another day than planned offers to
move the meeting to today and open it (one key), or to open it as a 补录 with a reason;
the scheduling form asks for the reason of a meeting entered after its date; the list and
the record page say 补录 and show when the meeting really ran. 80x24, hostile text."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from textual.widgets import Button, DataTable, Input, Static

from branchtui.core.enums import MeetingStatus, Obligation
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.meetings import MeetingsScreen
from branchtui.ui.screens.minutes.dialogs import OpenOtherDay
from branchtui.ui.screens.minutes.screen import MinutesScreen
from branchtui.ui.screens.record import RecordScreen
from branchtui.ui.screens.schedule.screen import ScheduleScreen
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK, backend_url, on_both_backends
from tests.factories import GAPS_REASON, build_world, draft

DEC_02 = datetime(2026, 12, 2, 4, 8)
REASON_KEYS = "[@click=app.quit]x[/]停电 依纸质记录补录"  # what Pilot can type as keys
REASON = REASON_KEYS + FULLWIDTH + HOSTILE


@pytest.fixture
def world(tmp_path, request):
    db = open_database(backend_url(request, tmp_path, "held.sqlite3"))
    upgrade(db)
    clock = FixedClock(datetime(2026, 11, 13, 9))
    svc = Services.create(db, clock)
    w = build_world(svc)
    w.clock = clock  # type: ignore[attr-defined]
    w.general = svc.meetings.schedule(w.secretary, dataclasses.replace(  # type: ignore[attr-defined]
        draft(w, datetime(2026, 12, 9, 14, 30), Obligation.GENERAL_MEETING),
        title=HOSTILE_LINK + "支部党员大会[/]"))
    w.missed = svc.meetings.schedule(  # type: ignore[attr-defined]
        w.secretary, draft(w, datetime(2026, 11, 20, 14, 30), title="十一月主题党日" + HOSTILE))
    clock.current = DEC_02
    yield w
    db.close()


async def settle(app, pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def static_text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def notes(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def open_minutes(app, pilot, meeting_id: int) -> MinutesScreen:
    await settle(app, pilot)
    app.push_screen(MinutesScreen(meeting_id))
    await settle(app, pilot)
    assert isinstance(app.screen, MinutesScreen)
    return app.screen


@on_both_backends
async def test_f10_on_another_day_moves_the_meeting_to_today_with_one_key(world):
    """The issue's case: the 12-09 支部党员大会 opened on 12-02 at 04:08."""
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        minutes = await open_minutes(app, pilot, w.general.id)
        await pilot.press("f10")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, OpenOtherDay), dialog
        question = static_text(dialog, "#od-question")
        assert "计划于 2026-12-09" in question and "今天是 2026-12-02" in question
        assert HOSTILE_LINK + "支部党员大会[/]" in question
        assert "2026-12-02 14:30至16:30" in static_text(dialog, "#od-move")
        assert w.svc.meetings.get(w.secretary, w.general.id).status is MeetingStatus.PLANNED
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is minutes, notes(app)
        got = w.svc.meetings.get(w.secretary, w.general.id)
        assert got.status is MeetingStatus.OPEN
        assert (got.planned_start, got.planned_end) == (datetime(2026, 12, 2, 14, 30),
                                                        datetime(2026, 12, 2, 16, 30))
        assert got.opened_at == DEC_02 and not got.entered_late
        assert "2026-12-02 14:30" in static_text(minutes, "#head")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert isinstance(app.screen, RecordScreen)
        head = static_text(app.screen, "#head")
        assert "时间：2026-12-02 14:30至16:30\n实际：2026-12-02 04:08起" in head, head
        assert "补录" not in head
        assert app.is_running


async def test_record_shows_the_real_times_with_their_dates(world):
    w = world
    w.clock.current = datetime(2026, 11, 20, 14, 32)
    w.svc.meetings.open(w.recorder, w.missed.id)
    w.clock.current = datetime(2026, 11, 21, 0, 10)  # closed after midnight
    w.svc.meetings.close(w.recorder, w.missed.id, gaps_reason=GAPS_REASON)
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(RecordScreen(w.missed.id))
        await settle(app, pilot)
        head = static_text(app.screen, "#head")
        assert ("时间：2026-11-20 14:30至16:30\n实际：2026-11-20 14:32至2026-11-21 00:10"
                in head), head


async def test_f10_after_the_day_without_the_right_to_reschedule_records_a_late_entry(world):
    """The recorder may open but not reschedule: the move is shown as not theirs, and a
    meeting held on 11-20 is recorded as a 补录 with a reason."""
    w = world
    app = BranchApp(w.svc, w.recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        minutes = await open_minutes(app, pilot, w.missed.id)
        await pilot.press("f10")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, OpenOtherDay), dialog
        assert "须由支部书记" in static_text(dialog, "#od-move")
        assert dialog.query_one("#od-move-btn", Button).disabled
        reason = dialog.query_one("#od-reason", Input)
        assert reason.has_focus
        # Y is typed into the reason, it moves nothing; Enter without a reason is refused.
        await pilot.press("y", "backspace", "enter")
        await settle(app, pilot)
        assert app.screen is dialog
        assert "补录原因" in static_text(dialog, "#od-error")
        await pilot.press(*REASON_KEYS)
        # Pilot drops full-width punctuation typed as keys; a terminal sends it as text.
        reason.insert_text_at_cursor(FULLWIDTH + HOSTILE)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is minutes, notes(app)
        got = w.svc.meetings.get(w.recorder, w.missed.id)
        assert got.status is MeetingStatus.OPEN and got.entered_late
        assert (got.planned_start.date(), got.late_reason) == (date(2026, 11, 20), REASON)
        assert "补录" in static_text(minutes, "#head")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        head = static_text(app.screen, "#head")
        assert "时间：2026-11-20 14:30至16:30\n录入：2026-12-02 04:08起" in head, head
        assert ("补录：会议于 2026-11-20 召开，2026-12-02 04:08 补录登记；原因：" + REASON
                in head), head
        assert app.is_running


async def test_escape_leaves_the_meeting_as_it_was(world):
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        minutes = await open_minutes(app, pilot, w.missed.id)
        await pilot.press("f10")
        await settle(app, pilot)
        assert isinstance(app.screen, OpenOtherDay)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is minutes
    got = w.svc.meetings.get(w.secretary, w.missed.id)
    assert got.status is MeetingStatus.PLANNED and got.planned_start == w.missed.planned_start


@on_both_backends
async def test_schedule_form_asks_why_a_meeting_is_entered_after_its_date(world):
    """Item 9: a sitting dated 11-01 entered on 12-02 needs a reason; the list then says
    补录 with the reason and when it was entered."""
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(MeetingsScreen())
        await settle(app, pilot)
        app.screen.query_one("#list", DataTable).focus()
        await pilot.press("n")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, ScheduleScreen)
        assert form.query_one("#late-row").has_class("-hidden")  # next week: in time
        form.query_one("#date", Input).value = "2026-11-01"
        await settle(app, pilot)
        assert not form.query_one("#late-row").has_class("-hidden")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        assert "补录" in static_text(form, "#form-error")
        assert [m for m in w.svc.meetings.find(w.secretary, w.branch_id)
                if m.planned_start.date() == date(2026, 11, 1)] == []
        form.query_one("#late-reason", Input).focus()
        await pilot.press(*REASON_KEYS)
        form.query_one("#late-reason", Input).insert_text_at_cursor(FULLWIDTH + HOSTILE)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        listing = app.screen
        assert isinstance(listing, MeetingsScreen), notes(app)
        [made] = [m for m in w.svc.meetings.find(w.secretary, w.branch_id)
                  if m.planned_start.date() == date(2026, 11, 1)]
        assert made.entered_late and made.late_reason == REASON and made.late_at == DEC_02
        table = listing.query_one("#list", DataTable)
        table.move_cursor(row=table.get_row_index(str(made.id)))
        await settle(app, pilot)
        assert str(table.get_row(str(made.id))[1]) == "〔补录〕2026年11月主题党日"
        note = static_text(listing, "#late-note")
        assert "2026-11-01" in note and "2026-12-02 04:08" in note and REASON in note, note
        table.move_cursor(row=table.get_row_index(str(w.general.id)))
        await settle(app, pilot)
        assert listing.query_one("#late-note").display is False
        assert app.is_running
