"""The branch's login keys for the secretary: every current member, with their keys or a
line saying they have none; only those who lead the branch may look."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchtui.core.errors import PermissionDenied, ValidationError
from branchtui.services.roster import KEY_TYPES, parse_public_key
from tests.conftest import HOSTILE
from tests.core.test_sshkeys import ed25519_blob, line_of, rsa_blob
from tests.factories import build_world


def key_line(seed: int, comment: str) -> str:
    def s(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    blob = s(b"ssh-ed25519") + s(bytes((seed + i) % 256 for i in range(32)))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


@pytest.fixture
def world(svc):
    return build_world(svc)


def test_every_member_is_listed_with_keys_or_without(world):
    w, svc = world, world.svc
    a = svc.roster.add_key(w.secretary, w.member.member_id, key_line(1, "laptop" + HOSTILE))
    b = svc.roster.add_key(w.secretary, w.member.member_id, key_line(2, "phone"))
    svc.roster.add_key(w.secretary, w.recorder.member_id, key_line(3, "desk"))
    rows = svc.roster.branch_keys(w.secretary, w.branch_id)
    current = {e.member_id for e in svc.queries.roster_overview(w.secretary, w.branch_id).entries}
    assert {r.member_id for r in rows} == current, "every current member, nobody else"
    mine = [r for r in rows if r.member_id == w.member.member_id]
    assert [(r.fingerprint, r.comment) for r in mine] == [
        (a.fingerprint, "laptop" + HOSTILE), (b.fingerprint, "phone")]
    assert all(r.added_at is not None for r in mine)
    without = [r for r in rows if r.fingerprint is None]
    assert {r.member_id for r in without} == current - {w.member.member_id,
                                                        w.recorder.member_id}
    assert all(r.key_id is None and r.comment == "" for r in without)
    # A removed key is gone from the list; the member is then listed without a key.
    svc.roster.remove_key(w.secretary, a.fingerprint)
    svc.roster.remove_key(w.secretary, b.fingerprint)
    after = [r for r in svc.roster.branch_keys(w.secretary, w.branch_id)
             if r.member_id == w.member.member_id]
    assert [(r.fingerprint, r.key_id) for r in after] == [(None, None)]


def test_only_those_who_lead_the_branch_may_look(world):
    w, svc = world, world.svc
    for who in (w.member, w.recorder, w.probationary):
        with pytest.raises(PermissionDenied) as err:
            svc.roster.branch_keys(who, w.branch_id)
        assert err.value.key == "perm.keys"
    assert svc.roster.branch_keys(w.admin, w.branch_id)


@pytest.mark.parametrize(("text", "key"), [
    (line_of(rsa_blob(1024), "old" + HOSTILE), "keys.rsa_too_short"),
    (line_of(ed25519_blob(1), "a") + "\n" + line_of(ed25519_blob(2), "b"), "keys.several"),
    (line_of(ed25519_blob(1), "a " + line_of(ed25519_blob(2), "b")), "keys.several"),
])
def test_weak_keys_and_several_keys_are_refused_and_nothing_is_stored(world, text, key):
    """Issue 10: a 1024-bit RSA key was accepted; of two keys the first was kept and the
    second stored as its comment."""
    w, svc = world, world.svc
    with pytest.raises(ValidationError) as err:
        svc.roster.add_key(w.secretary, w.member.member_id, text)
    assert err.value.key == key
    assert svc.roster.list_keys(w.admin) == []


@given(st.text(max_size=300))
def test_any_pasted_text_is_a_key_or_a_validation_error(text):
    try:
        line, fingerprint, _comment = parse_public_key(text)
    except ValidationError:
        return
    assert fingerprint.startswith("SHA256:") and line.split()[0] in KEY_TYPES
