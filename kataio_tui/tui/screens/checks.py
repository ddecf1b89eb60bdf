"""Checks: the check engine in a worker with live per-check status; details, evidence and remedy of
the selected check; re-run all or one; canary toggle; stop; a filter and a FAIL/WARN-only view."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Header, Static

from kataio_tui.tui.messages import WorkerMessage
from kataio_tui.tui.remedies import for_tui
from kataio_tui.tui.screens.base import KataioScreen
from kataio_tui.tui.screens.filtering import Filtering, filter_field, matches
from kataio_tui.tui.widgets.footer import KataioFooter
from kataio_tui.tui.widgets.plain_table import PlainTable

STATE_TEXT = {"pending": "· waiting", "running": "… running"}
PROBLEMS = ("FAIL", "WARN")


class CheckProgress(WorkerMessage, bubble=False):
    """One engine update (pending -> running -> done with results)."""

    def __init__(self, update: Any, generation: int) -> None:
        super().__init__()
        self.update = update
        self.generation = generation


class ChecksDone(WorkerMessage, bubble=False):
    def __init__(self, results: list[Any], generation: int, cancelled: bool) -> None:
        super().__init__()
        self.results = results
        self.generation = generation
        self.cancelled = cancelled


class ChecksScreen(Filtering, KataioScreen):
    TITLE = "Checks"
    FILTER_TABLE = "#checks"
    BINDINGS = [
        Binding("r", "rerun_all", "Re-run", id="checks.rerun"),
        Binding("s", "stop", "Stop", id="checks.stop"),
        Binding("slash", "filter", "Filter", id="checks.filter"),
        Binding("f", "problems_only", "FAIL/WARN only", id="checks.problems"),
        Binding("e", "rerun_one", "Re-run this", id="checks.rerun_one"),
        Binding("t", "toggle_canary", "Canary on/off", id="checks.canary"),
        Binding("escape", "clear_filter", "Clear filter", id="checks.clear_filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.canary = False
        self.rows: dict[str, dict[str, Any]] = {}  # row key -> {"check", "state", "result"}
        self.order: list[str] = []
        self.generation = 0
        self.running = False
        self._cancel = threading.Event()
        self.problems_only = False
        self.shown_keys: list[str] = []  # the table's rows, in order

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="checks-summary", classes="info")
        yield filter_field("filter: words from the check's title, id, status or finding")
        with Horizontal(id="panes"):
            yield PlainTable(id="checks", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="check-detail-pane", classes="detail"):
                yield Static("", id="check-detail")
        yield KataioFooter()

    def on_mount(self) -> None:
        table = self.query_one("#checks", DataTable)
        table.add_column("status", key="status", width=10)
        table.add_column("check", key="check")
        table.add_column("id", key="id")
        self.after_paint(self.action_rerun_all)

    def on_unmount(self) -> None:
        self._cancel.set()

    def _options(self):
        from kataio_tui.checks.options import CheckOptions

        base = getattr(self.app, "check_options", None) or CheckOptions()
        return base.with_(canary=self.canary)

    # ---- running -----------------------------------------------------------------------------

    def action_rerun_all(self) -> None:
        from kataio_tui.checks.registry import Selection, plan_checks

        self._start(plan_checks(Selection(), self._options()), replace=True)

    def action_rerun_one(self) -> None:
        key = self._highlighted_key()
        if key is None or self.running:
            return
        self._start([self.rows[key]["check"]], replace=False)

    def _start(self, checks: list, replace: bool) -> None:
        if self.running:
            self.notify("checks are running; s stops them")
            return
        self.generation += 1
        self._cancel = threading.Event()
        self.running = True
        if replace:
            self.rows.clear()
            self.order.clear()
        for check in checks:
            for key in [k for k, row in self.rows.items() if row["check"].id == check.id]:
                del self.rows[key]
            if check.id not in self.order:
                self.order.append(check.id)
        self._run(checks, self._options(), self._cancel, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="checks")
    def _run(self, checks: list, options, cancel: threading.Event, generation: int) -> None:
        from kataio_tui.checks.engine import run_checks

        results = run_checks(checks, options, on_update=lambda u: self.post_message(CheckProgress(u, generation)),
                             cancel=cancel)
        self.post_message(ChecksDone(results, generation, cancel.is_set()))

    def on_check_progress(self, message: CheckProgress) -> None:
        if message.generation != self.generation:
            return
        update = message.update
        check = update.check
        # replace the check's rows: one while it waits or runs, one per result when done
        position = self.order.index(check.id) if check.id in self.order else len(self.order)
        for key in [k for k, row in self.rows.items() if row["check"].id == check.id]:
            del self.rows[key]
        if update.state == "done":
            for result in update.results:
                self.rows[result.id] = {"check": check, "state": "done", "result": result, "pos": position}
        else:
            self.rows[check.id] = {"check": check, "state": update.state, "result": None, "pos": position}
        self._refill()

    def on_checks_done(self, message: ChecksDone) -> None:
        if message.generation != self.generation:
            return
        self.running = False
        if message.cancelled:
            self.notify("checks stopped", timeout=3)
        self._summary()

    def action_stop(self) -> None:
        if self.running:
            self._cancel.set()

    def action_toggle_canary(self) -> None:
        self.canary = not self.canary
        self.notify(f"canary pod {'on' if self.canary else 'off'} (r re-runs)", timeout=3)
        self._summary()

    # ---- filter ------------------------------------------------------------------------------

    def _sorted_keys(self) -> list[str]:
        """The rows shown, in the checks' order: the filter and the FAIL/WARN-only view applied."""
        keys = sorted(self.rows, key=lambda k: (self.rows[k]["pos"], k))
        return [k for k in keys if self._shown(k)]

    def _shown(self, key: str) -> bool:
        row = self.rows[key]
        result = row["result"]
        if self.problems_only and (result is None or result.status.value not in PROBLEMS):
            return False
        if not self.filter_text:
            return True
        words = [key, row["check"].title, STATE_TEXT.get(row["state"], "")]
        if result is not None:
            words += [result.title, result.status.value, result.observed]
        return matches(self.filter_text, words)

    def refilter(self) -> None:
        self._refill()

    def action_problems_only(self) -> None:
        self.problems_only = not self.problems_only
        self._refill()

    # ---- display -----------------------------------------------------------------------------

    def _refill(self) -> None:
        from kataio_tui.checks.render import status_text

        table = self.query_one("#checks", DataTable)
        current = self._highlighted_key()
        table.clear()
        keys = self.shown_keys = self._sorted_keys()
        for key in keys:
            row = self.rows[key]
            result = row["result"]
            status = status_text(result.status) if result else Text(STATE_TEXT[row["state"]])
            table.add_row(status, result.title if result else row["check"].title, key, key=key)
        if current in keys:
            table.move_cursor(row=keys.index(current))
        self._summary()
        self._detail()

    def _highlighted_key(self) -> str | None:
        table = self.query_one("#checks", DataTable)
        keys = self.shown_keys
        if not keys or table.cursor_row is None or not 0 <= table.cursor_row < len(keys):
            return None
        return keys[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        from kataio_tui.checks.render import result_details, status_text

        key = self._highlighted_key()
        detail = self.query_one("#check-detail", Static)
        if key is None:
            detail.update("")
            return
        row = self.rows[key]
        result = row["result"]
        if result is None:
            detail.update(Text(f"{row['check'].title}\n{STATE_TEXT[row['state']]}"))
            return
        text = Text.assemble((result.title, "bold"), f"  {result.id}\n", status_text(result.status), "\n\n")
        text.append_text(result_details(replace(result, remedy=for_tui(result.remedy))))
        detail.update(text)

    def _summary(self) -> None:
        from kataio_tui.checks.render import summary_line

        results = [r["result"] for r in self.rows.values() if r["result"] is not None]
        waiting = sum(1 for r in self.rows.values() if r["result"] is None)
        line = summary_line(results) if results else Text("")
        if waiting:
            line.append(f"  ({waiting} running or waiting; s stops)")
        line.append(f"  canary {'on' if self.canary else 'off'} (t)")
        if self.problems_only or self.filter_text:
            shown = len(self.shown_keys)
            what = " and ".join(w for w in ("FAIL/WARN only (f)" if self.problems_only else "",
                                            f"filter {self.filter_text!r} (esc)" if self.filter_text else "") if w)
            line.append(f"\nshowing {shown} of {len(self.rows)}: {what}", style="bold")
        self.query_one("#checks-summary", Static).update(line)
