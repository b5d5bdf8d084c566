"""The rights found open in issue 10, tried again end to end: the attack through the same
service call the app's screens and ``branchtui keys add`` make, and its effect checked
with the real ``ssh`` client against ``branchtui serve``.

1. A secretary puts a key of her own on the administrator: refused, and the key opens no
   session (before the fix the gateway logged ``member=1`` for it).
2. A 组织委员 gives himself the administrator's login name: refused, and the
   administrator's key still opens the administrator's session, his the 组织委员's."""

from __future__ import annotations

import subprocess
import time

import pytest

from branchtui.core.errors import PermissionDenied
from branchtui.services import MemberDraft
from tests.e2e.test_ssh import Site, Terminal, keygen, site, ssh_argv  # noqa: F401

pytestmark = pytest.mark.slow


def test_a_secretary_cannot_put_her_key_on_the_administrator(site: Site) -> None:  # noqa: F811
    w = site.world
    attacker = keygen(site.tmp / "attacker")
    with pytest.raises(PermissionDenied) as err:
        w.svc.roster.add_key(w.secretary, w.admin.member_id,
                             attacker.with_suffix(".pub").read_text())
    assert err.value.key == "perm.keys"
    out = subprocess.run(ssh_argv(attacker, site.gateway.port, "-T"),
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    assert out.returncode == 255 and b"Permission denied" in out.stderr
    assert f"member={w.admin.member_id} " not in site.gateway.log_text()


def test_an_organiser_cannot_take_the_administrators_login(site: Site) -> None:  # noqa: F811
    w = site.world
    roster = w.svc.roster
    admin = roster.get_member(w.admin, w.admin.member_id)
    me = roster.get_member(w.organiser, w.organiser.member_id)
    for target, login in ((me, "free-name"), (admin, me.login)):
        with pytest.raises(PermissionDenied) as err:
            roster.update_member(w.organiser, target.id, target.version,
                                 MemberDraft(name=target.name, login=login))
        assert err.value.key == "perm.login"
    assert roster.actor_for_login("admin").member_id == w.admin.member_id
    assert roster.actor_for_login(me.login or "").member_id == w.organiser.member_id
    # Over SSH the organiser's own key still opens his own session, nobody else's.
    key = keygen(site.tmp / "organiser")
    roster.add_key(w.organiser, w.organiser.member_id, key.with_suffix(".pub").read_text())
    term = Terminal(ssh_argv(key, site.gateway.port, "-tt"))
    try:
        term.wait_for("李组织".encode())
        term.send(b"\x11")  # Ctrl+Q
        assert term.finish() == 0
    finally:
        term.close()
    assert f"session member={w.organiser.member_id} login=zuzhi " in site.gateway.log_text()


def _wait_after(term: Terminal, mark: int, needle: str, timeout: float = 30,
                must: bool = True) -> bool:
    """Wait for ``needle`` in what the terminal printed since ``mark``."""
    end = time.monotonic() + timeout
    while needle not in term.text(term.buf[mark:]) and time.monotonic() < end:
        term.pump(0.1)
    found = needle in term.text(term.buf[mark:])
    assert found or not must, f"{needle!r} never appeared:\n{term.text(term.buf[mark:])[-2000:]}"
    return found


def test_the_keys_screen_over_ssh_refuses_the_administrators_row(site: Site) -> None:  # noqa: F811
    """The same attack as a secretary makes it: F3, the keys list, the administrator's
    row, ``a``, paste, Ctrl+S. The refusal says why, on the screen."""
    w = site.world
    attacker = keygen(site.tmp / "attacker-ui")
    rows = w.svc.roster.branch_keys(w.secretary, w.branch_id)
    target = next(i for i, r in enumerate(rows) if r.member_id == w.admin.member_id)
    term = Terminal(ssh_argv(site.secretary_key, site.gateway.port, "-tt"), cols=120, rows=40)
    try:
        term.wait_for("张书记".encode())
        mark = len(term.buf)
        term.send(b"\x1bOR")  # F3: the roster
        _wait_after(term, mark, "dangyuan")
        term.send(b"\x1b[B")  # from the search box down into the list
        term.pump(0.5)
        mark = len(term.buf)
        term.send(b"k")
        _wait_after(term, mark, "人尚未登记")  # the keys screen's head line: it has loaded
        term.pump(0.5)
        mark = len(term.buf)
        for _ in range(target):
            term.send(b"\x1b[B")
            term.pump(0.1)
        term.send(b"a")
        term.pump(1.0)
        term.send(attacker.with_suffix(".pub").read_text().strip().encode())
        term.pump(0.5)
        term.send(b"\x13")  # Ctrl+S
        if not _wait_after(term, mark, "登录密钥只能登记给本人", must=False):
            fp = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f",
                                 str(attacker.with_suffix(".pub"))], capture_output=True,
                                text=True, check=True).stdout.split()[1]
            owner = w.svc.roster.member_for_key(fp)
            raise AssertionError(f"target row {target} of {[r.name for r in rows]}; key went "
                                 f"to {owner}")
        term.send(b"\x1b")
        term.pump(0.3)
        term.send(b"\x11")
        term.finish()
    finally:
        term.close()
    out = subprocess.run(ssh_argv(attacker, site.gateway.port, "-T"),
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    assert out.returncode == 255 and b"Permission denied" in out.stderr
