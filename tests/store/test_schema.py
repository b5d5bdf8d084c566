"""The frozen migrations and the models agree, on both backends; an old schema is refused."""

from __future__ import annotations

import pytest
from playhouse.schema_diff import diff_models

from branchtui.core.errors import SchemaOutOfDate
from branchtui.store.db import (
    check_schema,
    migrations_dir,
    open_database,
    schema_status,
    upgrade,
)
from branchtui.store.models import ALL_MODELS


def test_migrations_build_exactly_the_models(db):
    diff = diff_models(db, list(ALL_MODELS))
    assert not diff, f"migrations and models disagree: {diff!r}"


def test_upgrade_is_idempotent_and_status_is_clean(db):
    assert upgrade(db) == []
    applied, pending, unknown = schema_status(db)
    assert applied and not pending and not unknown
    check_schema(db)


def test_an_empty_database_is_refused_not_migrated(db_url):
    db = open_database(db_url)
    with pytest.raises(SchemaOutOfDate) as err:
        check_schema(db)
    assert "branchtui db upgrade" in err.value.message()
    # Refusing did not migrate anything.
    assert schema_status(db)[0] == []
    db.close()


def test_a_schema_newer_than_the_program_is_refused(db):
    from playhouse.migrations import Runner

    Runner(db, directory=str(migrations_dir())).History.create(name="9999_from_the_future")
    with pytest.raises(SchemaOutOfDate) as err:
        check_schema(db)
    assert err.value.key == "error.schema_new"


def test_status_agrees_with_the_migration_runner_step_by_step(db_url):
    """schema_status reads the history table itself (to keep playhouse.migrations out of
    the app's start); it must classify exactly as the runner does, at every step."""
    from branchtui.store.db import runner

    db = open_database(db_url)
    names = [p.stem for p in sorted(migrations_dir().glob("[0-9]*.py"))]

    def runner_view() -> tuple[list[str], list[str], list[str]]:
        rows = runner(db).status()
        return ([m.name for m in rows if m.applied and m.path],
                [m.name for m in rows if not m.applied],
                [m.name for m in rows if m.applied and m.path is None])

    for target in names:
        runner(db).up(target=target)
        assert schema_status(db) == runner_view()
        assert schema_status(db)[0][-1] == target
    runner(db).History.create(name="10000_later")
    runner(db).History.create(name="9999_from_the_future")
    assert schema_status(db) == runner_view()
    assert schema_status(db)[2] == ["9999_from_the_future", "10000_later"]
    db.close()


def test_migrations_do_not_import_the_package():
    for path in migrations_dir().glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "branchtui" not in text, f"{path.name} must stay a frozen copy"


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    upgrade(db)
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_memory_sqlite_is_refused():
    from branchtui.core.errors import BranchError

    with pytest.raises(BranchError) as err:
        open_database("sqlite:///:memory:")
    assert "内存" in err.value.message()


def test_migration_numbers_are_unique_and_follow_each_other():
    """Two branches that each add ``0007_…`` would merge side by side without a conflict;
    the runner would then apply them in an order that depends on their names. The numbers
    must be 1, 2, 3, … with no gap and no number twice."""
    from branchtui.store.db import _index

    names = sorted(p.stem for p in migrations_dir().glob("[0-9]*.py"))
    numbers = [_index(n) for n in names]
    assert numbers == list(range(1, len(names) + 1)), names
