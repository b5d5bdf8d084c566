"""The four ways found to reach rights above one's own (issue 10, items 1-4), each refused
with a clear reason, and the audit trail of every change to rights. Both backends."""

from __future__ import annotations

import json
from datetime import date

import pytest

from branchtui.core.enums import PositionRole
from branchtui.core.errors import PermissionDenied, ValidationError
from branchtui.services import MemberDraft
from branchtui.services.roster import AuditScope
from tests.conftest import HOSTILE_LINK, on_both_backends
from tests.factories import JOINED, build_world
from tests.services.test_rights_table import fake_key


@pytest.fixture
def world(request, tmp_path, clock):
    from branchtui.services import Services
    from branchtui.store.db import close_database, open_database, upgrade
    from tests.conftest import backend_url

    db = open_database(backend_url(request, tmp_path, "esc.sqlite3"))
    upgrade(db)
    try:
        yield build_world(Services.create(db, clock=clock))
    finally:
        close_database(db)


def refused(call, key: str) -> PermissionDenied:
    with pytest.raises(PermissionDenied) as err:
        call()
    assert err.value.key == key, f"refused for {err.value.key}, expected {key}"
    assert not err.value.message().startswith("perm."), "the refusal must read as a sentence"
    return err.value


@on_both_backends
def test_a_secretary_cannot_give_herself_the_administrators_login(world):
    """Item 1: 书记 adds her own key to the administrator, a member of her branch."""
    svc, w = world.svc, world
    svc.roster.add_member(w.admin, w.branch_id, MemberDraft(name="x"))  # admin stays admin
    admin_id = w.admin.member_id
    refused(lambda: svc.roster.add_key(w.secretary, admin_id, fake_key("s")), "perm.keys")
    assert svc.roster.member_for_key(svc.roster.add_key(
        w.secretary, w.secretary.member_id, fake_key("s")).fingerprint).member_id \
        == w.secretary.member_id  # her own key is hers
    # Nor the key of someone whose post is not below hers (the deputy may not reach her).
    deputy = svc.roster.add_member(w.admin, w.branch_id, MemberDraft(name="副书记"))
    svc.roster.appoint(w.admin, deputy.id, w.branch_id, PositionRole.DEPUTY_SECRETARY, JOINED)
    dep = svc.roster.actor_for_member(deputy.id)
    refused(lambda: svc.roster.add_key(dep, w.secretary.member_id, fake_key("d")),
            "perm.keys")
    # ...while an ordinary member of the branch gets one from her.
    svc.roster.add_key(w.secretary, w.member.member_id, fake_key("m"))
    # Removing the administrator's key is refused the same way.
    k = svc.roster.add_key(w.admin, admin_id, fake_key("a"))
    refused(lambda: svc.roster.remove_key(w.secretary, k.fingerprint), "perm.keys")


@on_both_backends
def test_an_organisation_officer_cannot_take_the_administrators_login(world):
    """Item 2: 组织委员 renames his own login, then gives the administrator's to himself."""
    svc, w = world.svc, world
    me = svc.roster.get_member(w.organiser, w.organiser.member_id)
    refused(lambda: svc.roster.update_member(w.organiser, me.id, me.version, MemberDraft(
        name=me.name, login="someone")), "perm.login")
    admin = svc.roster.get_member(w.admin, w.admin.member_id)
    refused(lambda: svc.roster.update_member(w.organiser, admin.id, admin.version, MemberDraft(
        name=admin.name, login="zuzhi2")), "perm.login")
    # The secretary may not change her own login either; the administrator may.
    sec = svc.roster.get_member(w.secretary, w.secretary.member_id)
    refused(lambda: svc.roster.update_member(w.secretary, sec.id, sec.version, MemberDraft(
        name=sec.name, login="newshuji")), "perm.login")
    svc.roster.update_member(w.admin, sec.id, sec.version, MemberDraft(name=sec.name,
                                                                       login="newshuji"))
    assert svc.roster.actor_for_login("newshuji").member_id == sec.id
    # He still edits an ordinary member's other fields (his roster right), login unchanged.
    mem = svc.roster.get_member(w.organiser, w.member.member_id)
    svc.roster.update_member(w.organiser, mem.id, mem.version, MemberDraft(
        name="改名" + HOSTILE_LINK, login=mem.login))


@on_both_backends
def test_only_the_branchs_own_lead_moves_people_out(world):
    """Item 3: another branch's secretary (or a 组织委员) moves a branch's secretary out."""
    svc, w = world.svc, world
    on = date(2026, 11, 28)
    refused(lambda: svc.roster.transfer(w.other_secretary, w.secretary.member_id, on,
                                        to_branch_id=w.other_branch_id), "perm.transfer")
    refused(lambda: svc.roster.transfer(w.other_secretary, w.member.member_id, on,
                                        to_branch_id=w.other_branch_id), "perm.transfer")
    refused(lambda: svc.roster.transfer(w.organiser, w.secretary.member_id, on,
                                        to_branch_id=w.other_branch_id), "perm.transfer")
    # Her post stands: she still schedules.
    assert svc.meetings.can_schedule(w.secretary, w.branch_id)
    # Her own branch's secretary moves an ordinary member; the move ends nobody's post
    # above hers, and the secretary herself is moved by the administrator.
    svc.roster.transfer(w.secretary, w.member.member_id, on, to_branch_id=w.other_branch_id)
    refused(lambda: svc.roster.transfer(w.secretary, w.secretary.member_id, on,
                                        to_branch_id=w.other_branch_id), "perm.transfer")
    # The 组织委员 still moves members between the branch's groups.
    svc.roster.transfer(w.organiser, w.recorder.member_id, on, to_branch_id=w.branch_id,
                        to_group_id=w.group_ids[0])


@on_both_backends
def test_the_upper_level_reads_and_writes_only_by_a_named_right(world):
    """Item 4: the upper-level viewer called set_committee on a branch."""
    svc, w = world.svc, world
    org = next(o for o in svc.roster.orgs(w.admin) if o.id == w.branch_id)
    refused(lambda: svc.roster.set_committee(w.viewer, w.branch_id, True, org.version),
            "perm.org")
    refused(lambda: svc.roster.appoint(w.viewer, w.member.member_id, w.branch_id,
                                       PositionRole.PROPAGANDA, JOINED), "perm.posts")
    assert svc.roster.roster(w.viewer, w.branch_id)  # it reads
    # The 党委's secretary holds the named right to decide a branch's committee.
    up = svc.roster.add_member(w.admin, w.other_branch_id, MemberDraft(name="党委书记"))
    svc.roster.appoint(w.admin, up.id, w.top_id, PositionRole.SECRETARY, JOINED)
    upper = svc.roster.actor_for_member(up.id)
    assert svc.roster.set_committee(upper, w.branch_id, True, org.version).has_committee
    # ...and appoints a branch secretary, which the branch's own secretary may not.
    svc.roster.appoint(upper, w.member.member_id, w.branch_id, PositionRole.SECRETARY, JOINED)
    refused(lambda: svc.roster.appoint(w.secretary, w.recorder.member_id, w.branch_id,
                                       PositionRole.SECRETARY, JOINED), "perm.posts")


@on_both_backends
def test_every_change_to_rights_is_in_the_audit(world):
    svc, w = world.svc, world
    key = svc.roster.add_key(w.secretary, w.member.member_id, fake_key("m"))
    svc.roster.remove_key(w.secretary, key.fingerprint)
    mem = svc.roster.get_member(w.admin, w.member.member_id)
    svc.roster.update_member(w.secretary, mem.id, mem.version,
                             MemberDraft(name=mem.name, login="sun2"))
    pos = svc.roster.appoint(w.secretary, w.member.member_id, w.group_ids[0],
                             PositionRole.GROUP_LEADER, date(2026, 11, 1))
    svc.roster.end_position(w.secretary, pos.id, date(2026, 11, 20))
    org = next(o for o in svc.roster.orgs(w.admin) if o.id == w.branch_id)
    svc.roster.set_committee(w.secretary, w.branch_id, False, org.version)
    svc.roster.set_admin(w.admin, w.secretary.member_id, True)
    svc.roster.transfer(w.secretary, w.member.member_id, date(2026, 11, 28),
                        to_branch_id=w.other_branch_id)
    trail = svc.roster.rights_audit(w.admin)
    actions = [e.action for e in trail[:8]]
    assert actions == ["member.transfer", "member.admin", "org.committee", "position.end",
                       "position.appoint", "member.login", "keys.remove", "keys.add"]
    login = next(e for e in trail if e.action == "member.login")
    assert json.loads(login.before) == {"login": "dangyuan"}
    assert json.loads(login.after) == {"login": "sun2"}
    assert login.actor_name == "张书记" and login.member_name == "孙党员（老）"
    flag = next(e for e in trail if e.action == "member.admin")
    assert (json.loads(flag.before), json.loads(flag.after)) == (
        {"is_admin": False}, {"is_admin": True})
    moved = trail[0]
    assert json.loads(moved.before)["branch"] == w.branch_id
    # The upper level reads its subtree's trail; a branch secretary may not read it.
    assert [e.id for e in svc.roster.rights_audit(w.viewer, w.top_id)][:8] == \
        [e.id for e in trail[:8]]
    refused(lambda: svc.roster.rights_audit(w.other_secretary, w.other_branch_id), "perm.audit")
    refused(lambda: svc.roster.rights_audit(w.viewer), "perm.audit")
    # Nobody sets their own flag, and only the administrator sets anyone's.
    with pytest.raises(ValidationError):
        svc.roster.set_admin(w.admin, w.admin.member_id, False)
    refused(lambda: svc.roster.set_admin(w.other_secretary, w.member.member_id, True),
            "perm.admin_flag")


@on_both_backends
def test_where_each_actor_reads_the_audit_from(world):
    """The administrator reads the whole tree; the upper level its own organisation above
    the branches; a branch secretary or a member nowhere (None, and ``rights_audit``
    refuses them)."""
    svc, w = world.svc, world
    assert svc.roster.audit_scope(w.admin) == AuditScope(org_id=None, org_name="")
    upper = svc.roster.audit_scope(w.viewer)
    assert upper is not None and upper.org_id == w.top_id and upper.org_name
    for actor in (w.secretary, w.other_secretary, w.member):
        assert svc.roster.audit_scope(actor) is None
        refused(lambda a=actor: svc.roster.rights_audit(a), "perm.audit")


@on_both_backends
def test_nobody_takes_the_vote_from_someone_above(world):
    """A 组织委员 may not undo the secretary's 转正 (and with it her vote), nor confirm
    himself; he still confirms an ordinary probationary member."""
    svc, w = world.svc, world
    sec = svc.roster.get_member(w.admin, w.secretary.member_id)
    refused(lambda: svc.roster.update_member(w.organiser, sec.id, sec.version, MemberDraft(
        name=sec.name, login=sec.login, admitted=date(2015, 3, 1), full_since=None)),
        "perm.status")
    me = svc.roster.get_member(w.admin, w.organiser.member_id)
    refused(lambda: svc.roster.confirm_full(w.organiser, me.id, date(2016, 3, 1), me.version),
            "perm.status")
    yb = svc.roster.get_member(w.admin, w.probationary.member_id)
    assert svc.roster.confirm_full(w.organiser, yb.id, date(2026, 11, 1),
                                   yb.version).full_since == date(2026, 11, 1)
