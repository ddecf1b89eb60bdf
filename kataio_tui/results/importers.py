"""Create result sets from fio output made elsewhere: the stackhpc-io-tools layout and loose files.

stackhpc-io-tools lays raw results out as
``<runtime>/<fs>-<pattern>/<clients>/<client-dir>/<blocksize>.json`` (fio 3.1 json+, one file per
client and block size). Raw bytes are copied unchanged into the new set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kataio_tui import __version__
from kataio_tui.errors import KataioError
from kataio_tui.fio.jobconfig import PATTERNS, block_size_of, pattern_of
from kataio_tui.fio.reader import FioOutputError, read_fio_output
from kataio_tui.model.results import Provenance, ScenarioRecord
from kataio_tui.results.loader import warm_cache
from kataio_tui.results.store import ResultSet
from kataio_tui.units import parse_size



class ImportFailed(KataioError):
    """Nothing importable was found; the message says where and why."""


@dataclass
class ImportReport:
    result_set: ResultSet
    imported: int
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    runtime: str
    pattern: str
    block_size: int
    files: list[tuple[str, bytes]] = field(default_factory=list)
    clients: int = 0
    fio_versions: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)


def _stackhpc_entries(src: Path) -> list[tuple[Path, str, str, int, int]]:
    """(file, runtime, pattern, clients, block_size) for every file that fits the layout."""
    entries = []
    for path in sorted(src.glob("*/*/*/*/*.json")):
        runtime_dir, pattern_dir, clients_dir, _client_dir = path.relative_to(src).parts[:4]
        pattern = pattern_dir.rsplit("-", 1)[-1].lower()
        if pattern not in PATTERNS or not clients_dir.isdigit():
            continue
        try:
            block = parse_size(path.stem)
        except ValueError:
            continue
        entries.append((path, runtime_dir, pattern, int(clients_dir), block))
    return entries


def _record_client(pending: _Pending, name: str, data: bytes, source: str) -> int:
    run = read_fio_output(data, source)
    pending.files.append((name, data))
    pending.fio_versions.add(run.version)
    pending.hosts.update(h for h, _ in run.hosts() if h)
    return len(run.hosts()) if run.client_mode else 1


def _finish(dest: Path, name: str, made_by: str, groups: dict[tuple, _Pending], skipped: list[str],
            src: Path, clients_from_layout: bool) -> ImportReport:
    if not groups:
        detail = f" ({len(skipped)} unreadable: {skipped[0]})" if skipped else ""
        raise ImportFailed(f"{src}: no importable fio output found{detail}")
    scenarios = []
    versions: set[str] = set()
    hosts: set[str] = set()
    for (runtime, pattern, block, clients), pending in sorted(groups.items()):
        versions |= pending.fio_versions
        hosts |= pending.hosts
        planned = clients if clients_from_layout else pending.clients
        record = ScenarioRecord(runtime=runtime, pattern=pattern, block_size=block, clients=planned)
        scenarios.append((record, pending.files, None))
    notes = f"imported from {src.name}"
    if skipped:
        notes += f"; skipped {len(skipped)} unreadable file(s): " + "; ".join(skipped[:20])
    provenance = Provenance(
        made_by=made_by, kataio_version=__version__, fio_version=", ".join(sorted(versions)) or None,
        hosts=sorted(hosts), notes=notes,
    )
    result_set = ResultSet.create(dest, name, provenance, plan=None, scenarios=scenarios)
    warm_cache(result_set)
    return ImportReport(result_set, sum(len(p.files) for p in groups.values()), skipped)


def import_stackhpc(src: Path, dest: Path, name: str | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    cancel: threading.Event | None = None) -> ImportReport:
    entries = _stackhpc_entries(src)
    groups: dict[tuple, _Pending] = {}
    skipped: list[str] = []
    for i, (path, runtime, pattern, clients, block) in enumerate(entries):
        if cancel is not None and cancel.is_set():
            raise ImportFailed("import cancelled; nothing was written")
        rel = str(path.relative_to(src))
        pending = groups.setdefault((runtime, pattern, block, clients), _Pending(runtime, pattern, block))
        try:
            pending.clients += _record_client(pending, f"{path.parent.name}-{path.name}", path.read_bytes(), rel)
        except FioOutputError as exc:
            skipped.append(str(exc))
        except OSError as exc:
            skipped.append(f"{rel}: cannot read: {exc.strerror}")
        if progress:
            progress(i + 1, len(entries))
    groups = {k: v for k, v in groups.items() if v.files}
    return _finish(dest, name or src.name, "kataio import stackhpc", groups, skipped, src, True)


def import_loose(src: Path, dest: Path, name: str | None = None, runtime: str | None = None,
                 pattern: str | None = None, block_size: int | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 cancel: threading.Event | None = None) -> ImportReport:
    files = sorted(p for p in src.rglob("*") if p.is_file() and not p.name.startswith("."))
    groups: dict[tuple, _Pending] = {}
    skipped: list[str] = []
    for i, path in enumerate(files):
        if cancel is not None and cancel.is_set():
            raise ImportFailed("import cancelled; nothing was written")
        rel = str(path.relative_to(src))
        try:
            data = path.read_bytes()
            run = read_fio_output(data, rel)
            pat = pattern or pattern_of(run.option("rw") or run.option("readwrite"))
            block = block_size or block_size_of(run.option("bs") or run.option("blocksize"))
            if pat is None:
                raise FioOutputError(rel, "no pattern: the job options have no rw=; give --pattern")
            if block is None:
                raise FioOutputError(rel, "no block size: the job options have no bs=; give --block-size")
            key = (runtime or "unknown", pat, block, 0)
            pending = groups.setdefault(key, _Pending(key[0], pat, block))
            pending.clients += _record_client(pending, rel.replace("/", "-"), data, rel)
        except FioOutputError as exc:
            skipped.append(str(exc))
        except OSError as exc:
            skipped.append(f"{rel}: cannot read: {exc.strerror}")
        if progress:
            progress(i + 1, len(files))
    # loose files: each file is one client (or several in client/server output)
    regrouped = {(k[0], k[1], k[2], v.clients): v for k, v in groups.items()}
    return _finish(dest, name or src.name, "kataio import loose", regrouped, skipped, src, False)


def detect_layout(src: Path) -> str:
    if not src.is_dir():
        raise ImportFailed(f"{src}: not a directory")
    return "stackhpc" if _stackhpc_entries(src) else "loose"


def import_any(src: Path, dest: Path, name: str | None = None, layout: str = "auto", **kwargs) -> ImportReport:
    if layout == "auto":
        layout = detect_layout(src)
    if layout == "stackhpc":
        kwargs = {k: v for k, v in kwargs.items() if k in ("progress", "cancel")}
        return import_stackhpc(src, dest, name, **kwargs)
    return import_loose(src, dest, name, **kwargs)
