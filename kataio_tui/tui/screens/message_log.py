"""Messages (m): every notification of this session with its time, newest first; the selected one
in full below the list."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Static

from kataio_tui.printable import printable
from kataio_tui.tui.message_log import LoggedMessage, MessageLog
from kataio_tui.tui.screens.base import KataioScreen
from kataio_tui.tui.widgets.footer import KataioFooter
from kataio_tui.tui.widgets.plain_table import PlainTable

LEVEL = {"information": "info", "warning": "WARN", "error": "ERROR"}
POLL_S = 1.0


def first_line(entry: LoggedMessage, width: int = 70) -> str:
    text = " ".join(entry.message.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class MessageLogScreen(KataioScreen):
    TITLE = "Messages"
    BINDINGS = [Binding("escape", "app.back", "Back", id="messages.back", show=False)]

    def __init__(self, log: MessageLog) -> None:
        super().__init__()
        self.message_log = log
        self.shown: list[LoggedMessage] = []
        self._seen = -1

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="messages-summary", classes="info")
        yield PlainTable(id="messages", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="message-detail-pane", classes="detail"):
            yield Static("", id="message-detail")
        yield KataioFooter()

    def on_mount(self) -> None:
        table = self.query_one("#messages", DataTable)
        table.add_columns("time", "level", "about", "message")
        self._fill()
        self.set_interval(POLL_S, self._poll)
        table.focus()

    def _poll(self) -> None:
        if self.message_log.added != self._seen:
            self._fill()

    def _fill(self) -> None:
        table = self.query_one("#messages", DataTable)
        self._seen = self.message_log.added
        self.shown = list(reversed(self.message_log.entries()))
        table.clear()
        for entry in self.shown:
            table.add_row(entry.at.strftime("%H:%M:%S"), LEVEL.get(entry.severity, entry.severity),
                          entry.title or "-", first_line(entry))
        errors = sum(1 for e in self.shown if e.severity == "error")
        self.query_one("#messages-summary", Static).update(
            Text(f"{len(self.shown)} message(s) this session, {errors} error(s); newest first", style="bold")
            if self.shown else Text("No messages yet."))
        self._detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        row = self.query_one("#messages", DataTable).cursor_row
        detail = self.query_one("#message-detail", Static)
        if not self.shown or row is None or not 0 <= row < len(self.shown):
            detail.update("")
            return
        entry = self.shown[row]
        text = Text.assemble((entry.at.strftime("%Y-%m-%d %H:%M:%S"), "bold"), f"  {entry.severity}",
                             f"  {printable(entry.title)}\n" if entry.title else "\n")
        text.append(printable(entry.message, lines=True))
        detail.update(text)
