"""The TUI's table: text cells are plain text, and the keys move as operators expect.

Textual reads str cells and labels as markup, and kataio's cells hold names, paths, hosts and
messages from outside (a "[" stays a "[", an ESC never reaches the terminal). j/k move like the
arrows, g/G and Home/End go to the first and last row (DataTable's own Home/End scroll sideways).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from kataio_tui.printable import printable


def _plain(value: Any) -> Any:
    return Text(printable(value)) if isinstance(value, str) else value


class PlainTable(DataTable):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="table.down", show=False),
        Binding("k", "cursor_up", "Up", id="table.up", show=False),
        Binding("g,home", "scroll_top", "First row", id="table.first", show=False),
        Binding("G,end", "scroll_bottom", "Last row", id="table.last", show=False),
    ]

    def add_column(self, label: Any, *args: Any, **kwargs: Any):
        return super().add_column(_plain(label), *args, **kwargs)

    def add_row(self, *cells: Any, **kwargs: Any):
        return super().add_row(*(_plain(c) for c in cells), **kwargs)

    def update_cell(self, row_key: Any, column_key: Any, value: Any, **kwargs: Any) -> None:
        super().update_cell(row_key, column_key, _plain(value), **kwargs)
