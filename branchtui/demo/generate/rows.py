"""Rows as the models define them, and the sink that writes them in bulk.

The generator writes plain tuples (building model instances or peewee's insert queries
cost more than the databases themselves, see ``Sink``). The columns of those tuples come
from the models: ``Table.add`` takes each field by name, fills every field it is not given
with the field's default (NULL for a nullable field without one), and refuses a row that
leaves out a NOT NULL field without a default, naming the model and the field. So a new
optional or defaulted column needs nothing here, and a new required one fails at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from peewee import Database, DateField, DateTimeField, Field, Model, PostgresqlDatabase

from branchtui.store.db import is_sqlite, write_transaction
from branchtui.store.models import ALL_MODELS

# The fallback writer's batches: SQLite (32,766) and PostgreSQL (65,535) limit the
# parameters of one statement.
_MAX_PARAMS = 30_000
_MAX_BATCH = 2_500


class MissingColumnError(TypeError):
    """A demo row leaves out a NOT NULL column that has no default."""


class _Required:
    """The default of a parameter that must be given (a field NOT NULL without default)."""

    def __repr__(self) -> str:
        return "<required>"


class _CallDefault:
    """The default of a parameter whose field has a callable default (called per row)."""

    def __repr__(self) -> str:
        return "<call the default>"


_REQUIRED = _Required()
_CALL = _CallDefault()


def _requires_value(field: Field) -> bool:
    return field.default is None and not field.null


def _row_function(
    model: type[Model],
    fields: list[Field],
    append: Callable[[tuple[Any, ...]], None],
    added: Callable[[], None],
) -> Callable[..., None]:
    """``add(*, field=value, ...)``: the row as a tuple in ``fields`` order, appended.

    Compiled from source text (as ``dataclasses`` builds ``__init__``): one call with
    keyword arguments that builds the tuple costs a tenth of a microsecond more than a
    tuple literal, where a dict per row and a generic loop over the fields cost 3-5 times
    as much (the attendance of profile B is 700,000 rows)."""
    names = [f.name for f in fields]
    namespace: dict[str, Any] = {
        "_REQUIRED": _REQUIRED,
        "_CALL": _CALL,
        "_append": append,
        "_added": added,
        "_missing": _missing_reporter(model),
    }
    params, body = [], []
    required = []
    for k, field in enumerate(fields):
        if _requires_value(field):
            params.append(f"{field.name}=_REQUIRED")
            required.append(field.name)
        elif callable(field.default):
            params.append(f"{field.name}=_CALL")
            namespace[f"_default_{k}"] = field.default
            body.append(f"    if {field.name} is _CALL:\n        {field.name} = _default_{k}()")
        else:
            namespace[f"_default_{k}"] = field.default
            params.append(f"{field.name}=_default_{k}")
    if required:
        check = " or ".join(f"{name} is _REQUIRED" for name in required)
        given = ", ".join(f"{name}={name}" for name in required)
        body.insert(0, f"    if {check}:\n        _missing({given})")
    name = f"add_{model._meta.table_name}"
    source = (
        f"def {name}(*, {', '.join(params)}):\n"
        + "".join(line + "\n" for line in body)
        + f"    _append(({', '.join(names)},))\n"
        + "    _added()\n"
    )
    exec(source, namespace)
    function: Callable[..., None] = namespace[name]
    return function


def _missing_reporter(model: type[Model]) -> Callable[..., None]:
    """Raises MissingColumnError naming the fields given as ``_REQUIRED``."""

    def report(**given: Any) -> None:
        missing = [name for name, value in given.items() if value is _REQUIRED]
        columns = ", ".join(f"{model.__name__}.{name}" for name in missing)
        raise MissingColumnError(
            f"the demo writes {model.__name__} rows without {columns}: NOT NULL and no "
            f"default in the model; set it where branchtui/demo/generate adds "
            f"{model.__name__} rows"
        )

    return report


class Table:
    """One model's rows waiting to be written, and the ids handed out for it.

    ``add(field=value, ...)`` appends a row (see the module's docstring); ``next_id()``
    gives the next primary key: every id is assigned here, so nothing is read back while
    writing."""

    def __init__(self, model: type[Model], added: Callable[[], None]) -> None:
        self.model = model
        self.fields: list[Field] = list(model._meta.sorted_fields)
        self.rows: list[tuple[Any, ...]] = []
        self.add = _row_function(model, self.fields, self.rows.append, added)
        self._next = 1
        # SQLite stores dates and datetimes as ISO text: the columns to convert.
        self.temporal = tuple(
            k for k, f in enumerate(self.fields) if isinstance(f, DateField | DateTimeField)
        )

    def next_id(self) -> int:
        value = self._next
        self._next = value + 1
        return value

    def ids_from(self, first: int) -> None:
        """The next id handed out is ``first`` (after rows written with their own ids)."""
        self._next = first


def _iso_row(row: tuple[Any, ...], temporal: tuple[int, ...]) -> tuple[Any, ...]:
    """The row with its date/datetime values as the ISO text peewee stores in SQLite
    ("2026-11-27", "2026-11-27 19:00:00")."""
    values = list(row)
    for k in temporal:
        value = values[k]
        if value is not None:
            values[k] = str(value)
    return tuple(values)


class Sink:
    """Buffers every model's rows (``table(model).add(...)``) and writes them in bulk.

    ``flush`` writes every table in ``ALL_MODELS`` order (referenced tables first) inside
    one write transaction, so a row may be added as soon as the rows it references have
    been added, even if they are still buffered. It runs by itself every ``flush_rows``
    rows.

    Writing: PostgreSQL gets ``COPY ... FROM STDIN``, SQLite one prepared ``INSERT`` run by
    ``executemany`` (with dates as peewee stores them: ISO text), anything else peewee's
    ``insert_many`` in batches. Measured on profile B: building multi-row INSERTs through
    peewee's query compiler took 80% of the run, more than the databases themselves."""

    def __init__(self, db: Database, flush_rows: int = 60_000) -> None:
        self.db = db
        self.flush_rows = flush_rows
        self.counts: Counter[str] = Counter()
        self.pending = 0
        self.postgres = isinstance(db, PostgresqlDatabase)
        self.sqlite = is_sqlite(db)
        self.tables = {model: Table(model, self._added) for model in ALL_MODELS}
        self._sql = {model: self._statement(t) for model, t in self.tables.items()}

    def _statement(self, table: Table) -> str:
        name = table.model._meta.table_name
        columns = ", ".join(f'"{f.column_name}"' for f in table.fields)
        if self.postgres:
            return f'COPY "{name}" ({columns}) FROM STDIN'
        marks = ", ".join("?" for _ in table.fields)
        return f'INSERT INTO "{name}" ({columns}) VALUES ({marks})'

    def table(self, model: type[Model]) -> Table:
        return self.tables[model]

    def buffered(self, model: type[Model]) -> int:
        """Rows of ``model`` added and not yet written."""
        return len(self.tables[model].rows)

    def _added(self) -> None:
        self.pending += 1
        if self.pending >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        with write_transaction(self.db):
            if self.postgres:
                # Demo data can be regenerated: no need to wait for the WAL flush.
                self.db.execute_sql("SET LOCAL synchronous_commit = off")
            for model in ALL_MODELS:
                table = self.tables[model]
                if not table.rows:
                    continue
                self._write(table)
                self.counts[model._meta.table_name] += len(table.rows)
                table.rows.clear()
        self.pending = 0

    def _write(self, table: Table) -> None:
        rows = table.rows
        sql = self._sql[table.model]
        if self.postgres:
            cursor = self.db.cursor()
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        elif self.sqlite:
            temporal = table.temporal
            if temporal:
                rows = [_iso_row(row, temporal) for row in rows]
            self.db.cursor().executemany(sql, rows)
        else:
            fields = table.fields
            batch = max(1, min(_MAX_BATCH, _MAX_PARAMS // len(fields)))
            for start in range(0, len(rows), batch):
                chunk = rows[start : start + batch]
                table.model.insert_many(chunk, fields=fields).as_rowcount().execute()

    def reset_sequences(self) -> None:
        """PostgreSQL: move every id sequence past the ids written here."""
        if not self.postgres:
            return
        with write_transaction(self.db):
            for model in ALL_MODELS:
                table = model._meta.table_name
                self.db.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE(MAX(id), 0) + 1, false) FROM "{table}"'
                )
