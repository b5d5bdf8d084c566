"""Pilot tests of the members screens over the real services on a temp-file SQLite, with
hostile names in the roster: search, the member page, edits with a bad date, a stale edit,
an exemption, a transfer that leaves an old meeting's roll alone, a refusal, English."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from textual.widgets import DataTable, Input, Select, Sparkline, Static, TextArea

from branchtui.core.enums import AttendanceStatus, Obligation
from branchtui.i18n import set_language
from branchtui.services import FixedClock, MemberDraft, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.dialogs.member_edit import ConflictDialog, FormDialog, MemberFormDialog
from branchtui.ui.screens.members import MemberDetailScreen, MembersScreen
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

RECORDER = "赵记录[@click=app.quit]x[/]"


@pytest.fixture
def world(tmp_path, request):
    db = open_database(backend_url(request, tmp_path, "members.sqlite3"))
    upgrade(db)
    clock = FixedClock(NOW)
    svc = Services.create(db, clock)
    w = build_world(svc)
    # A long, hostile name too, and a past meeting the member attended.
    svc.roster.add_member(w.admin, w.branch_id, MemberDraft(
        name=LONG_ZH[:90] + HOSTILE, login="changming", admitted=date(2015, 1, 1),
        full_since=date(2016, 1, 1)), group_id=w.group_ids[1], starts=date(2020, 1, 1))
    start = datetime(2026, 5, 8, 14)
    clock.current = start - timedelta(days=3)
    mtg = svc.meetings.schedule(w.secretary, draft(w, start, Obligation.THEME_DAY,
                                                   title=HOSTILE_LINK + "五月主题党日"))
    clock.current = start
    svc.meetings.open(w.recorder, mtg.id)
    svc.meetings.mark(w.recorder, mtg.id, w.member.member_id, AttendanceStatus.PRESENT)
    svc.meetings.mark(w.recorder, mtg.id, w.probationary.member_id, AttendanceStatus.ABSENT)
    svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    clock.current = NOW
    w.clock = clock  # type: ignore[attr-defined]
    w.old_meeting = mtg.id  # type: ignore[attr-defined]
    yield w
    db.close()


async def settle(pilot, app) -> None:
    """Until the workers are done and their messages handled (a dialog's save, then the
    page's reload that its callback starts)."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def rows(table: DataTable) -> list[str]:
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_members(pilot, app) -> MembersScreen:
    await settle(pilot, app)
    app.push_screen(MembersScreen())
    await settle(pilot, app)
    assert isinstance(app.screen, MembersScreen)
    return app.screen


async def open_detail(pilot, app, member_id: int) -> MemberDetailScreen:
    await settle(pilot, app)
    app.push_screen(MemberDetailScreen(member_id))
    await settle(pilot, app)
    assert isinstance(app.screen, MemberDetailScreen)
    return app.screen


async def test_search_with_hostile_names_and_open_detail_at_80x24(world):
    app = BranchApp(world.svc, world.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_members(pilot, app)
        table = screen.query_one("#members-table", DataTable)
        assert table.row_count == len(world.members) + 1
        assert any(RECORDER in r for r in rows(table))
        # Type markup into the search box: it is text, it filters, nothing runs.
        await pilot.press("down")  # to the list
        assert app.focused is table
        await pilot.press("slash", "left_square_bracket", "at")  # back to the search box
        assert screen.query_one("#members-search", Input).value == "[@"
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [RECORDER]
        await pilot.press("backspace", "backspace", "left_square_bracket", "slash",
                          "right_square_bracket")
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [
            LONG_ZH[:90] + HOSTILE, RECORDER]
        # Kind words filter too: only the probationary member.
        screen.query_one("#members-search", Input).value = "预备"
        await pilot.pause()
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["周预备"]
        screen.query_one("#members-search", Input).value = "zhaojilu-nobody"
        await pilot.pause()
        assert rows(table) == ["（无）" + " " * 7]
        screen.query_one("#members-search", Input).value = "jilu"
        await pilot.pause()
        await pilot.press("enter")  # from the search box: opens the only match
        await settle(pilot, app)
        assert isinstance(app.screen, MemberDetailScreen)
        assert app.screen.member_id == world.recorder.member_id
        assert RECORDER in text_of(app.screen, "#member-head")
        assert app.is_running


async def test_member_is_refused_the_roster_with_the_reason(world):
    app = BranchApp(world.svc, world.member)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_members(pilot, app)
        reason = "只有支部书记、副书记或组织委员才能维护党员名册"
        assert reason in text_of(screen, "#members-head")
        assert any(reason in str(n.message) for n in app._notifications)
        assert screen.query_one("#members-search", Input).disabled
        assert screen.query_one("#members-table", DataTable).row_count == 0
        await pilot.press("n")  # the add key is absent: nothing opens
        await pilot.pause()
        assert isinstance(app.screen, MembersScreen)


async def test_detail_shows_history_rates_chart_and_warnings(world):
    w = world
    w.svc.meetings.schedule(w.secretary, draft(w, NOW + timedelta(days=9), title="十二月党课[/]"))
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(pilot, app, w.probationary.member_id)
        assert screen.ready.is_set()
        history = rows(screen.query_one("#member-history", DataTable))
        assert any(HOSTILE_LINK + "五月主题党日" in r and "缺席" in r for r in history)
        # A sitting still to come is not "not marked": nobody has failed to mark it yet.
        coming = [r for r in history if "十二月党课[/]" in r]
        assert coming and "尚未召开" in coming[0] and "未登记" not in coming[0], coming
        years = rows(screen.query_one("#member-years", DataTable))
        assert years[0].startswith("2026 1 0 0 0 1 0 0%")
        chart = screen.query_one("#member-chart", Sparkline)
        assert len(chart.data or []) == 7  # May to November 2026
        lapse = text_of(screen, "#member-lapse")
        assert "从未参加" in lapse and "无故缺席 1 次" in lapse
        # The probationary member can be confirmed; the full member cannot.
        assert screen.allowed("confirm_full")
        await pilot.press("escape")
        screen = await open_detail(pilot, app, w.member.member_id)
        assert not screen.allowed("confirm_full")
        assert "2026-05-08" in text_of(screen, "#member-lapse")
        # Only the secretary sees login keys.
        assert screen.query_one("#member-keys", DataTable).display


async def test_member_reads_own_page_without_edit_keys(world):
    app = BranchApp(world.svc, world.member)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_detail(pilot, app, world.member.member_id)
        assert not screen.allowed("edit") and not screen.allowed("transfer")
        assert not screen.allowed("appoint")
        # Their own login keys are theirs to keep (issue 10): listed, and one may be added.
        assert screen.query_one("#member-keys", DataTable).display
        assert screen.allowed("add_key")
        names = {name for name, _h, _a in screen.palette_commands()}
        assert not any("Edit member" in n for n in names)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, MemberDetailScreen)


async def test_edit_with_a_bad_date_keeps_the_input(world):
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(100, 36)) as pilot:
        await open_detail(pilot, app, w.member.member_id)
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, MemberFormDialog)
        form.query_one("#f-name", Input).value = "孙党员" + FULLWIDTH
        form.query_one("#f-birth_date", Input).value = "1958-02-30"
        form.query_one("#f-phone", Input).value = "13800000000"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form
        error = text_of(form, "#form-error")
        assert "1958-02-30" in error and "不是有效日期" in error
        assert form.query_one("#f-name", Input).value == "孙党员" + FULLWIDTH
        assert form.query_one("#f-phone", Input).value == "13800000000"
        form.query_one("#f-birth_date", Input).value = "1958年2月28日"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MemberDetailScreen)
        saved = w.svc.roster.get_member(w.secretary, w.member.member_id)
        assert saved.name == "孙党员" + FULLWIDTH and saved.birth_date == date(1958, 2, 28)
        assert "孙党员" + FULLWIDTH in text_of(app.screen, "#member-head")


@on_both_backends
async def test_stale_edit_shows_the_change_and_keeps_my_values(world):
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(100, 36)) as pilot:
        await open_detail(pilot, app, w.member.member_id)
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, MemberFormDialog)
        # Meanwhile the organiser saves a new phone number.
        base = w.svc.roster.get_member(w.organiser, w.member.member_id)
        w.svc.roster.update_member(w.organiser, base.id, base.version, MemberDraft(
            name=base.name, login=base.login, phone="13912345678" + HOSTILE,
            admitted=base.admitted, full_since=base.full_since))
        form.query_one("#f-name", Input).value = "孙老党员" + HOSTILE_LINK
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, ConflictDialog)
        lines = text_of(dialog, "#conflict-lines")
        assert "13912345678" + HOSTILE in lines and "电话" in lines
        await pilot.press("3")  # back to the form, keeping what I typed
        await pilot.pause()
        assert app.screen is form
        assert form.query_one("#f-name", Input).value == "孙老党员" + HOSTILE_LINK
        assert "已保留" in text_of(form, "#form-error")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MemberDetailScreen)
        saved = w.svc.roster.get_member(w.secretary, w.member.member_id)
        assert saved.name == "孙老党员" + HOSTILE_LINK and saved.version == base.version + 2
        assert app.is_running


@on_both_backends
async def test_stale_edit_can_take_theirs(world):
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(100, 36)) as pilot:
        await open_detail(pilot, app, w.member.member_id)
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        base = w.svc.roster.get_member(w.organiser, w.member.member_id)
        w.svc.roster.update_member(w.organiser, base.id, base.version, MemberDraft(
            name="孙党员（改）", login=base.login, admitted=base.admitted,
            full_since=base.full_since))
        form.query_one("#f-phone", Input).value = "123"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        await pilot.press("2")
        await pilot.pause()
        assert form.query_one("#f-name", Input).value == "孙党员（改）"
        assert form.query_one("#f-phone", Input).value == ""


async def test_add_exemption_with_hostile_reason(world):
    w = world
    app = BranchApp(w.svc, w.organiser)
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await open_detail(pilot, app, w.member.member_id)
        await pilot.press("m")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormDialog)
        assert form.query_one("#f-starts", Input).value == "2026-11-27"
        form.query_one("#f-reason", Input).value = "住院" + HOSTILE_LINK
        form.query_one("#f-ends", Input).value = "明年"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "明年" in text_of(form, "#form-error")
        form.query_one("#f-ends", Input).value = "2027-03-01"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
        table = rows(screen.query_one("#member-exemptions", DataTable))
        assert table == ["2026-11-27 至 2027-03-01 住院" + HOSTILE_LINK + " 有效"]
        listed = w.svc.roster.exemptions(w.secretary, w.member.member_id)
        assert listed[0].reason == "住院" + HOSTILE_LINK
        # The organiser keeps the roster but may not appoint or manage keys.
        assert not screen.allowed("appoint") and not screen.allowed("add_key")


async def test_transfer_to_other_branch_leaves_the_old_roll(world):
    w = world
    before = w.svc.meetings.record(w.secretary, w.old_meeting)
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await open_detail(pilot, app, w.member.member_id)
        await pilot.press("t")
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, FormDialog)
        form.query_one("#f-target", Select).value = str(w.other_branch_id)
        form.query_one("#f-on", Input).value = "2026-11-20"
        form.query_one("#f-note", Input).value = "工作调动" + HOSTILE
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
        history = rows(screen.query_one("#member-memberships", DataTable))
        assert history[0].startswith("2026-11-20 至 今 第二党支部[/]")
        assert "工作调动" + HOSTILE in history[1]
    after = w.svc.meetings.record(w.secretary, w.old_meeting)
    assert [(a.member_id, a.status) for a in after.attendance] == [
        (a.member_id, a.status) for a in before.attendance]
    assert w.member.member_id in {a.member_id for a in after.attendance}
    entries = w.svc.queries.roster_overview(w.secretary).entries
    assert w.member.member_id not in {e.member_id for e in entries}


async def test_move_between_groups_needs_a_group(world):
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await open_detail(pilot, app, w.member.member_id)
        await pilot.press("t")
        await settle(pilot, app)
        form = app.screen
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "请选择新的党小组" in text_of(form, "#form-error")
        form.query_one("#f-group", Select).value = str(w.group_ids[1])
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
        assert rows(screen.query_one("#member-memberships", DataTable))[0].startswith(
            "2026-11-27 至 今 第一党支部 第2党小组")


async def test_english_once(world):
    set_language("en")
    try:
        app = BranchApp(world.svc, world.secretary)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_members(pilot, app)
            assert "members (" in text_of(screen, "#members-head")
            descriptions = {b.binding.description for b in app.screen.active_bindings.values()}
            assert "Search" in descriptions and "查找" not in descriptions
            await pilot.press("down", "enter")
            await settle(pilot, app)
            detail = app.screen
            assert isinstance(detail, MemberDetailScreen)
            assert "Months since last attended" in text_of(detail, "#member-lapse")
            descriptions = {b.binding.description for b in detail.active_bindings.values()}
            assert {"Edit", "Exemption", "Transfer/move group"} <= descriptions
            names = [name for name, _h, _a in detail.palette_commands()]
            assert "Edit member 修改党员资料" in names
    finally:
        set_language("zh")


def test_conflict_lines_name_each_changed_field():
    from branchtui.core.model import Member
    from branchtui.ui.dialogs.member_edit import changes

    base = Member(id=1, name="甲", login="a", phone="1", version=1)
    cur = replace(base, phone="2" + HOSTILE, version=2)
    lines = changes(base, cur, {"phone": "3"})
    assert lines == ["电话：原为“1”，对方改为“2[/]”，您填写的是“3”"]


def _ed25519_line(comment: str) -> str:
    import base64

    def s(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    blob = s(b"ssh-ed25519") + s(bytes(range(32)))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


async def test_secretary_confirms_appoints_ends_post_and_manages_keys(world):
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await open_detail(pilot, app, w.probationary.member_id)
        await pilot.press("z")  # 转正
        await pilot.pause()
        app.screen.query_one("#f-on", Input).value = "2026-11-26"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert w.svc.roster.get_member(w.secretary, w.probationary.member_id).full_since == \
            date(2026, 11, 26)
        assert not screen.allowed("confirm_full")
        await pilot.press("a")  # 任职
        await settle(pilot, app)
        form = app.screen
        form.query_one("#f-role", Select).value = "propaganda"
        form.query_one("#f-ends", Input).value = "2029-11-26"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        posts = rows(screen.query_one("#member-positions", DataTable))
        assert posts == ["宣传委员 第一党支部 2026-11-27 至 2029-11-26 有效"]
        screen.query_one("#member-positions", DataTable).focus()
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#f-on", Input).value = "2026-12-31"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert rows(screen.query_one("#member-positions", DataTable)) == [
            "宣传委员 第一党支部 2026-11-27 至 2026-12-31 有效"]
        await pilot.press("k")
        await pilot.pause()
        app.screen.query_one("#f-key", TextArea).text = "not a key" + HOSTILE
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "无法识别" in text_of(app.screen, "#form-error")
        app.screen.query_one("#f-key", TextArea).text = _ed25519_line("zhou@laptop" + HOSTILE)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        keys = rows(screen.query_one("#member-keys", DataTable))
        assert len(keys) == 1 and keys[0].startswith("SHA256:") and HOSTILE in keys[0]
        screen.query_one("#member-keys", DataTable).focus()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert rows(screen.query_one("#member-keys", DataTable)) == ["（无） "]
        assert w.svc.roster.list_keys(w.secretary, w.probationary.member_id) == []
