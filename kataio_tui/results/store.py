"""Result sets on disk: a directory with manifest.toml and the raw fio output of every client.

Every write is atomic: a new set is built in a hidden staging directory and renamed into place; a
scenario's files are staged inside the set and renamed; the manifest is written to a temporary
file, fsynced and renamed over the old one. A crash leaves either the old state or the new one.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kataio_tui.model.results import Manifest, Provenance, ScenarioKey, ScenarioRecord
from kataio_tui.results.setfiles import MANIFEST, RAW_DIR, ResultSetError, SetPaths, read_manifest_data
from kataio_tui.results.setfiles import fsync_write as _fsync_write
from kataio_tui.safety.room import describe_os_error
from kataio_tui.safety.safe_write import WriteError
from kataio_tui.tomlfile import dump_toml, validation_problems, write_atomic

__all__ = ["MANIFEST", "RAW_DIR", "ResultSet", "ResultSetError", "find_result_sets", "safe_name", "scenario_dir"]

_STAGING_PREFIX = ".staging-"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """A file-name-safe form of text (no path separators, no leading dots)."""
    cleaned = _UNSAFE.sub("-", text).strip("-.")
    return cleaned or "unnamed"


def _options_dir(options: tuple[tuple[str, str], ...]) -> str:
    """A short readable directory name for a scenario's other options, unique by a digest."""
    text = ",".join(f"{k}={v}" for k, v in options)
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=4).hexdigest()
    return f"{safe_name('-'.join(f'{k}{v}' for k, v in options))[:40]}-{digest}"


def scenario_dir(key: ScenarioKey) -> str:
    """raw/<variant>/<pattern>/bs<block size>/qd<iodepth>-j<numjobs>[/<options>]/c<clients>/r<repeat>
    (qdx/jx: not recorded)."""
    parts = [RAW_DIR, safe_name(key.variant), safe_name(key.pattern), f"bs{key.block_size}",
             f"qd{key.iodepth if key.iodepth is not None else 'x'}-j{key.numjobs if key.numjobs is not None else 'x'}"]
    if key.options:
        parts.append(_options_dir(key.options))
    return "/".join([*parts, f"c{key.clients}", f"r{key.repeat}"])


LOGS_DIR = "logs"  # fio's own log files of a run, next to its raw files

RawSource = bytes | Path | Callable[[], bytes]
"""A raw file's bytes, the file to copy them from, or a function that returns them (read when
written: an import need not hold thousands of files in memory)."""


@dataclass(slots=True)
class ScenarioFiles:
    """A scenario record and the files to store with it: raw fio output, its job file, fio's logs."""

    record: ScenarioRecord
    raw: list[tuple[str, RawSource]]
    jobfile: str | None = None
    logs: list[tuple[str, RawSource]] = field(default_factory=list)


def _bytes_of(source: RawSource) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, Path):
        return source.read_bytes()
    return source()


def _shared_directory(where: Path, one: ScenarioKey, other: ScenarioKey, rel_dir: str) -> ResultSetError:
    """Two keys whose names clean up to the same directory (e.g. 'kata qemu' and 'kata-qemu')
    must not overwrite each other's raw files."""
    return ResultSetError(f"{where}: scenarios {one.label()!r} and {other.label()!r} would share the directory "
                          f"{rel_dir}; rename one runtime or pattern")


def _paths_of(record: ScenarioRecord) -> list[str]:
    return [*record.files, *record.logs, *([record.jobfile] if record.jobfile else [])]


def _cannot_create(target: Path, exc: OSError) -> ResultSetError:
    """'<set>: cannot create: no space left on the device (0 B free)' and the like."""
    words = describe_os_error(target.parent, exc).removeprefix(f"{target.parent}: ")
    return ResultSetError(f"{target}: cannot create: {words}")


def format_validation(exc: ValidationError) -> str:
    return "; ".join(validation_problems(exc, limit=5))


class ResultSet:
    """An open result set. Paths in the manifest are relative and never leave the directory."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.manifest = manifest
        self._paths = SetPaths(path)

    # ---- loading -----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> ResultSet:
        root = Path(path)
        data = read_manifest_data(root)
        try:
            manifest = Manifest.model_validate(data)
        except ValidationError as exc:
            raise ResultSetError(f"{root / MANIFEST}: {format_validation(exc)}") from None
        result_set = cls(root, manifest)
        result_set._paths.check_all(manifest.scenarios)
        return result_set

    def resolve(self, rel: str) -> Path:
        """The path of a file of this set; refuses anything outside the set's directory."""
        return self._paths.resolve(rel)

    def read_raw(self, rel: str) -> bytes:
        """A file of this set (a link, a FIFO, a device or a file over the read limit is refused)."""
        with SetPaths(self.path) as files:
            return files.read(rel)

    @property
    def name(self) -> str:
        return self.manifest.name

    # ---- creating ----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        name: str,
        provenance: Provenance,
        plan: dict[str, Any] | None = None,
        scenarios: Iterable[ScenarioFiles | tuple[ScenarioRecord, list[tuple[str, RawSource]], str | None]] = (),
    ) -> ResultSet:
        """Create a new set at path atomically, optionally with scenarios and their raw files
        (ScenarioFiles, or (record, raw, jobfile) tuples).

        Refuses to replace an existing directory, so nothing already saved is lost.
        """
        target = Path(path)
        if target.exists():
            raise ResultSetError(f"{target}: already exists; choose another name or directory")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}{_STAGING_PREFIX}", dir=target.parent))
        except OSError as exc:
            raise _cannot_create(target, exc) from None
        try:
            try:
                manifest = Manifest(
                    name=name, created=datetime.now(timezone.utc).replace(microsecond=0),
                    plan=plan, provenance=provenance,
                )
            except ValidationError as exc:
                raise ResultSetError(f"{target}: {format_validation(exc)}") from None
            staged = cls(staging, manifest)
            dirs: dict[str, ScenarioKey] = {}
            for item in scenarios:
                files = item if isinstance(item, ScenarioFiles) else ScenarioFiles(*item)
                rel_dir = scenario_dir(files.record.key)
                other = dirs.setdefault(rel_dir, files.record.key)
                if other != files.record.key:
                    raise _shared_directory(target, other, files.record.key, rel_dir)
                staged._write_scenario_files(staging, files)
                manifest.scenarios.append(files.record)
            staged.save_manifest()
            try:
                os.rename(staging, target)  # refuses a directory created meanwhile unless it is empty
            except OSError as exc:
                raise _cannot_create(target, exc) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls(target, manifest)

    def _write_scenario_files(self, root: Path, files: ScenarioFiles) -> None:
        record = files.record
        rel_dir = scenario_dir(record.key)
        record.files = self._write_raw(root, rel_dir, record, files.raw)
        record.logs = self._write_raw(root, f"{rel_dir}/{LOGS_DIR}", record, files.logs)
        if files.jobfile is not None:
            _fsync_write(root / rel_dir / "job.fio", files.jobfile.encode("utf-8"))
            record.jobfile = f"{rel_dir}/job.fio"

    def _write_raw(self, root: Path, rel_dir: str, record: ScenarioRecord,
                   raw: Iterable[tuple[str, RawSource]]) -> list[str]:
        out = root / rel_dir
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(describe_os_error(out, exc)) from None
        names: list[str] = []
        for name, source in raw:
            safe = safe_name(name)
            if safe in names:
                raise ResultSetError(f"{self.path}: two raw files named {safe!r} in {record.key.label()}")
            _fsync_write(out / safe, _bytes_of(source))
            names.append(safe)
        return [f"{rel_dir}/{n}" for n in names]

    def _check_directory_free(self, record: ScenarioRecord) -> None:
        """Two keys whose names clean up to the same directory (e.g. 'kata qemu' and 'kata-qemu')
        must not overwrite each other's raw files."""
        rel_dir = scenario_dir(record.key)
        for other in self.manifest.scenarios:
            if other.key != record.key and scenario_dir(other.key) == rel_dir:
                raise _shared_directory(self.path, other.key, record.key, rel_dir)

    def save_manifest(self) -> None:
        write_atomic(self.path / MANIFEST, dump_toml(self.manifest.model_dump(mode="python")))

    def add_scenario(
        self, record: ScenarioRecord, raw: list[tuple[str, RawSource]], jobfile: str | None = None,
        logs: list[tuple[str, RawSource]] | None = None,
    ) -> ScenarioRecord:
        """Save one scenario's raw files and record; replaces an earlier record of the same key
        (for example an interrupted one that is being resumed). On any failure the set is left as
        it was: the earlier files are put back and the manifest is not changed."""
        self._check_directory_free(record)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.path))
        trash = staging / "old"
        final = self.path / scenario_dir(record.key)
        before = list(self.manifest.scenarios)
        moved_old = moved_new = False
        try:
            self._write_scenario_files(staging, ScenarioFiles(record, raw, jobfile, logs or []))
            if final.exists():
                os.rename(final, trash)
                moved_old = True
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging / scenario_dir(record.key), final)
            moved_new = True
            self.manifest.scenarios = [*(s for s in before if s.key != record.key), record]
            self.save_manifest()
        except BaseException:
            self.manifest.scenarios = before
            if moved_new:
                os.rename(final, staging / "failed")
            if moved_old:
                os.rename(trash, final)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for old in before:
            if old.key == record.key:
                self._remove_stale_dirs(old, scenario_dir(record.key))
        return record

    def _remove_stale_dirs(self, old: ScenarioRecord, current: str) -> None:
        """The files of a replaced record that lay elsewhere (a set written in an older layout):
        their directory goes when no record of the set uses it any more."""
        used = {str(Path(f).parent) for s in self.manifest.scenarios for f in _paths_of(s)}
        for rel_dir in {str(Path(f).parent) for f in _paths_of(old)} - used - {current}:
            if Path(rel_dir).parts[:1] == (RAW_DIR,) and ".." not in Path(rel_dir).parts:
                shutil.rmtree(self.path / rel_dir, ignore_errors=True)

    def update(self, **changes: Any) -> None:
        """Change top-level manifest fields (for example provenance) and save atomically."""
        for key, value in changes.items():
            setattr(self.manifest, key, value)
        self.save_manifest()

    def delete(self) -> None:
        """Remove the whole set: renamed aside first, so a half-deleted set is never listed."""
        aside = Path(tempfile.mkdtemp(prefix=f".{self.path.name}{_STAGING_PREFIX}deleted-",
                                      dir=self.path.parent))
        os.rename(self.path, aside / "set")
        shutil.rmtree(aside, ignore_errors=True)


def find_result_sets(directories: Iterable[str | Path]) -> list[tuple[Path, ResultSet | ResultSetError]]:
    """Every result set directly in (or being) each directory; unreadable ones come with their error."""
    found: list[tuple[Path, ResultSet | ResultSetError]] = []
    seen: set[Path] = set()
    for directory in directories:
        base = Path(directory)
        candidates = [base] if _has_manifest(base) else _subdirectories(base)
        for candidate in candidates:
            if candidate.resolve() in seen or not _has_manifest(candidate):
                continue
            seen.add(candidate.resolve())
            try:
                if candidate != base and candidate.is_symlink():  # inside a directory of sets: never followed
                    raise ResultSetError(f"{candidate}: a symbolic link; kataio lists only the result sets in "
                                         f"{base} itself")
                found.append((candidate, ResultSet.load(candidate)))
            except ResultSetError as exc:
                found.append((candidate, exc))
    return found


def _has_manifest(directory: Path) -> bool:
    """Whether directory holds something called manifest.toml (whatever it is: a link or a FIFO
    there is listed with the reason it cannot be read)."""
    try:
        os.lstat(directory / MANIFEST)
    except OSError:
        return False
    return True


def _subdirectories(base: Path) -> list[Path]:
    try:
        return sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
