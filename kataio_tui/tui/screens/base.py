"""What every kataio screen shares: panes that stack below 100 columns, and errors shown as toasts."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from kataio_tui.tui.messages import WorkFailed

NARROW_BELOW = 100


class KataioScreen(Screen):
    AUTO_FOCUS = "DataTable"
    RUN_BAR = True  # the active run's line under the title (every screen but the run's own)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_BELOW, "narrow")

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < NARROW_BELOW, "narrow")
        if self.RUN_BAR:
            from textual.widgets import Header

            from kataio_tui.tui.widgets.run_bar import RunBar

            headers = self.query(Header)  # (a docked line would cover the header: it follows it instead)
            self.mount(RunBar(), after=headers.first()) if headers else self.mount(RunBar())

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Plain text unless asked (see KataioApp.notify)."""
        self.app.notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def after_paint(self, callback: Callable[[], object]) -> None:
        """Start background work once the app's first frame is displayed (see KataioApp.when_painted)."""
        when_painted = getattr(self.app, "when_painted", None)
        if when_painted is None:
            callback()
        else:
            when_painted(callback)

    def on_work_failed(self, message: WorkFailed) -> None:
        text = message.error
        if message.remedy and message.remedy not in text:
            text += f"; {message.remedy}"
        self.notify(text, title=message.what, severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # an unexpected exception in a worker: shown, never a crash of the whole app
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(f"{type(error).__name__}: {error}", title=f"{event.worker.name} failed",
                        severity="error", timeout=10)
