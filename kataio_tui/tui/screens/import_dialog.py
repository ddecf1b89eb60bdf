"""Import existing fio output (a stackhpc-io-tools tree or a folder of loose files) as a new set."""

from __future__ import annotations

import threading
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from kataio_tui import paths
from kataio_tui.errors import KataioError
from kataio_tui.printable import printable
from kataio_tui.tui.messages import ImportFinished, Progress, WorkFailed

LAYOUTS = ("auto", "stackhpc", "loose")


class ImportScreen(ModalScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import.cancel")]

    def __init__(self, dest_dir: Path | None = None) -> None:
        super().__init__()
        self.dest_dir = dest_dir or paths.results_dir()
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="import-box"):
            yield Static("Import fio output as a new result set", classes="dialog-title")
            for label, widget in (
                ("source", Input(placeholder="a stackhpc-io-tools tree or a folder of fio output files",
                                 id="import-src", compact=True)),
                ("name", Input(placeholder="default: the folder's name", id="import-name", compact=True)),
                ("layout", Select([(x, x) for x in LAYOUTS], value="auto", allow_blank=False,
                                  id="import-layout", compact=True)),
                ("runtime", Input(placeholder="of loose files (default: unknown)", id="import-runtime",
                                  compact=True)),
            ):
                with Horizontal(classes="field"):
                    yield Label(label, classes="field-label")
                    yield widget
            yield Static(f"into {self.dest_dir}", classes="hint", markup=False)
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static("", id="import-error", classes="error-text", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Import", id="import-go", variant="primary")
                yield Button("Cancel (esc)", id="import-cancel")

    def on_mount(self) -> None:
        self.query_one("#import-progress").display = False
        self.query_one("#import-src", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "import-go":
            self.start()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.start()

    def start(self) -> None:
        from kataio_tui.results.store import safe_name

        src_text = self.query_one("#import-src", Input).value.strip()
        if not src_text:
            self.query_one("#import-error", Static).update("source folder: required")
            return
        src = Path(src_text).expanduser()
        name = self.query_one("#import-name", Input).value.strip() or src.name
        dest = self.dest_dir / safe_name(name)
        layout = self.query_one("#import-layout", Select).value
        runtime = self.query_one("#import-runtime", Input).value.strip() or None
        self.query_one("#import-error", Static).update("")
        self.query_one("#import-progress").display = True
        self.query_one("#import-go", Button).disabled = True
        self._import(src, dest, name, str(layout), runtime)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _import(self, src: Path, dest: Path, name: str, layout: str, runtime: str | None) -> None:
        from kataio_tui.results.importers import import_any

        extra = {"runtime": runtime} if runtime and layout != "stackhpc" else {}
        try:
            report = import_any(src, dest, name, layout, cancel=self._cancel,
                                progress=lambda d, t: self.post_message(Progress("import", d, t)), **extra)
        except (KataioError, OSError) as exc:
            self.post_message(WorkFailed("import", str(exc)))
            return
        self.post_message(ImportFinished(report))

    def on_progress(self, message: Progress) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=message.total, progress=message.done)

    def on_work_failed(self, message: WorkFailed) -> None:
        self.query_one("#import-error", Static).update(printable(message.error, lines=True))
        self.query_one("#import-progress").display = False
        self.query_one("#import-go", Button).disabled = False

    def on_import_finished(self, message: ImportFinished) -> None:
        self.dismiss(message.report)

    def action_cancel(self) -> None:
        self._cancel.set()
        self.dismiss(None)
