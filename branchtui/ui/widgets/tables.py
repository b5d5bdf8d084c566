"""Helpers for the DataTables of the screens, whose rows are keyed by primary key: the row
under the cursor, keeping it across a reload, and the width of free text columns."""

from __future__ import annotations

import contextlib

from textual.widgets import DataTable


def text_width(total: int, fixed: int, free: int, columns: int, least: int = 10) -> int:
    """Width of each of ``free`` text columns in a table of ``columns`` columns on a screen
    ``total`` cells wide, after the ``fixed`` widths, each column's padding of 2, and the
    margins and scroll bar (8)."""
    return max(least, (total - 8 - 2 * columns - fixed) // max(free, 1))


def selected_key(table: DataTable) -> int | None:
    """The primary key of the row under the cursor (rows are keyed by id), if any."""
    if table.row_count == 0:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return int(key) if key is not None and str(key).isdigit() else None


def keep_cursor(table: DataTable, key: int | None) -> None:
    if key is None:
        return
    # The row may be gone (filtered out): then the cursor stays at the top.
    with contextlib.suppress(Exception):
        table.move_cursor(row=table.get_row_index(str(key)))
