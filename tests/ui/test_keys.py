"""The secretary's login keys screen (roster ``k``): who can log in over SSH and who not;
add a key by pasting it, remove one; members are refused with the reason."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from textual import events
from textual.widgets import DataTable, Static, TextArea

from branchtui.i18n import set_language
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.keys import KeysScreen
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK, NOW
from tests.core.test_sshkeys import ed25519_blob, line_of, rsa_blob
from tests.factories import build_world
from tests.services.test_branch_keys import key_line


@pytest.fixture
def world(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc)
    yield w
    db.close()


async def settle(pilot, app) -> None:
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def rows(table: DataTable) -> list[str]:
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_secretary_adds_and_removes_a_key_from_the_keyboard_at_80x24(world):
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        await pilot.press("down", "k")  # from the search box down to the list, then k
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, KeysScreen)
        table = screen.query_one("#keys-table", DataTable)
        assert screen.rows is not None
        n = len(screen.rows)
        assert table.row_count == n and all("尚无密钥" in r for r in rows(table))
        head = str(screen.query_one("#keys-head", Static).render())
        assert f"0 人已登记登录密钥，{n} 人尚未登记" in head
        target = next(i for i, r in enumerate(screen.rows) if r.member_id == w.member.member_id)
        table.focus()
        table.move_cursor(row=target)
        await pilot.press("a")
        await pilot.pause()
        comment = "zhou@laptop" + HOSTILE_LINK + FULLWIDTH + HOSTILE
        app.screen.query_one("#f-key", TextArea).text = key_line(7, comment)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.is_running and app.screen is screen
        line = rows(table)[target]
        assert "SHA256:" in line and comment in line, line
        assert "1 人已登记登录密钥" in str(screen.query_one("#keys-head", Static).render())
        assert table.cursor_row == target, "the cursor stays on the member after the reload"
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "尚无密钥" in rows(table)[target]
        assert w.svc.roster.list_keys(w.secretary, w.member.member_id) == []


@asynccontextmanager
async def keys_screen(w, size: tuple[int, int] = (100, 30)):
    """The secretary's app on the branch's keys screen: (app, pilot, screen)."""
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=size) as pilot:
        app.push_screen(KeysScreen(w.branch_id))
        await settle(pilot, app)
        assert isinstance(app.screen, KeysScreen)
        yield app, pilot, app.screen


async def test_remove_is_disabled_on_a_member_without_a_key(world):
    async with keys_screen(world) as (app, pilot, screen):
        assert screen.check_action("remove", ()) is False
        await pilot.press("d")
        await settle(pilot, app)
        assert app.screen is screen, "nothing to remove: no dialog"


async def test_a_member_is_refused_with_the_reason_in_english(world):
    w = world
    set_language("en")
    try:
        app = BranchApp(w.svc, w.member)
        async with app.run_test(size=(100, 30)) as pilot:
            app.push_screen(KeysScreen(w.branch_id))
            await settle(pilot, app)
            head = str(app.screen.query_one("#keys-head", Static).render())
            assert "A login key can be registered for yourself" in head, head
            assert app.screen.query_one("#keys-table", DataTable).row_count == 0
    finally:
        set_language("zh")


@pytest.mark.parametrize(("pasted", "words"), [
    (line_of(rsa_blob(1024), "old" + HOSTILE_LINK + HOSTILE),
     ("1024 位", "至少 2048 位", "ssh-keygen -t ed25519")),
    # Both lines must reach the check: an Input keeps only the first line of a paste, and
    # the first key was then registered as if it were all that was pasted.
    (line_of(ed25519_blob(1), "a" + HOSTILE_LINK) + "\n" + line_of(ed25519_blob(2), HOSTILE),
     ("2 个", "第 1, 2 行")),
], ids=["rsa-1024", "two-keys"])
async def test_a_pasted_weak_key_or_two_keys_are_refused_inline(world, pasted, words):
    w = world
    async with keys_screen(w, size=(80, 24)) as (app, pilot, screen):
        assert screen.rows is not None
        table = screen.query_one("#keys-table", DataTable)
        table.focus()
        table.move_cursor(row=next(i for i, r in enumerate(screen.rows)
                                   if r.member_id == w.member.member_id))
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        app.post_message(events.Paste(pasted))  # as the terminal delivers a paste
        await pilot.pause()
        assert dialog.query_one("#f-key", TextArea).text == pasted
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.is_running and app.screen is dialog, "refused: the dialog stays open"
        error = str(dialog.query_one("#form-error", Static).render())
        assert all(word in error for word in words), error
        assert dialog.query_one("#f-key", TextArea).text == pasted, "the input is kept"
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is screen and all("尚无密钥" in r for r in rows(table))
    assert w.svc.roster.list_keys(w.admin) == []
