"""Pilot tests of the 组织生活会, 整改 tracker and 民主评议 screens over the real services on
a temp-file SQLite, driven by keys, with hostile text in names, titles and entries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from textual import events
from textual.widgets import Button, DataTable, Static, TextArea

from branchtui.core.enums import Grade, Obligation, RectStatus
from branchtui.i18n import set_language
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.appraisal import AppraisalScreen
from branchtui.ui.screens.orglife.forms import (
    ConfirmModal,
    CriticismForm,
    ProblemForm,
    ProgressForm,
    RectForm,
)
from branchtui.ui.screens.orglife.meeting import OrgLifeScreen
from branchtui.ui.screens.orglife.tracker import RectificationScreen
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

TITLE = HOSTILE_LINK + "2026年度组织生活会[/]"


@pytest.fixture
def world(tmp_path, request):
    db = open_database(backend_url(request, tmp_path, "orglife.sqlite3"))
    upgrade(db)
    clock = FixedClock(NOW)
    svc = Services.create(db, clock)
    w = build_world(svc)
    w.clock = clock  # type: ignore[attr-defined]
    yield w
    db.close()


def org_life(w, start: datetime, title: str = TITLE):
    """Schedule a 组织生活会 a week ahead, then open it at ``start``."""
    w.clock.current = start - timedelta(days=7)
    mtg = w.svc.meetings.schedule(
        w.secretary, draft(w, start, Obligation.ORG_LIFE, Obligation.APPRAISAL, title=title))
    w.clock.current = start
    w.svc.meetings.open(w.recorder, mtg.id)
    return mtg


def table_text(table: DataTable) -> str:
    return "\n".join(
        " ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)
    )


def rows(table: DataTable) -> list[str]:
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def notes(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _typable(ch: str) -> bool:
    return ch.isascii() or "\u4e00" <= ch <= "\u9fff"


async def type_text(pilot, text: str) -> None:
    """Type ``text`` key by key; text with full-width punctuation (which Pilot cannot
    press) is pasted into the focused field instead, as a user would."""
    if all(_typable(ch) for ch in text):
        await pilot.press(*["space" if ch == " " else ch for ch in text])
    else:
        pilot.app.focused.post_message(events.Paste(text))
        await pilot.pause()


async def open_screen(pilot, screen) -> None:
    await settle(pilot)
    pilot.app.push_screen(screen)
    await settle(pilot)


def row_of(table: DataTable, needle: str) -> int:
    for i, text in enumerate(rows(table)):
        if needle in text:
            return i
    raise AssertionError(f"no row with {needle!r} in:\n{table_text(table)}")


async def test_criticism_to_rectification_to_review_end_to_end(world):
    w = world
    first = org_life(w, datetime(2026, 12, 10, 9))

    # 1. The recorder fills the 组织生活会 on an 80x24 terminal.
    app = BranchApp(w.svc, w.recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, OrgLifeScreen(first.id))
        screen = app.screen
        assert isinstance(screen, OrgLifeScreen)
        assert TITLE in str(screen.query_one("#head", Static).render())
        assert screen.check_action("problem", ()) is True

        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ProblemForm)
        await type_text(pilot, "孙")
        await pilot.press("tab")
        await type_text(pilot, "学习不深入" + HOSTILE_LINK)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("tab")  # nobody chosen: the branch's own problem
        await type_text(pilot, "台账不全" + HOSTILE)
        await pilot.press("ctrl+s")
        await settle(pilot)
        problems = screen.query_one("#problems", DataTable)
        assert "孙党员（老） 学习不深入" + HOSTILE_LINK in rows(problems)
        assert "支部 台账不全" + HOSTILE in rows(problems)

        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CriticismForm)
        await type_text(pilot, "李")
        await pilot.press("tab")
        await type_text(pilot, "孙党")
        await pilot.press("tab")
        await type_text(pilot, FULLWIDTH)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await type_text(pilot, "赵")  # the recorder's own name carries an action link
        await pilot.press("tab")
        await type_text(pilot, "自我批评：记录不及时[/]")
        await pilot.press("ctrl+s")
        await settle(pilot)
        crit = table_text(screen.query_one("#criticisms", DataTable))
        assert "李组织 → 孙党员（老） " + FULLWIDTH in crit
        assert "自我批评 赵记录" + HOSTILE_LINK + " 自我批评：记录不及时[/]" in crit

        # From the member's problem to a rectification item: problem and owner prefilled.
        problems.focus()
        problems.move_cursor(row=row_of(problems, "学习不深入"))
        await pilot.press("z")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RectForm)
        assert form.query_one("#problem", TextArea).text == "学习不深入" + HOSTILE_LINK
        await type_text(pilot, "每月读一本书")
        await pilot.press("tab", "tab")
        await type_text(pilot, "2027-03-31")
        await pilot.press("ctrl+s")
        await settle(pilot)

        problems.move_cursor(row=row_of(problems, "台账不全"))
        await pilot.press("z")
        await pilot.pause()
        form = app.screen
        await type_text(pilot, "补齐台账" + LONG_ZH[:30])
        await pilot.press("tab")
        await type_text(pilot, "钱")
        await pilot.press("tab")
        await type_text(pilot, "明年一月")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # A bad date is refused in words and nothing typed is lost.
        assert app.screen is form
        assert "2027-03-31" in str(form.query_one("#form-error", Static).render())
        assert form.query_one("#measure", TextArea).text.startswith("补齐台账")
        await pilot.press("ctrl+u")
        await type_text(pilot, "2027/1/10")  # written the way people write dates
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, OrgLifeScreen)
        items = rows(screen.query_one("#items", DataTable))
        assert len(items) == 2, items
        assert any("每月读一本书 孙党员（老） 2027-03-31 未开始" in r for r in items), items
        assert any("钱组长 2027-01-10" in r for r in items), items
        assert app.is_running

    w.svc.meetings.close(w.recorder, first.id, gaps_reason=GAPS_REASON)
    own = next(r for r in w.svc.minutes.rectifications(w.secretary, w.branch_id)
               if r.owner_id == w.member.member_id)

    # 2. The member sees only their own item, adds progress and declares it done; they
    #    cannot verify it: the key is absent, and forcing it is refused with the reason.
    w.clock.current = datetime(2026, 12, 20, 20)
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, RectificationScreen(w.branch_id))
        screen = app.screen
        assert isinstance(screen, RectificationScreen)
        table = screen.query_one("#items", DataTable)
        assert table.row_count == 1 and "每月读一本书" in table_text(table)
        assert "我负责" in str(screen.query_one("#scope").render())
        assert screen.check_action("verify", ()) is False
        assert screen.check_action("owner_filter", ()) is False
        assert not any("销号" in name for name, _h, _c in screen.palette_commands())
        await pilot.press("v")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)
        screen.action_verify()
        await settle(pilot)
        assert "只有支部书记、副书记才能验收销号" in notes(app)

        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ProgressForm)
        await type_text(pilot, "已读完两本" + HOSTILE)
        await pilot.press("tab")
        await type_text(pilot, "读书笔记.pdf" + HOSTILE_LINK)
        await pilot.press("tab", "space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RectificationScreen)
        assert "已完成" in table_text(table)
        progress = table_text(screen.query_one("#notes", DataTable))
        assert "已读完两本" + HOSTILE in progress and "读书笔记.pdf" + HOSTILE_LINK in progress
        assert app.is_running
    assert w.svc.minutes.rectifications(w.member)[0].status is RectStatus.DONE

    # 3. The next 组织生活会 opens; at its 回头看 the secretary checks the evidence and
    #    ticks the item off (对单销号).
    second = org_life(w, datetime(2027, 1, 22, 9), title="2027年组织生活会" + HOSTILE)
    w.clock.current = datetime(2027, 1, 22, 9, 30)
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot, RectificationScreen(w.branch_id))
        screen = app.screen
        table = screen.query_one("#items", DataTable)
        assert table.row_count == 2
        # Overdue filter: only the ledger item is past its deadline and unfinished.
        await pilot.press("d")
        await settle(pilot)
        assert table.row_count == 1 and "钱组长" in table_text(table)
        assert "逾期" in table_text(table)
        await pilot.press("d")
        await settle(pilot)
        table.focus()
        table.move_cursor(row=row_of(table, "每月读一本书"))
        await settle(pilot)
        assert screen.check_action("verify", ()) is True
        assert "对单销号 Verify and close" in [n for n, _h, _c in screen.palette_commands()]
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        asked = str(app.screen.query_one("#confirm-text", Static).render())
        assert "每月读一本书" in asked and "已读完两本" + HOSTILE in asked
        await pilot.press("enter")
        await settle(pilot)
        assert "已销号" in rows(table)[row_of(table, "每月读一本书")]
        assert "已销号。" in notes(app)
        # A verified item takes no more progress: the key is greyed, forcing it says why.
        assert screen.check_action("progress", ()) is None
        screen.action_progress()
        await pilot.pause()
        assert "该整改事项已销号" in notes(app) and not isinstance(app.screen, ProgressForm)
    assert w.svc.minutes.rectifications(w.member)[0].status is RectStatus.VERIFIED
    assert own.id == w.svc.minutes.rectifications(w.member)[0].id

    # 4. The recorder opens the next 组织生活会: 回头看 lists the verified item and, on its
    #    own, the unverified one; the finding is recorded.
    app = BranchApp(w.svc, w.recorder)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_screen(pilot, OrgLifeScreen(second.id))
        screen = app.screen
        review = screen.query_one("#review", DataTable)
        listed = rows(review)
        assert len(listed) == 2, listed
        assert "已销号" in listed[row_of(review, "每月读一本书")]
        assert "未开始（逾期）" in listed[row_of(review, "钱组长")]
        assert screen.query_one("#items", DataTable).row_count == 1  # "(无)": a new round
        review.focus()
        review.move_cursor(row=row_of(review, "钱组长"))
        await pilot.press("h")
        await pilot.pause()
        await type_text(pilot, "未完成：人手不足，延期至二季度" + HOSTILE)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "延期至二季度" + HOSTILE in rows(review)[row_of(review, "钱组长")]
        assert app.is_running


@on_both_backends
async def test_stale_progress_keeps_the_note_and_lets_the_user_choose(world):
    w = world
    mtg = org_life(w, datetime(2026, 12, 10, 9))
    item = w.svc.minutes.create_rectification(w.recorder, mtg.id, "问题" + HOSTILE, "措施",
                                              w.member.member_id, date(2027, 3, 31))
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, RectificationScreen())
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ProgressForm)
        await type_text(pilot, "我的进展" + HOSTILE_LINK)
        # Meanwhile the organiser writes a note on the same item.
        w.svc.minutes.add_progress(w.organiser, item.id, "组织委员督促", expected_version=1)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "a stale save must not close the form"
        error = str(form.query_one("#form-error", Static).render())
        assert "已被他人更新" in error and "整改中" in error
        assert form.query_one("#text", TextArea).text == "我的进展" + HOSTILE_LINK
        assert "最新版本" in str(form.query_one("#form-save", Button).label)
        await pilot.press("ctrl+s")  # the user chooses to save on the newest version
        await settle(pilot)
        assert isinstance(app.screen, RectificationScreen)
        progress = table_text(app.screen.query_one("#notes", DataTable))
        assert "组织委员督促" in progress and "我的进展" + HOSTILE_LINK in progress


async def test_member_reads_org_life_but_cannot_write(world):
    w = world
    mtg = org_life(w, datetime(2026, 12, 10, 9))
    w.svc.minutes.add_problem(w.recorder, mtg.id, LONG_ZH + HOSTILE_LINK)
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, OrgLifeScreen(mtg.id))
        screen = app.screen
        assert (LONG_ZH + HOSTILE_LINK) in table_text(screen.query_one("#problems", DataTable))
        assert "只供查阅" in str(screen.query_one("#mode", Static).render())
        for action in OrgLifeScreen.WRITES:
            assert screen.check_action(action, ()) is False, action
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen
        screen.action_problem()  # forced, e.g. by an old palette entry
        await settle(pilot)
        assert "只有记录人、主持人或支部书记才能填写会议记录" in notes(app)
        assert app.screen is screen and app.is_running


async def test_appraisal_cap_and_probationary_member(world):
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_screen(pilot, AppraisalScreen(w.branch_id, 2026))
        screen = app.screen
        table = screen.query_one("#grades", DataTable)
        table.focus()
        full = [r for r in rows(table) if "正式党员" in r]
        assert len(full) == 12
        probationary = rows(table)[row_of(table, "周预备")]
        assert "预备党员参加评议，不评定等次" in probationary
        assert any(HOSTILE_LINK in r for r in full)
        cap = screen.query_one("#cap", Static)
        assert str(cap.render()) == "优秀 0/4（上限为评定人数的三分之一）"

        await pilot.press("1", "1", "1", "1")
        assert str(cap.render()) == "优秀 4/4（上限为评定人数的三分之一）"
        await pilot.press("1")  # a fifth 优秀: refused with the service's words
        await pilot.pause()
        assert "评为优秀的最多 4 人，现为 5 人" in notes(app)
        assert str(cap.render()) == "优秀 4/4（上限为评定人数的三分之一）"
        await pilot.press(*["2"] * 8)
        assert table.cursor_row == row_of(table, "周预备")
        await pilot.press("2")
        await pilot.pause()
        assert "周预备是预备党员" in notes(app)
        assert "合格" not in rows(table)[row_of(table, "周预备")].replace("不评定", "")
        assert "已评定 12/12 人；未保存的修改 12 处" in str(
            screen.query_one("#count", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "已保存 12 人的评定等次" in notes(app)
        assert "未保存的修改 0 处" in str(screen.query_one("#count", Static).render())

    saved = {a.member_id: a.grade for a in w.svc.minutes.grades(w.secretary, w.branch_id, 2026)}
    assert len(saved) == 12 and w.probationary.member_id not in saved
    assert sum(g is Grade.EXCELLENT for g in saved.values()) == 4


async def test_appraisal_unsaved_grades_ask_before_leaving(world):
    w = world
    app = BranchApp(w.svc, w.secretary)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, AppraisalScreen(w.branch_id, 2026))
        screen = app.screen
        screen.query_one("#grades", DataTable).focus()
        await pilot.press("2", "escape")
        await pilot.pause()
        assert app.screen is screen and "没有保存" in notes(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


async def test_appraisal_of_a_sealed_year_asks_for_a_reason(world):
    """Issue 11, item 13: the 2025 round was sealed with its 组织生活会 (a hostile title);
    changing a grade today asks for a reason and saves it as an addendum."""
    w, svc = world, world.svc
    w.clock.current = datetime(2026, 1, 20, 9)
    svc.minutes.set_grades(w.secretary, w.branch_id, 2025,
                           {w.member.member_id: Grade.QUALIFIED})
    mtg = org_life(w, datetime(2026, 1, 23, 14), title=HOSTILE_LINK + "2025年度组织生活会[/]")
    svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    svc.meetings.seal(w.secretary, mtg.id)
    w.clock.current = NOW
    app = BranchApp(svc, w.secretary)
    async with app.run_test(size=(110, 40)) as pilot:
        await open_screen(pilot, AppraisalScreen(w.branch_id, 2025))
        screen = app.screen
        hint = str(screen.query_one("#hint", Static).render())
        assert "已随“" + HOSTILE_LINK + "2025年度组织生活会[/]”封存" in hint, hint
        table = screen.query_one("#grades", DataTable)
        table.focus()
        table.move_cursor(row=row_of(table, "孙党员"))
        await pilot.press("3", "ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert dialog is not screen, "no reason asked"
        await pilot.press("enter")  # empty: refused in the dialog
        await pilot.pause()
        assert app.screen is dialog
        assert "请填写更正理由" in str(dialog.query_one("#reason-error", Static).render())
        for ch in "复核更正[/]":
            await pilot.press(ch)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and app.is_running
        assert "已保存 1 人的评定等次" in notes(app)
    saved = {a.member_id: a.grade for a in svc.minutes.grades(w.secretary, w.branch_id, 2025)}
    assert saved[w.member.member_id] is Grade.BASIC
    from branchtui.store import models as m
    row = m.ChangeLog.get(m.ChangeLog.action == "appraisal.addendum")
    assert "复核更正[/]" in row.data


async def test_appraisal_in_english_is_read_only_for_the_organiser(world):
    w = world
    set_language("en")
    try:
        app = BranchApp(w.svc, w.organiser)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_screen(pilot, AppraisalScreen(w.branch_id, 2026))
            screen = app.screen
            cap = str(screen.query_one("#cap", Static).render())
            assert cap == "Excellent 0/4 (at most one third of those graded)"
            assert "Probationary: takes part, is not graded" in table_text(
                screen.query_one("#grades", DataTable))
            assert screen.check_action("grade", ()) is False
            descriptions = {b.binding.description for b in screen.active_bindings.values()}
            assert "Refresh" in descriptions and "刷新" not in descriptions
            screen.query_one("#grades", DataTable).focus()
            await pilot.press("1")
            await pilot.pause()
            assert "Excellent 0/4" in str(screen.query_one("#cap", Static).render())
            screen.action_grade("excellent")  # forced
            await pilot.pause()
            assert "Only the branch secretary or deputy can enter appraisal grades." in notes(app)
            assert app.is_running
    finally:
        set_language("zh")
