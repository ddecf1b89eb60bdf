"""A core report Table (rows of Cell with trend symbols) shown in a DataTable, trend colours from the theme."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.widgets import DataTable

from kataio_tui.printable import printable
from kataio_tui.results.report import BETTER, SAME, WORSE, Cell, Table

TREND_VARIABLES = {BETTER: "trend-better", WORSE: "trend-worse", SAME: "trend-same"}


def trend_styles(variables: dict[str, str]) -> dict[str | None, Style]:
    styles: dict[str | None, Style] = {None: Style()}
    for trend, name in TREND_VARIABLES.items():
        try:
            styles[trend] = Style(color=Color.parse(variables[name]).rich_color, bold=trend != SAME)
        except Exception:  # missing or unparsable colour: the symbol still carries the meaning
            styles[trend] = Style(bold=trend != SAME)
    return styles


def cell_text(cell: Cell, styles: dict[str | None, Style], right: bool) -> Text:
    return Text(printable(cell.text), style=styles.get(cell.trend, Style()), justify="right" if right else "left")


def column_widths(table: Table) -> list[int]:
    return [max([cell_len(printable(header)), *(cell_len(printable(row[i].text)) for row in table.rows if i < len(row))])
            for i, header in enumerate(table.headers)]


def table_width(table: Table, padding: int = 1) -> int:
    """Cells the table takes in a DataTable (each column with its cell padding on both sides)."""
    return sum(w + 2 * padding for w in column_widths(table))


def fill(table_widget: DataTable, table: Table, variables: dict[str, str], keys: list[str] | None = None) -> None:
    """Replace the widget's contents with table; keys (one per row) make rows addressable."""
    styles = trend_styles(variables)
    table_widget.clear(columns=True)
    for i, (header, width) in enumerate(zip(table.headers, column_widths(table), strict=True)):
        table_widget.add_column(Text(printable(header), justify="left" if i == 0 else "right"), key=f"c{i}",
                                width=width)
    for n, row in enumerate(table.rows):
        table_widget.add_row(*(cell_text(c, styles, i > 0) for i, c in enumerate(row)),
                             key=keys[n] if keys else None)
