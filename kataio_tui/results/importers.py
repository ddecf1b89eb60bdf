"""Create result sets from fio output made elsewhere: the stackhpc-io-tools layout and loose folders.

stackhpc-io-tools lays raw results out as
``<runtime>/<fs>-<pattern>/<clients>/<client-dir>/<blocksize>.json`` (fio 3.1 json+, one file per
client and block size): the layout says which files are the clients of one scenario. A loose folder
says nothing: its files are grouped by job configuration and run window (results/grouping.py).
fio's own log files are recognised by name and attached to the run that wrote them. Raw bytes are
copied unchanged into the new set; a file that changes while it is imported is refused.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kataio_tui import __version__
from kataio_tui.errors import KataioError
from kataio_tui.fio.jobconfig import PATTERNS, JobConfig, JobConfigError, differing_options, run_config
from kataio_tui.fio.logfiles import log_name, log_prefixes
from kataio_tui.fio.reader import FioOutputError, FioRun, read_fio_output
from kataio_tui.model.results import Provenance, ScenarioRecord
from kataio_tui.results.grouping import Member, Run, group_runs, run_window
from kataio_tui.results.loader import warm_cache
from kataio_tui.results.skipped import Skipped
from kataio_tui.results.store import RawSource, ResultSet, ScenarioFiles, safe_name
from kataio_tui.results.tables import sort_key
from kataio_tui.units import parse_size

Progress = Callable[[int, int], None]


class ImportFailed(KataioError):
    """Nothing importable was found; the message says where and why."""


@dataclass
class ImportReport:
    result_set: ResultSet
    imported: int  # fio output files
    skipped: Skipped = field(default_factory=Skipped)
    logs_attached: int = 0
    logs_unmatched: int = 0  # fio log files no imported run asked for (left out)


@dataclass(slots=True)
class _Output:
    """One file of fio output, read and parsed once; only what the import needs is kept."""

    rel: str
    path: Path
    digest: str
    clients: int  # 1 for a local run, one per host in client/server output
    version: str
    hosts: list[str]
    prefixes: set[str]  # base names of the log files its jobs asked for
    logs: list[tuple[str, Path]] = field(default_factory=list)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class _Source:
    """A source file copied into the set only if it still holds the bytes that were imported."""

    def __init__(self, output: _Output) -> None:
        self.output = output

    def __call__(self) -> bytes:
        data = self.output.path.read_bytes()
        if _digest(data) != self.output.digest:
            raise ImportFailed(f"{self.output.rel}: changed while it was imported; nothing was written")
        return data


def _output(rel: str, path: Path, data: bytes, run: FioRun) -> _Output:
    prefixes = set().union(*(log_prefixes({**run.global_options, **job.options}) for job in run.jobs))
    return _Output(rel, path, _digest(data), len(run.hosts()) if run.client_mode else 1, run.version,
                   sorted({h for h, _ in run.hosts() if h}), prefixes)


def _unique_names(rels: Iterable[str]) -> dict[str, str]:
    """A file name in the set for each source path (its path with '/' as '-', numbered when two clash)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for rel in rels:
        base = safe_name(rel.replace("/", "-"))
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{n}-{base}"
        used.add(name)
        names[rel] = name
    return names


def _provenance(made_by: str, outputs: list[_Output], src: Path, notes: list[str], skipped: Skipped,
                extra: dict[str, Any]) -> Provenance:
    text = "; ".join([f"imported from {src.name}", *notes, *([skipped.summary()] if skipped else [])])
    return Provenance(
        made_by=made_by, kataio_version=__version__,
        fio_version=", ".join(sorted({o.version for o in outputs})) or None,
        hosts=sorted({h for o in outputs for h in o.hosts}), notes=text,
        **({"import_skipped": skipped.as_data()} if skipped else {}), **extra,
    )


def _create(dest: Path, name: str, provenance: Provenance, scenarios: list[ScenarioFiles]) -> ResultSet:
    result_set = ResultSet.create(dest, name, provenance, plan=None, scenarios=scenarios)
    warm_cache(result_set)
    return result_set


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ImportFailed("import cancelled; nothing was written")


def _read(src: Path, path: Path, skipped: Skipped, pattern: str | None = None,
          block_size: int | None = None) -> tuple[_Output, JobConfig, FioRun] | None:
    rel = str(path.relative_to(src))
    try:
        data = path.read_bytes()
        run = read_fio_output(data, rel)
        return _output(rel, path, data, run), run_config(run, pattern, block_size), run
    except FioOutputError as exc:
        skipped.add(rel, exc.reason)
    except JobConfigError as exc:
        skipped.add(rel, str(exc))
    except OSError as exc:
        skipped.add(rel, f"cannot read: {exc.strerror or exc}")
    return None


# ---- stackhpc-io-tools trees ----------------------------------------------------------------------


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


def import_stackhpc(src: Path, dest: Path, name: str | None = None, progress: Progress | None = None,
                    cancel: threading.Event | None = None) -> ImportReport:
    """The layout's runtime, pattern, block size and client count; iodepth, numjobs and the other
    options from the files (files of one layout directory with different job configurations are
    scenarios of their own)."""
    entries = _stackhpc_entries(src)
    skipped = Skipped()
    groups: dict[tuple[str, int, JobConfig], list[_Output]] = {}
    outputs: list[_Output] = []
    for i, (path, runtime, pattern, clients, block) in enumerate(entries):
        _check_cancel(cancel)
        found = _read(src, path, skipped, pattern, block)
        if found is not None:
            output, config, _run = found
            output.rel = f"{path.parent.name}-{path.name}"  # the client directory names the file
            outputs.append(output)
            groups.setdefault((runtime, clients, config), []).append(output)
        if progress:
            progress(i + 1, len(entries))
    if not groups:
        raise ImportFailed(f"{src}: no importable fio output found" + (f" ({skipped.summary()})" if skipped else ""))
    options = differing_options(config for _, _, config in groups)
    scenarios: list[ScenarioFiles] = []
    for (runtime, clients, config), files in groups.items():
        record = _record(runtime, config, options, clients, 0)
        scenarios.append(ScenarioFiles(record, [(o.rel, _Source(o)) for o in files]))
    scenarios.sort(key=lambda s: (s.record.runtime, sort_key(s.record.scenario)))
    provenance = _provenance("kataio import stackhpc", outputs, src, [], skipped, {})
    return ImportReport(_create(dest, name or src.name, provenance, scenarios), len(outputs), skipped)


# ---- loose folders ----------------------------------------------------------------------------------


def _record(runtime: str, config: JobConfig, options: list[str], clients: int, repeat: int,
            window: tuple[float, float] | None = None) -> ScenarioRecord:
    started = finished = None
    if window is not None:
        started, finished = (datetime.fromtimestamp(ms / 1000, timezone.utc).replace(microsecond=0) for ms in window)
    return ScenarioRecord(
        runtime=runtime, pattern=config.pattern, block_size=config.block_size, iodepth=config.iodepth,
        numjobs=config.numjobs, clients=clients, repeat=repeat, started=started, finished=finished,
        options={name: value for name in options if (value := config.option(name)) is not None},
    )


def _attach_logs(outputs: list[_Output], logs: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """Give each fio log file to the one run that asked for its prefix (in the same directory
    first); the files no run (or more than one) claims are returned."""
    by_prefix: dict[str, list[_Output]] = {}
    for output in outputs:
        for prefix in output.prefixes:
            by_prefix.setdefault(prefix, []).append(output)
    unmatched = []
    for rel, path in logs:
        parsed = log_name(path.name)
        assert parsed is not None
        candidates = by_prefix.get(parsed.prefix, [])
        here = [o for o in candidates if Path(o.rel).parent == Path(rel).parent]
        owners = here if here else candidates
        if len(owners) == 1:
            owners[0].logs.append((rel, path))
        else:
            unmatched.append((rel, path))
    return unmatched


def import_loose(src: Path, dest: Path, name: str | None = None, runtime: str | None = None,
                 pattern: str | None = None, block_size: int | None = None, progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> ImportReport:
    """Every file of fio output under src, grouped into scenarios and runs (results/grouping.py);
    fio's log files attached to their runs; everything else summarised as skipped."""
    files = sorted(p for p in src.rglob("*") if p.is_file() and not p.name.startswith("."))
    logs = [(str(p.relative_to(src)), p) for p in files if log_name(p.name) is not None]
    candidates = [p for p in files if log_name(p.name) is None]
    skipped = Skipped()
    members: list[Member[_Output]] = []
    for i, path in enumerate(candidates):
        _check_cancel(cancel)
        found = _read(src, path, skipped, pattern, block_size)
        if found is not None:
            output, config, run = found
            members.append(Member(output, config, run_window(run)))
        if progress:
            progress(i + 1, len(candidates))
    if not members:
        raise ImportFailed(f"{src}: no importable fio output found" + (f" ({skipped.summary()})" if skipped else ""))
    outputs = [m.item for m in members]
    unmatched = _attach_logs(outputs, logs)
    runs = group_runs(members)
    options = differing_options(runs)
    names = _unique_names([*(o.rel for o in outputs), *(rel for o in outputs for rel, _ in o.logs)])
    label = runtime or "unknown"
    scenarios: list[ScenarioFiles] = []
    for config, config_runs in runs.items():
        repeats: dict[int, int] = {}  # clients -> runs so far: the client count is part of the identity
        for run_group in config_runs:
            clients = sum(m.item.clients for m in run_group.members)
            repeats[clients] = repeats.get(clients, -1) + 1
            scenarios.append(_scenario(label, config, options, repeats[clients], run_group, names))
    scenarios.sort(key=lambda s: (sort_key(s.record.scenario), s.record.repeat))
    untimed = sum(1 for m in members if m.window is None)
    notes = [f"{len(outputs)} file(s) of fio output: {len(runs)} job configuration(s), {len(scenarios)} run(s) "
             "(files with the same configuration and overlapping run windows are the clients of one run)"]
    if untimed:
        notes.append(f"{untimed} file(s) without a timestamp, each taken as a run of its own")
    attached = sum(len(o.logs) for o in outputs)
    if attached or unmatched:
        notes.append(f"fio log files: {attached} attached to their runs, {len(unmatched)} matching no run left out")
    provenance = _provenance("kataio import loose", outputs, src, notes, skipped, {})
    result_set = _create(dest, name or src.name, provenance, scenarios)
    return ImportReport(result_set, len(outputs), skipped, attached, len(unmatched))


def _scenario(runtime: str, config: JobConfig, options: list[str], repeat: int, run: Run[_Output],
              names: dict[str, str]) -> ScenarioFiles:
    outputs = [m.item for m in run.members]
    window = run.window
    record = _record(runtime, config, options, sum(o.clients for o in outputs), repeat,
                     None if window is None else (window.start_ms, window.end_ms))
    raw: list[tuple[str, RawSource]] = [(names[o.rel], _Source(o)) for o in outputs]
    logs: list[tuple[str, RawSource]] = [(names[rel], path) for o in outputs for rel, path in o.logs]
    return ScenarioFiles(record, raw, logs=logs)


def detect_layout(src: Path) -> str:
    if not src.is_dir():
        raise ImportFailed(f"{src}: not a directory")
    return "stackhpc" if _stackhpc_entries(src) else "loose"


def import_any(src: Path, dest: Path, name: str | None = None, layout: str = "auto", **kwargs: Any) -> ImportReport:
    if layout == "auto":
        layout = detect_layout(src)
    if layout == "stackhpc":
        kwargs = {k: v for k, v in kwargs.items() if k in ("progress", "cancel")}
        return import_stackhpc(src, dest, name, **kwargs)
    return import_loose(src, dest, name, **kwargs)
