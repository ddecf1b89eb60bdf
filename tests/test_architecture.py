"""The layering contracts in pyproject.toml ([tool.importlinter]) hold: `lint-imports` passes on the
tree, and it really fails when a module imports upwards or makes a cycle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the package under root, with root's pyproject.toml (no cache)."""
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache", *args], capture_output=True, text=True, cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}, timeout=300)


def test_the_tree_keeps_every_contract():
    proc = lint_imports(REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    shutil.copytree(REPO / "kataio_tui", root / "kataio_tui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root)
    return root


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("units.py", "from kataio_tui.results import store", "layers"),  # the ground floor imports upwards
    ("checks/cpu.py", "from kataio_tui.runners import driver", "layers"),  # siblings import each other
    ("fio/reader.py", "import textual", "no-textual"),
    ("results/setfiles.py", "from kataio_tui.results import store", "acyclic"),
    ("stray.py", "", "layers"),  # a new top-level module that is in no layer
])
def test_a_broken_contract_fails(copy, module, line, contract):
    path = copy / "kataio_tui" / module
    before = path.read_text() if path.exists() else None
    try:
        path.write_text((before or "") + f"\n{line}\n")
        proc = lint_imports(copy, "--contract", contract)
    finally:
        if before is None:
            path.unlink()
        else:
            path.write_text(before)
    assert proc.returncode != 0 and "0 kept, 1 broken" in proc.stdout, proc.stdout
