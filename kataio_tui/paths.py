"""Where kataio keeps and finds things: user data and config directories, bundled samples."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "kataio"


def data_dir() -> Path:
    return Path(os.environ.get("KATAIO_DATA_DIR") or platformdirs.user_data_dir(APP))


def results_dir() -> Path:
    """Default home of result sets made by `kataio run` and `kataio import`."""
    return data_dir() / "results"


def config_dir() -> Path:
    return Path(os.environ.get("KATAIO_CONFIG_DIR") or platformdirs.user_config_dir(APP))


def config_file() -> Path:
    return config_dir() / "config.toml"


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def sample_results_dir() -> Path:
    """The bundled real result sets (sample_results/ beside the package in a checkout)."""
    return project_root() / "sample_results"


def themes_dir() -> Path:
    return project_root() / "themes"
