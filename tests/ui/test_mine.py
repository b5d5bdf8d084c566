"""Pilot tests of 我的记录 and leave, end to end through keys over the real services on a
temp-file SQLite. The secretary decides in another app instance (its own services and
connection) on the same database file, as two SSH sessions would."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from textual.widgets import Checkbox, DataTable, Digits, Input, Static, TextArea

from branchtui.core.enums import (
    AttendanceStatus,
    LeaveKind,
    LeaveStatus,
    MarkMethod,
    Obligation,
    RectStatus,
)
from branchtui.i18n import set_language
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.leave import DecidedFirstScreen, LeaveInboxScreen, LeaveRequestScreen
from branchtui.ui.screens.mine import MineScreen, ProgressScreen, SignInResultScreen
from tests.conftest import (
    FULLWIDTH,
    HOSTILE,
    HOSTILE_LINK,
    LONG_ZH,
    NOW,
    backend_url,
    on_both_backends,
)
from tests.factories import build_world, draft, open_on_its_day

REASON = HOSTILE_LINK + "腰椎手术后复查" + FULLWIDTH + HOSTILE
COMING = datetime(2026, 12, 4, 14, 30)


@pytest.fixture
def world(tmp_path, request):
    url = backend_url(request, tmp_path, "mine.sqlite3")
    db = open_database(url)
    upgrade(db)
    clock = FixedClock(NOW)
    svc = Services.create(db, clock)
    w = build_world(svc)
    w.url = url  # type: ignore[attr-defined]
    w.clock = clock  # type: ignore[attr-defined]
    w.coming = svc.meetings.schedule(  # type: ignore[attr-defined]
        w.secretary, draft(w, COMING, title=HOSTILE_LINK + "十二月主题党日[/]"))
    yield w
    db.close()


def other_instance(w):
    """A second app's services: its own database object on the same file."""
    db = open_database(w.url)
    return Services.create(db, w.clock), db


def text_of(table: DataTable) -> str:
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i))
                     for i in range(table.row_count))


def static(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def shown_keys(app) -> set[str]:
    return {b.binding.description for b in app.screen.active_bindings.values()
            if app.screen.check_action(b.binding.action, ()) is True}


async def settle(pilot, app) -> None:
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def open_mine(pilot, app) -> MineScreen:
    await settle(pilot, app)
    app.push_screen(MineScreen())
    await settle(pilot, app)
    assert isinstance(app.screen, MineScreen), app.screen
    return app.screen


async def test_leave_asked_decided_elsewhere_and_seen_approved(world):
    w = world
    member_app = BranchApp(w.svc, w.member)
    async with member_app.run_test(size=(80, 24)) as pilot:
        mine = await open_mine(pilot, member_app)
        meetings = mine.query_one("#meetings", DataTable)
        assert HOSTILE_LINK + "十二月主题党日[/]" in text_of(meetings)
        assert "可请假" in text_of(meetings)
        assert "请假" in shown_keys(member_app)
        # The member's banner: months since last attended is always said.
        assert "孙党员（老）同志" in static(mine, "#banner")

        await pilot.press("l")
        await settle(pilot, member_app)
        dialog = member_app.screen
        assert isinstance(dialog, LeaveRequestScreen)
        assert "十二月主题党日" in static(dialog, "#leave-meeting")
        await pilot.click("#kind-sick")
        dialog.query_one("#leave-reason", TextArea).text = REASON
        await pilot.press("ctrl+s")
        await settle(pilot, member_app)
        assert isinstance(member_app.screen, MineScreen), "the dialog closes when sent"
        row = text_of(mine.query_one("#meetings", DataTable))
        assert "病假·待审批" in row, row
        notes = " ".join(str(n.message) for n in member_app._notifications)
        assert "请假申请已提交" in notes

        # The secretary, in another app instance on the same database file.
        svc2, db2 = other_instance(w)
        try:
            sec_app = BranchApp(svc2, w.secretary)
            async with sec_app.run_test(size=(100, 30)) as pilot2:
                await settle(pilot2, sec_app)
                sec_app.push_screen(LeaveInboxScreen())
                await settle(pilot2, sec_app)
                inbox = sec_app.screen
                table = inbox.query_one("#requests", DataTable)
                assert "孙党员（老）" in text_of(table)
                assert REASON in text_of(table), "hostile reason shown as text"
                assert REASON in static(inbox, "#inbox-detail")
                await pilot2.press("y")
                await settle(pilot2, sec_app)
                note = sec_app.screen.query_one("#decide-note", Input)
                note.value = "同意，请会后补学[/]"
                await pilot2.press("enter")
                await settle(pilot2, sec_app)
                assert isinstance(sec_app.screen, LeaveInboxScreen)
                assert "没有待审批的请假" in text_of(table)
                assert sec_app.is_running
        finally:
            db2.close()

        # Back to the member: a refresh shows it approved, and the roll says 请假.
        await pilot.press("r")
        await settle(pilot, member_app)
        row = text_of(mine.query_one("#meetings", DataTable))
        assert "病假·已批准" in row and "请假" in row, row
        assert "同意，请会后补学[/]" in static(mine, "#hint")
        assert "请假" not in shown_keys(member_app), "no second request"
        assert member_app.is_running
    rec = w.svc.meetings.record(w.secretary, w.coming.id)
    mark = next(a for a in rec.attendance if a.member_id == w.member.member_id)
    assert mark.status is AttendanceStatus.LEAVE and mark.method is MarkMethod.LEAVE
    assert mark.reason == REASON and mark.leave_kind is LeaveKind.SICK


async def test_leave_after_start_is_refused_with_the_reason_and_text_kept(world):
    w = world
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_mine(pilot, app)
        await pilot.press("l")
        await settle(pilot, app)
        dialog = app.screen
        dialog.query_one("#leave-reason", TextArea).text = LONG_ZH
        w.clock.advance(days=7, hours=6)  # the meeting has started meanwhile
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is dialog, "refused: the dialog stays"
        assert "不能再请假" in static(dialog, "#leave-error")
        assert dialog.query_one("#leave-reason", TextArea).text == LONG_ZH
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, MineScreen)
        # Forced from the palette, the screen explains instead of opening the dialog.
        app.screen.action_ask_leave()
        await settle(pilot, app)
        notes = " ".join(str(n.message) for n in app._notifications)
        assert "会议开始前" in notes, notes


async def test_withdraw_pending_request(world):
    w = world
    w.svc.meetings.request_leave(w.member, w.coming.id, LeaveKind.PERSONAL, REASON)
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(100, 30)) as pilot:
        mine = await open_mine(pilot, app)
        assert "撤回请假" in shown_keys(app)
        await pilot.press("w")
        await settle(pilot, app)
        row = text_of(mine.query_one("#meetings", DataTable))
        assert "事假·已撤回" in row, row
        assert "请假" in shown_keys(app), "withdrawn: may ask again"
    assert w.svc.meetings.my_leave(w.member)[0].status is LeaveStatus.WITHDRAWN


async def test_self_sign_in_shows_a_large_result(world):
    w = world
    mtg = open_on_its_day(w, w.clock, draft(w, datetime(2026, 11, 27, 8, 30),
                                            title="十一月党课" + HOSTILE))
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(80, 24)) as pilot:
        mine = await open_mine(pilot, app)
        assert "按 S 键签到" in static(mine, "#open-now")
        assert "签到" in shown_keys(app)
        await pilot.press("s")
        await settle(pilot, app)
        result = app.screen
        assert isinstance(result, SignInResultScreen)
        # 09:00 is 30 minutes after the start: late, said in words and in big digits.
        assert "迟到" in static(result, "#signed-word")
        assert result.query_one("#signed-time", Digits).value == "09:00"
        assert "十一月党课" + HOSTILE in static(result, "#signed-text")
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MineScreen)
        assert "已签到 09:00" in text_of(mine.query_one("#meetings", DataTable))
        assert "签到" not in shown_keys(app)
    rec = w.svc.meetings.record(w.secretary, mtg.id)
    mark = next(a for a in rec.attendance if a.member_id == w.member.member_id)
    assert mark.status is AttendanceStatus.LATE and mark.method is MarkMethod.SELF


async def test_self_sign_in_refused_when_recorder_did_not_allow_it(world):
    w = world
    mtg = w.svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 8, 55)))
    mtg = w.svc.meetings.reschedule(w.secretary, mtg.id, mtg.version, allow_self_signin=False)
    w.svc.meetings.open(w.recorder, mtg.id)
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(100, 30)) as pilot:
        mine = await open_mine(pilot, app)
        assert "请向记录人报到" in static(mine, "#open-now")
        await pilot.press("s")
        await settle(pilot, app)
        result = app.screen
        assert isinstance(result, SignInResultScreen)
        assert "没有签到成功" in static(result, "#signed-word")
        assert "记录人未开放本人签到" in static(result, "#signed-text")
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.is_running
    rec = w.svc.meetings.record(w.secretary, mtg.id)
    mark = next(a for a in rec.attendance if a.member_id == w.member.member_id)
    assert mark.status is None


@on_both_backends
async def test_decided_first_by_someone_else_keeps_my_note(world):
    w = world
    w.svc.meetings.request_leave(w.member, w.coming.id, LeaveKind.OFFICIAL, REASON)
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.push_screen(LeaveInboxScreen())
        await settle(pilot, app)
        # The group leader decides in their own session while the secretary reads.
        svc2, db2 = other_instance(w)
        try:
            req = svc2.meetings.pending_leave(w.leader)[0]
            svc2.meetings.decide_leave(w.leader, req.id, True, req.version, note="组长同意")
        finally:
            db2.close()
        await pilot.press("n")
        await settle(pilot, app)
        app.screen.query_one("#decide-note", Input).value = "请尽量参加[@click=app.quit]x[/]"
        await pilot.press("enter")
        await settle(pilot, app)
        conflict = app.screen
        assert isinstance(conflict, DecidedFirstScreen)
        assert "已批准" in static(conflict, "#conflict-now")
        assert "组长同意" in static(conflict, "#conflict-now")
        assert "请尽量参加[@click=app.quit]x[/]" in static(conflict, "#conflict-yours")
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, LeaveInboxScreen)
        assert "没有待审批的请假" in text_of(app.screen.query_one("#requests", DataTable))
        assert app.is_running
    assert w.svc.meetings.my_leave(w.member)[0].status is LeaveStatus.APPROVED


async def test_inbox_absent_for_members_without_the_right(world):
    w = world
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_mine(pilot, app)
        assert "请假审批" not in shown_keys(app)
        names = [name for name, _help, _call in app.screen.palette_commands()]
        assert "签到 Sign in" in names and "请假审批 Leave requests" not in names
        app.push_screen(LeaveInboxScreen())
        await settle(pilot, app)
        inbox = app.screen
        assert "没有审批请假的职务" in static(inbox, "#inbox-head")
        assert not inbox.query_one("#requests", DataTable).display
        assert {"批准", "不批准"}.isdisjoint(shown_keys(app))
        await pilot.press("y")
        await settle(pilot, app)
        assert app.screen is inbox and app.is_running
    # The secretary does get the key, and the banner counts what waits.
    w.svc.meetings.request_leave(w.member, w.coming.id, LeaveKind.SICK, REASON)
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(100, 30)) as pilot:
        mine = await open_mine(pilot, app)
        assert "请假审批" in shown_keys(app)
        assert "请假审批 Leave requests" in [n for n, _h, _c in mine.palette_commands()]
        assert "1 条请假申请等待您审批" in static(mine, "#banner")
        await pilot.press("a")
        await settle(pilot, app)
        assert isinstance(app.screen, LeaveInboxScreen)


async def test_history_years_and_near_six_month_warning(world):
    w = world
    for start, status in [(datetime(2025, 4, 11, 14), AttendanceStatus.PRESENT),
                          (datetime(2026, 6, 10, 14), AttendanceStatus.PRESENT),
                          (datetime(2026, 9, 10, 14), AttendanceStatus.ABSENT)]:
        mtg = open_on_its_day(w, w.clock, draft(w, start, title=f"{start:%Y-%m}会议"))
        w.svc.meetings.mark(w.recorder, mtg.id, w.member.member_id, status)
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(120, 40)) as pilot:
        mine = await open_mine(pilot, app)
        banner = static(mine, "#banner")
        assert "已有 5 个月" in banner and "2026-06-10" in banner, banner
        assert "接近 6 个月" in static(mine, "#warn")
        years = text_of(mine.query_one("#years", DataTable))
        assert years.splitlines()[0].split()[:4] == ["2026", "2", "1", "0"], years
        assert years.splitlines()[1].split()[:3] == ["2025", "1", "1"], years
        history = text_of(mine.query_one("#history", DataTable))
        assert "2025-04会议" in history and "缺席" in history
        assert "十二月主题党日" not in history, "a meeting not yet held is no history"


async def test_rectification_progress_with_evidence_and_done(world):
    w = world
    mtg = open_on_its_day(w, w.clock, draft(w, datetime(2026, 11, 20, 14), Obligation.ORG_LIFE))
    item = w.svc.minutes.create_rectification(
        w.recorder, mtg.id, "理论学习不够深入" + HOSTILE_LINK, "每月精读一篇文章" + FULLWIDTH,
        w.member.member_id, datetime(2026, 12, 31).date())
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(80, 24)) as pilot:
        mine = await open_mine(pilot, app)
        assert "理论学习不够深入" + HOSTILE_LINK in text_of(mine.query_one("#rects", DataTable))
        assert "填写整改进展" in shown_keys(app)
        await pilot.press("n")
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, ProgressScreen)
        assert "还没有填写过进展" in static(dialog, "#progress-notes")
        # Saving nothing is refused kindly, without a round trip.
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "请填写进展情况" in static(dialog, "#progress-error")
        dialog.query_one("#progress-text", TextArea).text = "已精读三篇[/]"
        dialog.query_one("#progress-evidence", Input).value = "学习笔记第3页[b]"
        dialog.query_one("#progress-done", Checkbox).value = True
        # At 80x24 the form scrolls: the user scrolls down to the button, which does
        # what ctrl+s does.
        dialog.query_one("#save").scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click("#save")
        await settle(pilot, app)
        assert isinstance(app.screen, MineScreen)
        assert "已完成" in text_of(mine.query_one("#rects", DataTable))
    notes = w.svc.minutes.progress(w.member, item.id)
    assert [(n.text, n.evidence) for n in notes] == [("已精读三篇[/]", "学习笔记第3页[b]")]
    assert w.svc.minutes.rectifications(w.member)[0].status is RectStatus.DONE


async def test_english(world):
    w = world
    set_language("en")
    try:
        app = BranchApp(w.svc, w.member)
        async with app.run_test(size=(100, 30)) as pilot:
            mine = await open_mine(pilot, app)
            assert "Hello, 孙党员（老）" in static(mine, "#banner")
            keys = shown_keys(app)
            assert "Ask for leave" in keys and "请假" not in keys
            assert "leave possible" in text_of(mine.query_one("#meetings", DataTable))
            await pilot.press("l")
            await settle(pilot, app)
            assert "Kind of leave" in str(app.screen.query_one(".field-label").render())
            app.screen.query_one("#leave-reason", TextArea).text = REASON
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            row = text_of(mine.query_one("#meetings", DataTable))
            assert "Personal leave·Pending" in row, row
    finally:
        set_language("zh")


async def test_dialogs_say_a_failed_load_once_inside_the_dialog(world):
    """A dialog that cannot load says why in its own error line, not a second time as a
    notice behind it (DataScreen's handler would run too: Textual walks the MRO)."""
    w = world
    mtg = open_on_its_day(w, w.clock, draft(w, datetime(2026, 11, 20, 14), Obligation.ORG_LIFE))
    item = w.svc.minutes.create_rectification(
        w.recorder, mtg.id, "问题" + HOSTILE, "措施" + FULLWIDTH, w.member.member_id,
        datetime(2026, 12, 31).date())
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_mine(pilot, app)
        for dialog, error in ((LeaveRequestScreen(987654), "#leave-error"),
                              (ProgressScreen(dataclasses.replace(item, id=987654)),
                               "#progress-error")):
            before = len(app._notifications)
            app.push_screen(dialog)
            await settle(pilot, app)
            assert app.screen is dialog
            said = static(dialog, error)
            assert "记录不存在" in said, said
            assert len(app._notifications) == before, [
                str(n.message) for n in app._notifications]
            await pilot.press("escape")
            await settle(pilot, app)
            assert isinstance(app.screen, MineScreen)


async def test_dialog_buttons_do_what_their_keys_do(world):
    """The mouse path: every dialog button runs the same action as its key (send, cancel,
    approve), on the dialog it sits in."""
    w = world
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(100, 30)) as pilot:
        mine = await open_mine(pilot, app)
        await pilot.press("l")
        await settle(pilot, app)
        assert isinstance(app.screen, LeaveRequestScreen)
        await pilot.click("#cancel")
        await settle(pilot, app)
        assert app.screen is mine and not w.svc.meetings.my_leave(w.member)
        await pilot.press("l")
        await settle(pilot, app)
        app.screen.query_one("#leave-reason", TextArea).text = REASON
        await pilot.click("#send")
        await settle(pilot, app)
        assert app.screen is mine
        assert [r.reason for r in w.svc.meetings.my_leave(w.member)] == [REASON]
    sec = BranchApp(w.svc, w.secretary)
    async with sec.run_test(size=(100, 30)) as pilot:
        await settle(pilot, sec)
        sec.push_screen(LeaveInboxScreen())
        await settle(pilot, sec)
        await pilot.press("y")
        await settle(pilot, sec)
        sec.screen.query_one("#decide-note", Input).value = "同意" + FULLWIDTH
        await pilot.click("#confirm")
        await settle(pilot, sec)
        assert isinstance(sec.screen, LeaveInboxScreen)
    decided = w.svc.meetings.my_leave(w.member)[0]
    assert decided.status is LeaveStatus.APPROVED and decided.decision_note == "同意" + FULLWIDTH
