"""A DataTable whose text cells are plain text: Textual reads str cells and labels as markup, and
kataio's cells hold names, paths, hosts and messages from outside (a '[' must stay a '[')."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable


def _plain(value: Any) -> Any:
    return Text(value) if isinstance(value, str) else value


class PlainTable(DataTable):
    def add_column(self, label: Any, *args: Any, **kwargs: Any):
        return super().add_column(_plain(label), *args, **kwargs)

    def add_row(self, *cells: Any, **kwargs: Any):
        return super().add_row(*(_plain(c) for c in cells), **kwargs)

    def update_cell(self, row_key: Any, column_key: Any, value: Any, **kwargs: Any) -> None:
        super().update_cell(row_key, column_key, _plain(value), **kwargs)
