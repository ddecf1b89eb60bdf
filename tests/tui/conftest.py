"""TUI test fixtures: an isolated user (data, config, bundled samples) and the recorded real result set.

The result set in data/sample-set is real fio output recorded once by record_sample.py, so snapshot
tests see the same numbers every run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kataio_tui import paths

from tui.tui_support import REPO, SAMPLE_SET


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh user: empty data and config dirs, and no bundled samples unless a test adds some."""
    monkeypatch.setenv("KATAIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KATAIO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    samples = tmp_path / "samples"
    samples.mkdir()
    monkeypatch.setattr(paths, "sample_results_dir", lambda: samples)
    return tmp_path


@pytest.fixture
def user_set(isolated: Path) -> Path:
    """A copy of the recorded set in the user's results directory (deletable)."""
    dest = paths.results_dir() / "tui-sample"
    shutil.copytree(SAMPLE_SET, dest)
    return dest


@pytest.fixture
def bundled_set(isolated: Path) -> Path:
    dest = paths.sample_results_dir() / "tui-sample"
    shutil.copytree(SAMPLE_SET, dest)
    return dest


@pytest.fixture
def make_app(isolated: Path) -> Callable[..., object]:
    from kataio_tui.tui.app import KataioApp

    def make(**kwargs):
        kwargs.setdefault("config_path", isolated / "config" / "config.toml")
        kwargs.setdefault("persist_theme", False)
        app = KataioApp(**kwargs)
        app.export_dir = isolated / "exports"
        return app

    return make



@pytest.fixture
def checks_app(make_app, tmp_path):
    """The app on the Checks screen, checking a copy of the vm-no-nested host tree (it FAILs some
    Kata prerequisites and has no kubeconfig)."""
    from kataio_tui.checks.options import CheckOptions

    root = tmp_path / "vm-no-nested"
    shutil.copytree(REPO / "tests" / "fixtures" / "hosts" / "vm-no-nested", root, symlinks=True)
    app = make_app(start="checks")
    app.check_options = CheckOptions(root=root)
    return app
