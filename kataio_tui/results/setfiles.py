"""Names inside a result set directory and atomic file writes (no pydantic here: the fast report
path imports this module without the manifest model)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MANIFEST = "manifest.toml"
RAW_DIR = "raw"
CACHE_DIR = ".cache"  # derived data only (see summary_cache.py); safe to delete at any time


def fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_atomic(path: Path, data: bytes) -> None:
    """Replace path with data so that readers see the old or the new file, never a mix."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
