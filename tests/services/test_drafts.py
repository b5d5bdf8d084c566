"""Autosaved drafts survive a new process and are private."""

from __future__ import annotations

import pytest

from branchtui.core.errors import ValidationError
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database
from tests.conftest import HOSTILE_LINK, NOW
from tests.factories import build_world


def test_draft_roundtrip_private_and_survives_reconnect(svc, db_url):
    w = build_world(svc)
    key = "speech:meeting=1:item=2"
    svc.drafts.save(w.recorder, key, "第一段\x1b[2J" + HOSTILE_LINK)
    svc.drafts.save(w.recorder, key, "第一段，第二段" + HOSTILE_LINK)
    # Another process (a new connection) after the first one died.
    other = Services.create(open_database(db_url), FixedClock(NOW))
    got = other.drafts.load(w.recorder, key)
    assert got is not None and got.text == "第一段，第二段" + HOSTILE_LINK
    assert other.drafts.load(w.secretary, key) is None
    assert [d.key for d in other.drafts.mine(w.recorder, "speech:")] == [key]
    other.drafts.clear(w.recorder, key)
    assert svc.drafts.load(w.recorder, key) is None
    with pytest.raises(ValidationError):
        svc.drafts.save(w.recorder, "x" * 200, "t")
