"""The rights audit screen (F12, and the palette): for the administrator and the upper
level, each change to rights in words, hostile names and key comments shown as text;
others are not offered it and, if they get there anyway, read the refusal."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static

from branchtui.i18n import set_language
from branchtui.services import FixedClock, MemberDraft, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.audit import AuditScreen
from branchtui.ui.screens.home import HomeScreen
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK, NOW
from tests.factories import build_world
from tests.services.test_branch_keys import key_line
from tests.ui.test_keys import rows, settle

COMMENT = "sun@laptop" + HOSTILE_LINK + FULLWIDTH + HOSTILE


@pytest.fixture
def world(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc)
    # A hostile name in the member column, a hostile key comment in "after".
    mem = svc.roster.get_member(w.admin, w.member.member_id)
    svc.roster.update_member(w.secretary, mem.id, mem.version,
                             MemberDraft(name="孙" + HOSTILE_LINK + HOSTILE, login="sun2"))
    svc.roster.add_key(w.secretary, w.member.member_id, key_line(9, COMMENT))
    yield w
    db.close()


def palette(app) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


@pytest.mark.parametrize("who", ["admin", "viewer"])
async def test_the_audit_in_words_at_80x24(world, who):
    w = world
    app = BranchApp(w.svc, getattr(w, who))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert "权限变更记录 Rights audit" in palette(app)
        await pilot.press("f12")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, AuditScreen), screen
        table = screen.query_one("#audit-table", DataTable)
        got = rows(table)
        # Newest first: the key, then the login (the set-up's own entries below).
        assert "添加登录密钥" in got[0] and COMMENT in got[0], got[0]
        assert "孙" + HOSTILE_LINK + HOSTILE in got[0]
        assert "更改登录名" in got[1] and "登录名：dangyuan" in got[1] \
            and "登录名：sun2" in got[1], got[1]
        assert "张书记" in got[1] and "{" not in got[1]
        # Every cell is a Text (user text never parsed as markup), and the page drew.
        assert all(isinstance(c, Text) for i in range(table.row_count)
                   for c in table.get_row_at(i))
        head = str(screen.query_one("#audit-head", Static).render())
        assert f"共 {len(got)} 条" in head
        if who == "viewer":
            assert "及其下级组织" in head
        await pilot.press("r")
        await settle(pilot, app)
        assert rows(table) == got and app.is_running
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, HomeScreen)


async def test_the_audit_in_english(world):
    w = world
    set_language("en")
    try:
        app = BranchApp(w.svc, w.admin)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert "Rights audit 权限变更记录" in palette(app)
            await pilot.press("f12")
            await settle(pilot, app)
            assert isinstance(app.screen, AuditScreen)
            got = rows(app.screen.query_one("#audit-table", DataTable))
            assert "login key added" in got[0] and COMMENT in got[0]
            assert "login name changed" in got[1] and "login: dangyuan" in got[1] \
                and "login: sun2" in got[1]
            assert "every organisation" in str(
                app.screen.query_one("#audit-head", Static).render())
    finally:
        set_language("zh")


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_secretary_is_not_offered_the_audit_and_is_refused_if_she_gets_there(
        world, lang):
    w = world
    set_language(lang)
    try:
        app = BranchApp(w.svc, w.secretary)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert not any("Rights audit" in name for name in palette(app))
            await pilot.press("f12")
            await settle(pilot, app)
            assert isinstance(app.screen, HomeScreen), "F12 does nothing for her"
            app.push_screen(AuditScreen())  # forced, as a stale binding might
            await settle(pilot, app)
            screen = app.screen
            assert isinstance(screen, AuditScreen)
            head = str(screen.query_one("#audit-head", Static).render())
            want = ("只有系统管理员和上级党组织可以查看权限变更记录" if lang == "zh"
                    else "Only the administrator and the upper organisation")
            assert want in head, head
            assert screen.query_one("#audit-table", DataTable).row_count == 0
            assert app.is_running
    finally:
        set_language("zh")


@pytest.mark.parametrize("who,listed", [("admin", True), ("secretary", False)])
async def test_help_lists_f12_only_for_those_who_read_the_audit(world, who, listed):
    from branchtui.ui.screens.help import HelpScreen

    app = BranchApp(world.svc, getattr(world, who))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f1")
        await settle(pilot, app)
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        keys = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert ("f12" in keys) is listed, keys
