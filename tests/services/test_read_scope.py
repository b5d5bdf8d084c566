"""A read inside a read joins it (services/base.py): the home screen's ten reads are one
transaction, with the actor's grants loaded once and no savepoints; a write in between
drops what was cached. On both backends."""

from __future__ import annotations

from datetime import date

import pytest

from branchtui.core.enums import PositionRole
from branchtui.services.permissions import Grants, branch_target
from branchtui.store.db import is_sqlite
from tests.factories import build_world


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    load = Grants.load.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Grants], actor, day: date) -> Grants:
        calls.append(actor.member_id)
        return load(cls, actor, day)

    monkeypatch.setattr(Grants, "load", classmethod(counting))
    return calls


def test_home_is_one_read_with_one_grants_load(svc, counted):
    w = build_world(svc)
    counted.clear()
    statements: list[str] = []
    if is_sqlite(svc.ctx.db):  # the statements the home load sends, on this thread
        svc.ctx.db.connect(reuse_if_open=True)
        svc.ctx.db.connection().set_trace_callback(statements.append)
    data = svc.home.load(w.secretary)
    assert data.branches and data.upcoming is not None
    assert counted == [w.secretary.member_id]
    if is_sqlite(svc.ctx.db):
        svc.ctx.db.connection().set_trace_callback(None)
        assert not [s for s in statements if s.upper().startswith("SAVEPOINT")]
        assert sum(s.upper().startswith("BEGIN") for s in statements) == 1
    # Two calls outside any read: each its own transaction and its own grants.
    counted.clear()
    svc.queries.warnings(w.secretary, w.branch_id)
    svc.queries.warnings(w.secretary, w.branch_id)
    assert len(counted) == 2


def test_a_write_drops_the_cached_grants(svc, counted):
    w = build_world(svc)
    counted.clear()
    with svc.queries.read():
        assert not svc.queries.grants(w.member).allows(
            "minutes.verify", branch_target(w.branch_id))
        svc.queries.grants(w.member)
        assert len(counted) == 1  # cached within the read
    counted.clear()
    # Made a 书记 by a write: a read after it sees the new role, not a cached one.
    svc.roster.appoint(w.admin, w.member.member_id, w.branch_id, PositionRole.SECRETARY,
                       starts=svc.ctx.today())
    with svc.queries.read():
        assert svc.queries.grants(w.member).allows(
            "minutes.verify", branch_target(w.branch_id))
