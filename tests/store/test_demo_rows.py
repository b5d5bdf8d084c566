"""The demo generator's rows take their columns from the models (branchtui.demo.generate.rows):
a new optional or defaulted column needs no edit of the generator, a new NOT NULL column
without a default stops it with the model and the column named."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from peewee import CharField, Field, IntegerField, Model, SqliteDatabase, TextField

from branchtui.demo import build
from branchtui.demo.generate.rows import MissingColumnError, Table
from branchtui.store.models import ALL_MODELS, Meeting
from tests.store.test_generate import PROFILE_A_CONTENT, TODAY, _content_digest, _sqlite


class Thing(Model):
    """A model of its own: what a Table makes of each kind of field."""

    name = CharField()  # NOT NULL, no default: required
    note = TextField(default="")
    size = IntegerField(null=True)
    ticket = IntegerField(default=itertools.count(100).__next__)  # called per row
    version = IntegerField(default=1)

    class Meta:
        database = SqliteDatabase(None)


def test_a_row_has_every_column_in_the_models_order() -> None:
    table = Table(Thing, lambda: None)
    assert [f.name for f in table.fields] == ["id", "name", "note", "size", "ticket", "version"]
    table.add(id=1, name="甲")
    table.add(id=2, name="乙", note="[/]", size=3, version=4)
    assert table.rows == [(1, "甲", "", None, 100, 1), (2, "乙", "[/]", 3, 101, 4)]


def test_a_required_column_left_out_is_named() -> None:
    table = Table(Thing, lambda: None)
    with pytest.raises(MissingColumnError, match=r"Thing\.name\b") as caught:
        table.add(id=1, note="x")
    assert "NOT NULL" in str(caught.value)
    with pytest.raises(MissingColumnError, match=r"Thing\.id, Thing\.name"):
        table.add()
    with pytest.raises(TypeError, match="colour"):
        table.add(id=1, name="x", colour="red")
    assert table.rows == []


@contextmanager
def _extra_fields(db, model: type[Model], **fields: Field) -> Iterator[None]:
    """``fields`` added to ``model`` (and their columns to ``db``) for the block."""
    table = model._meta.table_name
    try:
        for name, field in fields.items():
            model._meta.add_field(name, field)
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {field.field_type}')
        yield
    finally:
        for name in fields:
            model._meta.remove_field(name)
            if name in model.__dict__:
                delattr(model, name)


def test_a_new_optional_column_needs_no_demo_edit(tmp_path: Path) -> None:
    """A nullable and a defaulted column on Meeting: the demo fills them, and its data
    is what it was (the pinned digest leaves a column at its default out)."""
    db = _sqlite(tmp_path / "extra.sqlite3")
    extra = {"demo_note": TextField(null=True), "demo_level": IntegerField(default=7)}
    with _extra_fields(db, Meeting, **extra):
        summary = build(db, "A", today=TODAY)
        with db.bind_ctx(ALL_MODELS):
            values = set(Meeting.select(Meeting.demo_note, Meeting.demo_level).tuples())
        assert values == {(None, 7)}
        assert _content_digest(db) == PROFILE_A_CONTENT
    assert summary.meetings > 800
    assert "demo_note" not in Meeting._meta.fields
    db.close()


def test_a_new_required_column_stops_the_demo_naming_it(tmp_path: Path) -> None:
    db = _sqlite(tmp_path / "required.sqlite3")
    with (
        _extra_fields(db, Meeting, demo_code=CharField(max_length=8)),
        pytest.raises(MissingColumnError, match=r"Meeting\.demo_code\b"),
    ):
        build(db, "A", today=TODAY)
    assert not hasattr(Meeting, "demo_code")
    db.close()
