"""Names inside a result set directory, reading its manifest and its files (never through a link,
never a FIFO or device, within the read limit: safety/safe_read.py), and file writes (no pydantic
here: the report path imports this module without the manifest model)."""

from __future__ import annotations

import errno
import os
from pathlib import Path, PurePosixPath
from typing import Any

from kataio_tui.errors import KataioError
from kataio_tui.printable import brief
from kataio_tui.safety.room import describe_os_error
from kataio_tui.safety.safe_read import TreeReader, UnsafeFileError
from kataio_tui.safety.safe_write import WriteError
from kataio_tui.tomlfile import parse_toml

MANIFEST = "manifest.toml"
RAW_DIR = "raw"
CACHE_DIR = ".cache"  # derived data only (see summary_cache.py); safe to delete at any time


class ResultSetError(KataioError):
    """A result set cannot be read or written; the message names the file and the reason."""


def read_manifest_data(root: Path) -> dict[str, Any]:
    """The manifest of the set at root as TOML data (not yet validated), read as every file of a
    set is (see SetPaths.open): not through a link, not a FIFO or device, within the size limit."""
    manifest_path = root / MANIFEST
    if not root.is_dir():
        raise ResultSetError(f"{root}: not a directory (a result set is a directory with {MANIFEST})")
    try:
        with TreeReader(root) as reader:
            text = reader.read_text(MANIFEST)
    except UnsafeFileError as exc:
        if exc.errno == errno.ENOENT:
            raise ResultSetError(f"{manifest_path}: missing; {root} is not a result set") from None
        raise ResultSetError(str(exc)) from None
    except KataioError as exc:  # the directory itself cannot be opened
        raise ResultSetError(str(exc)) from None
    return parse_toml(text, manifest_path, ResultSetError)


class FileUnreadable(ResultSetError):
    """One file of a set cannot be read (a link, a FIFO, a device, too large, missing): ``reason``
    says why, without the path (a FileProblem puts the file's name in front)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason


class SetFile:
    """One open regular file of a set: its stamp (size, mtime, inode) from the descriptor that
    read() reads, so what is cached under a stamp is what was read."""

    def __init__(self, reader: TreeReader, rel: str, fd: int, st: os.stat_result) -> None:
        self._reader, self.rel, self._fd = reader, rel, fd
        self.stamp = [st.st_size, st.st_mtime_ns, st.st_ino]

    def read(self) -> bytes:
        fd, self._fd = self._fd, -1
        if fd < 0:
            raise ValueError(f"{self.rel}: read twice")
        try:
            return self._reader.read_open(fd, self.rel)
        except UnsafeFileError as exc:
            raise FileUnreadable(self.rel, exc.reason) from None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> SetFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SetPaths:
    """The files a set's manifest names: relative paths that stay inside the set (checked as text:
    no absolute path, no '..'), opened with TreeReader (no component is followed if it is a link,
    only regular files, the size limit). ``close`` (or a with block) releases the directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._reader: TreeReader | None = None
        self._resolved_dirs: dict[str, Path] = {}  # a set has thousands of files in a few dozen dirs

    def resolve(self, rel: str) -> Path:
        """The path of a file the manifest names, links resolved; refused when it lies outside the set."""
        self._parts(rel)
        outside = ResultSetError(f"{self.root / MANIFEST}: file {brief(rel, 200)} lies outside the result set")
        try:
            rel_path = Path(rel)
            root = self._resolved_dir(".")
            target = self._resolved_dir(str(rel_path.parent)) / rel_path.name
            if target.is_symlink():
                target = target.resolve()
        except (OSError, RuntimeError) as exc:  # symlink loops
            raise ResultSetError(f"{self.root / MANIFEST}: file {brief(rel, 200)} is not a usable path: {exc}") \
                from None
        if not target.is_relative_to(root) or target == root:
            raise outside
        return target

    def _resolved_dir(self, rel_dir: str) -> Path:
        found = self._resolved_dirs.get(rel_dir)
        if found is None:
            found = (self.root / rel_dir).resolve()
            self._resolved_dirs[rel_dir] = found
        return found

    def _parts(self, rel: str) -> tuple[str, ...]:
        where = f"{self.root / MANIFEST}: file {brief(rel, 200)}"
        if not isinstance(rel, str) or "\x00" in rel:
            raise ResultSetError(f"{where} is not a usable path")
        path = PurePosixPath(rel)
        parts = tuple(part for part in path.parts if part != ".")
        if path.is_absolute() or ".." in parts or not parts:
            raise ResultSetError(f"{where} lies outside the result set")
        return parts

    def open(self, rel: str) -> SetFile:
        """The regular file rel, open; FileUnreadable (naming rel) when it cannot be read."""
        parts = self._parts(rel)
        if self._reader is None:
            self._reader = TreeReader(self.root)
        try:
            fd, st = self._reader.open(PurePosixPath(*parts))
        except UnsafeFileError as exc:
            raise FileUnreadable(rel, exc.reason) from None
        return SetFile(self._reader, rel, fd, st)

    def read(self, rel: str) -> bytes:
        with self.open(rel) as opened:
            return opened.read()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def __enter__(self) -> SetPaths:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_all(self, records: list[Any]) -> None:
        """Refuse manifests that name files outside the set (records: ScenarioRecord or RecordView)."""
        for record in records:
            for rel in [*record.files, *([record.jobfile] if record.jobfile else [])]:
                self.resolve(rel)


def fsync_write(path: Path, data: bytes) -> None:
    """Write a new file of a set being built; a full or read-only disk is a WriteError (a KataioError
    and an OSError) naming it and the free space."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise WriteError(describe_os_error(path, exc)) from None
