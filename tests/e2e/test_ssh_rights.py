"""The rights found open in issue 10, tried again end to end: the attack through the same
service call the app's screens and ``branchtui keys add`` make, and its effect checked
with the real ``ssh`` client against ``branchtui serve``.

1. A secretary puts a key of her own on the administrator: refused, and the key opens no
   session (before the fix the gateway logged ``member=1`` for it).
2. A 组织委员 gives himself the administrator's login name: refused, and the
   administrator's key still opens the administrator's session, his the 组织委员's."""

from __future__ import annotations

import subprocess

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
