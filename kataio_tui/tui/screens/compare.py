"""Two result sets side by side: per-scenario change in bandwidth and p50/p99 latency."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from kataio_tui.errors import KataioError
from kataio_tui.printable import printable
from kataio_tui.results.compare import Change, compare_rows
from kataio_tui.results.report import BETTER, SAME, SAME_BAND, WORSE
from kataio_tui.units import format_size
from kataio_tui.tui.messages import ComparisonReady, WorkFailed
from kataio_tui.tui.screens.base import KataioScreen
from kataio_tui.tui.widgets.footer import KataioFooter
from kataio_tui.tui.widgets.plain_table import PlainTable
from kataio_tui.tui.widgets.report_table import trend_styles

KINDS = ("clat", "lat", "slat")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}%"


def _bw(value: float | None, present: bool) -> str:
    if not present:
        return "missing"
    return "no result" if value is None else f"{value:,.1f}"


MISSING_IN_B, NEW_IN_B = "missing", "new"  # a scenario only one side ran: no verdict


def verdict(change: Change, in_a: bool = True, in_b: bool = True) -> str | None:
    """One symbol for the scenario: worse when anything degraded by more than the same-band or B
    ran it without a result; "missing"/"new" when only one set has it (nothing to compare)."""
    if not in_b:
        return MISSING_IN_B
    if not in_a:
        return NEW_IN_B
    if change.bw_a is not None and change.bw_b is None:
        return WORSE
    if change.worse_by > SAME_BAND:
        return WORSE
    if change.bw_pct is not None and change.bw_pct > SAME_BAND:
        return BETTER
    if change.bw_pct is None and change.p50_pct is None:
        return None
    return SAME


class CompareScreen(KataioScreen):
    TITLE = "Compare"
    BINDINGS = [
        Binding("l", "cycle_kind", "Latency kind", id="compare.kind"),
        Binding("w", "worst_first", "Worst first", id="compare.sort"),
    ]

    def __init__(self, path_a: Path, path_b: Path) -> None:
        super().__init__()
        self.path_a, self.path_b = Path(path_a), Path(path_b)
        self.kind = "clat"
        self.rows_a: list = []
        self.rows_b: list = []
        self.worst_first = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(printable(f"A {self.path_a}\nB {self.path_b}", lines=True), id="compare-info", classes="info",
                     markup=False)
        yield PlainTable(id="changes", cursor_type="row", zebra_stripes=True)
        yield Static("bandwidth: + is faster; latency: + is slower. ▲ B better, ▼ B worse by more than "
                     f"{SAME_BAND:g} % (or no result in B), = within; missing: not in B, new: only in B.",
                     classes="hint")
        yield KataioFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).loading = True
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare")
    def _load(self) -> None:
        from kataio_tui.results.loader import load_set
        from kataio_tui.results.tables import build_rows

        try:
            a, b = load_set(self.path_a, save_cache=True), load_set(self.path_b, save_cache=True)
        except KataioError as exc:
            self.post_message(WorkFailed("compare", str(exc)))
            return
        self.post_message(ComparisonReady(a.result_set.name, b.result_set.name,
                                          build_rows(a, "bare", KINDS), build_rows(b, "bare", KINDS)))

    def on_comparison_ready(self, message: ComparisonReady) -> None:
        self.rows_a, self.rows_b = message.rows_a, message.rows_b
        self.sub_title = printable(f"{message.name_a} -> {message.name_b}")
        self.query_one("#compare-info", Static).update(Text(
            f"A {printable(message.name_a)} ({printable(self.path_a)})\n"
            f"B {printable(message.name_b)} ({printable(self.path_b)})"))
        self.query_one(DataTable).loading = False
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self) -> None:
        changes = compare_rows(self.rows_a, self.rows_b, self.kind)
        if self.worst_first:
            changes.sort(key=lambda c: -c.worse_by)
        styles = trend_styles(self.app.theme_variables)
        keys_a, keys_b = {r.key for r in self.rows_a}, {r.key for r in self.rows_b}
        table = self.query_one(DataTable)
        table.clear(columns=True)
        # the verdict first: it stays in view when the table is wider than the terminal
        for name in ("", "runtime", "pattern", "bs", "clients", "A MiB/s", "B MiB/s", "bw",
                     f"{self.kind} p50", f"{self.kind} p99"):
            table.add_column(name, key=name or "verdict")
        for c in changes:
            in_a, in_b = c.key in keys_a, c.key in keys_b
            mark = verdict(c, in_a, in_b)
            table.add_row(
                Text(mark or "", style=styles.get(mark, styles[None])),
                c.key.runtime, c.key.pattern, format_size(c.key.block_size), str(c.key.clients),
                _bw(c.bw_a, in_a), _bw(c.bw_b, in_b),
                _pct(c.bw_pct), _pct(c.p50_pct), _pct(c.p99_pct),
            )

    def action_cycle_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self._fill()

    def action_worst_first(self) -> None:
        self.worst_first = not self.worst_first
        self._fill()
