"""Live minutes through the keys, over the real services on a temp-file SQLite, with
hostile names and text: open → remarks → a decision judged live → close → review → record;
autosave surviving a killed app; a stale edit; English; 80x24."""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime

import pytest
from textual.widgets import DataTable, Input, OptionList, Static, TextArea

from branchtui.core.enums import Act, AttendanceStatus, MeetingStatus, Obligation
from branchtui.core.record_check import check_record
from branchtui.i18n import set_language
from branchtui.services import FixedClock, Services, VoteDraft
from branchtui.store.db import open_database, upgrade
from branchtui.ui.app import BranchApp
from branchtui.ui.screens.minutes import screen as minutes_mod
from branchtui.ui.screens.minutes.dialogs import CloseWithGaps, SpeechConflict
from branchtui.ui.screens.minutes.screen import MinutesScreen
from branchtui.ui.screens.record import RecordScreen, ReviewScreen
from branchtui.ui.widgets.member_picker import MemberPicker
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

START = datetime(2026, 11, 27, 9, 0)
SPEECH = FULLWIDTH + HOSTILE_LINK + LONG_ZH + HOSTILE


@pytest.fixture
def world(tmp_path, request):
    url = backend_url(request, tmp_path, "minutes.sqlite3")
    db = open_database(url)
    upgrade(db)
    svc = Services.create(db, FixedClock(NOW))
    w = build_world(svc, extra_full=24)  # 30 members with a vote, the admin included
    mtg = svc.meetings.schedule(w.secretary, draft(
        w, START, Obligation.GENERAL_MEETING, title=HOSTILE_LINK + "党员大会[/]",
        agenda=(("学习文件[/]", None), ("讨论决定事项" + HOSTILE, Act.GENERAL_DECISION))))
    w.url = url  # type: ignore[attr-defined]
    w.meeting = mtg  # type: ignore[attr-defined]
    yield w
    db.close()


def voters(w) -> list[int]:
    rec = w.svc.meetings.record(w.recorder, w.meeting.id)
    return [a.member_id for a in rec.attendance if a.can_vote]


def mark_present(w, n: int) -> None:
    """16 of the 30 voters present (the attendance screen's job; here the service)."""
    for mid in voters(w)[:n]:
        w.svc.meetings.mark(w.recorder, w.meeting.id, mid, AttendanceStatus.PRESENT)


def table_text(table: DataTable) -> str:
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i))
                     for i in range(table.row_count))


def static_text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def settle(app, pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def open_minutes(app, pilot, meeting_id: int) -> MinutesScreen:
    await settle(app, pilot)
    app.push_screen(MinutesScreen(meeting_id))
    await settle(app, pilot)
    assert isinstance(app.screen, MinutesScreen)
    return app.screen


async def type_into(pilot, text: str) -> None:
    await pilot.press(*text)


async def test_open_speak_decide_close_review_record_at_80x24(world):
    w = world
    app = BranchApp(w.svc, w.recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_minutes(app, pilot, w.meeting.id)
        head = static_text(screen, "#head")
        assert HOSTILE_LINK + "党员大会[/]" in head
        assert "主持人：张书记" in head and "记录人：赵记录[@click=app.quit]x[/]" in head
        assert "召集人：张书记" in head
        # Not open yet: no save key, the open key is there.
        keys = {b.binding.action for b in screen.active_bindings.values()}
        assert "open_meeting" in keys and "close_meeting" not in keys

        await pilot.press("f10")
        await pilot.pause()
        # The question says which keys answer it (the focus starts on the safe 取消).
        hint = str(app.screen.query_one(".hint", Static).render())
        assert "按 Y 确定" in hint and "Esc 取消" in hint, hint
        await pilot.press("y")
        await settle(app, pilot)
        assert w.svc.meetings.get(w.recorder, w.meeting.id).status is MeetingStatus.OPEN
        keys = {b.binding.action for b in screen.active_bindings.values()}
        assert "close_meeting" in keys and "open_meeting" not in keys
        mark_present(w, 16)

        # A remark on item 1: the speaker picked by typing part of a hostile name.
        assert screen.query_one("#speaker-input", Input).has_focus
        await type_into(pilot, "记录")
        await pilot.pause()
        options = screen.query_one("#speaker-list", OptionList)
        assert options.option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#speaker-input", Input).value == w.recorder.name
        area = screen.query_one("#speech-text", TextArea)
        assert area.has_focus
        await type_into(pilot, "我说")
        area.insert(SPEECH)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        speeches = screen.query_one("#speeches", DataTable)
        assert SPEECH in table_text(speeches).replace("我说", "")
        assert w.recorder.name in table_text(speeches)
        assert area.text == ""
        saved = w.svc.meetings.record(w.recorder, w.meeting.id).speeches
        assert [(s.speaker_id, s.text, s.agenda_item_id) for s in saved] == [
            (w.recorder.member_id, "我说" + SPEECH, w.meeting.agenda[0].id)]
        assert saved[0].spoken_at == NOW  # the server's clock

        # Item 2: a decision. 30 expected, 16 present, 15 yes: quorum met, not passed.
        await pilot.press("ctrl+down")
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert screen.query_one("#decision-text", TextArea).has_focus
        screen.query_one("#decision-text", TextArea).insert("同意开展志愿服务" + HOSTILE_LINK)
        assert "30" in static_text(screen, "#base") and "16" in static_text(screen, "#base")
        screen.query_one("#yes", Input).focus()
        await type_into(pilot, "15")
        await pilot.pause()
        verdict = static_text(screen, "#verdict")
        assert verdict.startswith("未通过")
        assert "赞成 15 票，未超过应到有表决权党员 30 人的半数（需 16 票）" in verdict
        # Live: one more yes and it passes; too many votes and it says so.
        await type_into(pilot, "0")
        await pilot.pause()
        assert "多于实到 16 人" in static_text(screen, "#verdict")
        await pilot.press("backspace", "backspace")
        await type_into(pilot, "6")
        await pilot.pause()
        assert static_text(screen, "#verdict").startswith("通过")
        await pilot.press("backspace")
        await type_into(pilot, "5")
        assert screen.query_one("#yes", Input).value == "15"
        screen.query_one("#no", Input).focus()
        await type_into(pilot, "1")
        # Follow-up owner by part of the name; a bad date first.
        screen.query_one("#owner-input", Input).focus()
        await type_into(pilot, "孙党")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#due", Input).has_focus
        await type_into(pilot, "2026-02-30")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert any("“2026-02-30”不是有效日期" in n for n in notes(app)), notes(app)
        assert w.svc.meetings.record(w.recorder, w.meeting.id).decisions == ()
        screen.query_one("#due", Input).value = "2026年12月31日"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        [d] = w.svc.meetings.record(w.recorder, w.meeting.id).decisions
        assert (d.yes, d.no, d.abstain, d.quorum_met, d.passed) == (15, 1, 0, True, False)
        assert d.follow_up_owner_id == w.member.member_id
        assert d.follow_up_due == date(2026, 12, 31)
        assert d.agenda_item_id == w.meeting.agenda[1].id
        assert "未通过" in table_text(screen.query_one("#decisions", DataTable))

        # Close: the record check in the confirmation names what is missing, and the
        # meeting closes only with a reason.
        await pilot.press("f10")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, CloseWithGaps), dialog
        gaps = "\n".join(str(g.render()) for g in dialog.query(".gap"))
        assert "有 15 人未登记出席情况" in gaps and "周预备" in gaps, gaps
        assert dialog.query_one("#gaps-reason", Input).has_focus
        await pilot.press("enter")  # no reason yet: refused in the dialog
        await pilot.pause()
        assert app.screen is dialog
        assert "请写明原因" in static_text(dialog, "#gaps-error")
        assert w.svc.meetings.get(w.recorder, w.meeting.id).status is MeetingStatus.OPEN
        await type_into(pilot, "其余人员会后补登")
        dialog.query_one("#gaps-reason", Input).insert_text_at_cursor(HOSTILE_LINK)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReviewScreen)
        check = w.svc.meetings.record(w.recorder, w.meeting.id).close_check
        assert check is not None and check.reason == "其余人员会后补登" + HOSTILE_LINK
        assert [f.code for f in check.findings] == ["unmarked"]
        findings = table_text(app.screen.query_one("#findings", DataTable))
        assert "人未登记出席情况" in findings  # 14 voters + 1 probationary unmarked
        assert "有 1 项议题没有发言记录" in findings
        assert "讨论决定事项" + HOSTILE in findings
        assert "没有指定跟进负责人" not in findings
        assert "发现" in static_text(app.screen, "#summary")

        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RecordScreen)
        rec = app.screen
        head = static_text(rec, "#head")
        for part in ("第1次", "主持人：张书记", "记录人：赵记录[@click=app.quit]x[/]",
                     "召集人：张书记", "社区党群服务中心", "校验链：完整", "会中记录占比：100%"):
            assert part in head, (part, head)
        # 应到 = 实到 + 请假 + 缺席 + 未登记, and the never marked are named as such.
        counts = static_text(rec, "#counts")
        assert "应到 31 人（正式 30 人、预备 1 人）；实到 16 人" in counts, counts
        assert "请假 0，缺席 0，未登记 15" in counts, counts
        absent = static_text(rec, "#absentees")
        assert "周预备（未登记）" in absent and absent.count("（未登记）") == 15, absent
        closing = static_text(rec, "#close-check")
        assert closing.startswith("结束时记录检查（2026-11-27") and "赵记录[@click" in closing
        assert "有 15 人未登记出席情况：" in closing, closing
        assert "结束时说明：其余人员会后补登" + HOSTILE_LINK in closing, closing
        assert "学习文件[/]" in static_text(rec, "#agenda")
        assert "我说" + SPEECH in table_text(rec.query_one("#speeches", DataTable))
        assert SPEECH in static_text(rec, "#speech-full")
        decisions = table_text(rec.query_one("#decisions", DataTable))
        assert "孙党员（老）" in decisions and "2026-12-31" in decisions
        assert "15/1/0" in decisions
        assert app.is_running


async def test_autosave_survives_a_killed_app(world):
    w = world
    w.svc.meetings.open(w.recorder, w.meeting.id)
    item = w.meeting.agenda[0].id
    key = f"speech:m={w.meeting.id}:i={item}"
    typed = "会上发言未保存" + HOSTILE_LINK
    app = BranchApp(w.svc, w.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_minutes(app, pilot, w.meeting.id)
        screen.query_one("#speech-text", TextArea).focus()
        await type_into(pilot, "会上")
        screen.query_one("#speech-text", TextArea).insert("发言未保存" + HOSTILE_LINK)
        await pilot.press("ctrl+t")
        assert screen.query_one("#decision-text", TextArea).has_focus
        screen.query_one("#decision-text", TextArea).insert("决议草稿[/]")
        # The timer saves within AUTOSAVE_SECONDS; nothing is saved as record.
        await pilot.pause(minutes_mod.AUTOSAVE_SECONDS + 0.5)
        await app.workers.wait_for_complete()
        got = w.svc.drafts.load(w.recorder, key)
        assert got is not None and got.text == typed
        assert w.svc.meetings.record(w.recorder, w.meeting.id).speeches == ()
        # Killed: the app ends without any save (as when the SSH connection drops).
        app.exit()

    # A new process, a new connection, a new app.
    svc2 = Services.create(open_database(w.url), FixedClock(NOW))
    app2 = BranchApp(svc2, w.recorder)
    async with app2.run_test(size=(100, 30)) as pilot:
        screen = await open_minutes(app2, pilot, w.meeting.id)
        assert screen.query_one("#speech-text", TextArea).text == typed
        assert screen.query_one("#decision-text", TextArea).text == "决议草稿[/]"
        assert any("已恢复" in n for n in notes(app2))
        # Saving the entry clears its draft.
        assert screen.query_one("#speaker-input", Input).has_focus
        await type_into(pilot, "孙")
        await pilot.press("enter", "ctrl+s")
        await settle(app2, pilot)
        assert svc2.drafts.load(w.recorder, key) is None
        [s] = svc2.meetings.record(w.recorder, w.meeting.id).speeches
        assert s.text == typed and s.speaker_id == w.member.member_id
        # Nothing typed since: the timer must not bring the draft back.
        await pilot.pause(minutes_mod.AUTOSAVE_SECONDS + 0.5)
        await app2.workers.wait_for_complete()
        assert svc2.drafts.load(w.recorder, key) is None
        assert svc2.drafts.load(w.recorder, f"decision:m={w.meeting.id}:i={item}") is not None


async def test_quitting_right_after_typing_keeps_the_text(world, monkeypatch):
    """Ctrl+Q (or a hang-up, which makes the app exit the same way) before the autosave
    timer: what was typed since the last save is saved on the way out."""
    monkeypatch.setattr(minutes_mod, "AUTOSAVE_SECONDS", 3600.0)  # the timer never runs
    w = world
    w.svc.meetings.open(w.recorder, w.meeting.id)
    key = f"speech:m={w.meeting.id}:i={w.meeting.agenda[0].id}"
    app = BranchApp(w.svc, w.recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_minutes(app, pilot, w.meeting.id)
        screen.query_one("#speech-text", TextArea).focus()
        screen.query_one("#speech-text", TextArea).insert(HOSTILE_LINK + "（完）")
        await type_into(pilot, "最后一句")
        assert w.svc.drafts.load(w.recorder, key) is None
        await pilot.press("ctrl+q")
    deadline = time.monotonic() + 5
    while (got := w.svc.drafts.load(w.recorder, key)) is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert got is not None and got.text == HOSTILE_LINK + "（完）最后一句", got


async def test_a_hang_up_saves_what_no_autosave_has_saved_yet(world, monkeypatch):
    """On a hang-up the process ends without unmounting anything (cli._exit_on_hangup),
    after BranchApp.save_before_exit, from a thread of its own: it saves what was typed
    since the last autosave, and the text an autosave worker had taken but not saved yet
    (that worker dies with the process)."""
    monkeypatch.setattr(minutes_mod, "AUTOSAVE_SECONDS", 3600.0)  # the timer never runs
    w = world
    w.svc.meetings.open(w.recorder, w.meeting.id)
    item = w.meeting.agenda[0].id
    speech, decision = f"speech:m={w.meeting.id}:i={item}", f"decision:m={w.meeting.id}:i={item}"
    app = BranchApp(w.svc, w.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_minutes(app, pilot, w.meeting.id)
        screen.query_one("#speech-text", TextArea).insert("交给了自动保存" + HOSTILE)
        await pilot.pause()
        # An autosave takes the text, but its worker does not get to run before the end.
        never_run: list[object] = []
        monkeypatch.setattr(app, "run_worker", lambda work, **_kw: never_run.append(work))
        screen._flush()
        assert never_run and w.svc.drafts.load(w.recorder, speech) is None
        await pilot.press("ctrl+t")
        screen.query_one("#decision-text", TextArea).insert("还没有自动保存[/]")
        await pilot.pause()
        await asyncio.to_thread(app.save_before_exit)
        got = w.svc.drafts.load(w.recorder, speech), w.svc.drafts.load(w.recorder, decision)
        assert [d.text if d else None for d in got] == ["交给了自动保存" + HOSTILE,
                                                         "还没有自动保存[/]"]


@on_both_backends
async def test_stale_speech_edit_keeps_my_text_and_lets_me_choose(world):
    w = world
    svc = w.svc
    svc.meetings.open(w.recorder, w.meeting.id)
    item = w.meeting.agenda[0].id
    sp = svc.minutes.add_speech(w.secretary, w.meeting.id, "原文", speaker_id=w.member.member_id,
                                agenda_item_id=item)
    app = BranchApp(svc, w.recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_minutes(app, pilot, w.meeting.id)
        await pilot.press("ctrl+o")
        await pilot.pause()
        area = screen.query_one("#speech-text", TextArea)
        assert area.text == "原文" and area.has_focus
        assert "正在修改" in static_text(screen, "#speech-mode")
        area.load_text("我的修改" + HOSTILE_LINK)
        # Meanwhile the secretary saves a change from another session.
        svc.minutes.edit_speech(w.secretary, sp.id, "书记的修改[/]", sp.version)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SpeechConflict)
        assert "书记的修改[/]" in static_text(app.screen, "#clash-theirs")
        assert "我的修改" + HOSTILE_LINK in static_text(app.screen, "#clash-mine")
        await pilot.press("escape")  # keep editing
        await settle(app, pilot)
        assert app.screen is screen
        assert area.text == "我的修改" + HOSTILE_LINK
        assert svc.meetings.record(w.recorder, w.meeting.id).speeches[0].text == "书记的修改[/]"

        # Another change lands; this time overwrite with mine.
        svc.minutes.edit_speech(w.secretary, sp.id, "再次修改", 2)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SpeechConflict)
        assert "再次修改" in static_text(app.screen, "#clash-theirs")
        await pilot.click("#overwrite")
        await settle(app, pilot)
        [s] = svc.meetings.record(w.recorder, w.meeting.id).speeches
        assert s.text == "我的修改" + HOSTILE_LINK and s.version == 4
        assert screen.editing is None

        # Take theirs: my text is dropped, theirs stays.
        await pilot.press("ctrl+o")
        await pilot.pause()
        area.load_text("不要的修改")
        svc.minutes.edit_speech(w.secretary, sp.id, "书记定稿", 4)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.click("#theirs")
        await settle(app, pilot)
        [s] = svc.meetings.record(w.recorder, w.meeting.id).speeches
        assert s.text == "书记定稿" and screen.editing is None and area.text == ""
        assert app.is_running


async def test_member_can_read_but_not_write(world):
    w = world
    w.svc.meetings.open(w.recorder, w.meeting.id)
    app = BranchApp(w.svc, w.member)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_minutes(app, pilot, w.meeting.id)
        actions = {b.binding.action for b in screen.active_bindings.values()}
        assert not actions & {"save", "close_meeting", "open_meeting", "edit_speech"}
        assert "只有记录人" in static_text(screen, "#speech-mode")
        assert screen.query_one("#speech-text", TextArea).read_only
        screen.action_save()  # forced
        await pilot.pause()
        assert any("只有记录人、主持人或支部书记" in n for n in notes(app))
        assert w.svc.meetings.record(w.member, w.meeting.id).speeches == ()


async def test_english_wide_layout_and_guest_speaker(world):
    w = world
    w.svc.meetings.open(w.recorder, w.meeting.id)
    w.svc.meetings.add_guest(w.recorder, w.meeting.id, "王主任" + HOSTILE, "街道党工委",
                             "指导工作")
    mark_present(w, 20)
    set_language("en")
    try:
        app = BranchApp(w.svc, w.recorder)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_minutes(app, pilot, w.meeting.id)
            assert screen.has_class("-wide")
            assert "Moderator: 张书记" in static_text(screen, "#head")
            descriptions = {b.binding.description for b in screen.active_bindings.values()}
            assert "Save" in descriptions and "保存" not in descriptions
            await type_into(pilot, "王")
            await pilot.pause()
            assert "guest" in str(screen.query_one("#speaker-list", OptionList)
                                  .get_option_at_index(0).prompt)
            await pilot.press("enter")
            screen.query_one("#speech-text", TextArea).insert("Remarks [b]not bold[/b]")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            [s] = w.svc.meetings.record(w.recorder, w.meeting.id).speeches
            assert s.speaker_id is None and s.speaker_name == "王主任" + HOSTILE
            await pilot.press("ctrl+down", "ctrl+t")
            await settle(app, pilot)
            screen.query_one("#yes", Input).value = "16"
            await pilot.pause()
            assert static_text(screen, "#verdict").startswith("Passed: 16 yes votes")
            await pilot.press("ctrl+r")
            await settle(app, pilot)
            assert isinstance(app.screen, RecordScreen)
            assert "Moderator: 张书记" in static_text(app.screen, "#head")
            assert "王主任" + HOSTILE in table_text(app.screen.query_one("#guests", DataTable))
    finally:
        set_language("zh")


def test_every_minutes_message_exists_in_both_languages():
    import re
    from pathlib import Path

    from branchtui.core import record_check
    from branchtui.i18n.messages import ui_minutes

    assert set(ui_minutes.ZH) == set(ui_minutes.EN)
    root = Path(minutes_mod.__file__).parent  # the minutes package, in ui/screens
    used = set()
    for path in (*root.glob("*.py"), root.parent / "record.py"):
        used |= set(re.findall(r"ui_minutes\.[a-z_.]+[a-z]", path.read_text()))
    used = {k for k in used if not k.endswith(("cmd", "check"))}
    for name in ("save", "toggle", "speeches", "decisions", "edit", "move", "delete",
                 "prev_item", "next_item", "open", "close", "review", "record"):
        used |= {f"ui_minutes.cmd_{name}", f"ui_minutes.cmd_{name}_help"}
    codes = set(re.findall(r'add\("([a-z_]+)"', Path(record_check.__file__).read_text()))
    assert len(codes) >= 15
    used |= {f"ui_minutes.check.{c}" for c in codes}
    missing = sorted(k for k in used if k not in ui_minutes.ZH)
    assert not missing, missing


async def test_a_fast_typist_keeps_every_key_after_picking_the_speaker(world):
    """The recorder types part of a name, Enter, and goes straight on with the remark:
    all the keys are in the app's queue before the pick has moved the focus. The keys
    after Enter belong to the remark, not to the speaker field (they used to land there,
    turning the picked name into "孙党员我说[/]")."""
    from textual import events

    w = world
    w.svc.meetings.open(w.recorder, w.meeting.id)
    app = BranchApp(w.svc, w.recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_minutes(app, pilot, w.meeting.id)
        assert screen.query_one("#speaker-input", Input).has_focus
        burst = ["孙", "enter", *"我说[/]，好。"]
        for key in burst:  # no pause in between: as fast as a terminal delivers them
            char = key if len(key) == 1 else ("\r" if key == "enter" else None)
            app.post_message(events.Key(key, char))
        await settle(app, pilot)
        assert screen.query_one("#speaker-input", Input).value == w.member.name
        picker = screen.query_one("#speaker", MemberPicker)
        assert picker.chosen == (w.member.member_id, w.member.name)
        assert not picker.has_class("-open")  # the list of matches for "孙" stays closed
        area = screen.query_one("#speech-text", TextArea)
        assert area.has_focus
        assert area.text == "我说[/]，好。"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        [s] = w.svc.meetings.record(w.recorder, w.meeting.id).speeches
        assert (s.speaker_id, s.text) == (w.member.member_id, "我说[/]，好。")


def complete_record(w) -> None:
    """Everything the record must have: every member marked, a remark on each item, the
    decision on the act."""
    svc, mid = w.svc, w.meeting.id
    for a in svc.meetings.record(w.recorder, mid).attendance:
        svc.meetings.mark(w.recorder, mid, a.member_id, AttendanceStatus.PRESENT)
    for item in w.meeting.agenda:
        svc.minutes.add_speech(w.recorder, mid, "发言" + HOSTILE, speaker_id=w.member.member_id,
                               agenda_item_id=item.id)
    svc.minutes.record_decision(w.recorder, mid, VoteDraft(
        Act.GENERAL_DECISION, "同意", 20, 0, 0, agenda_item_id=w.meeting.agenda[1].id))


@on_both_backends
async def test_a_complete_record_closes_with_the_plain_confirmation(world):
    """Issue 11, item 12: nothing missing, nothing to explain. And when the record loses
    something between the check and the yes (an absence marked elsewhere), the close is
    refused and the gaps as they are now are shown instead."""
    w = world
    w.svc.meetings.open(w.recorder, w.meeting.id)
    complete_record(w)
    app = BranchApp(w.svc, w.recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_minutes(app, pilot, w.meeting.id)
        await pilot.press("f10")
        await settle(app, pilot)
        assert isinstance(app.screen, minutes_mod.Confirm)
        assert "没有发现必须补充的内容" in static_text(app.screen, "Static")
        # Meanwhile the secretary marks someone absent, without a reason.
        w.svc.meetings.mark(w.secretary, w.meeting.id, w.member.member_id,
                            AttendanceStatus.ABSENT)
        await pilot.press("y")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, CloseWithGaps), dialog
        gaps = "\n".join(str(g.render()) for g in dialog.query(".gap"))
        assert "请假或缺席的党员未写明原因：孙党员（老）" in gaps, gaps
        assert "发言人被登记为请假或缺席：孙党员（老）" in gaps, gaps
        assert w.svc.meetings.get(w.recorder, w.meeting.id).status is MeetingStatus.OPEN
        await pilot.press("escape")  # back to complete the record
        await settle(app, pilot)
        assert app.screen is screen
        w.svc.meetings.mark(w.secretary, w.meeting.id, w.member.member_id,
                            AttendanceStatus.PRESENT)
        await pilot.press("f10")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, ReviewScreen)
        check = w.svc.meetings.record(w.recorder, w.meeting.id).close_check
        assert check is not None and check.findings == () and check.reason == ""
        assert app.is_running


async def test_the_close_check_in_english_with_a_long_list_at_80x24(world):
    w = world
    w.svc.meetings.open(w.recorder, w.meeting.id)
    w.svc.minutes.add_speech(w.recorder, w.meeting.id, "x", speaker_id=w.member.member_id)
    w.svc.meetings.mark(w.recorder, w.meeting.id, w.member.member_id, AttendanceStatus.ABSENT,
                        reason=FULLWIDTH)
    set_language("en")
    try:
        app = BranchApp(w.svc, w.recorder)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_minutes(app, pilot, w.meeting.id)
            await pilot.press("f10")
            await settle(app, pilot)
            dialog = app.screen
            assert isinstance(dialog, CloseWithGaps)
            gaps = [str(g.render()) for g in dialog.query(".gap")]
            assert gaps[0].startswith("· 30 member(s) with no attendance mark: 管理员, ")
            assert any("speaker(s) marked on leave or absent: 孙党员（老）" in g for g in gaps)
            assert any("讨论决定事项" + HOSTILE in g for g in gaps), gaps
            # The reason field and both buttons are on the 24 lines.
            for selector in ("#gaps-reason", "#gaps-close", "#gaps-back"):
                region = dialog.query_one(selector).region
                assert region.height and region.bottom <= 24, (selector, region)
            await pilot.click("#gaps-close")
            await pilot.pause()
            assert "Give the reason" in static_text(dialog, "#gaps-error")
            await pilot.click("#gaps-back")
            await settle(app, pilot)
            assert app.screen is screen
            assert w.svc.meetings.get(w.recorder, w.meeting.id).status is MeetingStatus.OPEN
            assert app.is_running
    finally:
        set_language("zh")


@on_both_backends
async def test_move_and_delete_a_remark_by_keys(world):
    """Issue 11, item 11: a remark entered under a member marked 缺席 goes to its real
    speaker (Ctrl+G), a duplicate goes out of the record (Ctrl+D, after a yes); both are
    in the chain, and the record check no longer flags the absent speaker."""
    w, svc, mid = world, world.svc, world.meeting.id
    svc.meetings.open(w.recorder, mid)
    svc.meetings.mark(w.recorder, mid, w.member.member_id, AttendanceStatus.ABSENT,
                      reason="未请假" + HOSTILE)
    item = w.meeting.agenda[0].id
    first = svc.minutes.add_speech(w.recorder, mid, "第一条" + SPEECH,
                                   speaker_id=w.member.member_id, agenda_item_id=item)
    svc.minutes.add_speech(w.recorder, mid, "重复录入" + HOSTILE_LINK,
                           speaker_id=w.leader.member_id, agenda_item_id=item)
    app = BranchApp(svc, w.recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_minutes(app, pilot, mid)
        actions = {b.binding.action for b in screen.active_bindings.values()}
        assert {"move_speech", "delete_speech"} <= actions
        palette = [name for name, _help, _call in screen.palette_commands()]
        assert "更换发言人 Change speaker" in palette and "删除发言 Delete remark" in palette
        table = screen.query_one("#speeches", DataTable)

        table.move_cursor(row=0)
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, minutes_mod.MoveSpeech), dialog
        assert "孙党员（老）：第一条" in static_text(dialog, "#move-what")
        await type_into(pilot, "组长")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen
        speeches = svc.meetings.record(w.recorder, mid).speeches
        assert [(s.speaker_name, s.text) for s in speeches] == [
            ("钱组长", "第一条" + SPEECH), ("钱组长", "重复录入" + HOSTILE_LINK)]
        assert any("已改记到 钱组长 名下" in n for n in notes(app)), notes(app)

        # Ctrl+D from the text being typed: the remark under the cursor, after a yes.
        table.move_cursor(row=1)
        screen.query_one("#speech-text", TextArea).focus()
        await pilot.press("ctrl+d")
        await settle(app, pilot)
        question = app.screen
        assert isinstance(question, minutes_mod.Confirm)
        asked = static_text(question, "Static")
        assert "删除 钱组长" in asked and "重复录入" + HOSTILE_LINK in asked, asked
        await pilot.press("n")
        await settle(app, pilot)
        assert len(svc.meetings.record(w.recorder, mid).speeches) == 2
        table.move_cursor(row=1)
        await pilot.press("ctrl+d")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        rec = svc.meetings.record(w.recorder, mid)
        assert [s.id for s in rec.speeches] == [first.id]
        assert "重复录入" not in table_text(table)
        assert any("已删除 钱组长 的一条发言" in n for n in notes(app)), notes(app)
        assert "speaker_absent" not in {f.code for f in check_record(rec)}
        assert rec.chain_ok

        # A guest's name as typed, hostile text and all; Escape changes nothing.
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        app.screen.query_one("#move-to-input", Input).value = "王主任" + HOSTILE_LINK
        await pilot.click("#move-ok")
        await settle(app, pilot)
        [s] = svc.meetings.record(w.recorder, mid).speeches
        assert (s.speaker_id, s.speaker_name) == (None, "王主任" + HOSTILE_LINK)
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen and svc.meetings.record(w.recorder, mid).speeches == (s,)
        assert app.is_running

        # The help lists both keys.
        await pilot.press("f1")
        await settle(app, pilot)
        helped = table_text(app.screen.query_one("#help-table", DataTable))
        assert "更换发言人" in helped and "删除发言" in helped, helped


async def test_a_stale_delete_shows_the_newer_remark(world):
    w, svc, mid = world, world.svc, world.meeting.id
    svc.meetings.open(w.recorder, mid)
    sp = svc.minutes.add_speech(w.recorder, mid, "原文", speaker_id=w.member.member_id,
                                agenda_item_id=w.meeting.agenda[0].id)
    app = BranchApp(svc, w.recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_minutes(app, pilot, mid)
        await pilot.press("ctrl+d")
        await settle(app, pilot)
        # Meanwhile the secretary changes it: the delete is refused, the change shown.
        svc.minutes.edit_speech(w.secretary, sp.id, "书记改过[/]", sp.version)
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is screen
        assert any("已被他人修改" in n for n in notes(app)), notes(app)
        assert "书记改过[/]" in table_text(screen.query_one("#speeches", DataTable))
        assert [x.text for x in svc.meetings.record(w.recorder, mid).speeches] == ["书记改过[/]"]
