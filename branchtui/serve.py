"""The SSH gateway (``branchtui serve``): members sign in with their registered keys and each
session gets its own pseudo-terminal and its own app process.

Why it is built this way:

- One **process** per session (not one asyncio task per session in a shared app): a crash,
  a slow query or a memory spike hurts one user only, and the child's ``--db`` connection
  is its own.
- The gateway opens the database only to answer "whose key is this?"; the children open it
  themselves.
- **Identity cannot be forged by the client.** The member id is decided here, from the key
  that passed public-key authentication, and handed to the child through a pipe that only
  the gateway writes to (``_session --member-fd N``). The child's environment is built from
  scratch (:func:`child_env`): nothing the client sends (``env`` requests such as
  ``LANG``/``BRANCHTUI_*``, the exec command, the SSH user name) reaches the child. The
  client's command is ignored entirely and the user name plays no part in who you are.
- Sessions without a terminal are refused: without a pty the app would hang and outlive
  the client.
- **No one fills it.** Sessions are capped in all (``--max-sessions``) and per member
  (``--max-per-member``), so one member's key cannot lock out everyone else. Connections
  not authenticated yet are capped (``--max-unauthenticated``); any connection without a
  session is closed after the login grace time (``--login-grace``), and a member holds at
  most twice their session limit of those. At the cap, the oldest unauthenticated
  connection that has not sent a single byte is closed to make room for a newcomer (a real
  client sends its version line as soon as it is connected, so a flood of silent
  connections, however fast, cannot lock members out); when every one of them is talking,
  the newcomer is closed before a byte of SSH is sent. Refusals are logged the first few
  per period in full, then as one summary line, so a flood cannot fill the disk.
- **Apps start in turn.** At most one per core (at least two) is starting at any moment;
  the rest wait, in order. Starting costs about a second of CPU, and a hundred at once
  would starve the gateway itself, whose handshakes then run past the login grace time.
- **A hang-up is prompt.** The app is sent SIGHUP (it saves its drafts and exits at once,
  see ``cli._exit_on_hangup``), SIGTERM after a grace time, SIGKILL only after a second one.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import re
import resource
import signal
import struct
import sys
import termios
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncssh

from branchtui.i18n import language, t
from branchtui.session import both

log = logging.getLogger("branchtui.serve")

#: Seconds a hung-up app gets to save and exit before SIGTERM, and again before SIGKILL.
GRACE_SECONDS = 5.0
#: An app holds its start slot until it first writes to its terminal (its imports done,
#: most of the second of CPU a start costs), or this long at most.
START_SECONDS = 15.0
#: Refusal log: this many lines in full per period, then one summary line per period.
LOG_PERIOD_SECONDS = 5.0
LOG_DETAIL_LINES = 5
_READ_SIZE = 65536
_TERM_RE = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")
# The extra-info names under which an authenticated connection carries its member, and
# every connection its policy object.
_MEMBER = "branchtui_member_id"
_LOGIN = "branchtui_login"
_SERVER = "branchtui_server"
# What a full-screen app may have switched on in the client's terminal, switched off: sent
# to a client that is still connected when its app was hung up (idle, shutdown), since an
# app that exits on a hang-up does not restore a terminal it believes gone. CAN first ends
# an escape sequence the app may have left half-written.
TERMINAL_RESET = ("\x18\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l"
                  "\x1b[?2004l\x1b[?2048l\x1b[?1004l\x1b[?7h\x1b[?25h\x1b[?1049l")
# Labels of the refusal summary line, by reason.
_REASONS = {
    "cap": "over the unauthenticated cap",
    "silent": "silent or stalled at the cap (closed to make room)",
    "grace": "past the login grace time",
    "member": "over a member's limit",
    "sessions": "over the session limit",
    "no_tty": "without a terminal",
    "stopping": "while shutting down",
    "key": "with an unknown key",
    "accept": "accept() failures (out of descriptors)",
}
_ACCEPT_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


def key_fingerprint(key: asyncssh.SSHKey) -> str | None:
    """The SHA256 fingerprint exactly as :func:`roster.parse_public_key` computes it for
    stored keys (so the two always agree); None for key types the roster does not accept."""
    from branchtui.core.errors import BranchError
    from branchtui.services.roster import parse_public_key

    try:
        line = key.export_public_key("openssh").decode("ascii", "replace")
        return parse_public_key(line)[1]
    except (BranchError, ValueError, asyncssh.KeyExportError):
        return None


def child_env(term: str | None) -> dict[str, str]:
    """The environment of a session's app process, built from scratch: only the gateway's
    own PATH/HOME/TZ and a sanitised TERM. No variable the client sent is forwarded."""
    env = {"LANG": "C.UTF-8", "TERM": term if term and _TERM_RE.match(term) else "xterm-256color"}
    for name in ("PATH", "HOME", "TZ", "PYTHONPATH"):
        value = os.environ.get(name)
        if value:
            env[name] = value
    env.setdefault("PATH", os.defpath)
    return env


def set_winsize(fd: int, cols: int, rows: int, px_w: int = 0, px_h: int = 0) -> None:
    """Set the pty's window size; the kernel sends SIGWINCH to the app on the other side."""
    cols, rows = max(1, min(cols or 80, 1000)), max(1, min(rows or 24, 1000))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, px_w, px_h))


def load_host_key(path: Path) -> asyncssh.SSHKey:
    """The host key at ``path``, created (ed25519, mode 0600) when it does not exist yet."""
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.export_private_key())
        print(t("serve.host_key_created", path=str(path)), file=sys.stderr)
        return key
    return asyncssh.read_private_key(str(path))


def raise_open_files_limit() -> tuple[int, int]:
    """Raise the soft limit of open files to the hard one (every connection and session
    holds descriptors, and the usual soft limit of 1,024 is a few hundred sessions).
    Returns (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard
    if hard == resource.RLIM_INFINITY:  # Linux refuses a soft limit above fs.nr_open
        try:
            target = int(Path("/proc/sys/fs/nr_open").read_text())
        except (OSError, ValueError):
            target = 1 << 20
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class RefusalLog:
    """Refused and closed connections, logged so that a flood cannot fill the disk: the
    first ``detail`` of every ``period`` seconds get their own line, the rest are counted,
    and a period in which lines were left out ends with one summary line of the counts by
    reason. ``clock`` is injectable for tests; :meth:`flush` is called by a timer, so the
    summary comes even when the flood stops."""

    def __init__(self, logger: logging.Logger, period: float = LOG_PERIOD_SECONDS,
                 detail: int = LOG_DETAIL_LINES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.period = period
        self.detail = detail
        self.clock = clock
        self.started: float | None = None  # when the current period began
        self.counts: Counter[str] = Counter()
        self.lines = 0  # lines written in full in this period
        self.left_out = 0

    def note(self, reason: str, message: str, *args: object) -> None:
        """One refusal; ``message % args`` is its own line while the period allows."""
        now = self.clock()
        self.flush(now)
        if self.started is None:
            self.started = now
        self.counts[reason] += 1
        if self.lines < self.detail:
            self.lines += 1
            self.logger.info(message, *args)
        else:
            self.left_out += 1

    def due(self) -> float | None:
        """When the current period ends (clock time), or None when there is none."""
        return None if self.started is None else self.started + self.period

    def flush(self, now: float | None = None) -> None:
        """End the current period if it is over, with its summary line if lines were left
        out of it."""
        now = self.clock() if now is None else now
        if self.started is None or now - self.started < self.period:
            return
        if self.left_out:
            parts = ", ".join(f"{n} {_REASONS.get(reason, reason)}"
                              for reason, n in self.counts.most_common())
            self.logger.warning("refused %d connections in the last %.0f s: %s",
                                sum(self.counts.values()), now - self.started, parts)
        self.started = None
        self.counts.clear()
        self.lines = self.left_out = 0


@dataclass(eq=False)
class Session:
    """One live session: who, from where, since when, and its app process."""

    member_id: int
    login: str
    peer: str
    started: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=datetime.now)
    pid: int | None = None
    last_input: float = field(default_factory=time.monotonic)
    reason: str = "exit"
    signals: list[str] = field(default_factory=list)  # what the gateway sent the app


class Gateway:
    """The listening server and its sessions."""

    def __init__(self, db_url: str, *, idle_timeout: float = 1800.0, max_sessions: int = 100,
                 max_per_member: int = 3, max_unauthenticated: int = 64,
                 login_grace: float = 30.0, max_starting: int | None = None,
                 lang: str | None = None) -> None:
        self.db_url = db_url
        self.idle_timeout = idle_timeout
        self.max_sessions = max_sessions
        self.max_per_member = max_per_member
        self.max_unauthenticated = max_unauthenticated
        self.login_grace = login_grace
        self.lang = lang or language()
        self.sessions: set[Session] = set()
        # Connections not authenticated yet (capped), and authenticated ones without a
        # session (timed out; per member at most twice max_per_member); oldest first,
        # dicts as ordered sets.
        self.pending: dict[_Server, None] = {}
        self.waiting: dict[_Server, None] = {}
        self.refusals = RefusalLog(log)
        # Apps starting at the same time, one per core (at least two): a hundred starting
        # at once would leave the gateway (in its own scheduling group, like each app) a
        # hundredth of the machine, too little to finish other members' handshakes within
        # the login grace time. The others wait their turn, in order; it takes no longer
        # in all, and the first ones are up sooner.
        self.max_starting = max_starting or max(2, os.cpu_count() or 2)
        self._starting = asyncio.Semaphore(self.max_starting)
        self._summary: asyncio.TimerHandle | None = None
        self.stopping = False
        self._svc: Any = None

    # -- authentication ----------------------------------------------------------------------

    def services(self) -> Any:
        if self._svc is None:
            from branchtui.services import Services
            from branchtui.store.db import check_schema, open_database

            db = open_database(self.db_url)
            with db.connection_context():
                check_schema(db)
            self._svc = Services.create(db)
        return self._svc

    def member_for_fingerprint(self, fingerprint: str) -> Any:
        """The Actor owning a (not removed) key, or None. Asked on every authentication, so a
        removed key stops working for the next session."""
        return self.services().roster.member_for_key(fingerprint)

    # -- connections that have not logged in -------------------------------------------------

    def admit(self, server: _Server, now: float | None = None) -> bool:
        """A new TCP connection, before any SSH byte is sent: take it if there is room among
        the unauthenticated connections, making room by closing one that has said nothing
        (or has got nowhere in half the grace time) if need be; else refuse it."""
        if len(self.pending) >= self.max_unauthenticated:
            victim = self._victim(time.monotonic() if now is None else now)
            if victim is None:
                self.refuse("cap", "refused connection from %s: %d connections are not "
                            "authenticated yet", server.peer, len(self.pending))
                return False
            self.refuse("silent", "closed connection from %s (%s) to make room",
                        victim.peer, "silent" if victim.silent() else "stalled")
            self.pending.pop(victim, None)
            victim.abort()
        self.pending[server] = None
        return True

    def _victim(self, now: float) -> _Server | None:
        """The connection to close for a newcomer at the cap: the oldest that has sent
        nothing at all; else the oldest that has been at it for half the grace time and
        has nothing more to say (with bytes waiting, it is the gateway that is slow). Not
        the newcomer: a real client may not have written its first bytes yet when it is
        accepted."""
        for server in self.pending:
            if server.silent():
                return server
        for server in self.pending:
            if server.opened <= now - self.login_grace / 2 and server.quiet():
                return server
        return None

    def refuse(self, reason: str, message: str, *args: object) -> None:
        """Log a refusal through the rate limit; a timer writes the period's summary even
        if nothing else is refused after it."""
        self.refusals.note(reason, message, *args)
        self._arm_summary()

    def _arm_summary(self) -> None:
        due = self.refusals.due()
        if due is None or self._summary is not None:
            return
        with contextlib.suppress(RuntimeError):  # no loop running: the next note flushes
            self._summary = asyncio.get_running_loop().call_at(due, self._flush_refusals)

    def _flush_refusals(self) -> None:
        self._summary = None
        self.refusals.flush()
        self._arm_summary()

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio reports a failed accept() (out of descriptors) once per attempt, up to a
        hundred attempts a second, each with a traceback: count them with the refusals."""
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _ACCEPT_ERRNOS \
                and "accept" in str(context.get("message", "")):
            self.refuse("accept", "accept() failed: %s", exc.strerror)
            return
        loop.default_exception_handler(context)

    # -- sessions ----------------------------------------------------------------------------

    def child_argv(self, member_fd: int) -> list[str]:
        return [sys.executable, "-m", "branchtui.cli", "_session", "--db", self.db_url,
                "--lang", self.lang, "--member-fd", str(member_fd)]

    async def handle(self, process: asyncssh.SSHServerProcess) -> None:
        """One SSH session: refuse what we cannot serve, else run the app on a pty."""
        try:
            await self._handle(process)
        except Exception:  # one broken session must never take the gateway down
            log.exception("session failed")
            with contextlib.suppress(Exception):
                process.exit(1)

    async def _handle(self, process: asyncssh.SSHServerProcess) -> None:
        member_id = process.get_extra_info(_MEMBER)
        login = process.get_extra_info(_LOGIN) or "-"
        peer = process.get_extra_info("peername") or ("?", 0)
        where = f"{peer[0]}:{peer[1]}"
        if member_id is None:  # pragma: no cover - asyncssh only gets here after auth
            process.exit(1)
            return
        if process.get_terminal_type() is None:
            self.refuse("no_tty", "refused member=%s login=%s from=%s: no terminal",
                        member_id, login, where)
            process.stderr.write((both("serve.no_tty") + "\n").encode())
            process.exit(1)
            return
        mine = sum(1 for s in self.sessions if s.member_id == member_id)
        refusal = ("stopping", "serve.shutting_down") if self.stopping else \
            ("sessions", "serve.too_many") if len(self.sessions) >= self.max_sessions else \
            ("member", "serve.member_limit") if mine >= self.max_per_member else None
        if refusal is not None:
            reason, key = refusal
            self.refuse(reason, "refused member=%s login=%s from=%s: %s", member_id, login,
                        where, key)
            process.stdout.write((both(key, n=self.max_per_member) + "\r\n").encode())
            process.exit(1)
            return
        server: _Server | None = process.get_extra_info(_SERVER)
        session = Session(member_id=member_id, login=login, peer=where)
        self.sessions.add(session)
        if server is not None:
            server.session_started()
        code = 1
        try:
            code = await self._run(process, session)
        finally:
            self.sessions.discard(session)
            if server is not None:
                server.session_ended()
            log.info("session member=%s login=%s from=%s start=%s duration=%.1fs end=%s "
                     "status=%s%s", member_id, login, where,
                     session.started_at.isoformat(timespec="seconds"),
                     time.monotonic() - session.started, session.reason, code,
                     f" sent={','.join(session.signals)}" if session.signals else "")
        with contextlib.suppress(Exception):
            if session.reason in ("idle", "shutdown"):
                # The client is still there; its app left on a hang-up, without putting
                # the terminal back as it was.
                key = "serve.idle" if session.reason == "idle" else "serve.shutting_down"
                process.stdout.write((TERMINAL_RESET + "\r\n" + both(key) + "\r\n").encode())
            process.exit(code)

    async def _run(self, process: asyncssh.SSHServerProcess, session: Session) -> int:
        loop = asyncio.get_running_loop()
        if self._starting.locked():  # others' apps are starting: better than a blank screen
            process.stdout.write((both("serve.queued") + "\r\n").encode())
        await self._starting.acquire()
        slot = _Slot(self._starting)
        if self.stopping:
            slot.release()
            session.reason = "shutdown"
            return 1
        slot_timer = loop.call_later(START_SECONDS, slot.release)
        try:
            return await self._spawn_and_pump(loop, process, session, slot)
        finally:
            slot.release()
            slot_timer.cancel()

    async def _spawn_and_pump(self, loop: asyncio.AbstractEventLoop,
                              process: asyncssh.SSHServerProcess, session: Session,
                              slot: _Slot) -> int:
        cols, rows, px_w, px_h = process.get_terminal_size()
        master, slave = os.openpty()
        set_winsize(master, cols, rows, px_w, px_h)
        id_r, id_w = os.pipe()
        try:
            child = await asyncio.create_subprocess_exec(
                *self.child_argv(id_r), stdin=slave, stdout=slave, stderr=slave,
                pass_fds=(id_r,), start_new_session=True, close_fds=True,
                env=child_env(process.get_terminal_type()))
            # The identity, written by the gateway alone, read once by the child.
            os.write(id_w, str(session.member_id).encode())
        finally:
            os.close(id_w)
            os.close(id_r)
            os.close(slave)
        session.pid = child.pid
        log.info("start member=%s login=%s from=%s pid=%s size=%sx%s", session.member_id,
                 session.login, session.peer, child.pid, cols, rows)
        os.set_blocking(master, False)
        pump_out = asyncio.create_task(self._pump_out(loop, master, process, slot.release))
        pump_in = asyncio.create_task(self._pump_in(loop, master, process, session))
        idle = asyncio.create_task(self._watch_idle(session))
        try:
            done, _ = await asyncio.wait({pump_out, pump_in, idle},
                                         return_when=asyncio.FIRST_COMPLETED)
            app_closed = (pump_out in done and not pump_out.cancelled()
                          and pump_out.exception() is None)
            if app_closed:
                # The app closed its terminal: it is ending on its own.
                try:
                    await asyncio.wait_for(child.wait(), timeout=GRACE_SECONDS)
                except TimeoutError:
                    await self.hangup(child, session, grace=1.0)
            else:
                # The client went away, idled out, or its channel broke: hang up the app
                # and give it time to save.
                session.reason = "idle" if idle in done else "client closed"
                await self.hangup(child, session)
                with contextlib.suppress(TimeoutError, Exception):
                    await asyncio.wait_for(pump_out, timeout=1.0)
            code = await child.wait()
            # Killed by a signal (-N): report it as a shell would, 128+N.
            return 128 - code if code < 0 else code
        finally:
            for task in (pump_out, pump_in, idle):
                task.cancel()
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.debug("session task ended with %r", task.exception())
            with contextlib.suppress(ProcessLookupError):
                if child.returncode is None:
                    os.killpg(child.pid, signal.SIGKILL)
            os.close(master)

    async def hangup(self, child: asyncio.subprocess.Process, session: Session | None = None,
                     grace: float = GRACE_SECONDS) -> None:
        """SIGHUP to the app's process group (as a terminal hang-up would): the app saves
        its drafts and exits. If it has not ended within ``grace`` seconds, SIGTERM (the app
        leaves at once, saved or not); SIGKILL only after a second ``grace``."""
        for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGKILL):
            if child.returncode is not None:
                return
            if session is not None:
                session.signals.append(sig.name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, sig)
            if sig is signal.SIGKILL:
                return
            try:
                await asyncio.wait_for(child.wait(), timeout=grace)
                return
            except TimeoutError:
                log.warning("pid %s has not exited %.0f s after %s", child.pid, grace,
                            sig.name)

    @staticmethod
    async def _wait_fd(loop: asyncio.AbstractEventLoop, fd: int, write: bool = False) -> None:
        fut: asyncio.Future[None] = loop.create_future()

        def ready() -> None:
            if not fut.done():
                fut.set_result(None)

        add: Callable[..., None] = loop.add_writer if write else loop.add_reader
        remove = loop.remove_writer if write else loop.remove_reader
        add(fd, ready)
        try:
            await fut
        finally:
            remove(fd)

    async def _pump_out(self, loop: asyncio.AbstractEventLoop, master: int,
                        process: asyncssh.SSHServerProcess,
                        started: Callable[[], None] = lambda: None) -> None:
        """App → client, until the app has closed its terminal (EIO on the master). Once the
        client is gone, the output is read and dropped: an app writing to a terminal that
        nobody reads blocks when the buffer is full, and would never get to exit."""
        client = True
        while True:
            await self._wait_fd(loop, master)
            try:
                data = os.read(master, _READ_SIZE)
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.EIO:
                    return
                raise
            if not data:
                return
            started()
            if client:
                try:
                    process.stdout.write(data)
                    await process.stdout.drain()
                except (asyncssh.Error, OSError):
                    client = False

    async def _pump_in(self, loop: asyncio.AbstractEventLoop, master: int,
                       process: asyncssh.SSHServerProcess, session: Session) -> None:
        """Client → app, and window changes → TIOCSWINSZ. Returns when the client is gone."""
        while True:
            try:
                data = await process.stdin.read(_READ_SIZE)
            except asyncssh.TerminalSizeChanged as exc:
                set_winsize(master, exc.width, exc.height, exc.pixwidth, exc.pixheight)
                continue
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            except (asyncssh.Error, OSError, asyncio.IncompleteReadError):
                return
            if not data:
                return
            session.last_input = time.monotonic()
            view = memoryview(data)
            while view:
                try:
                    n = os.write(master, view)
                except BlockingIOError:
                    await self._wait_fd(loop, master, write=True)
                    continue
                except OSError:
                    return
                view = view[n:]

    async def _watch_idle(self, session: Session) -> None:
        if self.idle_timeout <= 0:
            await asyncio.Event().wait()  # never
        while True:
            left = session.last_input + self.idle_timeout - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left + 0.05, 30.0))

    # -- the server --------------------------------------------------------------------------

    def server_factory(self) -> asyncssh.SSHServer:
        return _Server(self)

    async def serve(self, host: str, port: int, host_key: asyncssh.SSHKey,
                    ready: Callable[[int], None] | None = None) -> None:
        """Listen until SIGTERM/SIGINT, then hang up every session and wait for them."""
        self.services()  # refuse an out-of-date schema before accepting anyone
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self.loop_exception)
        server = await asyncssh.create_server(
            self.server_factory, host, port, server_host_keys=[host_key],
            process_factory=self.handle, encoding=None, line_editor=False,
            allow_scp=False, agent_forwarding=False, x11_forwarding=False,
            keepalive_interval=30, login_timeout=self.login_grace)
        sockets = server.sockets or []
        bound = sockets[0].getsockname()[1] if sockets else port
        log.info(t("serve.listening", host=host, port=bound,
                   fingerprint=host_key.get_fingerprint("sha256")))
        if ready:
            ready(bound)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            self.stopping = True
            server.close()
            await self.shutdown()
            log.info(t("serve.stopped"))

    async def shutdown(self, grace: float = GRACE_SECONDS) -> None:
        """Hang up every app process as :meth:`hangup` does, all at once: SIGHUP, SIGTERM
        to those still there after ``grace`` seconds, SIGKILL after another ``grace``."""
        for s in list(self.sessions):
            s.reason = "shutdown"
        for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGKILL):
            for s in list(self.sessions):
                if s.pid:
                    s.signals.append(sig.name)
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(s.pid, sig)
            if sig is signal.SIGKILL:
                break
            deadline = time.monotonic() + grace
            while self.sessions and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        # Let the session handlers write their last line and log.
        for _ in range(20):
            if not self.sessions:
                break
            await asyncio.sleep(0.05)


class _Slot:
    """A place among the apps starting, given back once."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore: asyncio.Semaphore | None = semaphore

    def release(self) -> None:
        if self._semaphore is not None:
            self._semaphore.release()
            self._semaphore = None


class _Server(asyncssh.SSHServer):
    """Per-connection policy: public keys only, checked against the roster; a place among
    the connections without a session, for the login grace time."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.conn: asyncssh.SSHServerConnection | None = None
        self.opened = time.monotonic()
        self.peer = "?"
        self.member: int | None = None  # once authenticated
        self.active = 0  # sessions running on this connection
        self._grace: asyncio.TimerHandle | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        conn.set_extra_info(**{_SERVER: self})
        if not self.gateway.admit(self):
            # asyncssh sends its version line right after this returns; abort() has dropped
            # the transport by then, so nothing is sent and no key exchange begins.
            conn.abort()
            return
        self._arm_grace()

    def auth_completed(self) -> None:
        """Authenticated: out of the cap, into the member's connections without a session,
        of which a member may hold twice their session limit (a client opens its session
        right after authenticating; more than that is hoarding)."""
        gateway = self.gateway
        gateway.pending.pop(self, None)
        self.member = self.conn.get_extra_info(_MEMBER) if self.conn else None
        gateway.waiting[self] = None
        if self._grace is not None:  # a grace time of its own for opening the session
            self._grace.cancel()
        self._arm_grace()
        held = sum(1 for c in gateway.waiting if c.member == self.member)
        if held > 2 * gateway.max_per_member and self.conn is not None:
            gateway.refuse("member", "closed connection from %s: member=%s holds %d "
                           "connections without a session", self.peer, self.member, held)
            gateway.waiting.pop(self, None)
            self.conn.disconnect(asyncssh.DISC_TOO_MANY_CONNECTIONS,
                                 t("serve.member_limit", lang="en", n=gateway.max_per_member))

    def connection_lost(self, exc: Exception | None) -> None:
        self.gateway.pending.pop(self, None)
        self.gateway.waiting.pop(self, None)
        if self._grace is not None:
            self._grace.cancel()

    def quiet(self) -> bool:
        """Nothing waiting to be read: what the client sent may still be in the kernel
        when the gateway is busy."""
        sock = self.conn.get_extra_info("socket") if self.conn else None
        try:
            queued = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):  # closed meanwhile
            return True
        return struct.unpack("i", queued)[0] == 0

    def silent(self) -> bool:
        """Nothing received, not even the SSH version line."""
        return (self.conn is None or self.conn.get_extra_info("client_version") is None) \
            and self.quiet()

    def abort(self) -> None:
        if self.conn is not None:
            self.conn.abort()

    def session_started(self) -> None:
        self.active += 1
        self.gateway.waiting.pop(self, None)
        if self._grace is not None:
            self._grace.cancel()

    def session_ended(self) -> None:
        """Its last session over, a connection left open waits like a new one (a client
        would close it; one that does not must not hold it for ever)."""
        self.active -= 1
        if self.active == 0 and self.conn is not None and not self.conn.is_closed():
            self.gateway.waiting[self] = None
            self._arm_grace()

    def _arm_grace(self) -> None:
        # asyncssh's login_timeout ends unauthenticated connections; this one also ends an
        # authenticated connection that never opens a session.
        loop = asyncio.get_running_loop()
        self._grace = loop.call_later(self.gateway.login_grace, self._grace_over)

    def _grace_over(self) -> None:
        if self in self.gateway.pending or self in self.gateway.waiting:
            self.gateway.refuse("grace", "closed connection from %s: no session after %.0f s",
                                self.peer, self.gateway.login_grace)
            self.gateway.pending.pop(self, None)
            self.gateway.waiting.pop(self, None)
            self.abort()

    def begin_auth(self, username: str) -> bool:
        return True  # always authenticate; the user name is never an identity

    def public_key_auth_supported(self) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        from branchtui.core import sshkeys
        from branchtui.core.errors import ValidationError

        peer = self.conn.get_extra_info("peername") if self.conn else None
        # The rule `keys add` applies, applied again at every login: a key stored before
        # the rule (a 1024-bit RSA key registered last year) is refused too, whatever the
        # store holds. The blob is the one the client offered, as asyncssh received it.
        try:
            sshkeys.check_blob(key.public_data)
        except ValidationError as exc:
            log.info("refused weak key %s user=%r from=%s: %s %s",
                     sshkeys.fingerprint(key.public_data), username, peer, exc.key,
                     " ".join(f"{k}={v}" for k, v in exc.params.items()))
            return False
        fingerprint = key_fingerprint(key)
        if fingerprint is None:
            return False
        try:
            actor = await asyncio.to_thread(self.gateway.member_for_fingerprint, fingerprint)
        except Exception:  # a database hiccup refuses the login, it never crashes the gateway
            log.exception("key lookup failed")
            return False
        # Last write wins, and that is the key that authenticated: asyncssh handles one
        # auth request at a time (a new one cancels the one in flight), checks the signature
        # right after this returns without yielding, and ignores requests once auth is
        # complete. A key offered without a valid signature may set this, but its attempt
        # fails, and only a later successful attempt (which sets it again) lets anyone in.
        if actor is None:
            self.gateway.refuse("key", "refused key %s user=%r from=%s", fingerprint, username, peer)
            return False
        assert self.conn is not None
        self.conn.set_extra_info(**{_MEMBER: actor.member_id, _LOGIN: actor.login or "-"})
        return True


def run(db_url: str, host: str, port: int, host_key_path: Path, *, idle_timeout: float,
        max_sessions: int, max_per_member: int = 3, max_unauthenticated: int = 64,
        login_grace: float = 30.0, lang: str | None = None) -> int:
    """``branchtui serve``: log to stderr, listen, return 0 after a clean shutdown."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    before, after = raise_open_files_limit()
    # A socket per connection; a socket and a pty per session, a few more while it starts;
    # the database, the log and the listening socket.
    needed = 64 + max_unauthenticated + 3 * max_sessions
    log.info("open files: limit %d (was %d)", after, before)
    if after < needed:
        log.warning("open files: the limit %d is below the %d that --max-sessions %d and "
                    "--max-unauthenticated %d may need; raise the hard limit (ulimit -Hn)",
                    after, needed, max_sessions, max_unauthenticated)
    key = load_host_key(host_key_path)
    gateway = Gateway(db_url, idle_timeout=idle_timeout, max_sessions=max_sessions,
                      max_per_member=max_per_member, max_unauthenticated=max_unauthenticated,
                      login_grace=login_grace, lang=lang)
    asyncio.run(gateway.serve(host, port, key))
    return 0
