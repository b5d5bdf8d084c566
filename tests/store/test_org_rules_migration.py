"""Migration 0010 (issue 12), on both backends: the rules kept on ``org.rules_json`` become
each organisation's first row of ``org_rules``, in force from the day it was created, and
the column goes; downgrading puts each organisation's latest row back."""

from __future__ import annotations

import json
from datetime import date, datetime

from branchtui.store.db import close_database, open_database, runner, upgrade

BEFORE = "0009_org_time_zone"
RULES = json.dumps({"lapse_months": 4})


def _columns(db, table: str) -> set[str]:
    return {c.name for c in db.get_columns(table)}


def test_rules_json_becomes_the_first_row_of_the_history(db_url):
    db = open_database(db_url)
    try:
        runner(db).up(target=BEFORE)
        assert "rules_json" in _columns(db, "org")
        insert = ('INSERT INTO org (id, parent_id, kind, name, has_committee, rules_json, '
                  'created_at, version) VALUES (%s, %s, %s, %s, NULL, %s, %s, 1)')
        if db_url.startswith("sqlite"):
            insert = insert.replace("%s", "?")
        db.execute_sql(insert, (1, None, "party_committee", "党委", RULES,
                                datetime(2019, 5, 6, 10, 30)))
        db.execute_sql(insert, (2, 1, "branch", "支部", None, datetime(2020, 1, 2, 9)))
        db.execute_sql(insert, (3, 1, "branch", "另一支部", "", datetime(2020, 1, 2, 9)))
        upgrade(db)
        assert "rules_json" not in _columns(db, "org")
        rows = db.execute_sql("SELECT org_id, starts, overrides_json, set_by_id, set_at "
                              "FROM org_rules").fetchall()
        assert len(rows) == 1
        org_id, starts, overrides, set_by, set_at = rows[0]
        assert (org_id, overrides, set_by) == (1, RULES, None)
        assert str(starts)[:10] == date(2019, 5, 6).isoformat()
        assert str(set_at)[:16] == "2019-05-06 10:30"
        # Down again: the latest row of each organisation goes back to the column.
        db.execute_sql("INSERT INTO org_rules (org_id, starts, overrides_json, set_at) "
                       + ("VALUES (?, ?, ?, ?)" if db_url.startswith("sqlite")
                          else "VALUES (%s, %s, %s, %s)"),
                       (1, date(2026, 1, 1), '{"lapse_months":5}', datetime(2026, 1, 1)))
        runner(db).down(target=BEFORE)
        assert "org_rules" not in db.get_tables()
        back = dict(db.execute_sql("SELECT id, rules_json FROM org ORDER BY id").fetchall())
        assert back == {1: '{"lapse_months":5}', 2: None, 3: None}  # "" was no rules
    finally:
        close_database(db)
