"""SVG snapshot tests of the main screens, in Chinese and in English.

The data is built through the real services on a temp-file SQLite with a FixedClock, so ids,
dates and "today" never change; names, titles and entries carry hostile text (markup, an
action link, long Chinese, full-width punctuation), which must show as plain text. Each
screen is reached through the real keys (F2/F3/F4/F6/F8/F1, Enter/a/m from the meetings
list), so the snapshots also pin the navigation.

Update after an intended change of the UI:
    uv run pytest tests/ui/test_snapshots.py --snapshot-update
and read the changed SVGs under tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    Grade,
    LeaveKind,
    Obligation,
)
from branchtui.i18n import set_language
from branchtui.services import FixedClock, Services, VoteDraft
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.appraisal import AppraisalScreen
from branchtui.ui.screens.attendance.screen import AttendanceScreen
from branchtui.ui.screens.help import HelpScreen
from branchtui.ui.screens.home import HomeScreen
from branchtui.ui.screens.meetings import MeetingsScreen
from branchtui.ui.screens.members import MemberDetailScreen, MembersScreen
from branchtui.ui.screens.mine import MineScreen
from branchtui.ui.screens.minutes.screen import MinutesScreen
from branchtui.ui.screens.orglife.tracker import RectificationScreen
from branchtui.ui.screens.record import RecordScreen
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK, LONG_ZH, NOW
from tests.factories import GAPS_REASON, World, build_world, draft

SIZE = (100, 32)
ORG_LIFE_AT = datetime(2026, 10, 20, 14, 0)
COMING_AT = datetime(2026, 12, 4, 14, 30)

RunBefore = Callable[[Pilot], Awaitable[None]]


@pytest.fixture(params=["zh", "en"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    """The UI language, set before the app is built; Chinese again afterwards."""
    set_language(request.param)
    yield request.param
    set_language("zh")


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    """A branch with a past 组织生活会 (problems, criticism, 整改 items, one overdue), last
    year's 民主评议 grades, today's open 主题党日 with speeches, attendance and a decision,
    and a planned 党课 next week with a pending leave request."""
    db = open_database(f"sqlite:///{tmp_path / 'snap.sqlite3'}")
    upgrade(db)
    clock = FixedClock(datetime(2026, 10, 1, 9, 0))
    svc = Services.create(db, clock)
    w = build_world(svc)
    ms, mins = svc.meetings, svc.minutes

    # Last month's 组织生活会, held and closed.
    org_life = ms.schedule(w.secretary, draft(
        w, ORG_LIFE_AT, Obligation.ORG_LIFE, Obligation.APPRAISAL,
        title="2026年度组织生活会" + FULLWIDTH + HOSTILE))
    clock.current = ORG_LIFE_AT
    ms.open(w.recorder, org_life.id)
    for who in (w.secretary, w.organiser, w.recorder, w.leader, w.member):
        ms.mark(w.recorder, org_life.id, who.member_id, AttendanceStatus.PRESENT)
    ms.mark(w.recorder, org_life.id, w.probationary.member_id, AttendanceStatus.LEAVE,
            reason="出差" + HOSTILE, leave_kind=LeaveKind.OFFICIAL)
    mins.add_problem(w.recorder, org_life.id, "理论学习不够系统" + FULLWIDTH + HOSTILE_LINK)
    mins.add_criticism(w.recorder, org_life.id, w.secretary.member_id, w.member.member_id,
                       "参加组织生活不够主动[/]，希望改进。")
    mins.create_rectification(w.recorder, org_life.id, LONG_ZH[:80] + HOSTILE,
                              "每月集中学习一次" + FULLWIDTH, w.member.member_id,
                              date(2026, 11, 15))
    mins.create_rectification(w.recorder, org_life.id, HOSTILE_LINK + "党费收缴不及时",
                              "建立党费收缴台账", w.secretary.member_id, date(2026, 12, 31))
    ms.close(w.recorder, org_life.id, gaps_reason=GAPS_REASON)

    # 民主评议 of last year (the round the F8 screen opens).
    mins.set_grades(w.secretary, w.branch_id, 2025, {
        w.secretary.member_id: Grade.EXCELLENT, w.member.member_id: Grade.QUALIFIED,
        w.leader.member_id: Grade.BASIC})

    # Today's 主题党日 (opened at NOW) and next week's 党课, scheduled a week ago.
    clock.current = datetime(2026, 11, 20, 9, 0)
    today_mtg = ms.schedule(w.secretary, draft(
        w, NOW, Obligation.THEME_DAY, title=HOSTILE_LINK + "主题党日：重温入党誓词[/]",
        agenda=(("学习文件" + HOSTILE, None), ("讨论决定事项" + FULLWIDTH, Act.GENERAL_DECISION))))
    coming = ms.schedule(w.secretary, draft(
        w, COMING_AT, Obligation.PARTY_LECTURE, title=LONG_ZH[:60] + HOSTILE))
    ms.request_leave(w.member, coming.id, LeaveKind.SICK, "腰椎手术后复查" + FULLWIDTH + HOSTILE)

    clock.current = NOW
    ms.open(w.recorder, today_mtg.id)
    for who in (w.secretary, w.organiser, w.recorder, w.member):
        ms.mark(w.recorder, today_mtg.id, who.member_id, AttendanceStatus.PRESENT)
    ms.mark(w.recorder, today_mtg.id, w.leader.member_id, AttendanceStatus.LEAVE,
            reason=FULLWIDTH + HOSTILE_LINK, leave_kind=LeaveKind.PERSONAL)
    item1, item2 = ms.record(w.recorder, today_mtg.id).meeting.agenda[:2]
    mins.add_speech(w.recorder, today_mtg.id, LONG_ZH + HOSTILE,
                    speaker_id=w.secretary.member_id, agenda_item_id=item1.id)
    mins.add_speech(w.recorder, today_mtg.id, FULLWIDTH + HOSTILE_LINK,
                    speaker_id=w.member.member_id, agenda_item_id=item1.id)
    mins.record_decision(w.recorder, today_mtg.id, VoteDraft(
        act=Act.GENERAL_DECISION, text="同意开展“三会一课”专项检查[/]", yes=4, no=0, abstain=0,
        agenda_item_id=item2.id))
    assert clock.current == NOW
    yield w
    db.close()


# -- helpers -----------------------------------------------------------------------------------


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message be handled."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def still(pilot: Pilot) -> None:
    """No blinking cursors: a screenshot must not depend on when it is taken."""
    for widget in pilot.app.screen.query(Input).results():
        widget.cursor_blink = False
    for area in pilot.app.screen.query(TextArea).results():
        area.cursor_blink = False


def steps(*keys: str, expect: type, focus: str | None = None,
          then: tuple[str, ...] = (), expect_then: type | None = None) -> RunBefore:
    """Press ``keys`` (settling after each), check the screen is ``expect``; optionally
    focus ``focus`` and press ``then``, landing on ``expect_then``."""

    async def run(pilot: Pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        assert isinstance(pilot.app.screen, expect), pilot.app.screen
        if focus is not None:
            pilot.app.screen.query_one(focus).focus()
            await settle(pilot)
        for key in then:
            await pilot.press(key)
            await settle(pilot)
        if expect_then is not None:
            assert isinstance(pilot.app.screen, expect_then), pilot.app.screen
        still(pilot)
        await settle(pilot)
        assert pilot.app.is_running

    return run


def check(snap_compare, app: BranchApp, run_before: RunBefore) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


# -- the screens -------------------------------------------------------------------------------


def test_home_secretary(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.secretary), steps(expect=HomeScreen))


def test_home_upper_level_viewer(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.viewer), steps(expect=HomeScreen))


def test_meetings_list(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.secretary),
          steps("f2", expect=MeetingsScreen, focus="#list"))


def test_attendance_sheet(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.recorder),
          steps("f2", expect=MeetingsScreen, focus="#list", then=("a",),
                expect_then=AttendanceScreen))


def test_live_minutes(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.recorder),
          steps("f2", expect=MeetingsScreen, focus="#list", then=("m",),
                expect_then=MinutesScreen))


def test_record_page(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.secretary),
          steps("f2", expect=MeetingsScreen, focus="#list", then=("enter",),
                expect_then=RecordScreen))


def test_members_roster(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.secretary),
          steps("f3", expect=MembersScreen, focus="#members-table"))


def test_member_detail(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.secretary),
          steps("f3", expect=MembersScreen, focus="#members-search",
                then=(*"dangyuan", "enter"), expect_then=MemberDetailScreen))


def test_rectification_tracker(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.secretary),
          steps("f4", expect=RectificationScreen))


def test_rectification_tracker_branch(snap_compare, world, lang):
    """The branch-wide tracker. No key reaches it from the app's navigation (F4 opens the
    actor's own items; OrgLifeScreen's `t` is the only caller and OrgLifeScreen itself is
    not wired), so the screen is pushed as OrgLifeScreen would push it."""

    async def run(pilot: Pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(RectificationScreen(world.branch_id))
        await settle(pilot)
        still(pilot)
        await settle(pilot)

    check(snap_compare, BranchApp(world.svc, world.secretary), run)


def test_appraisal(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.secretary),
          steps("f8", expect=AppraisalScreen))


def test_my_record_member(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.member), steps("f6", expect=MineScreen))


def test_help(snap_compare, world, lang):
    check(snap_compare, BranchApp(world.svc, world.secretary),
          steps("f1", expect=HelpScreen))


def test_world_is_on_the_fixed_clock(world):
    """The snapshots rely on it: 'today' is the fixed NOW, never the real date."""
    assert world.svc.ctx.clock.current == NOW
    assert world.svc.ctx.today() == NOW.date()
    assert isinstance(world.svc.ctx.clock, FixedClock)
