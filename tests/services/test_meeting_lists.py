"""A list of meetings reads their obligations and agendas in one query each, not one per
meeting (the meetings list asks for up to 500): same meetings, same obligations in the
order they were given, and a number of statements that does not grow with the list. On
both backends (the statement count on SQLite, where the driver can trace them)."""

from __future__ import annotations

from datetime import timedelta

from branchtui.core.enums import Obligation
from branchtui.store.db import is_sqlite
from tests.conftest import NOW
from tests.factories import build_world, draft

KINDS = [
    (Obligation.THEME_DAY,),
    (Obligation.COMMITTEE_MEETING, Obligation.THEME_DAY),
    (Obligation.PARTY_LECTURE, Obligation.GENERAL_MEETING, Obligation.THEME_DAY),
]


def _statements(svc, call):
    """The SELECTs ``call`` sends on this thread (SQLite), and its result."""
    if not is_sqlite(svc.ctx.db):
        return None, call()
    seen: list[str] = []
    svc.ctx.db.connect(reuse_if_open=True)
    svc.ctx.db.connection().set_trace_callback(seen.append)
    try:
        result = call()
    finally:
        svc.ctx.db.connection().set_trace_callback(None)
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")], result


def test_lists_read_obligations_and_agendas_in_one_query_each(svc):
    w = build_world(svc)
    made = []
    for i in range(9):
        d = draft(w, NOW + timedelta(days=3 + i), *KINDS[i % 3], title=f"第{i}次[/]（测试）")
        made.append(svc.meetings.schedule(w.secretary, d))
    start, end = NOW, NOW + timedelta(days=30)

    few_sql, few = _statements(svc, lambda: svc.meetings.find(
        w.secretary, w.branch_id, start=start, end=NOW + timedelta(days=5)))
    all_sql, found = _statements(svc, lambda: svc.meetings.find(
        w.secretary, w.branch_id, start=start, end=end))
    assert len(few) == 2 and len(found) == 9
    for got, want in zip(found, made, strict=True):
        assert (got.id, got.title, got.obligations) == (want.id, want.title, want.obligations)
        assert got.agenda == ()  # a list does not carry agendas
        assert svc.meetings.get(w.secretary, got.id).obligations == want.obligations
    if all_sql is not None:
        assert len(all_sql) == len(few_sql), all_sql  # not one more per meeting

    # The overlap check goes the same way.
    clash_sql, clashes = _statements(svc, lambda: svc.meetings.overlaps(
        w.secretary, w.branch_id, made[4].planned_start, made[4].planned_end))
    assert [c.id for c in clashes] == [made[4].id] and clashes[0].obligations == KINDS[1]
    if clash_sql is not None:
        assert sum('"meeting_obligation"' in s for s in clash_sql) == 1
