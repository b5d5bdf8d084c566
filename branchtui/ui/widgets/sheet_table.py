"""The attendance sheet's table: a DataTable whose rows change one at a time."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


class SheetTable(DataTable):
    """A DataTable whose rows change one at a time.

    ``DataTable.update_cell`` keys every render cache by one update counter, so changing one
    cell renders every visible cell again: 35-45 ms for a 34-line sheet on a 2-core machine,
    paid on every keypress. ``replace_cells`` drops only the changed row's cached renderings
    and repaints that row. It reaches into DataTable's caches (Textual is pinned); if they
    ever change shape it falls back to ``update_cell``, slower but right.
    """

    def replace_cells(self, row_key: str, cells: dict[str, Text]) -> None:
        key = RowKey(row_key)
        try:
            data = self._data[key]
            index = self._row_locations.get(key)
            if index is None or any(ColumnKey(column) not in data for column in cells):
                raise KeyError(row_key)
            for column, value in cells.items():
                data[ColumnKey(column)] = value
            caches: tuple[Any, ...] = (self._cell_render_cache, self._row_render_cache)
            for cache in caches:
                cached = cache.keys()
                for stale in [k for k in cached if k[0] == key]:
                    cache.discard(stale)
            self._row_renderable_cache.discard((self._update_count, index))
            self._line_cache.clear()  # keyed by screen line; rebuilt from the row caches
        except (AttributeError, KeyError, TypeError, IndexError):
            for column, value in cells.items():
                self.update_cell(row_key, column, value)
            return
        self.refresh_row(index)
