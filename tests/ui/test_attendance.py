"""Pilot tests of the attendance sheet over the real services on a temp-file SQLite: marking
by keys only, reasons, conflicts between two recorders, guests with hostile names, live
counts and quorum lights, English, and an 80x24 terminal."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from textual.widgets import DataTable, Input, RadioSet, Static

from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    LeaveKind,
    MarkMethod,
    MeetingStatus,
    Obligation,
)
from branchtui.i18n import set_language
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.attendance.dialogs import ChoiceModal, GuestModal, ReasonModal
from branchtui.ui.screens.attendance.screen import AttendanceScreen
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

START = datetime(2026, 11, 27, 14, 0)


@pytest.fixture
def world(tmp_path, request):
    db = open_database(backend_url(request, tmp_path, "att.sqlite3"))
    upgrade(db)
    clock = FixedClock(NOW)
    svc = Services.create(db, clock)
    w = build_world(svc)
    # An exempt member: listed, not counted, not marked by accident.
    exempt_id = w.members[-1]
    svc.roster.add_exemption(w.admin, exempt_id, date(2026, 1, 1), None,
                             "长期住院" + HOSTILE)
    mtg = svc.meetings.schedule(
        w.secretary, draft(w, START, Obligation.THEME_DAY, Obligation.GENERAL_MEETING,
                           title=HOSTILE_LINK + "主题党日[/]",
                           agenda=(("学习文件[/]", None),
                                   ("讨论决定事项", Act.GENERAL_DECISION),
                                   ("补选支部委员", Act.ELECTION))))
    w.meeting_id = mtg.id  # type: ignore[attr-defined]
    w.exempt_id = exempt_id  # type: ignore[attr-defined]
    w.clock = clock  # type: ignore[attr-defined]
    yield w
    db.close()


def open_meeting(w) -> None:
    w.clock.current = START - timedelta(minutes=5)
    w.svc.meetings.open(w.recorder, w.meeting_id)


def table_text(table: DataTable) -> str:
    return "\n".join(
        " ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)
    )


def static_text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def marks(w) -> dict[int, object]:
    rec = w.svc.meetings.record(w.secretary, w.meeting_id)
    return {a.member_id: a for a in rec.attendance}


async def settle(pilot) -> None:
    """Let workers finish and their messages land."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def start(pilot, w) -> AttendanceScreen:
    screen = AttendanceScreen(w.meeting_id)
    await settle(pilot)
    pilot.app.push_screen(screen)
    await settle(pilot)
    assert pilot.app.screen is screen
    assert screen.sheet is not None, "the sheet did not load"
    return screen


def row_status(screen: AttendanceScreen, member_id: int) -> str:
    return str(screen.table.get_cell(str(member_id), "status"))


def rendered_row(screen: AttendanceScreen, member_id: int) -> str:
    """What the screen shows for the row (not only the table's data): the sheet redraws
    changed rows itself, so the test looks at the rendered line."""
    table = screen.table
    index = screen.order.index(member_id)
    y = index + 1 - round(table.scroll_y)  # one header line
    assert 0 < y < table.size.height, "row not visible"
    return "".join(segment.text for segment in table.render_line(y))


async def test_mark_whole_branch_by_keys_at_80x24(world):
    open_meeting(world)
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, world)
        expected = [mid for mid in screen.order if mid != world.exempt_id]
        assert screen.order[-1] == world.exempt_id, "exempt members come last"
        assert screen.table.size.height >= 8, "the list must get the room at 80x24"
        assert "免" in row_status(screen, world.exempt_id)
        assert "长期住院" + HOSTILE in table_text(screen.table)
        first = expected[0]
        assert "未登记" in rendered_row(screen, first)
        for _ in expected:
            await pilot.press("1")
        await settle(pilot)
        screen.table.move_cursor(row=0)
        await pilot.pause()
        assert "出席" in rendered_row(screen, first) and "未登记" not in rendered_row(
            screen, first)
        saved = marks(world)
        assert all(saved[mid].status is AttendanceStatus.PRESENT for mid in expected)
        assert saved[world.exempt_id].status is AttendanceStatus.EXEMPT
        assert all("出席" in row_status(screen, mid) for mid in expected)
        counts = static_text(screen, "#att-counts")
        n = len(expected)
        assert f"应到 {n} 人" in counts and f"实到 {n} 人" in counts, counts
        assert "未登记 0" in counts and "免 1" in counts, counts
        # On the exempt row (last) a stray key asks first, and Escape keeps 免.
        screen.table.move_cursor(row=len(screen.order) - 1)
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("escape")
        await settle(pilot)
        assert marks(world)[world.exempt_id].status is AttendanceStatus.EXEMPT
        assert app.is_running


async def test_leave_with_kind_and_reason(world):
    open_meeting(world)
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, world)
        target = screen.order[0]
        await pilot.press("3")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ReasonModal)
        # An empty reason is refused in place; the dialog stays.
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal
        assert "须填写原因" in str(modal.query_one("#reason-error", Static).render())
        await pilot.press(*"住院")
        await pilot.press("tab")
        assert isinstance(app.focused.parent if app.focused else None, RadioSet) or \
            isinstance(app.focused, RadioSet)
        await pilot.press("down", "down", "enter")  # 病假 -> 事假 -> 公出
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        row = marks(world)[target]
        assert row.status is AttendanceStatus.LEAVE
        assert row.leave_kind is LeaveKind.OFFICIAL and row.reason == "住院"
        assert "请假" in row_status(screen, target)
        assert "公出：住院" in rendered_row(screen, target)
        assert "公出：住院" in str(screen.table.get_cell(str(target), "note"))
        assert screen.table.cursor_row == 1, "the cursor moves on after a mark"


async def test_absent_with_reason_and_escape_cancels(world):
    open_meeting(world)
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, world)
        first, second = screen.order[0], screen.order[1]
        # Escape cancels a reason prompt without marking and without moving.
        await pilot.press("4")
        await pilot.pause()
        assert isinstance(app.screen, ReasonModal)
        await pilot.press(*"abc", "escape")
        await settle(pilot)
        assert app.screen is screen
        assert marks(world)[first].status is None
        assert screen.table.cursor_row == 0
        assert "未登记" in row_status(screen, first)
        # Absent, with a hostile reason typed into the field.
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#reason", Input).value = FULLWIDTH + HOSTILE_LINK
        await pilot.press("enter")
        await settle(pilot)
        row = marks(world)[first]
        assert row.status is AttendanceStatus.ABSENT and row.reason == FULLWIDTH + HOSTILE_LINK
        assert "缺席" in row_status(screen, first)
        # Absent without a reason is allowed (unexcused).
        await pilot.press("4", "enter")
        await settle(pilot)
        assert marks(world)[second].status is AttendanceStatus.ABSENT
        assert "缺席 2" in static_text(screen, "#att-counts")
        assert app.is_running


@on_both_backends
async def test_conflict_between_two_recorders(world):
    open_meeting(world)
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, world)
        first, second = screen.order[0], screen.order[1]
        # The secretary marks both from another terminal after this sheet was loaded.
        for mid in (first, second):
            world.svc.meetings.mark(world.secretary, world.meeting_id, mid,
                                    AttendanceStatus.LEAVE, reason="出差" + HOSTILE,
                                    leave_kind=LeaveKind.OFFICIAL, expected_version=1)
        await pilot.press("1")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ChoiceModal), "a conflict must ask"
        body = str(modal.query_one("#choice-body", Static).render())
        assert "张书记" in body and "请假" in body and "出差" + HOSTILE in body, body
        # Meanwhile the row shows their mark.
        assert "请假" in row_status(screen, first)
        # Keep mine: retried with the newer version.
        await pilot.press("right", "enter")
        await settle(pilot)
        assert marks(world)[first].status is AttendanceStatus.PRESENT
        assert "出席" in row_status(screen, first)
        # Second row: accept theirs (the default button).
        assert screen.table.cursor_row == 1
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("enter")
        await settle(pilot)
        assert marks(world)[second].status is AttendanceStatus.LEAVE
        assert "请假" in row_status(screen, second)
        assert app.screen is screen and app.is_running


async def test_guest_with_hostile_name(world):
    open_meeting(world)
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await start(pilot, world)
        await pilot.press("g")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, GuestModal)
        modal.query_one("#guest-name", Input).value = HOSTILE_LINK + "王[/]"
        await pilot.press("enter")
        modal.query_one("#guest-affiliation", Input).value = FULLWIDTH
        await pilot.press("enter")
        # Reason left empty: refused, and the dialog comes back with what was typed.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, GuestModal)
        assert app.screen.query_one("#guest-name", Input).value == HOSTILE_LINK + "王[/]"
        app.screen.query_one("#guest-reason", Input).value = LONG_ZH
        app.screen.query_one("#guest-reason", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        rec = world.svc.meetings.record(world.secretary, world.meeting_id)
        assert [(g.name, g.affiliation) for g in rec.guests] == [
            (HOSTILE_LINK + "王[/]", FULLWIDTH)]
        guests = screen.query_one("#att-guests", DataTable)
        assert guests.display or screen.has_class("-wide")
        assert HOSTILE_LINK in table_text(guests)
        assert "列席人员（1）" in str(screen.query_one("#att-guests-title").render())
        await pilot.click("#att-guests")
        assert app.is_running


async def test_counts_and_quorum_light_update(world):
    open_meeting(world)
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, world)
        voters = [mid for mid in screen.order
                  if screen.rows[mid].can_vote and mid != world.exempt_id]
        needed = len(voters) // 2 + 1
        election = len(voters) * 4 // 5 + 1
        quorum = static_text(screen, "#att-quorum")
        assert f"党员大会决议：需到会 {needed} 人，已到 0 人，还差 {needed} 人" in quorum, quorum
        assert f"选举：需到会 {election} 人" in quorum, quorum
        # Mark voters present one by one (skipping others) until the general quorum is met.
        marked = 0
        for i, mid in enumerate(screen.order):
            if marked == needed:
                break
            screen.table.move_cursor(row=i)
            if mid in voters:
                await pilot.press("p")
                marked += 1
                await settle(pilot)
                quorum = static_text(screen, "#att-quorum")
                if marked < needed:
                    assert f"还差 {needed - marked} 人" in quorum, quorum
        quorum = static_text(screen, "#att-quorum")
        assert f"党员大会决议：需到会 {needed} 人，已到 {needed} 人，人数已够" in quorum, quorum
        assert f"选举：需到会 {election} 人，已到 {needed} 人，还差" in quorum, quorum
        counts = static_text(screen, "#att-counts")
        assert f"实到 {needed} 人（正式 {needed}，预备 0）" in counts, counts
        # 应到 = 实到 + 请假 + 缺席 + 未登记: the sheet leaves nobody of 应到 out.
        n = {k: int(v) for k, v in re.findall(r"(应到|实到|请假|缺席|未登记) (\d+)", counts)}
        assert n["未登记"] == n["应到"] - needed > 0, counts
        assert n["应到"] == n["实到"] + n["请假"] + n["缺席"] + n["未登记"], counts


async def test_planned_meeting_only_leave_and_self_signin_toggle(world):
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, world)
        assert screen.meeting is not None and screen.meeting.status is MeetingStatus.PLANNED
        first = screen.order[0]
        await pilot.press("1")
        await settle(pilot)
        assert marks(world)[first].status is None, "present cannot be marked before opening"
        assert app.screen is screen
        assert "尚未开始" in static_text(screen, "#att-state")
        await pilot.press("q")
        await pilot.pause()
        await pilot.press(*"开会", "enter")
        await settle(pilot)
        assert marks(world)[first].status is AttendanceStatus.LEAVE
        # The recorder (not the secretary) may allow self sign-in, planned or open.
        assert "本人签到：已开放" in static_text(screen, "#att-head")
        await pilot.press("s")
        await settle(pilot)
        assert not world.svc.meetings.get(world.secretary, world.meeting_id).allow_self_signin
        assert "本人签到：未开放" in static_text(screen, "#att-head")
        await pilot.press("s")
        await settle(pilot)
        assert world.svc.meetings.get(world.secretary, world.meeting_id).allow_self_signin


async def test_after_close_marks_show_as_after(world):
    open_meeting(world)
    world.svc.meetings.close(world.recorder, world.meeting_id, gaps_reason=GAPS_REASON)
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, world)
        assert "会后补记" in static_text(screen, "#att-state")
        first = screen.order[0]
        await pilot.press("1")
        await settle(pilot)
        assert marks(world)[first].method is MarkMethod.AFTER
        assert "会后补记" in str(screen.table.get_cell(str(first), "method"))


async def test_member_reads_but_cannot_mark(world):
    open_meeting(world)
    app = BranchApp(world.svc, world.member)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, world)
        keys = {b.binding.key for b in screen.active_bindings.values()}
        assert "1" not in keys and "g" not in keys and "s" not in keys, keys
        await pilot.press("1", "g")
        await settle(pilot)
        assert all(r.status in (None, AttendanceStatus.EXEMPT) for r in marks(world).values())
        assert screen.sheet is not None and screen.sheet.excluded == ()
        assert "不能登记" in static_text(screen, "#att-state")
        # Forced anyway (e.g. an old palette entry): refused in words, no crash.
        screen._submit(screen.order[0], AttendanceStatus.PRESENT)
        await settle(pilot)
        notes = [str(n.message) for n in app._notifications]
        assert any("才能登记考勤" in n for n in notes), notes
        assert "未登记" in row_status(screen, screen.order[0])


async def test_group_meeting_lists_who_is_not_expected_and_why(world):
    w = world
    mtg = w.svc.meetings.schedule(w.secretary, draft(
        w, START + timedelta(days=3), Obligation.GROUP_MEETING, group=w.group_ids[0],
        title="第1党小组会"))
    w.meeting_id = mtg.id
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await start(pilot, w)
        assert screen.has_class("-wide")
        excluded = screen.query_one("#att-excluded", DataTable)
        assert excluded.display
        text = table_text(excluded)
        assert "赵记录" in text and "当日属于本支部其他党小组" in text, text
        assert "未列入应到名单" in str(screen.query_one("#att-excluded-title").render())
        # v hides the side panel when wide, and shows it instead of the list when narrow.
        await pilot.press("v")
        await pilot.pause()
        assert not screen.query_one("#att-side").display
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen.has_class("-narrow")
        assert screen.query_one("#att-side").display
        assert not screen.table.display
        await pilot.press("v")
        await pilot.pause()
        assert screen.table.display and not screen.query_one("#att-side").display


async def test_english_once(world):
    open_meeting(world)
    set_language("en")
    try:
        app = BranchApp(world.svc, world.recorder)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await start(pilot, world)
            descriptions = {b.binding.description for b in screen.active_bindings.values()}
            assert {"Present", "Late", "Leave", "Absent"} <= descriptions, descriptions
            assert "Expected" in static_text(screen, "#att-counts")
            assert "General-meeting decision" in static_text(screen, "#att-quorum")
            await pilot.press("1")
            await settle(pilot)
            assert "Present" in row_status(screen, screen.order[0])
            assert "Marked by recorder"[:8] in str(
                screen.table.get_cell(str(screen.order[0]), "method"))
            await pilot.press("3")
            await pilot.pause()
            assert "on leave" in str(app.screen.query_one(".section-title").render())
            await pilot.press("escape")
    finally:
        set_language("zh")


async def test_palette_lists_marking_commands(world):
    open_meeting(world)
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, world)
        names = [name for name, _help, _call in screen.palette_commands()]
        for word in ("标记出席 Mark present", "标记请假 Mark on leave", "添加列席人员 Add guest",
                     "关闭本人签到 Stop self sign-in"):
            assert word in names, names
        # Running one from the palette marks like the key does.
        dict((n, c) for n, _h, c in screen.palette_commands())["标记出席 Mark present"]()
        await settle(pilot)
        assert marks(world)[screen.order[0]].status is AttendanceStatus.PRESENT


async def test_roll_changes_line_with_hostile_names(world):
    """Roster writes dated before the meeting change its roll; the sheet says so, with the
    names as plain text (never markup) and the day each change is about."""
    from branchtui.services import MemberDraft

    svc, w = world.svc, world
    name = HOSTILE_LINK + "王[/]"
    new = svc.roster.add_member(
        w.admin, w.branch_id, MemberDraft(name=name, admitted=date(2015, 1, 1),
                                          full_since=date(2016, 1, 1)),
        group_id=w.group_ids[0], starts=date(2020, 1, 1))
    svc.roster.transfer(w.admin, new.id, date(2026, 11, 20), to_branch_id=w.other_branch_id)
    svc.roster.add_exemption(w.admin, w.member.member_id, date(2026, 11, 1), None, "病[/]")
    open_meeting(w)
    app = BranchApp(svc, w.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, w)
        line = screen.query_one("#att-roll-changes", Static)
        assert line.display
        text = static_text(screen, "#att-roll-changes")
        assert text.startswith("名单已更新：")
        assert (f"{name} 列入应到（2020年1月1日）；{name} 已转出，移出应到（11月20日）"
                in text), text
        assert "孙党员（老） 免于参加组织生活，不计应到（11月1日）" in text, text
        assert new.id not in screen.rows
        await pilot.click("#att-roll-changes")
        await settle(pilot)
        assert app.is_running and app.screen is screen


async def test_no_roll_changes_line_when_nothing_changed(world):
    open_meeting(world)
    app = BranchApp(world.svc, world.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, world)
        assert not screen.query_one("#att-roll-changes", Static).display


def test_roll_changes_text_in_english():
    from branchtui.core.roll import RollChange
    from branchtui.ui.screens.attendance.screen import roll_changes_text

    set_language("en")
    text = roll_changes_text([RollChange(1, HOSTILE, "transferred_out", date(2026, 6, 10)),
                              RollChange(2, "李", "vote_lost")], 2026)
    assert text == ("Roll updated: [/]: transferred out, off the expected list (2026-06-10); "
                    "李: no vote on that day (probation within the party)")
