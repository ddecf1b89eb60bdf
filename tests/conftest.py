"""Shared fixtures. Lab fixtures (real Kubernetes) live in conftest_lab.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["conftest_lab"]

REPO = Path(__file__).resolve().parent.parent

# Where kataio keeps run journals, result sets and settings: private to this test session, so that
# what the tests leave (and what a real user or another test session left) never reaches another test.
_ISOLATED_DIRS = {"KATAIO_STATE_DIR": "state", "KATAIO_DATA_DIR": "data", "KATAIO_CONFIG_DIR": "config"}


@pytest.fixture(scope="session", autouse=True)
def isolated_kataio_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    base = tmp_path_factory.mktemp("kataio-home")
    saved = {name: os.environ.get(name) for name in _ISOLATED_DIRS}
    for name, sub in _ISOLATED_DIRS.items():
        (base / sub).mkdir(mode=0o700)
        os.environ[name] = str(base / sub)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


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
