"""`?`: the keys of the screen below, with the binding ids the config file can rebind."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from kataio_tui import paths
from kataio_tui.tui.widgets.plain_table import PlainTable


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("q", "dismiss", "Close", id="help.quit", show=False),
        Binding("question_mark", "dismiss", "Close", id="help.toggle", show=False),
    ]

    def __init__(self, below: Screen) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Static(Text.assemble(("Keys", "bold"), f" on {self.below.__class__.__name__.removesuffix('Screen')}"
                                       "  (ctrl+p: every command; esc: close)"), classes="dialog-title")
            yield PlainTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            config = getattr(self.app, "config_path", None) or paths.config_file()
            yield Static(f"Rebind in {config} under [keymap], e.g. \"browse.open\" = \"enter,o\"",
                         classes="hint", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action", "binding id")
        rows = []
        for key, active in self.below.active_bindings.items():
            binding = active.binding
            if not binding.description:
                continue
            rows.append((self.app.get_key_display(binding), binding.description, binding.id or ""))
        for row in sorted(set(rows), key=lambda r: (not r[2], r[2].split(".")[0] != "app", r[2], r[1], r[0])):
            table.add_row(*row)
        table.focus()
