"""Which runtimes the CDF draws: a checklist (space toggles, enter or esc closes)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection


class SeriesScreen(ModalScreen[list[str] | None]):
    BINDINGS = [
        Binding("escape,enter", "done", "Done", id="series.done", priority=True),  # space toggles
    ]

    def __init__(self, runtimes: list[str], hidden: set[str], baseline: str) -> None:
        super().__init__()
        self.runtimes = runtimes
        self.hidden = hidden
        self.baseline = baseline

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="series-box"):
            yield Static("Series in the CDF", classes="dialog-title")
            yield SelectionList[str](*(
                Selection(rt + (" (baseline, drawn on top)" if rt == self.baseline else ""), rt, rt not in self.hidden)
                for rt in self.runtimes), id="series")
            yield Static("space: show/hide   enter or esc: done", classes="hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_done(self) -> None:
        self.dismiss(list(self.query_one(SelectionList).selected))
