"""`kataio tui` (and `kataio` with no command): the terminal application."""

from __future__ import annotations

import argparse
from pathlib import Path

from kataio_tui.errors import KataioError

START_SCREENS = ("home", "browse", "checks", "plan", "run")


THEME_HELP = ("theme name (kataio-dark, kataio-light, kataio-contrast, a Textual theme, or your own "
              "in the config dir's themes/NAME.toml); persists like a choice made in the app")
CONFIG_HELP = "settings file (default: the platform config dir's kataio/config.toml)"


def add_top_level_options(parser: argparse.ArgumentParser) -> None:
    """`kataio --theme NAME` and `kataio --config FILE` (no command: the TUI). Their own dests,
    because a sub-command's defaults would overwrite a shared one."""
    parser.add_argument("--theme", metavar="NAME", dest="top_theme", help=THEME_HELP)
    parser.add_argument("--config", metavar="FILE", type=Path, dest="top_config", help=CONFIG_HELP)


def _add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--theme", metavar="NAME", help=THEME_HELP)
    p.add_argument("--config", metavar="FILE", type=Path, help=CONFIG_HELP)
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

    config_path = getattr(args, "config", None) or getattr(args, "top_config", None) or paths.config_file()
    config = load_config(config_path)
    theme = getattr(args, "theme", None) or getattr(args, "top_theme", None)
    from kataio_tui.tui.app import KataioApp

    app = KataioApp(config=config, theme=theme, set_paths=list(getattr(args, "sets", []) or []),
                    config_path=config_path, start=getattr(args, "start", None))
    problem = app.theme_problem(theme) if theme else None
    if problem:
        raise KataioError(f"--theme: {problem}")
    if theme and theme != config.theme:
        save_setting("theme", theme, config_path)
        config.theme = theme
    app.run()
    return app.return_code or 0


def run_default(args: argparse.Namespace) -> int:
    """`kataio` with no command: the TUI on the bundled samples and the user's saved sets."""
    return cmd_tui(argparse.Namespace(sets=[], theme=getattr(args, "top_theme", None),
                                      config=getattr(args, "top_config", None), start=None))


def run_plan_in_tui(plan, out: Path, resume: Path | None = None) -> int:
    """`kataio run PLAN` (or `--resume SET`) in a terminal: the TUI's run screen (run_cmd.in_tui
    decides when)."""
    from kataio_tui import paths
    from kataio_tui.config import load_config
    from kataio_tui.tui.app import KataioApp

    app = KataioApp(config=load_config(paths.config_file()), config_path=paths.config_file(), start="run")
    app.run_out_dir = out
    app.pending_plan, app.pending_resume = plan, resume
    app.run()
    return app.return_code or 0
