"""Pilot tests of the meetings list/calendar and the scheduling form, end to end through
keys over the real services on a temp-file SQLite, with hostile text in the fixtures."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from textual.widgets import DataTable, Input, Select, Static

from branchtui.core import recurrence
from branchtui.core.enums import MeetingStatus, Obligation
from branchtui.core.errors import ValidationError
from branchtui.i18n import set_language
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.dialogs.cancel_meeting import CancelDialog
from branchtui.ui.screens.meetings import MeetingsScreen, month_grid
from branchtui.ui.screens.schedule.dialogs import ConflictDialog
from branchtui.ui.screens.schedule.form import default_title, parse_clock, parse_day
from branchtui.ui.screens.schedule.screen import ScheduleScreen
from tests.conftest import (
    FULLWIDTH,
    HOSTILE,
    HOSTILE_LINK,
    LONG_ZH,
    NOW,
    backend_url,
    on_both_backends,
)
from tests.factories import build_world, draft

EXISTING_TITLE = HOSTILE_LINK + "主题党日[/]"


@pytest.fixture
def world(tmp_path, request):
    db = open_database(backend_url(request, tmp_path, "ui.sqlite3"))
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc)
    mtg = svc.meetings.schedule(
        w.secretary, draft(w, datetime(2026, 11, 27, 14), Obligation.THEME_DAY,
                           title=EXISTING_TITLE))
    w.meeting_id = mtg.id  # type: ignore[attr-defined]
    yield w
    db.close()


async def settle(pilot, app) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def table_text(table: DataTable) -> str:
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i))
                     for i in range(table.row_count))


def static_text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def notes(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def open_meetings(app, pilot, branch_id=None) -> MeetingsScreen:
    await settle(pilot, app)
    screen = MeetingsScreen(branch_id)
    app.push_screen(screen)
    await settle(pilot, app)
    assert app.screen is screen
    return screen


async def type_into(pilot, app, selector: str, text: str) -> None:
    """Focus an input, clear it with keys and type ``text`` key by key."""
    app.screen.query_one(selector, Input).focus()
    await pilot.press("home", "ctrl+k")
    await pilot.press(*list(text))
    await pilot.pause()


def meetings_titled(w, title: str):
    return [m for m in w.svc.meetings.find(w.secretary, w.branch_id) if m.title == title]


# -- pure helpers ------------------------------------------------------------------------------


def test_reading_dates_and_times_is_forgiving_but_strict():
    assert parse_day("2026-12-04") == date(2026, 12, 4)
    assert parse_day("２０２６年１２月４日") == date(2026, 12, 4)
    assert parse_day("2026/12/4") == parse_day("20261204") == date(2026, 12, 4)
    with pytest.raises(ValidationError) as bad:
        parse_day("明天下午")
    assert "年-月-日" in bad.value.message()
    with pytest.raises(ValidationError) as no_day:
        parse_day("2026-02-30")
    assert "没有" in no_day.value.message()
    assert parse_clock("14：30", "开始").hour == 14
    assert parse_clock("9点", "开始").hour == 9
    assert parse_clock("1430", "开始").minute == 30
    with pytest.raises(ValidationError):
        parse_clock("25:00", "开始")
    assert default_title(date(2026, 12, 4), [Obligation.THEME_DAY]) == "2026年12月主题党日"


def test_month_grid_marks_days_with_sittings(world):
    mtgs = world.svc.meetings.find(world.secretary, world.branch_id)
    grid = month_grid(date(2026, 11, 1), mtgs, date(2026, 11, 27)).plain
    assert "2026年11月" in grid and "27●" in grid and "26 " in grid


# -- the list and calendar ---------------------------------------------------------------------


async def test_list_shows_hostile_titles_and_enter_opens_record(world):
    from branchtui.ui.screens.record import RecordScreen

    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_meetings(app, pilot)
        table = screen.query_one("#list", DataTable)
        assert EXISTING_TITLE in table_text(table)
        assert "第一党支部" in static_text(screen, "#branch")
        table.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, RecordScreen)
        assert app.is_running


async def test_bad_period_is_explained_and_list_is_kept(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_meetings(app, pilot)
        await type_into(pilot, app, "#f-period", "2026-13")
        await pilot.press("enter")
        await settle(pilot, app)
        assert "无法识别的期间" in static_text(screen, "#period-error")
        assert screen.query_one("#f-period", Input).value == "2026-13"
        assert screen.query_one("#list", DataTable).row_count == 1
        await type_into(pilot, app, "#f-period", "2027-Q1")
        await pilot.press("enter")
        await settle(pilot, app)
        assert static_text(screen, "#period-error") == ""
        assert screen.query_one("#list", DataTable).row_count == 0


async def test_filters_by_kind(world):
    world.svc.meetings.schedule(world.secretary, draft(
        world, datetime(2026, 12, 10, 9), Obligation.PARTY_LECTURE, title="党课[b]"))
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_meetings(app, pilot)
        assert screen.query_one("#list", DataTable).row_count == 2
        screen.query_one("#f-kind", Select).value = Obligation.PARTY_LECTURE.value
        await settle(pilot, app)
        text = table_text(screen.query_one("#list", DataTable))
        assert "党课[b]" in text and EXISTING_TITLE not in text


async def test_calendar_at_80x24_moves_months_with_keys(world):
    world.svc.meetings.schedule(world.secretary, draft(
        world, datetime(2026, 12, 4, 14), Obligation.THEME_DAY, title=LONG_ZH[:150]))
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_meetings(app, pilot)
        screen.query_one("#list", DataTable).focus()
        await pilot.press("v")
        await settle(pilot, app)
        cal = static_text(screen, "#calendar")
        assert "2026年11月" in cal and "27●" in cal
        assert screen.query_one("#f-period", Input).value == "2026-11"
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
        cal = static_text(screen, "#calendar")
        assert "2026年12月" in cal and " 4●" in cal
        assert LONG_ZH[:150] in table_text(screen.query_one("#list", DataTable))
        assert screen.query_one("#calendar").region.height > 6  # it is really on screen
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot, app)
        assert "2026年10月" in static_text(screen, "#calendar")
        assert app.is_running


# -- scheduling ----------------------------------------------------------------------------


async def start_form(app, pilot) -> ScheduleScreen:
    screen = await open_meetings(app, pilot)
    screen.query_one("#list", DataTable).focus()
    await pilot.press("n")
    await settle(pilot, app)
    form = app.screen
    assert isinstance(form, ScheduleScreen), type(form)
    return form


async def test_schedule_form_buttons(world):
    """The mouse path: 返回 leaves without saving, 保存 saves as ctrl+s does."""
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        await start_form(app, pilot)
        await pilot.click("#back")
        await settle(pilot, app)
        assert isinstance(app.screen, MeetingsScreen)
        assert not meetings_titled(world, "2026年12月主题党日")
        await start_form(app, pilot)
        await type_into(pilot, app, "#place", "党群服务中心" + FULLWIDTH)
        await pilot.click("#save")
        await settle(pilot, app)
        assert isinstance(app.screen, MeetingsScreen), notes(app)
        assert len(meetings_titled(world, "2026年12月主题党日")) == 1, notes(app)


async def test_schedule_with_hostile_title_through_keys(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        form = await start_form(app, pilot)
        # The title is suggested from the date and the kinds.
        assert form.query_one("#title", Input).value == "2026年12月主题党日"
        await type_into(pilot, app, "#title", HOSTILE_LINK + "主题党日" + HOSTILE)
        # Pilot drops full-width punctuation typed as keys; a terminal sends it as text.
        form.query_one("#title", Input).insert_text_at_cursor(FULLWIDTH)
        hostile = HOSTILE_LINK + "主题党日" + HOSTILE + FULLWIDTH
        await type_into(pilot, app, "#place", "党群服务中心[/]")
        await type_into(pilot, app, "#agenda-title", "学习[@click=app.quit]文件[/]")
        await pilot.press("enter")
        await pilot.pause()
        assert "学习[@click=app.quit]文件[/]" in table_text(form.query_one("#agenda", DataTable))
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MeetingsScreen), notes(app)
        made = meetings_titled(world, hostile)
        assert len(made) == 1, notes(app)
        mtg = world.svc.meetings.get(world.secretary, made[0].id)
        assert mtg.planned_start == datetime(2026, 12, 4, 14, 30)
        assert mtg.place == "党群服务中心[/]"
        assert [a.title for a in mtg.agenda] == ["学习[@click=app.quit]文件[/]"]
        assert hostile in table_text(app.screen.query_one("#list", DataTable))
        assert app.is_running


async def test_series_with_preset_shows_words_and_preview(world):
    """Issue 11, item 10: each sitting of a series gets its own title (the form suggests a
    pattern, the preview shows the titles) and the one on 元旦 is marked."""
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        form = await start_form(app, pilot)
        form.query_one("#rec-kind", Select).focus()
        await pilot.press("enter", "down", "enter")  # 每月第几个星期几
        await settle(pilot, app)
        assert form.query_one("#rec-kind", Select).value == recurrence.Preset.MONTHLY_NTH_WEEKDAY
        assert "每月第一个星期五" in static_text(form, "#rec-describe")
        assert form.query_one("#title", Input).value == "{year}年{month}月主题党日"
        assert "{year}" in static_text(form, "#title-note")
        preview = static_text(form, "#rec-preview")
        assert "接下来 5 次" in preview
        for day in ("2026-12-04", "2027-01-01", "2027-02-05", "2027-03-05", "2027-04-02"):
            assert day in preview, preview
        assert "2026-12-04（五）2026年12月主题党日" in preview
        assert "2027-01-01（五）2027年1月主题党日  注意：元旦放假" in preview
        assert "2027-02-05（五）2027年2月主题党日" in preview
        # Changing the weekday updates the words and dates as the user picks.
        form.query_one("#rec-wd", Select).value = 5
        await settle(pilot, app)
        assert "星期六" in static_text(form, "#rec-describe")
        form.query_one("#rec-wd", Select).value = 4
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MeetingsScreen), notes(app)
        assert "2027-01-01 元旦放假" in notes(app)
        series_id = meetings_titled(world, "2026年12月主题党日")[0].series_id
        assert series_id is not None
        made = sorted((m for m in world.svc.meetings.find(world.secretary, world.branch_id)
                       if m.series_id == series_id), key=lambda m: m.planned_start)
        assert len(made) >= 5
        assert [(m.planned_start.date(), m.title) for m in made[:3]] == [
            (date(2026, 12, 4), "2026年12月主题党日"), (date(2027, 1, 1), "2027年1月主题党日"),
            (date(2027, 2, 5), "2027年2月主题党日")]


async def test_series_end_by_count_or_date_through_keys_at_80x24(world):
    """Item 10: a series can end after N sittings or on a date; set with keys only."""
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await start_form(app, pilot)
        await type_into(pilot, app, "#date", "2026-12-04")
        form.query_one("#rec-kind", Select).focus()
        await pilot.press("enter", "down", "enter")  # 每月第几个星期几
        await settle(pilot, app)
        assert form.query_one("#rec-end-row").display
        assert not form.query_one("#rec-end", Input).display  # 一直重复: nothing to type
        await pilot.press("tab", "tab", "tab")  # 第几个, 星期几, 结束
        assert form.query_one("#rec-end-kind", Select).has_focus
        await pilot.press("enter", "down", "down", "enter")  # 共几次
        await settle(pilot, app)
        assert form.query_one("#rec-end-kind", Select).value == "count"
        await pilot.press("tab")
        end = form.query_one("#rec-end", Input)
        assert end.has_focus and end.placeholder == "共几次，如 6"
        await pilot.press("x")
        await settle(pilot, app)
        assert "不是次数" in static_text(form, "#rec-describe")
        await pilot.press("backspace", "3")
        await settle(pilot, app)
        assert static_text(form, "#rec-describe").endswith("每月第一个星期五，共3次")
        preview = static_text(form, "#rec-preview")
        assert "接下来 3 次" in preview and "2027-02-05" in preview
        assert "2027-03-05" not in preview
        # A last day before the first sitting is explained, and nothing is saved.
        form.query_one("#rec-end-kind", Select).value = "until"
        await settle(pilot, app)
        await type_into(pilot, app, "#rec-end", "2026-11-30")
        await settle(pilot, app)
        assert "早于第一次会议" in static_text(form, "#rec-describe")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form
        assert meetings_titled(world, "2026年12月主题党日") == []
        await type_into(pilot, app, "#rec-end", "2027年2月28日")
        await settle(pilot, app)
        assert "至2027年2月28日" in static_text(form, "#rec-describe")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MeetingsScreen), notes(app)
        series_id = meetings_titled(world, "2026年12月主题党日")[0].series_id
        made = [m for m in world.svc.meetings.find(world.secretary, world.branch_id)
                if m.series_id == series_id]
        assert sorted(m.title for m in made) == [
            "2026年12月主题党日", "2027年1月主题党日", "2027年2月主题党日"]
        info = world.svc.meetings.series_info(world.secretary, series_id)
        assert info.rrule.endswith("UNTIL=20270228")


async def test_a_hostile_title_pattern_is_shown_as_text(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await start_form(app, pilot)
        form.query_one("#rec-kind", Select).value = recurrence.Preset.MONTHLY_ON_DAY.value
        await settle(pilot, app)
        await type_into(pilot, app, "#title", HOSTILE_LINK + "{month}月" + HOSTILE)
        form.query_one("#title", Input).insert_text_at_cursor(LONG_ZH + FULLWIDTH)
        await settle(pilot, app)
        preview = static_text(form, "#rec-preview")
        assert HOSTILE_LINK + "12月" + HOSTILE in preview
        assert "每次的标题按此生成" in static_text(form, "#title-note")
        await type_into(pilot, app, "#title", "{yaer}年[/]")
        await settle(pilot, app)
        assert "{yaer}" in static_text(form, "#title-note")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form and "{yaer}" in static_text(form, "#form-error")
        await type_into(pilot, app, "#title", "固定标题[/]")
        await settle(pilot, app)
        assert "同一个标题" in static_text(form, "#title-note")
        assert app.is_running


async def test_custom_rule_error_is_shown_and_nothing_saved(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        form = await start_form(app, pilot)
        form.query_one("#rec-kind", Select).value = recurrence.Preset.CUSTOM.value
        await settle(pilot, app)
        await type_into(pilot, app, "#rec-rule", "FREQ=HOURLY")
        await settle(pilot, app)
        with pytest.raises(ValidationError) as expected:
            recurrence.validate("FREQ=HOURLY", datetime(2026, 12, 4, 14, 30))
        assert static_text(form, "#rec-describe") == expected.value.message()
        assert static_text(form, "#rec-preview") == ""
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ScheduleScreen)
        assert form.query_one("#rec-rule", Input).value == "FREQ=HOURLY"
        assert meetings_titled(world, "2026年12月主题党日") == []


async def test_bad_date_gives_chinese_message_and_keeps_input(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(100, 40)) as pilot:
        form = await start_form(app, pilot)
        await type_into(pilot, app, "#date", "2026-02-30")
        assert "没有“2026-02-30”这一天" in static_text(form, "#when-error")
        await type_into(pilot, app, "#date", "下周五")
        assert "年-月-日" in static_text(form, "#when-error")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ScheduleScreen)
        assert form.query_one("#date", Input).value == "下周五"
        assert "年-月-日" in notes(app)
        await type_into(pilot, app, "#start", "25:99")
        assert app.is_running


async def test_overlap_is_a_warning_not_a_block(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        form = await start_form(app, pilot)
        await type_into(pilot, app, "#date", "2026-11-27")
        await type_into(pilot, app, "#start", "15:00")
        await settle(pilot, app)
        warning = static_text(form, "#overlap")
        assert "时间重叠" in warning and EXISTING_TITLE in warning, warning
        await type_into(pilot, app, "#title", "与主题党日同时的支委会")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MeetingsScreen), notes(app)
        assert len(meetings_titled(world, "与主题党日同时的支委会")) == 1


async def test_committee_refused_clearly_without_committee(world):
    app = BranchApp(world.svc, world.other_secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        await open_meetings(app, pilot, world.other_branch_id)
        app.screen.query_one("#list", DataTable).focus()
        await pilot.press("n")
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, ScheduleScreen)
        form.query_one("#ob-committee_meeting").focus()
        await pilot.press("space")
        await type_into(pilot, app, "#title", "支委会[/]")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ScheduleScreen)
        assert "未设支部委员会" in static_text(form, "#form-error")
        assert form.query_one("#title", Input).value == "支委会[/]"


async def test_group_meeting_needs_group(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        form = await start_form(app, pilot)
        form.query_one("#ob-group_meeting").focus()
        await pilot.press("space")
        await settle(pilot, app)
        assert "必须指定党小组" in static_text(form, "#kinds-note")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "必须指定党小组" in static_text(form, "#form-error")
        form.query_one("#group", Select).value = world.group_ids[0]
        await settle(pilot, app)
        assert static_text(form, "#kinds-note") == ""
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MeetingsScreen), notes(app)


# -- editing -------------------------------------------------------------------------------


@on_both_backends
async def test_reschedule_conflict_keeps_mine_and_lets_me_choose(world):
    svc, w = world.svc, world
    mtg = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 11, 14),
                                                   title="十二月党员大会"))
    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(pilot, app)
        form = ScheduleScreen(w.branch_id, mtg.id)
        app.push_screen(form)
        await settle(pilot, app)
        assert form.query_one("#title", Input).value == "十二月党员大会"
        # Someone else saves first.
        svc.meetings.reschedule(w.admin, mtg.id, mtg.version, place="他人改的地点[/]")
        await type_into(pilot, app, "#place", "我的地点[@click=app.quit]x[/]")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, ConflictDialog)
        assert "他人改的地点[/]" in static_text(dialog, "#theirs")
        assert "我的地点[@click=app.quit]x[/]" in static_text(dialog, "#mine")
        await pilot.press("escape")  # keep editing: nothing lost, nothing saved
        await settle(pilot, app)
        assert app.screen is form
        assert form.query_one("#place", Input).value == "我的地点[@click=app.quit]x[/]"
        assert svc.meetings.get(w.secretary, mtg.id).place == "他人改的地点[/]"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.press("ctrl+s")  # keep mine over theirs
        await settle(pilot, app)
        after = svc.meetings.get(w.secretary, mtg.id)
        assert after.place == "我的地点[@click=app.quit]x[/]", notes(app)
        assert after.version == 3
        assert app.is_running


@on_both_backends
async def test_reschedule_conflict_take_theirs(world):
    svc, w = world.svc, world
    mtg = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 12, 11, 14)))
    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(pilot, app)
        form = ScheduleScreen(w.branch_id, mtg.id)
        app.push_screen(form)
        await settle(pilot, app)
        svc.meetings.reschedule(w.admin, mtg.id, mtg.version, title="对方的标题")
        await type_into(pilot, app, "#start", "15:00")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert app.screen is form
        assert form.query_one("#title", Input).value == "对方的标题"
        assert form.query_one("#start", Input).value == "14:00"


async def test_cancel_one_occurrence_of_a_series(world):
    svc, w = world.svc, world
    sid, made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14), title="每月主题党日"),
        recurrence.monthly_nth_weekday(1, 4))
    second = made[1]
    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_meetings(app, pilot)
        await type_into(pilot, app, "#f-period", "")
        await pilot.press("enter")
        await settle(pilot, app)
        table = screen.query_one("#list", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index(str(second.id)))
        await pilot.press("x")
        await settle(pilot, app)
        assert isinstance(app.screen, CancelDialog)
        await pilot.click("#do-cancel")  # the button, as ctrl+s: no reason yet, refused
        await pilot.pause()
        assert isinstance(app.screen, CancelDialog)
        assert "请填写取消原因" in static_text(app.screen, "#cancel-error")
        await pilot.press(*list("与街道集中学习冲突[/]"))
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is screen
        states = {m.id: m for m in svc.meetings.find(w.secretary, w.branch_id)
                  if m.series_id == sid}
        assert states[second.id].status is MeetingStatus.CANCELLED
        assert states[second.id].cancel_reason == "与街道集中学习冲突[/]"
        others = [m for mid, m in states.items() if mid != second.id]
        assert others and all(m.status is MeetingStatus.PLANNED for m in others)
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == \
            str(second.id)  # the refresh kept the cursor on the row


async def test_edit_whole_series_shifts_future_sittings(world):
    svc, w = world.svc, world
    sid, made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14), title="每月主题党日"),
        recurrence.monthly_nth_weekday(1, 4))
    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(pilot, app)
        form = ScheduleScreen(w.branch_id, made[0].id)
        app.push_screen(form)
        await settle(pilot, app)
        assert "每月第一个星期五" in static_text(form, "#rec-describe")
        form.query_one("#edit-scope").focus()
        await pilot.press("down", "enter")
        assert form.query_one("#scope-series").value
        await type_into(pilot, app, "#start", "15:00")
        await type_into(pilot, app, "#place", "新会议室")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert not isinstance(app.screen, ScheduleScreen), notes(app)
        later = [m for m in svc.meetings.find(w.secretary, w.branch_id) if m.series_id == sid]
        assert all(m.place == "新会议室" and m.title == "每月主题党日" for m in later)
        assert all(m.planned_start.hour == 15 for m in later)


async def test_edit_whole_series_shows_its_pattern_and_retitles_future_sittings(world):
    svc, w = world.svc, world
    sid, made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14), title="{year}年{month}月主题党日"),
        recurrence.monthly_nth_weekday(1, 4))
    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        form = ScheduleScreen(w.branch_id, made[1].id)
        app.push_screen(form)
        await settle(pilot, app)
        title = form.query_one("#title", Input)
        assert title.value == "2027年1月主题党日"
        assert static_text(form, "#title-note") == ""
        form.query_one("#edit-scope").focus()
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert title.value == "{year}年{month}月主题党日"  # the whole series: its pattern
        assert "每次的标题按此生成" in static_text(form, "#title-note")
        await pilot.press("up", "enter")
        await settle(pilot, app)
        assert title.value == "2027年1月主题党日"
        await pilot.press("down", "enter")
        await type_into(pilot, app, "#title", "{year}年{month}月主题党日 第{n}次")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert not isinstance(app.screen, ScheduleScreen), notes(app)
        later = sorted((m for m in svc.meetings.find(w.secretary, w.branch_id)
                        if m.series_id == sid), key=lambda m: m.planned_start)
        assert [m.title for m in later[:3]] == [
            "2026年12月主题党日 第1次", "2027年1月主题党日 第2次", "2027年2月主题党日 第3次"]


# -- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "viewer"])
async def test_member_and_viewer_see_no_schedule_actions(world, who):
    actor = getattr(world, who)
    app = BranchApp(world.svc, actor)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_meetings(app, pilot, world.branch_id if who == "viewer" else None)
        assert EXISTING_TITLE in table_text(screen.query_one("#list", DataTable))
        shown = {b.binding.action for b in screen.active_bindings.values()}
        assert not {"new", "edit", "cancel_meeting"} & shown, shown
        names = " ".join(name for name, _h, _a in screen.palette_commands())
        assert "安排会议" not in names and "取消会议" not in names
        screen.query_one("#list", DataTable).focus()
        await pilot.press("n", "x", "e")
        await settle(pilot, app)
        assert app.screen is screen
        assert "只读" in static_text(screen, "#branch")
        # Forced open, the form refuses with the reason.
        form = ScheduleScreen(world.branch_id)
        app.push_screen(form)
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form
        assert "只有支部书记" in static_text(form, "#form-error") + notes(app)


async def test_secretary_sees_schedule_actions(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_meetings(app, pilot)
        screen.query_one("#list", DataTable).focus()
        await pilot.pause()
        shown = {b.binding.action for b in screen.active_bindings.values()}
        assert {"new", "edit", "cancel_meeting"} <= shown
        names = " ".join(name for name, _h, _a in screen.palette_commands())
        assert "安排会议 Schedule meeting" in names


async def test_attendance_and_minutes_keys_open_their_screens(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_meetings(app, pilot)
        screen.query_one("#list", DataTable).focus()
        await pilot.press("a")
        await settle(pilot, app)
        assert type(app.screen).__name__ in ("AttendanceScreen",) or \
            "尚未安装" in notes(app)
        if app.screen is not screen:
            app.pop_screen()
            await settle(pilot, app)
        await pilot.press("m")
        await settle(pilot, app)
        assert type(app.screen).__name__ in ("MinutesScreen",) or "尚未安装" in notes(app)
        assert app.is_running


# -- English -----------------------------------------------------------------------------------


async def test_english_run(world):
    set_language("en")
    try:
        app = BranchApp(world.svc, world.secretary)
        async with app.run_test(size=(120, 45)) as pilot:
            screen = await open_meetings(app, pilot)
            descriptions = {b.binding.description for b in screen.active_bindings.values()}
            assert "Schedule" in descriptions and "安排会议" not in descriptions
            assert "meetings" in static_text(screen, "#branch")
            screen.query_one("#list", DataTable).focus()
            await pilot.press("v")
            await settle(pilot, app)
            assert "2026-11" in static_text(screen, "#calendar")
            await pilot.press("n")
            await settle(pilot, app)
            form = app.screen
            assert isinstance(form, ScheduleScreen)
            assert form.query_one("#title", Input).value == "Themed party day, 2026-12"
            await type_into(pilot, app, "#date", "2026-02-30")
            assert "no such day" in static_text(form, "#when-error")
            await type_into(pilot, app, "#date", "2026-12-04")
            form.query_one("#rec-kind", Select).value = \
                recurrence.Preset.QUARTERLY_LAST_WEEKDAY.value
            await settle(pilot, app)
            assert "Every quarter" in static_text(form, "#rec-describe") or \
                "quarter" in static_text(form, "#rec-describe").lower()
            assert "Next 5" in static_text(form, "#rec-preview")
    finally:
        set_language("zh")


async def test_english_series_pattern_end_and_holiday(world):
    set_language("en")
    try:
        app = BranchApp(world.svc, world.secretary)
        async with app.run_test(size=(120, 45)) as pilot:
            form = await start_form(app, pilot)
            await type_into(pilot, app, "#date", "2026-12-04")
            form.query_one("#rec-kind", Select).value = \
                recurrence.Preset.MONTHLY_NTH_WEEKDAY.value
            await settle(pilot, app)
            assert form.query_one("#title", Input).value == "Themed party day, {year}-{month:02d}"
            assert "Each sitting's own title" in static_text(form, "#title-note")
            preview = static_text(form, "#rec-preview")
            assert "Themed party day, 2027-01  note: New Year's Day, a day off" in preview
            assert "Themed party day, 2027-02" in preview
            form.query_one("#rec-end-kind", Select).value = "count"
            await settle(pilot, app)
            assert form.query_one("#rec-end", Input).placeholder == "Number of sittings, e.g. 6"
            await type_into(pilot, app, "#rec-end", "2")
            await settle(pilot, app)
            assert static_text(form, "#rec-describe").endswith(", 2 times")
    finally:
        set_language("zh")


async def test_schedule_form_at_80x24(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await start_form(app, pilot)
        await type_into(pilot, app, "#title", "小屏幕上安排的会议")
        await type_into(pilot, app, "#date", "2026-12-18")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MeetingsScreen), notes(app)
        made = meetings_titled(world, "小屏幕上安排的会议")
        assert made and made[0].planned_start == datetime(2026, 12, 18, 14, 30)
        assert not form.is_attached  # saved and closed
