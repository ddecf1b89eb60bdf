"""Names inside a result set directory, reading its manifest file, path checks and atomic file
writes (no pydantic here: the report path imports this module without the manifest model)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kataio_tui.errors import KataioError
from kataio_tui.tomlfile import read_toml

MANIFEST = "manifest.toml"
RAW_DIR = "raw"
CACHE_DIR = ".cache"  # derived data only (see summary_cache.py); safe to delete at any time


class ResultSetError(KataioError):
    """A result set cannot be read or written; the message names the file and the reason."""


def read_manifest_data(root: Path) -> dict[str, Any]:
    """The manifest of the set at root as TOML data (not yet validated)."""
    manifest_path = root / MANIFEST
    if not root.is_dir():
        raise ResultSetError(f"{root}: not a directory (a result set is a directory with {MANIFEST})")
    return read_toml(manifest_path, ResultSetError, missing=f"missing; {root} is not a result set")


class SetPaths:
    """Resolves the relative file names of a set's manifest; refuses anything outside the set."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._resolved_dirs: dict[str, Path] = {}  # a set has thousands of files in a few dozen dirs

    def resolve(self, rel: str) -> Path:
        outside = ResultSetError(f"{self.root / MANIFEST}: file {rel!r} lies outside the result set")
        try:
            if "\x00" in rel:
                raise ValueError("embedded null byte")
            rel_path = Path(rel)
            if rel_path.is_absolute():
                raise outside
            root = self._resolved_dir(".")
            parent = self._resolved_dir(str(rel_path.parent))
            target = parent / rel_path.name
            if rel_path.name in ("", ".", "..") or target.is_symlink():
                target = target.resolve()
        except (OSError, ValueError, RuntimeError) as exc:  # NUL bytes, symlink loops
            raise ResultSetError(f"{self.root / MANIFEST}: file {rel!r} is not a usable path: {exc}") from None
        if not target.is_relative_to(root) or target == root:
            raise outside
        return target

    def _resolved_dir(self, rel_dir: str) -> Path:
        found = self._resolved_dirs.get(rel_dir)
        if found is None:
            found = (self.root / rel_dir).resolve()
            self._resolved_dirs[rel_dir] = found
        return found

    def check_all(self, records: list[Any]) -> None:
        """Refuse manifests that point outside the set (records: ScenarioRecord or RecordView)."""
        for record in records:
            for rel in [*record.files, *([record.jobfile] if record.jobfile else [])]:
                self.resolve(rel)


def fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
