"""`kataio tui` (and `kataio` with no command): the terminal application."""

from __future__ import annotations

import argparse
from pathlib import Path

START_SCREENS = ("home", "browse", "checks", "plan", "run")


def _add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--theme", metavar="NAME",
                   help="theme name (kataio-dark, kataio-light, kataio-contrast, or any Textual theme); "
                        "persists like a choice made in the app")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="settings file (default: the platform config dir's kataio/config.toml)")
    p.add_argument("--start", choices=START_SCREENS, help="screen to open first (default: home, or browse "
                                                          "when result sets are given)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tui", help="the terminal application (the default when no command is given)")
    p.add_argument("sets", nargs="*", metavar="PATH", type=Path,
                   help="result sets, or folders of result sets, to browse besides the bundled and saved ones")
    _add_options(p)
    p.set_defaults(handler=cmd_tui)


def cmd_tui(args: argparse.Namespace) -> int:
    from kataio_tui import paths
    from kataio_tui.config import load_config, save_setting

    config_path = getattr(args, "config", None) or paths.config_file()
    config = load_config(config_path)
    theme = getattr(args, "theme", None)
    from kataio_tui.tui.app import KataioApp

    app = KataioApp(config=config, theme=theme, set_paths=list(getattr(args, "sets", []) or []),
                    config_path=config_path, start=getattr(args, "start", None))
    if theme and theme in app.available_themes and theme != config.theme:
        save_setting("theme", theme, config_path)
        config.theme = theme
    app.run()
    return 0


def run_default(args: argparse.Namespace) -> int:
    """`kataio` with no command: the TUI on the bundled samples and the user's saved sets."""
    return cmd_tui(argparse.Namespace(sets=[], theme=None, config=None, start=None))


def run_plan_in_tui(plan, out: Path) -> int:
    """`kataio run PLAN` in a terminal: the TUI's run screen (run_cmd.in_tui decides when)."""
    from kataio_tui import paths
    from kataio_tui.config import load_config
    from kataio_tui.tui.app import KataioApp

    app = KataioApp(config=load_config(paths.config_file()), config_path=paths.config_file(), start="run")
    app.run_out_dir = out
    app.pending_plan = plan
    app.run()
    return 0
