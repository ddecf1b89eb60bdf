"""The headless core never imports Textual: importing every module outside kataio_tui/tui/ (the CLI
included) and building the whole command line leaves textual out of sys.modules. Runs in a fresh
interpreter so that other tests' imports cannot hide a leak."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = textwrap.dedent("""
    import importlib, json, pkgutil, sys
    import kataio_tui
    names = []
    for info in pkgutil.walk_packages(kataio_tui.__path__, "kataio_tui."):
        if info.name == "kataio_tui.tui" or info.name.startswith("kataio_tui.tui."):
            continue
        if info.name == "kataio_tui.__main__":
            continue  # runs the CLI on import
        importlib.import_module(info.name)
        names.append(info.name)
    from kataio_tui.cli import build_parser
    parser = build_parser()  # imports every sub-command module
    parser.parse_args(["report", "somewhere"])
    leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
    print(json.dumps({"imported": names, "leaked": leaked}))
""")


def test_core_modules_do_not_import_textual():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["leaked"] == [], f"textual imported by the headless core: {result['leaked']}"
    imported = set(result["imported"])
    # the probe really covered the core
    for name in ("kataio_tui.cli", "kataio_tui.cli.results_cmd", "kataio_tui.cli.render", "kataio_tui.fio.reader",
                 "kataio_tui.fio.histogram", "kataio_tui.results.store", "kataio_tui.results.loader",
                 "kataio_tui.results.report", "kataio_tui.results.importers", "kataio_tui.runners.events"):
        assert name in imported


def test_probe_detects_textual():
    """The check itself can fail: importing a TUI module in the same way is reported."""
    probe = PROBE.replace('if info.name == "kataio_tui.tui" or info.name.startswith("kataio_tui.tui."):\n'
                          '        continue', 'pass')
    assert probe != PROBE
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["leaked"]
