"""The gateway's bookkeeping without a network: the open-files limit, the refusal log's
rate limit (a fake clock), accept() failures, and whom a newcomer at the cap displaces.
End to end with the real ssh client: tests/e2e/test_gateway_limits.py."""

from __future__ import annotations

import errno
import logging
import resource
import subprocess
import sys

import pytest

from branchtui.serve import (
    LOG_DETAIL_LINES,
    Gateway,
    RefusalLog,
    raise_open_files_limit,
)


def test_the_soft_open_files_limit_is_raised_to_the_hard_one() -> None:
    """In a process of its own, started with a soft limit of 256 (the default of 1,024 is
    what 1,100 silent connections used up)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 256:
        pytest.skip(f"the hard limit ({hard}) leaves nothing to raise")

    def low() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

    code = ("import resource; from branchtui.serve import raise_open_files_limit as r; "
            "print(*r(), *resource.getrlimit(resource.RLIMIT_NOFILE))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, preexec_fn=low, timeout=60)
    before, after, soft, hard_seen = map(int, out.stdout.split())
    assert before == 256
    assert after == soft > 256
    assert soft == hard_seen or hard_seen == resource.RLIM_INFINITY
    # Already at the hard limit: nothing changes.
    now = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert raise_open_files_limit()[1] >= now


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_refusal_log_writes_a_few_lines_then_one_summary_per_period(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    logger = logging.getLogger("test.refusals")
    refusals = RefusalLog(logger, period=5.0, detail=3, clock=clock)
    with caplog.at_level(logging.INFO, logger="test.refusals"):
        for i in range(400):
            refusals.note("cap", "refused connection %d", i)
            clock.now += 0.01  # 400 refusals in 4 s
        for i in range(12):
            refusals.note("member", "refused member %d", i)
        assert [r.getMessage() for r in caplog.records] == [
            "refused connection 0", "refused connection 1", "refused connection 2"]
        assert refusals.due() == 1005.0
        clock.now = 1005.5
        refusals.flush()  # the timer's call at the end of the period
    messages = [r.getMessage() for r in caplog.records]
    assert messages[3:] == ["refused 412 connections in the last 6 s: 400 over the "
                            "unauthenticated cap, 12 over a member's limit"]
    assert refusals.due() is None
    # A new period: lines in full again; a period without left-out lines has no summary.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="test.refusals"):
        refusals.note("key", "refused key %s", "SHA256:x")
        clock.now += 10
        refusals.flush()
    assert [r.getMessage() for r in caplog.records] == ["refused key SHA256:x"]


def test_the_summary_comes_with_the_next_refusal_after_the_period_too(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    refusals = RefusalLog(logging.getLogger("test.refusals2"), period=5.0, detail=1,
                          clock=clock)
    with caplog.at_level(logging.INFO, logger="test.refusals2"):
        for _ in range(3):
            refusals.note("cap", "refused")
        clock.now += 7
        refusals.note("cap", "refused again")
    assert [r.getMessage() for r in caplog.records] == [
        "refused", "refused 3 connections in the last 7 s: 3 over the unauthenticated cap",
        "refused again"]


def test_accept_failures_are_counted_not_logged_one_by_one(
        caplog: pytest.LogCaptureFixture) -> None:
    """asyncio reports a failed accept() through the loop's exception handler, once per
    attempt and with a traceback; the gateway's handler counts them with the refusals."""
    gateway = Gateway("sqlite:///unused")

    class Loop:
        def __init__(self) -> None:
            self.other: list[dict[str, object]] = []

        def default_exception_handler(self, context: dict[str, object]) -> None:
            self.other.append(context)

    loop = Loop()
    failure = {"message": "socket.accept() out of system resource",
               "exception": OSError(errno.EMFILE, "Too many open files")}
    with caplog.at_level(logging.INFO, logger="branchtui.serve"):
        for _ in range(1000):
            gateway.loop_exception(loop, failure)  # type: ignore[arg-type]
    assert len(caplog.records) == LOG_DETAIL_LINES
    assert gateway.refusals.counts["accept"] == 1000
    assert not loop.other
    # Anything else still goes to asyncio's own handler.
    gateway.loop_exception(loop, {"message": "boom", "exception": ValueError()})  # type: ignore[arg-type]
    assert len(loop.other) == 1


class FakeConnection:
    """What Gateway.admit asks of a connection."""

    def __init__(self, opened: float, silent: bool) -> None:
        self.opened = opened
        self.peer = f"127.0.0.1:{int(opened * 100)}"
        self._silent = silent
        self.aborted = False

    def silent(self) -> bool:
        return self._silent

    def quiet(self) -> bool:
        return True  # nothing waiting to be read

    def abort(self) -> None:
        self.aborted = True


def test_a_newcomer_at_the_cap_displaces_the_oldest_silent_connection() -> None:
    gateway = Gateway("sqlite:///unused", max_unauthenticated=3, login_grace=30.0)
    now = 100.0
    talking = FakeConnection(now - 5, silent=False)  # in its handshake
    old_silent = FakeConnection(now - 2, silent=True)
    new_silent = FakeConnection(now - 0.1, silent=True)
    for conn in (talking, old_silent, new_silent):
        assert gateway.admit(conn, now)  # type: ignore[arg-type]
    # Full: the oldest of those that have said nothing gives way, however new it is.
    first = FakeConnection(now, silent=True)
    assert gateway.admit(first, now)  # type: ignore[arg-type]
    assert old_silent.aborted and list(gateway.pending) == [talking, new_silent, first]
    second = FakeConnection(now, silent=True)
    assert gateway.admit(second, now)  # type: ignore[arg-type]
    assert new_silent.aborted and not talking.aborted
    # Everyone waiting is talking: the newcomer is the one refused.
    first._silent = second._silent = False
    assert not gateway.admit(FakeConnection(now, silent=False), now)  # type: ignore[arg-type]
    assert not (talking.aborted or first.aborted or second.aborted)
    assert gateway.refusals.counts == {"silent": 2, "cap": 1}


def test_a_connection_stalled_for_half_the_grace_time_gives_way_too() -> None:
    gateway = Gateway("sqlite:///unused", max_unauthenticated=1, login_grace=30.0)
    stalled = FakeConnection(100.0, silent=False)  # said its version, then nothing more
    assert gateway.admit(stalled, 100.0)  # type: ignore[arg-type]
    assert not gateway.admit(FakeConnection(114.0, silent=False), 114.0)  # type: ignore[arg-type]
    assert gateway.admit(FakeConnection(115.0, silent=False), 115.0)  # type: ignore[arg-type]
    assert stalled.aborted


class FakeSSHConnection:
    """What _Server.auth_completed asks of asyncssh's connection."""

    def __init__(self, member: int) -> None:
        self.member = member
        self.disconnected: tuple[int, str] | None = None

    def get_extra_info(self, name: str, default: object = None) -> object:
        return self.member if name == "branchtui_member_id" else default

    def disconnect(self, code: int, reason: str) -> None:
        self.disconnected = (code, reason)


async def test_a_member_holds_at_most_twice_their_limit_of_connections_without_a_session(
) -> None:
    """A client opens its session right after authenticating; a member whose key keeps
    authenticated connections open without one is cut off beyond twice their limit."""
    from branchtui.serve import _Server

    gateway = Gateway("sqlite:///unused", max_per_member=2)
    mine = [FakeSSHConnection(7) for _ in range(5)]
    theirs = FakeSSHConnection(8)
    for conn in [*mine[:4], theirs, mine[4]]:
        server = _Server(gateway)
        server.conn = conn  # type: ignore[assignment]
        server.auth_completed()
    assert [c.disconnected is not None for c in mine] == [False] * 4 + [True]
    assert mine[4].disconnected is not None and "at most 2" in mine[4].disconnected[1]
    assert theirs.disconnected is None
    assert len(gateway.waiting) == 5


class FakeProcess:
    """What Gateway._run writes to before the app starts: the client's terminal."""

    def __init__(self) -> None:
        self.stdout = self
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data


async def test_apps_start_a_few_at_a_time_and_the_others_are_told_to_wait(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A start slot is held from the spawn to the app's first output (or START_SECONDS):
    with one slot, the second app is spawned only once the first has written, and its
    member is told why the screen stays empty meanwhile."""
    import asyncio

    from branchtui import serve
    from branchtui.serve import Session

    monkeypatch.setattr(serve, "START_SECONDS", 0.2)
    gateway = Gateway("sqlite:///unused", max_starting=1)
    spawned: list[int] = []
    first_output = {n: asyncio.Event() for n in (1, 2, 3)}
    ended = {n: asyncio.Event() for n in (1, 2, 3)}

    async def spawn_and_pump(_loop: object, _process: object, session: Session,
                             slot: serve._Slot) -> int:
        spawned.append(session.member_id)
        await first_output[session.member_id].wait()
        slot.release()
        await ended[session.member_id].wait()
        return 0

    async def until(check: object, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not check():  # type: ignore[operator]
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)

    monkeypatch.setattr(gateway, "_spawn_and_pump", spawn_and_pump)
    clients = {n: FakeProcess() for n in (1, 2, 3)}
    runs = [asyncio.create_task(gateway._run(clients[n], Session(n, f"m{n}", "-")))  # type: ignore[arg-type]
            for n in (1, 2)]
    await until(lambda: spawned == [1])
    await asyncio.sleep(0.05)
    assert spawned == [1]
    assert "just a moment" in clients[2].written.decode() and not clients[1].written
    first_output[1].set()  # the first app has drawn: the second may start
    await until(lambda: spawned == [1, 2])
    # An app that never writes gives its slot back after START_SECONDS.
    runs.append(asyncio.create_task(gateway._run(clients[3], Session(3, "m3", "-"))))  # type: ignore[arg-type]
    await until(lambda: spawned == [1, 2, 3])
    for n in (1, 2, 3):
        first_output[n].set()
        ended[n].set()
    assert await asyncio.gather(*runs) == [0, 0, 0]
