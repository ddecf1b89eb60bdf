"""The kataio Textual application: modes (home, browse, checks, plan, run), themes, keymap, palette."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from kataio_tui.config import Config
from kataio_tui.printable import printable
from kataio_tui.tui.commands import KataioCommands
from kataio_tui.tui.message_log import MessageLog
from kataio_tui.tui.remedies import for_tui
from kataio_tui.tui.themes import DEFAULT_THEME, VARIABLE_DEFAULTS, load_themes, unknown_theme_message

# mode -> (module under kataio_tui.tui.screens, class): imported on first use to keep startup short
MODE_SCREENS = {
    "home": ("home", "HomeScreen"),
    "browse": ("browse", "BrowseScreen"),
    "checks": ("checks", "ChecksScreen"),
    "plan": ("plan", "PlanScreen"),
    "run": ("run", "RunScreen"),
}


def _lazy_screen(module: str, cls: str) -> Callable[[], Screen]:
    def make() -> Screen:
        return getattr(importlib.import_module(f"kataio_tui.tui.screens.{module}"), cls)()

    return make


# imported in the background after the first paint, so opening a result set does not wait for them
WARM_IMPORTS = ("kataio_tui.results.loader", "kataio_tui.results.tables", "kataio_tui.results.report",
                "kataio_tui.tui.screens.results", "kataio_tui.tui.screens.browse", "plotext")


def _warm_imports() -> None:
    for name in WARM_IMPORTS:
        importlib.import_module(name)


class KataioApp(App[None]):
    TITLE = "kataio"
    CSS_PATH = "app.tcss"
    COMMANDS = {KataioCommands}  # one provider: the app's own commands first, Textual's after them
    MODES = {mode: _lazy_screen(*where) for mode, where in MODE_SCREENS.items()}
    DEFAULT_MODE = "home"
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "back", "Back/Quit", id="app.back"),
        Binding("1", "go('home')", "Home", id="app.home", show=False),
        Binding("2", "go('browse')", "Browse", id="app.browse", show=False),
        Binding("3", "go('checks')", "Checks", id="app.checks", show=False),
        Binding("4", "go('plan')", "Plan", id="app.plan", show=False),
        Binding("5", "go('run')", "Run", id="app.run", show=False),
        Binding("ctrl+t", "next_theme", "Next theme", id="app.theme", show=False),
        Binding("f12", "screenshot", "SVG screenshot", id="app.screenshot", show=False),
        Binding("m", "messages", "Messages", id="app.messages", show=False),
    ]

    def __init__(
        self,
        config: Config | None = None,
        theme: str | None = None,
        set_paths: list[Path] | None = None,
        config_path: Path | None = None,
        start: str | None = None,
        persist_theme: bool = True,
    ) -> None:
        self.config = config or Config()
        self.config_path = config_path
        self.set_paths = list(set_paths or [])
        self.export_dir = self.config.export_dir or Path.cwd()
        self.check_options = None  # CheckOptions for the checks screen; None: this host, defaults
        self.runner_factory = None  # Plan -> ScenarioRunner for the run screen; None: by the plan's target
        self.run_out_dir: Path | None = None  # where runs create result sets; None: the user data dir
        self.pending_plan = None  # handed from the plan screen to the run screen
        self.pending_resume: Path | None = None  # with pending_plan: the result set to resume
        self.run_cancel = None  # the active run's cancel Event (set by the run screen)
        self.stopped_by: int | None = None  # SIGTERM or SIGHUP that ended the app
        self.active_run = None  # the active run's RunState (set by the run screen while it runs)
        self._quit_after_run = False
        self._start = start or ("browse" if self.set_paths else "home")
        if self._start in MODE_SCREENS:
            self.DEFAULT_MODE = self._start  # build only the first screen shown, not home and then it
        self._persist_theme = persist_theme
        self._theme_ready = False
        self._painted = False
        self._after_paint: list[Callable[[], object]] = []
        self.message_log = MessageLog()
        super().__init__()
        themes, self.theme_problems = load_themes()
        self.kataio_themes = [t.name for t in themes]
        for t in themes:
            self.register_theme(t)
        wanted = theme or self.config.theme or DEFAULT_THEME
        problem = self.theme_problem(wanted)
        if problem:
            self.theme_problems.append(problem)
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = wanted
        if self.config.keymap:
            self.set_keymap(self.config.keymap)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications carry paths, fio's and the API's words: plain text unless asked (a '[' in
        them would be read as markup). Every one is kept in the message log (m)."""
        message = printable(for_tui(message), lines=True)  # the core's remedies name CLI flags; here, the TUI's
        title = printable(title)
        self.message_log.add(message, severity, title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_help_quit(self) -> None:
        """ctrl+c: Textual's hint, without its markup (notifications here are plain text)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"Press {key} to quit the app (or q on Home)",
                            title="Do you want to quit?")
                return

    def theme_problem(self, name: str) -> str | None:
        """Why name cannot be used (which themes there are, where the user's own go), or None."""
        return None if name in self.available_themes else unknown_theme_message(name, self.available_themes)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(problem, severity="warning", timeout=8)
        self._stop_on_signals()

    def _stop_on_signals(self) -> None:
        """SIGTERM and SIGHUP (kill, a closed terminal or SSH session) leave like q: an active run
        is stopped and cleaned up, the terminal restored; the exit status says which signal."""
        import asyncio
        import signal

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(sig, self._stop_signal, sig)
            except (RuntimeError, ValueError):  # not the main thread (tests run the app in their own loop)
                return

    def _stop_signal(self, sig: int) -> None:
        if self.stopped_by is None:
            self.stopped_by = sig
            self.exit(return_code=128 + sig)

    def when_painted(self, callback: Callable[[], object]) -> None:
        """Run callback once the first frame is on the terminal (now, if it is): background work
        started earlier competes with the first paint for the interpreter."""
        if self._painted:
            callback()
        else:
            self._after_paint.append(callback)

    def on_ready(self) -> None:
        """Textual's Ready: the first frame has been displayed."""
        self._painted = True
        self._theme_ready = True
        callbacks, self._after_paint = self._after_paint, []
        for callback in callbacks:
            callback()
        self.run_worker(self._warm_up, thread=True, group="warm-up", exit_on_error=False)

    def _warm_up(self) -> None:
        _warm_imports()
        if self.config.keymap:
            from kataio_tui.tui.keymap import unknown_binding_ids  # imports every screen: off the UI thread

            unknown = unknown_binding_ids(self.config.keymap, type(self))
            if unknown:
                where = self.config_path or "the config file"
                self.call_from_thread(
                    self.notify, f"{where}: keymap: unknown binding id(s): {', '.join(unknown)} (see ? for ids)",
                    severity="warning", timeout=10)

    # ---- actions -----------------------------------------------------------------------------

    def action_go(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_back(self) -> None:
        """q: leave a pushed screen, then go home, then quit (asking first while a run is active)."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.current_mode != "home":
            if self.current_mode == "run" and self.active_run is not None:
                self.notify("The run goes on: every screen shows it under its title; 5 comes back here, "
                            "s there stops it.", title="run in progress", timeout=8)
            self.switch_mode("home")
        else:
            self.leave()

    async def action_quit(self) -> None:
        """ctrl+q (Textual's quit key): as q on Home."""
        self.leave()

    def leave(self) -> None:
        """Quit; while a run is active, ask first (stop it and clean up, or stay)."""
        if self.active_run is None:
            self.exit()
            return
        from kataio_tui.tui.screens.confirm import ConfirmScreen

        def answer(stop: bool | None) -> None:
            if stop and self.active_run is not None and self.run_cancel is not None:
                self._quit_after_run = True
                self.run_cancel.set()
                self.notify("stopping the run: its clients are stopped and cleaned up, then kataio quits; the "
                            "finished scenarios stay saved", title="quitting", timeout=30)
            elif stop:
                self.exit()

        self.push_screen(ConfirmScreen("A run is in progress. Stop it, clean up and quit? The finished "
                                       "scenarios stay saved (n: stay).", yes="Stop and quit"), answer)

    def run_ended(self) -> None:
        """The run screen's run has ended (its runner has cleaned up)."""
        self.active_run = None
        self.run_cancel = None
        if self._quit_after_run:
            self.exit()

    def exit(self, *args, **kwargs) -> None:
        """Leaving while a run streams stops it: the runner cleans up its clients (within the plan's
        stop timeout) before the process ends, instead of running on invisibly."""
        cancel = getattr(self, "run_cancel", None)
        if cancel is not None:
            cancel.set()
        super().exit(*args, **kwargs)

    def start_run(self, plan, resume: Path | None = None) -> None:
        """Run plan on the run screen (the plan screen's ctrl+r), or resume the result set resume
        with it (Browse's R)."""
        self.pending_plan, self.pending_resume = plan, resume
        if self.current_mode == "run":
            self.screen.on_screen_resume()
        else:
            self.switch_mode("run")

    def action_help(self) -> None:
        from kataio_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_messages(self) -> None:
        from kataio_tui.tui.screens.message_log import MessageLogScreen

        if not isinstance(self.screen, MessageLogScreen):
            self.push_screen(MessageLogScreen(self.message_log))

    def action_next_theme(self) -> None:
        names = self.kataio_themes or [self.theme]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]
        self.notify(f"theme: {self.theme}", timeout=2)

    def action_screenshot(self) -> None:
        from kataio_tui.safety.room import describe_os_error

        try:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            path = self.save_screenshot(path=str(self.export_dir))
        except OSError as exc:
            self.notify(f"cannot save the screenshot: {describe_os_error(self.export_dir, exc)}", severity="error")
            return
        self.notify(f"saved {path}", timeout=6)

    # ---- theme persistence -------------------------------------------------------------------

    def watch_theme(self, theme: str) -> None:
        if not (self._theme_ready and self._persist_theme) or theme == self.config.theme:
            return
        self.config.theme = theme
        self.run_worker(lambda: self._save_theme(theme), thread=True, group="config", exclusive=True,
                        exit_on_error=False)

    def _save_theme(self, theme: str) -> None:
        from kataio_tui.config import ConfigError, save_setting

        try:
            save_setting("theme", theme, self.config_path)
        except (ConfigError, OSError) as exc:
            self.call_from_thread(self.notify, f"theme not saved: {exc}", severity="warning")
