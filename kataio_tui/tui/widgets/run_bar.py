"""The active run, one line under the title of every screen but Run's: a run is never out of sight
(scenario i/n, its phase, the current MiB/s, the time so far)."""

from __future__ import annotations

from textual.widgets import Static

REFRESH_S = 0.5


class RunBar(Static):
    DEFAULT_CSS = """
    RunBar {
        height: 1;
        padding: 0 1;
        background: $warning 25%;
        text-style: bold;
        display: none;
    }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False, id="run-bar")

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(REFRESH_S, self._tick)

    def _tick(self) -> None:
        state = getattr(self.app, "active_run", None)
        self.display = state is not None
        if state is not None:
            from kataio_tui.tui.run_view import header_text  # (only with a run: nothing heavy before that)

            self.update(header_text(state))
