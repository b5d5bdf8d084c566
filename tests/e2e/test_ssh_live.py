"""End to end over SSH, two people at once: a recorder and a member, each with the real
``ssh`` client on a pseudo-terminal of its own, against ``branchtui serve``, on one open
meeting. What each of them sees is read from a terminal emulator fed with their ssh
output (tests/e2e/vt.py), never from the app's insides; everything they do is keys.

Also: a recorder whose connection dies in the middle of typing (the ssh client is
SIGKILLed) finds the text again at the next login."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from branchtui.core.enums import AttendanceStatus, MarkMethod
from branchtui.i18n import enum_label, t
from branchtui.services import Services
from branchtui.store.db import open_database, upgrade
from tests.conftest import HOSTILE, HOSTILE_LINK
from tests.e2e.test_ssh import Gateway, Terminal, keygen, ssh_argv, start_gateway
from tests.e2e.vt import Screen
from tests.factories import World, build_world, draft

pytestmark = pytest.mark.slow

F2, F6 = b"\x1bOQ", b"\x1b[17~"
ENTER, ESC, CTRL_Q, CTRL_S = b"\r", b"\x1b", b"\x11", b"\x13"
# What the recorder types: markup, an action link, full-width punctuation, Chinese.
SPEECH = f"（一）{HOSTILE}关于“三会一课”：{HOSTILE_LINK}已完成！？；"
TITLE = "主题党日：学习“三会一课”制度[b]"
# The meetings list's footer (its key M): the list is up, not the home screen, which
# shows the same meeting among the coming ones.
MEETINGS_LIST = f"m {t('ui_meetings.key_minutes')}"


class Tty(Terminal):
    """An ssh client on a pty, with a screen that follows what it draws."""

    def __init__(self, name: str, argv: list[str], cols: int, rows: int) -> None:
        # A terminal type as a terminal emulator sets it (CI may have none).
        env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8"}
        super().__init__(argv, cols=cols, rows=rows, env=env)
        self.name = name
        self.screen = Screen(cols, rows)
        self._fed = 0

    def look(self) -> Screen:
        self.pump(0)
        self.screen.feed(self.buf[self._fed:])
        self._fed = len(self.buf)
        return self.screen

    def dump(self) -> str:
        return f"--- {self.name}'s screen ---\n{self.look().text()}"

    def wait_screen(self, check: str | Callable[[Screen], bool], timeout: float = 15,
                    *also: Tty) -> float:
        """Pump until ``check`` holds for what is on the screen (a string: on one of its
        lines); the seconds it took. On failure, the screens say what was there instead."""
        test = (lambda s: check in s) if isinstance(check, str) else check
        t0 = time.monotonic()
        end = t0 + timeout
        while not test(self.look()):
            if time.monotonic() > end or self.eof:
                others = "\n".join(o.dump() for o in also)
                raise AssertionError(f"{self.name}: {check!r} not on the screen after "
                                     f"{time.monotonic() - t0:.1f}s\n{self.dump()}\n{others}")
            self.pump(0.05)
        return time.monotonic() - t0

    def type(self, text: str) -> None:
        self.send(text.encode())


def signin_word(key: str) -> str:
    """The attendance sheet's head ends with "本人签到：<on or off>"."""
    head = t("ui_attendance.head", title="", number="", start="", place="", status="",
             signin=t(key))
    return head.split("｜")[-1].strip()


def row_has(name: str, *words: str) -> Callable[[Screen], bool]:
    """The screen line that names ``name`` also shows each of ``words``."""
    def check(s: Screen) -> bool:
        return any(name in line and all(w in line for w in words) for line in s.lines())
    return check


@dataclass
class Site:
    url: str
    world: World
    meeting_id: int
    gateway: Gateway
    keys: dict[str, Path]

    def login(self, who: str, cols: int = 120, rows: int = 40) -> Tty:
        return Tty(who, ssh_argv(self.keys[who], self.gateway.port, "-tt"), cols, rows)


def open_site(url: str, tmp: Path, *options: str) -> Iterator[Site]:
    """A branch on ``url`` with one meeting open now (self sign-in off), keys for the
    recorder and a member, and a gateway (with ``options``). The app's clock is the real
    one."""
    db = open_database(url)
    upgrade(db)
    svc = Services.create(db)
    w = build_world(svc, extra_full=2)
    now = svc.ctx.now(w.branch_id).replace(second=0)  # the branch's wall time, as the app's
    mtg = svc.meetings.schedule(w.secretary, replace(draft(w, now, title=TITLE),
                                                     allow_self_signin=False))
    svc.meetings.open(w.recorder, mtg.id)
    keys = {}
    for who, actor in (("recorder", w.recorder), ("member", w.member)):
        keys[who] = keygen(tmp / who)
        svc.roster.add_key(w.secretary, actor.member_id, (tmp / f"{who}.pub").read_text())
    gw = start_gateway(url, tmp / "host_key", *options)
    try:
        yield Site(url, w, mtg.id, gw, keys)
    finally:
        gw.stop()
        db.close()


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    url = (f"sqlite:///{tmp_path / 'live.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_schema"))
    yield from open_site(url, tmp_path)


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[Site]:
    yield from open_site(f"sqlite:///{tmp_path / 'drop.sqlite3'}", tmp_path)


def recorder_opens_minutes(rec: Tty, w: World) -> None:
    """Home, F2 (the meetings list), M (the minutes of the meeting under the cursor),
    then the speaker picked by typing part of the name and Enter. (Keys typed ahead of
    the focus moving to the text area would still land in the speaker field, as they
    would for a person typing faster than the screen: the test waits as a person does.)"""
    rec.wait_screen(f"{w.recorder.name} ｜")
    rec.send(F2)
    rec.wait_screen(MEETINGS_LIST)
    rec.send(b"m")
    rec.wait_screen(t("ui_minutes.save_hint"))
    rec.type("孙党\r")
    # Picked: the name fills the speaker field and the text area has the focus.
    rec.wait_screen(row_has(t("field.speaker"), w.member.name))


def quit_all(*ttys: Tty) -> None:
    """Ctrl+Q in every session at once; each ends with status 0."""
    for tty in ttys:
        tty.send(CTRL_Q)
    for tty in ttys:
        assert tty.finish() == 0, tty.dump()


def test_a_member_sees_the_recorders_remark_appear_live(site: Site) -> None:
    w = site.world
    member = site.login("member", cols=140, rows=50)
    rec = site.login("recorder")
    try:
        # The member: my record (F6), Enter on the meeting under way: its record page.
        member.wait_screen(f"{w.member.name} ｜", 15, rec)
        member.send(F6)
        member.wait_screen(t("ui_mine.no_self_sign_in"), 15, rec)
        member.send(ENTER)
        member.wait_screen(lambda s: t("ui.record_speeches") in s and TITLE in s, 15, rec)

        # The recorder writes a remark with hostile text and saves it with Ctrl+S.
        recorder_opens_minutes(rec, w)
        rec.type(SPEECH)
        rec.wait_screen(SPEECH, 10, member)
        sent = time.monotonic()
        rec.send(CTRL_S)
        rec.wait_screen(t("ui_minutes.speech_saved", name=w.member.name), 10, member)

        # The member's record page shows it, as typed, without a key pressed.
        member.wait_screen(row_has(w.member.name, SPEECH), 10, rec)
        took = time.monotonic() - sent
        print(f"\n[{site.url.split(':')[0]}] the remark on the member's screen {took:.2f}s "
              "after Ctrl+S")
        assert took < 5, f"took {took:.2f}s\n{member.dump()}"
        # Nothing in the text acted (the link is text, not a link): both apps still run.
        assert member.proc.poll() is None and rec.proc.poll() is None
        quit_all(member, rec)
    finally:
        member.close()
        rec.close()


def test_the_recorder_allows_self_sign_in_and_sees_the_member_sign_in(site: Site) -> None:
    w = site.world
    member = site.login("member")
    rec = site.login("recorder")
    try:
        # The member's my record (F6): the meeting is under way, self sign-in is off.
        member.wait_screen(f"{w.member.name} ｜", 15, rec)
        member.send(F6)
        member.wait_screen(t("ui_mine.no_self_sign_in"), 15, rec)

        # The recorder: F2, A (the attendance sheet); S allows self sign-in.
        rec.wait_screen(f"{w.recorder.name} ｜", 15, member)
        rec.send(F2)
        rec.wait_screen(MEETINGS_LIST, 10, member)
        rec.send(b"a")
        rec.wait_screen(signin_word("ui_attendance.signin_off"), 10, member)
        rec.wait_screen(row_has(w.member.name, t("ui_attendance.unmarked")), 10, member)
        rec.send(b"s")
        rec.wait_screen(signin_word("ui_attendance.signin_on"), 10, member)

        # The member's page says so without a key pressed; S signs in, in large words.
        member.wait_screen(t("ui_mine.can_sign_in"), 10, rec)
        member.send(b"s")
        member.wait_screen(lambda s: t("ui_mine.signed_ok_big") in s
                           or t("ui_mine.signed_late_big") in s, 10, rec)

        # The recorder's sheet shows it, as the member's own sign-in, without a key.
        present = enum_label(AttendanceStatus.PRESENT)
        rec.wait_screen(row_has(w.member.name, present, enum_label(MarkMethod.SELF)), 10,
                        member)
        quit_all(member, rec)
    finally:
        member.close()
        rec.close()


def test_a_dropped_connection_keeps_what_the_recorder_typed(sqlite_site: Site) -> None:
    site = sqlite_site
    w = site.world
    svc = w.svc
    item = svc.meetings.record(w.recorder, site.meeting_id).meeting.agenda[0]
    key = f"speech:m={site.meeting_id}:i={item.id}"
    part_a = f"第一段：{HOSTILE}支部书记传达了上级精神，{HOSTILE_LINK}大家认真学习。"
    part_b = "第二段：刚刚打的字"

    rec = site.login("recorder")
    try:
        recorder_opens_minutes(rec, w)
        rec.type(part_a)
        rec.wait_screen(part_a[:20])
        # The draft is saved every two seconds while typing, with no key to press.
        deadline = time.monotonic() + 10
        saved = None
        while time.monotonic() < deadline:
            saved = svc.drafts.load(w.recorder, key)
            if saved is not None and saved.text == part_a:
                break
            rec.pump(0.2)
        assert saved is not None and saved.text == part_a, (saved, rec.dump())
        rec.send(ENTER)  # a new line in the text area
        rec.type(part_b)
        rec.wait_screen(part_b)
        # The connection dies: the ssh client is killed, nothing is closed cleanly.
        rec.proc.send_signal(signal.SIGKILL)
        rec.proc.wait(5)
    finally:
        rec.close()

    # The gateway notices, hangs up the app process, and the process is gone.
    me = w.recorder.member_id
    log_pattern = rf"session member={me} login=jilu .* end=client closed"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not re.search(log_pattern, site.gateway.log_text()):
        time.sleep(0.1)
    log = site.gateway.log_text()
    assert re.search(log_pattern, log), log
    pid = int(re.findall(rf"start member={me} login=jilu \S+ pid=(\d+)", log)[-1])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    # What was typed is in the database, but for at most the last seconds of it.
    saved = svc.drafts.load(w.recorder, key)
    assert saved is not None
    typed = f"{part_a}\n{part_b}"
    assert saved.text.startswith(part_a) and typed.startswith(saved.text), saved.text
    print(f"\nsaved after the drop: {len(saved.text)} of {len(typed)} characters")

    # The next login: the minutes screen brings the text back and says so.
    again = site.login("recorder")
    try:
        again.wait_screen(f"{w.recorder.name} ｜")
        again.send(F2)
        again.wait_screen(MEETINGS_LIST)
        again.send(b"m")
        again.wait_screen(t("ui_minutes.drafts_restored", n=1))
        again.wait_screen(part_a[:20])
        again.send(CTRL_Q)
        assert again.finish() == 0, again.dump()
    finally:
        again.close()
