"""Run (live): the scenario queue with states, what the running scenario is doing (layout, start,
ramp, measure, stop, save), per-client and aggregate bandwidth (redrawn twice a second from the
folded event state), progress with elapsed and remaining time, the bandwidth table and CDF filling
in as scenarios finish, failures with their diagnosis and remedy (the newest always on screen, also
one that ended the run before it started), stop with confirmation.

The runner (local or Kubernetes: anything implementing the driver's ScenarioRunner) runs in a
worker thread; cancel is a threading.Event the driver and runner honour, cleaning up on the way out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, ProgressBar, Static

from kataio_tui.errors import KataioError
from kataio_tui.model.plan import Plan
from kataio_tui.runners import events as ev
from kataio_tui.tui import results_view as rv
from kataio_tui.tui.messages import WorkerMessage, WorkFailed
from kataio_tui.tui.run_state import FailureNote, RunState
from kataio_tui.tui.run_view import failures_text, latest_failure_text, mib, summary_text
from kataio_tui.tui.screens.base import KataioScreen
from kataio_tui.tui.widgets import report_table
from kataio_tui.tui.widgets.cdf_plot import CdfPlot
from kataio_tui.tui.widgets.footer import KataioFooter
from kataio_tui.tui.widgets.plain_table import PlainTable

REFRESH_S = 0.5  # fio reports once a second per client: two redraws a second show every update
STATE_MARK = {"waiting": "·", "running": "…", "ok": "✔", "failed": "✘", "partial": "▲", "interrupted": "■"}


class RunEvent(WorkerMessage, bubble=False):
    """A runner event other than ClientProgress (those are folded into RunState and polled)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class RowsSoFar(WorkerMessage, bubble=False):
    def __init__(self, rows: list[Any], key: Any) -> None:
        super().__init__()
        self.rows = rows
        self.key = key


class RunScreen(KataioScreen):
    TITLE = "Run"
    RUN_BAR = False  # the run is this screen
    BINDINGS = [
        Binding("s", "stop", "Stop", id="run.stop"),
        Binding("v", "toggle_sofar", "Live/results", id="run.toggle"),
        Binding("o", "open_set", "Open results", id="run.open"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.state = RunState()
        self.plan: Plan | None = None
        self.cancel = threading.Event()
        self.active = False
        self._drawn_version = -1
        self._queue_rows = 0
        self._drawn: dict[tuple, str] = {}  # (table, row, column) -> text on screen

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("No run yet: plan one on the Plan screen (4), then press ctrl+r there.", id="run-summary",
                     classes="info")
        yield Static("", id="run-problem")
        yield ProgressBar(id="run-progress", total=100, show_eta=False)
        with Horizontal(id="panes"):
            with Vertical(id="live"):
                yield PlainTable(id="queue", cursor_type="row", zebra_stripes=True)
                yield PlainTable(id="clients", cursor_type="row", zebra_stripes=True)
            with Vertical(id="sofar"):
                yield Static("", id="failures")
                yield Static("", id="sofar-title", classes="table-title")
                yield PlainTable(id="sofar-bw", cursor_type="none", zebra_stripes=True)
                yield CdfPlot(id="sofar-cdf")
        yield KataioFooter()

    def on_mount(self) -> None:
        self.query_one("#queue", DataTable).add_columns("scenario", "state", "MiB/s")
        self.query_one("#clients", DataTable).add_columns("client", "MiB/s now", "IOPS", "s", "state")
        self.query_one("#failures", Static).display = False
        self.query_one("#run-problem", Static).display = False
        self.set_interval(REFRESH_S, self._redraw)

    def on_screen_resume(self) -> None:
        plan = getattr(self.app, "pending_plan", None)
        if plan is not None:
            resume = getattr(self.app, "pending_resume", None)
            self.app.pending_plan = self.app.pending_resume = None
            self.start(plan, resume=resume)

    # ---- running -----------------------------------------------------------------------------

    def start(self, plan: Plan, runner_factory: Callable[[Plan], Any] | None = None,
              resume: Path | None = None) -> None:
        """Run plan; with resume, only the scenarios of that result set that are not 'ok' yet."""
        if self.active:
            self.notify("a run is in progress; stop it first (s)", severity="warning")
            return
        self.plan = plan
        self.state = RunState()
        self.cancel = threading.Event()
        self.app.run_cancel = self.cancel
        self.app.active_run = self.state  # every other screen shows it under its title
        self.active = True
        self._drawn_version = -1
        self._queue_rows = 0
        self._drawn = {}
        self.query_one("#queue", DataTable).clear()
        self._show_failures()
        from kataio_tui.runners.factory import make_runner  # the runner for the plan's target, as `kataio run`

        factory = runner_factory or getattr(self.app, "runner_factory", None) or make_runner
        out_dir = getattr(self.app, "run_out_dir", None)
        self._run(plan, factory, self.cancel, out_dir, resume)

    @work(thread=True, exclusive=True, exit_on_error=False, group="run")
    def _run(self, plan: Plan, factory, cancel: threading.Event, out_dir: Path | None,
             resume: Path | None = None) -> None:
        from kataio_tui import paths
        from kataio_tui.runners.driver import run_plan

        state = self.state

        def emit(event: ev.Event) -> None:
            state.apply(event)
            if not isinstance(event, ev.ClientProgress):
                self.post_message(RunEvent(event))

        try:
            if resume is not None:
                run_plan(plan, factory(plan), emit, cancel, resume=resume)
            else:
                run_plan(plan, factory(plan), emit, cancel, out_dir=out_dir or paths.results_dir())
        except KataioError as exc:
            self.post_message(WorkFailed("run", str(exc), getattr(exc, "remedy", None)))
        finally:
            self.app.call_from_thread(self._ended)

    def _ended(self) -> None:
        self.active = False
        self._redraw(force=True)
        run_ended = getattr(self.app, "run_ended", None)
        if callable(run_ended):
            run_ended()

    def on_run_event(self, message: RunEvent) -> None:
        event = message.event
        if isinstance(event, ev.ScenarioFinished) and self.state.result_set is not None:
            self._load_so_far(self.state.result_set, event.key)
        elif isinstance(event, ev.Failure):
            self._show_failures()
        elif isinstance(event, ev.RunFinished):
            counts = f"{event.completed} completed, {event.failed} failed"
            self.notify(f"run {event.status}: {counts}" + (f"; {event.result_set}" if event.result_set else ""),
                        severity="information" if event.status == "completed" else "warning", timeout=10)
        self._redraw(force=True)

    def on_work_failed(self, message: WorkFailed) -> None:
        """An error that ended the run (often before it started: no kubeconfig, a plan the runner
        refuses) stays on this screen with its remedy, not only in a toast."""
        if message.what == "run":  # (the toast comes from KataioScreen's handler too)
            self.state.add_failure(FailureNote(None, message.error, None, message.remedy))
            self._show_failures()
            self._redraw(force=True)

    def action_stop(self) -> None:
        if not self.active:
            self.notify("no run in progress")
            return
        from kataio_tui.tui.screens.confirm import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes and self.active:
                self.cancel.set()
                self.notify("stopping: the current scenario is interrupted and its clients cleaned up", timeout=6)

        self.app.push_screen(ConfirmScreen("Stop the run? The running scenario is interrupted and cleaned up; "
                                           "finished scenarios stay saved.", yes="Stop"), answer)

    def action_toggle_sofar(self) -> None:
        self.toggle_class("show-sofar")

    def action_open_set(self) -> None:
        if self.state.result_set is None:
            self.notify("no result set yet")
            return
        from kataio_tui.tui.screens.results import ResultsScreen

        self.app.push_screen(ResultsScreen(self.state.result_set))

    # ---- drawing -----------------------------------------------------------------------------

    def _redraw(self, force: bool = False) -> None:
        clients, scenarios, version = self.state.snapshot()
        if version == self._drawn_version and not force and not self.active:
            return
        self._drawn_version = version
        self._draw_summary(clients, scenarios)
        self._draw_queue(scenarios)
        self._draw_clients(clients)

    def _draw_summary(self, clients, scenarios) -> None:
        state = self.state
        if state.status == "starting" and not self.active and not state.failures:
            return
        done, total, _ = state.progress()
        bar = self.query_one("#run-progress", ProgressBar)
        bar.update(total=100, progress=100 * done / total if total else 0)
        self.query_one("#run-summary", Static).update(summary_text(state, clients, scenarios))

    def _draw_queue(self, scenarios) -> None:
        table = self.query_one("#queue", DataTable)
        if self._queue_rows != len(scenarios):
            table.clear()
            self._drawn = {k: v for k, v in self._drawn.items() if k[0] != "queue"}
            for i, s in enumerate(scenarios):
                table.add_row(s.key.label(), "", "", key=str(i))
            self._queue_rows = len(scenarios)
        for i, s in enumerate(scenarios):
            self._set_cell(table, str(i), 1, f"{STATE_MARK.get(s.state, '?')} {s.state}")
            self._set_cell(table, str(i), 2, mib(s.bw_bytes))
        if self.state.current is not None and self.active and table.cursor_row != self.state.current \
                and not table.has_focus:
            table.move_cursor(row=self.state.current)

    def _draw_clients(self, clients) -> None:
        table = self.query_one("#clients", DataTable)
        if table.row_count != len(clients):
            table.clear()
            self._drawn = {k: v for k, v in self._drawn.items() if k[0] != "clients"}
            for c in clients:
                table.add_row(str(c.client), "", "", "", "", key=str(c.client))
        for c in clients:
            values = (mib(c.bw_bytes), f"{c.iops:,.0f}", f"{c.elapsed_s:.0f}",
                      c.state + (f": {c.message}" if c.message else ""))
            for column, value in enumerate(values, 1):
                self._set_cell(table, str(c.client), column, value)

    def _set_cell(self, table: DataTable, row: str, column: int, value: str) -> None:
        """Update a cell only when its text changed: at 64 clients most cells are unchanged between
        two redraws."""
        key = (table.id, row, column)
        if self._drawn.get(key) != value:
            self._drawn[key] = value
            table.update_cell(row, table.ordered_columns[column].key, value, update_width=True)

    def _show_failures(self) -> None:
        failures = self.state.failures
        for selector, text in (("#failures", failures_text), ("#run-problem", latest_failure_text)):
            widget = self.query_one(selector, Static)
            widget.update(text(failures) if failures else "")
            widget.display = bool(failures)

    # ---- results so far ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="sofar")
    def _load_so_far(self, path: Path, key) -> None:
        from kataio_tui.results.loader import load_set
        from kataio_tui.results.tables import build_rows

        try:
            rows = build_rows(load_set(path, save_cache=True), "bare", ("clat",))
        except KataioError as exc:
            self.post_message(WorkFailed("results so far", str(exc)))
            return
        self.post_message(RowsSoFar(rows, key))

    def on_rows_so_far(self, message: RowsSoFar) -> None:
        rows, key = message.rows, message.key
        if not rows:
            return
        choice = rv.Choice(key.block_size, key.pattern, key.clients, "clat", rv.default_baseline(rows))
        choice.choose_line(key.configuration)
        if choice.pattern not in rv.patterns(rows, choice.block_size):
            return  # the finished scenario produced no row (nothing readable)
        from kataio_tui.results.tables import apply_baseline

        apply_baseline(rows, choice.baseline)
        view = rv.build_view(rows, choice)
        if view.bandwidth is None:
            return
        self.query_one("#sofar-title", Static).update(
            Text(f"So far: {view.bandwidth.title}", style="bold"))
        report_table.fill(self.query_one("#sofar-bw", DataTable), view.bandwidth, self.app.theme_variables)
        self.query_one(CdfPlot).show(view.series, view.cdf_title, view.cdf_empty)
