"""End to end through OpenSSH: a private ``sshd`` on a loopback port, configured as the
README's "With OpenSSH instead" says (its sshd_config block, taken from README.md:
``Match Group`` + ``ForceCommand <venv>/bin/branchtui --db URL login``), real OS accounts
made for the test, the real ``ssh`` client.

Needs root (to run sshd and add accounts) and Debian's openssh-server. Without them the
tests are skipped on a developer's machine, but CI sets BRANCHTUI_REQUIRE_SSHD=1 and then
they fail instead.

The app runs as the OS account, so the account must be able to run the venv's Python and
reach the database: the test installs branchtui into a venv of its own made from the
system's Python (as a site would under /opt; the development venv's interpreter may live
under /root, which other accounts cannot enter), and gives the database a setgid group
directory, as the README says."""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from branchtui.i18n import t
from branchtui.services import MemberDraft, Services
from branchtui.store.db import open_database, upgrade
from tests.conftest import HOSTILE
from tests.e2e.test_ssh import keygen, ssh_argv
from tests.e2e.test_ssh_live import CTRL_Q, Tty
from tests.factories import build_world

pytestmark = pytest.mark.slow

SSHD = Path("/usr/sbin/sshd")
SYSTEM_PYTHON = Path("/usr/bin/python3")
REQUIRE = os.environ.get("BRANCHTUI_REQUIRE_SSHD") == "1"
ROOT = Path(__file__).resolve().parents[2]
NAME = "系统账户（测试）" + HOSTILE


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"the OpenSSH tests are required (BRANCHTUI_REQUIRE_SSHD=1) but {reason}")
    pytest.skip(reason)


def _run(*argv: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)  # type: ignore[call-overload,no-any-return]


def _with_retry(*argv: str) -> None:
    """useradd and friends refuse while another process holds /etc/passwd's lock."""
    for _ in range(20):
        out = _run(*argv)
        if out.returncode == 0:
            return
        if "lock" not in out.stderr:
            break
        time.sleep(0.25)
    raise AssertionError(f"{' '.join(argv)}: {out.stderr}")


def _remove(command: str, name: str) -> None:
    """userdel/groupdel; an account is busy until its last session has ended."""
    deadline = time.monotonic() + 10
    while _run(command, name).returncode not in (0, 6):  # 6: no such account any more
        if time.monotonic() > deadline:
            raise AssertionError(f"{command} {name} failed: {_run(command, name).stderr}")
        time.sleep(0.2)


def readme_block(group: str, command: str) -> str:
    """The sshd_config lines of the README's "With OpenSSH instead", with this test's group
    and command: the documented configuration is the one tested."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"In `/etc/ssh/sshd_config`:\s*```\n(.*?)```", text, re.S)
    assert found, "README.md: the sshd_config block of \"With OpenSSH instead\" is gone"
    block, n_match = re.subn(r"^Match Group branchtui$", f"Match Group {group}",
                             found.group(1), flags=re.M)
    block, n_command = re.subn(r"^(\s*ForceCommand) \S+/bin/branchtui --db \S+ login$",
                               rf"\1 {command}", block, flags=re.M)
    assert n_match == 1 and n_command == 1, f"README.md's sshd_config block changed:\n{block}"
    return block


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sshd:
    port: int
    url: str
    member_user: str  # an OS account bound to a member
    stranger_user: str  # an OS account with no member
    key: Path
    log: Path

    def ssh(self, user: str, *flags: str, command: str | None = None) -> list[str]:
        argv = ssh_argv(self.key, self.port, *flags)
        argv[-1] = f"{user}@127.0.0.1"
        return [*argv, command] if command else argv

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def sshd() -> Iterator[Sshd]:
    if not SSHD.exists():
        _unavailable(f"{SSHD} is not installed (apt-get install openssh-server)")
    if os.geteuid() != 0:
        _unavailable("running sshd and adding OS accounts needs root")
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv or not SYSTEM_PYTHON.exists():
        _unavailable("uv and the system's python3 are needed to make the login venv")
    assert uv is not None
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation dir

    tag = f"{os.getpid() % 100000:05d}"
    group, member_user, stranger_user = f"btg{tag}", f"btm{tag}", f"btx{tag}"
    tmp = Path(tempfile.mkdtemp(prefix="branchtui-sshd-"))
    proc: subprocess.Popen[bytes] | None = None
    made: list[tuple[str, str]] = []
    try:
        tmp.chmod(0o755)  # the accounts walk through it to the venv and the database
        # The accounts: a group as in the README's "Match Group", one member, one stranger.
        _with_retry("groupadd", group)
        made.append(("groupdel", group))
        for user in (member_user, stranger_user):
            home = tmp / "home" / user
            home.mkdir(parents=True)
            # '*': no password, but not locked (sshd without PAM refuses locked accounts).
            _with_retry("useradd", "-M", "-d", str(home), "-s", "/bin/sh", "-p", "*",
                        "-G", group, user)
            made.append(("userdel", user))
            os.chown(home, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)

        # The venv sshd runs: branchtui built from this tree and installed as a site
        # would (not editable; rebuilt, as uv would otherwise reuse a wheel of older code).
        venv = tmp / "opt" / "branchtui" / ".venv"
        out = _run(uv, "sync", "--frozen", "--no-dev", "--no-editable", "--quiet",
                   "--reinstall-package", "branchtui", "--python", str(SYSTEM_PYTHON),
                   cwd=ROOT,
                   env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)})
        assert out.returncode == 0, f"could not make the login venv: {out.stderr}"

        # The database, in a setgid group directory the accounts share.
        data = tmp / "srv"
        data.mkdir()
        gid = grp.getgrnam(group).gr_gid
        os.chown(data, 0, gid)
        data.chmod(0o2770)
        db_path = data / "branch.sqlite3"
        url = f"sqlite:///{db_path}"
        db = open_database(url)
        upgrade(db)
        svc = Services.create(db)
        world = build_world(svc, extra_full=0)
        svc.roster.add_member(world.admin, world.branch_id,
                              MemberDraft(name=NAME, login=member_user,
                                          admitted=date(2015, 3, 1),
                                          full_since=date(2016, 3, 1)),
                              starts=date(2020, 1, 1))
        db.close()  # the last connection: the -wal and -shm files go with it
        for path in data.iterdir():
            os.chown(path, 0, gid)
            path.chmod(0o660)

        # One key for both accounts; sshd reads authorized keys from here (%u: the user).
        key = keygen(tmp / "client_key")
        keys = tmp / "authorized_keys"
        keys.mkdir()
        for user in (member_user, stranger_user):
            (keys / user).write_text((tmp / "client_key.pub").read_text())
            (keys / user).chmod(0o644)

        # sshd: its own host key and config, ending with the README's block.
        conf_dir = tmp / "sshd"
        conf_dir.mkdir()
        host_key = conf_dir / "ssh_host_ed25519_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)],
                       check=True)
        port = _free_port()
        config = conf_dir / "sshd_config"
        config.write_text(f"""\
ListenAddress 127.0.0.1
Port {port}
HostKey {host_key}
PidFile {conf_dir / "sshd.pid"}
AuthorizedKeysFile {keys}/%u
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers {member_user} {stranger_user}
PrintMotd no
PrintLastLog no

{readme_block(group, f"{venv}/bin/branchtui --db {url} login")}""")
        check = _run(str(SSHD), "-t", "-f", str(config))
        assert check.returncode == 0, f"sshd -t refused the config:\n{check.stderr}"
        log = conf_dir / "sshd.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)],
                                    stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"sshd exited:\n{log.read_text()}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError(f"sshd did not listen on {port}:\n{log.read_text()}")
        yield Sshd(port, url, member_user, stranger_user, key, log)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for command, name in reversed(made):
            _remove(command, name)
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_member_with_an_os_account_gets_their_home_screen(sshd: Sshd) -> None:
    term = Tty("member", sshd.ssh(sshd.member_user, "-tt"), cols=100, rows=30)
    try:
        # Who they are comes from the account sshd authenticated: the member bound to it.
        term.wait_screen(f"{NAME} ｜", 20)
        term.send(CTRL_Q)
        assert term.finish() == 0, term.dump()
    finally:
        term.close()
    assert "Accepted publickey for " + sshd.member_user in sshd.log_text(), sshd.log_text()


def test_without_a_terminal_the_session_is_refused_in_one_line(sshd: Sshd) -> None:
    for argv in (sshd.ssh(sshd.member_user, "-T"),
                 # A command is ignored (ForceCommand), and without -t there is no terminal.
                 sshd.ssh(sshd.member_user, command="id; cat /etc/shadow")):
        out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        message = out.stderr.decode("utf-8", "replace")
        assert out.returncode == 1, (argv, out)
        assert message.strip() == (f"{t('serve.no_tty', lang='zh')} / "
                                   f"{t('serve.no_tty', lang='en')}"), message
        assert not out.stdout, out.stdout  # neither the app nor the command wrote anything


def test_an_os_account_without_a_member_is_refused_with_a_message(sshd: Sshd) -> None:
    term = Tty("stranger", sshd.ssh(sshd.stranger_user, "-tt"), cols=100, rows=30)
    try:
        expected = t("error.no_member", login=sshd.stranger_user)
        term.wait_screen(expected, 20)
        assert term.finish() == 4, term.dump()  # EXIT_REFUSED
    finally:
        term.close()
