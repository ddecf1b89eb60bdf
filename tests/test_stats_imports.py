"""What importing the statistics costs: the plain modules (types, metrics, checks, validity) never
import numpy, so the report's warm path and the TUI's start can use them; the numeric path imports
numpy but not scipy (importing scipy.stats takes seconds on this machine). Fresh interpreters, so
that other tests' imports cannot hide a leak."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _modules_after(code: str) -> set[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_plain_modules_do_not_import_numpy():
    loaded = _modules_after("import kataio_tui.stats, kataio_tui.stats.outcomes, kataio_tui.stats.metrics, "
                            "kataio_tui.stats.inputs, kataio_tui.stats.validity")
    assert "kataio_tui.stats.validity" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("numpy", "scipy")}


def test_the_default_numeric_path_does_not_import_scipy():
    loaded = _modules_after(textwrap.dedent("""
        from kataio_tui.stats.metrics import BANDWIDTH
        from kataio_tui.stats.verdicts import Pair, gate, table_marks
        from kataio_tui.stats.bootstrap import summarize
        pairs = [Pair([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], BANDWIDTH)]
        gate(pairs), table_marks(pairs), summarize([[1.0, 2.0]])
    """))
    assert "numpy" in loaded
    assert not {m for m in loaded if m.split(".")[0] == "scipy"}
