"""The `kataio` command. Each sub-command lives in its own module with a `register` function.

Modules are imported only to build the parser; heavy imports happen inside the command handlers,
so `kataio report` never pays for Textual or the Kubernetes client.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from kataio_tui import __version__
from kataio_tui.cli.output import guarded
from kataio_tui.errors import KataioError
from kataio_tui.printable import printable

COMMAND_MODULES = (
    "kataio_tui.cli.results_cmd",  # report, import, compare
    "kataio_tui.cli.run_cmd",  # plan, run
    "kataio_tui.cli.check_cmd",  # check
    "kataio_tui.cli.cleanup_cmd",  # cleanup (Kubernetes leftovers)
    "kataio_tui.cli.tui_cmd",  # tui (also the default with no command)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kataio",
        description="Check hosts and clusters for Kata Containers and compare runtimes' I/O with fio.",
    )
    parser.add_argument("--version", action="version", version=f"kataio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(sub)
        if hasattr(module, "add_top_level_options"):  # the TUI's --theme/--config work without `tui`
            module.add_top_level_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        handler = default_handler(parser)
    try:
        with guarded():  # a report into a file on a full disk: one line, not a traceback
            return int(handler(args) or 0)
    except KataioError as exc:
        print(f"kataio: error: {printable(exc, lines=True)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kataio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def default_handler(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """With no command: the TUI on the bundled samples and the user's saved sets."""
    from kataio_tui.cli import tui_cmd

    return tui_cmd.run_default
