"""Shared fixtures. Lab fixtures (real Kubernetes) live in conftest_lab.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest_plugins = ["conftest_lab"]

REPO = Path(__file__).resolve().parent.parent


def fio_binary() -> str:
    path = shutil.which("fio")
    if path is None:
        pytest.fail("fio is not installed: the test command installs Debian's fio (apt-get install fio)")
    return path


@pytest.fixture(scope="session")
def fio() -> str:
    return fio_binary()


def run_fio(args: list[str], cwd: Path, timeout: float = 60) -> bytes:
    """Run real fio and return its stdout bytes (fails the test with fio's stderr on error)."""
    proc = subprocess.run([fio_binary(), *args], cwd=cwd, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"fio {' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return proc.stdout
