"""Results: bandwidth and latency tables of one result set and the latency CDF of the chosen
scenario; choose block size, pattern, clients, latency kind and baseline; filter the tables, choose
the CDF's series; drill in; export.

The tables never clip: they take the width they need, and the CDF gets the rest, or gives way
entirely (v shows it) when less than PLOT_MIN_WIDTH columns are left."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Header, ProgressBar, Static

from kataio_tui.errors import KataioError
from kataio_tui.printable import printable
from kataio_tui.results.tables import ScenarioRow, apply_baseline, runtimes_in
from kataio_tui.units import format_size
from kataio_tui.tui import results_view as rv
from kataio_tui.tui.messages import Progress, SetLoaded, WorkFailed
from kataio_tui.tui.screens.base import NARROW_BELOW, KataioScreen
from kataio_tui.tui.screens.filtering import Filtering, filter_field
from kataio_tui.tui.widgets import report_table
from kataio_tui.tui.widgets.cdf_plot import CdfPlot
from kataio_tui.tui.widgets.footer import KataioFooter
from kataio_tui.tui.widgets.plain_table import PlainTable


def _cycle(values: list, current, step: int = 1):
    if not values:
        return current
    return values[(values.index(current) + step) % len(values)] if current in values else values[0]


PLOT_MIN_WIDTH = 40  # narrower than this, a CDF on a log axis says little: the tables get the screen
SCROLLBAR = 2  # the tables' vertical scrollbar


class ResultsScreen(Filtering, KataioScreen):
    TITLE = "Results"
    FILTER_TABLE = "#bw"
    BINDINGS = [
        Binding("enter", "drill", "Details", id="results.drill", priority=True),
        Binding("v", "toggle_plot", "CDF/tables", id="results.graph"),
        Binding("l", "cycle_kind", "Latency kind", id="results.kind"),
        Binding("slash", "filter", "Filter", id="results.filter"),
        Binding("s", "series", "Series", id="results.series"),
        # shown in the status line instead of the footer, which has no room for them at 80 columns
        Binding("b", "cycle_block", "Block size", id="results.block", show=False),
        Binding("p", "cycle_pattern", "Pattern", id="results.pattern", show=False),
        Binding("n", "cycle_clients", "Clients", id="results.clients", show=False),
        Binding("B", "cycle_baseline", "Baseline", id="results.baseline", show=False),
        Binding("x", "export", "Export", id="results.export"),
        Binding("r", "reload", "Reload", id="results.reload", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="results.clear_filter", show=False),
    ]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.loaded = None
        self.rows: list[ScenarioRow] = []
        self.choice: rv.Choice | None = None
        self.view: rv.View | None = None
        self.load_seconds: float | None = None
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"loading {printable(self.path)} ...", id="set-info", classes="info", markup=False)
        yield ProgressBar(id="load-progress", show_eta=False)
        yield filter_field("filter: pattern or clients (rand, x8) and runtime names (kata)")
        with Horizontal(id="panes"):
            with VerticalScroll(id="tables"):
                yield Static("", id="bw-title", classes="table-title")
                yield PlainTable(id="bw", cursor_type="cell", zebra_stripes=True)
                yield Static("", id="lat-title", classes="table-title")
                yield PlainTable(id="lat", cursor_type="cell", zebra_stripes=True)
                yield Static("", id="table-note", classes="hint", markup=False)
            with Vertical(id="plot-pane"):
                yield CdfPlot(id="cdf")
        yield Static("", id="choice", classes="status")
        yield KataioFooter()

    def on_mount(self) -> None:
        self.sub_title = printable(self.path)
        self.query_one("#panes").display = False
        self._load()

    def on_unmount(self) -> None:
        self._cancel.set()

    # ---- loading -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load(self) -> None:
        from kataio_tui.results.loader import LoadCancelled, load_set
        from kataio_tui.results.tables import build_rows

        started = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] >= 0.05 or done == total:  # 20 updates a second at most
                last[0] = now
                self.post_message(Progress("load", done, total))

        try:
            # like `kataio report`, keep the derived summaries: the next open of a large set is quick
            loaded = load_set(self.path, progress=progress, cancel=self._cancel, save_cache=True)
            rows = build_rows(loaded, "bare", rv.KINDS)
        except LoadCancelled:
            return
        except KataioError as exc:
            self.post_message(WorkFailed("open result set", str(exc)))
            return
        self.post_message(SetLoaded(self.path, loaded, rows, time.perf_counter() - started))

    def on_progress(self, message: Progress) -> None:
        if message.job == "load":
            self.query_one("#load-progress", ProgressBar).update(total=message.total, progress=message.done)

    def on_work_failed(self, message: WorkFailed) -> None:
        self.query_one("#set-info", Static).update(Text(printable(f"{message.what}: {message.error}")))
        self.query_one("#load-progress").display = False

    def on_set_loaded(self, message: SetLoaded) -> None:
        self.loaded, self.rows, self.load_seconds = message.loaded, message.rows, message.seconds
        self.query_one("#load-progress").display = False
        self.query_one("#panes").display = True
        rs = self.loaded.result_set
        self.sub_title = printable(rs.name)
        prov = rs.manifest.provenance
        parts = [rs.name, prov.made_by, f"fio {prov.fio_version}" if prov.fio_version else None,
                 f"{len(rs.manifest.scenarios)} scenarios, {self.loaded.client_count} clients"]
        problems = self.loaded.problems
        info = Text(printable(" | ".join(p for p in parts if p)))
        if problems:
            info.append(f"  {len(problems)} unreadable file(s): {printable(problems[0])}", style="bold")
        self.query_one("#set-info", Static).update(info)
        self.choice = rv.first_choice(self.rows)
        if self.choice is None:
            self.query_one("#bw-title", Static).update("This result set has no scenario results yet.")
            return
        apply_baseline(self.rows, self.choice.baseline)
        self.refresh_view()
        self.query_one("#bw", DataTable).focus()

    # ---- view --------------------------------------------------------------------------------

    def refresh_view(self, tables: bool = True) -> None:
        if self.choice is None:
            return
        self.view = view = rv.build_view(self.rows, self.choice)
        c = self.choice
        variables = self.app.theme_variables
        if tables and view.bandwidth is not None and view.latency is not None:
            keys = [repr(line) for line in view.lines]
            bw = self.query_one("#bw", DataTable)
            column = bw.cursor_coordinate.column if bw.row_count else view.own_columns  # first runtime column
            report_table.fill(bw, view.bandwidth, variables, keys)
            # the cursor sits on the chosen scenario, so moving it and choosing by key agree
            line = view.lines.index(c.line) if c.line in view.lines else 0
            bw.cursor_coordinate = Coordinate(line, min(column, len(view.bandwidth.headers) - 1))
            report_table.fill(self.query_one("#lat", DataTable), view.latency, variables, keys)
            self.query_one("#bw-title", Static).update(Text(printable(view.bandwidth.title), style="bold"))
            self.query_one("#lat-title", Static).update(Text(printable(view.latency.title), style="bold"))
            self.query_one("#table-note", Static).update(printable(
                f"▲ better / ▼ worse than {c.baseline} by 5 % or more, = within 5 %. {view.bandwidth.note}. "
                f"{view.latency.note}."))
        self.query_one(CdfPlot).show(view.series, view.cdf_title, view.cdf_empty)
        self._fit_panes()
        self.query_one("#choice", Static).update(Text(printable(
            f"block {format_size(c.block_size)} (b) | pattern {c.pattern} (p) | clients {c.clients} (n) | "
            f"{c.kind} (l) | baseline {c.baseline} (B)")))

    def _fit_panes(self) -> None:
        """The tables take the width they need; the CDF the rest, or none when too little is left."""
        view, tables = self.view, self.query_one("#tables")
        if view is None or view.bandwidth is None or view.latency is None:
            return
        need = max(report_table.table_width(view.bandwidth), report_table.table_width(view.latency)) + SCROLLBAR
        width = self.size.width
        fits = width >= NARROW_BELOW and width - need >= PLOT_MIN_WIDTH
        self.set_class(width >= NARROW_BELOW and not fits, "tables-only")
        tables.styles.width = need if fits else "1fr"

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._fit_panes)

    def refilter(self) -> None:
        if self.choice is None:
            return
        self.choice.filter_text = self.filter_text
        view = rv.build_view(self.rows, self.choice)
        if view.lines and self.choice.line not in view.lines:
            self.choice.choose_line(view.lines[0])
        self.refresh_view()

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        table = event.data_table
        if self.view is None or self.choice is None or table.id not in ("bw", "lat") or not table.has_focus:
            return
        # the cursor now, not the event's: refilling a table queues highlights of its old positions
        row = table.cursor_coordinate.row
        if 0 <= row < len(self.view.lines):
            line = self.view.lines[row]
            if line != self.choice.line:
                self.choice.choose_line(line)
                self.refresh_view(tables=False)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        self.action_drill()

    def _selected_runtime(self) -> str | None:
        if self.view is None:
            return None
        focused = self.focused
        column = focused.cursor_coordinate.column if isinstance(focused, DataTable) else 0
        own = self.view.own_columns
        if column >= own and column - own < len(self.view.runtimes):
            return self.view.runtimes[column - own]
        return self.choice.baseline if self.choice else None

    # ---- actions -----------------------------------------------------------------------------

    def _choose(self, **changes) -> None:
        if self.choice is None:
            return
        for key, value in changes.items():
            setattr(self.choice, key, value)
        c = self.choice
        if c.pattern not in rv.patterns(self.rows, c.block_size):
            c.pattern = rv.patterns(self.rows, c.block_size)[0]
        rv.settle(self.rows, c)
        if "baseline" in changes:
            apply_baseline(self.rows, c.baseline)
        self.refresh_view()

    def action_cycle_kind(self) -> None:
        if self.choice:
            self._choose(kind=_cycle(list(rv.KINDS), self.choice.kind))

    def action_cycle_block(self) -> None:
        if self.choice:
            self._choose(block_size=_cycle(rv.block_sizes(self.rows), self.choice.block_size))

    def action_cycle_pattern(self) -> None:
        if self.choice:
            self._choose(pattern=_cycle(rv.patterns(self.rows, self.choice.block_size), self.choice.pattern))

    def action_cycle_clients(self) -> None:
        if self.choice:
            c = self.choice
            self._choose(clients=_cycle(rv.client_counts(self.rows, c.block_size, c.pattern), c.clients))

    def action_cycle_baseline(self) -> None:
        if self.choice:
            self._choose(baseline=_cycle(runtimes_in(self.rows), self.choice.baseline))

    def palette_commands(self):
        if self.choice is None:
            return
        for kind in rv.KINDS:
            yield (f"Latency kind: {kind} ({rv.KIND_NAMES[kind]})", "results", lambda k=kind: self._choose(kind=k))
        for block in rv.block_sizes(self.rows):
            yield (f"Block size: {format_size(block)}", "results", lambda b=block: self._choose(block_size=b))
        for pattern in rv.patterns(self.rows, self.choice.block_size):
            yield (f"Pattern: {pattern}", "results", lambda p=pattern: self._choose(pattern=p))
        for runtime in runtimes_in(self.rows):
            yield (f"Baseline: {runtime}", "results", lambda r=runtime: self._choose(baseline=r))
        for runtime in runtimes_in(self.rows):
            shown = runtime not in self.choice.hidden
            yield (f"CDF: {'hide' if shown else 'show'} {runtime}", "results",
                   lambda r=runtime: self._toggle_series(r))

    def _toggle_series(self, runtime: str) -> None:
        if self.choice is not None:
            self.choice.hidden ^= {runtime}
            self.refresh_view(tables=False)

    def action_series(self) -> None:
        """Choose which runtimes the CDF draws."""
        if self.choice is None or self.view is None:
            return
        from kataio_tui.tui.screens.series import SeriesScreen

        runtimes = self.view.runtimes

        def chosen(shown: list[str] | None) -> None:
            if shown is not None and self.choice is not None:
                self.choice.hidden = {rt for rt in runtimes if rt not in shown} | (self.choice.hidden - set(runtimes))
                self.refresh_view(tables=False)

        self.app.push_screen(SeriesScreen(runtimes, self.choice.hidden, self.choice.baseline), chosen)

    def action_drill(self) -> None:
        if self._filter_input().has_focus:  # enter in the filter applies it
            self.apply_filter()
            return
        if self.choice is None or self.loaded is None:
            return
        runtime = self._selected_runtime()
        row = rv.find_row(self.rows, self.choice, runtime) if runtime else None
        if row is None:
            self.notify(f"no {runtime} scenario for {self.choice.line.label()}")
            return
        from kataio_tui.tui.screens.scenario import ScenarioScreen

        self.app.push_screen(ScenarioScreen(row, self.loaded.result_set, self.choice.kind))

    def action_toggle_plot(self) -> None:
        """Tables and CDF share the screen when wide; v shows one or the other in full."""
        self.toggle_class("show-plot")

    def action_reload(self) -> None:
        self.query_one("#load-progress").display = True
        self._load()

    def action_export(self) -> None:
        if self.loaded is None or self.choice is None:
            return
        self._export(self.app.export_dir, self.choice.kind, self.choice.baseline)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def _export(self, directory: Path, kind: str, baseline: str) -> None:
        from kataio_tui.results import report
        from kataio_tui.results.store import safe_name
        from kataio_tui.safety.room import describe_os_error
        from kataio_tui.tomlfile import write_atomic

        name = safe_name(self.loaded.result_set.name)
        tables = report.bandwidth_tables(self.rows, baseline) + report.latency_tables(self.rows, baseline, kind)
        markdown = f"## {printable(self.loaded.result_set.name)}\n\n" + "\n".join(
            report.table_to_markdown(t) for t in tables)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            csv_path, md_path = directory / f"{name}-{kind}.csv", directory / f"{name}-{kind}.md"
            write_atomic(csv_path, report.set_csv(self.loaded, baseline, kind).encode("utf-8"))
            write_atomic(md_path, markdown.encode("utf-8"))
        except KataioError as exc:  # write_atomic's: the file and the free space
            self.post_message(WorkFailed("export", str(exc)))
            return
        except OSError as exc:
            self.post_message(WorkFailed("export", describe_os_error(directory, exc)))
            return
        self.app.call_from_thread(self.notify, f"exported {csv_path} and {md_path.name}", timeout=8)
