"""Load a result set's raw fio files into per-client summaries; bad files are listed, not fatal.

Summaries of raw files that have not changed come from the set's derived cache
(summary_cache.py), so a large set is parsed once. The manifest model (pydantic) is imported only
when needed: `summarize_set` answers from the cache alone when nothing changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kataio_tui.errors import KataioError
from kataio_tui.fio.reader import LATENCY_KINDS, FioOutputError, read_fio_output
from kataio_tui.fio.summary import ClientSummary, client_summaries
from kataio_tui.results.loaded import FileProblem, LoadedScenario, RecordView, SetSummary, problems_of
from kataio_tui.results.setfiles import MANIFEST, ResultSetError, SetPaths
from kataio_tui.results.summary_cache import SummaryCache, file_stamp

if TYPE_CHECKING:
    from kataio_tui.model.results import ScenarioRecord
    from kataio_tui.results.store import ResultSet  # imported when used: it brings the manifest model


@dataclass(slots=True)
class LoadedSet:
    result_set: ResultSet
    scenarios: list[LoadedScenario]

    @property
    def problems(self) -> list[FileProblem]:
        return problems_of(self.scenarios)

    @property
    def client_count(self) -> int:
        return sum(len(s.clients) for s in self.scenarios)

    def summary(self) -> SetSummary:
        rs = self.result_set
        # as stored (TOML has no null), so that every path of the report prints the same provenance
        return SetSummary(rs.name, rs.path, rs.manifest.provenance.model_dump(mode="json", exclude_none=True),
                          self.scenarios)


class LoadCancelled(Exception):
    pass


def load_clients(result_set: ResultSet, rel: str, path: Path | None = None) -> list[ClientSummary]:
    """The client summaries in one raw file (several for a client/server output); ``path`` is
    the file's already resolved path, when the caller has it."""
    path = path if path is not None else result_set.resolve(rel)
    return _clients_of(rel, _read(rel, path))


def _read(rel: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FioOutputError(rel, f"cannot read: {exc.strerror or exc}") from None


def _clients_of(rel: str, data: bytes) -> list[ClientSummary]:
    return client_summaries(read_fio_output(data, rel), Path(rel).stem)


def _load_scenarios(
    records: list[ScenarioRecord] | list[RecordView], resolve: Callable[[str], Path], cache: SummaryCache,
    progress: Callable[[int, int], None] | None, cancel: threading.Event | None,
) -> list[LoadedScenario]:
    """Every scenario's client summaries: from the cache where a file is unchanged, else parsed."""
    total = sum(len(r.files) for r in records)
    done = 0
    loaded: list[LoadedScenario] = []
    for record in records:
        scenario = LoadedScenario(record)
        stamps: list = []
        for rel in record.files:
            if cancel is not None and cancel.is_set():
                raise LoadCancelled()
            try:
                path = resolve(rel)
                stamp = file_stamp(path)
            except (OSError, ResultSetError) as exc:
                path = stamp = None
                problem = FileProblem(rel, getattr(exc, "reason", None) or str(exc))
            stamps.append(stamp)
            found = cache.lookup(rel, stamp, path) if stamp is not None else None
            if found is None:
                data = None
                try:
                    if path is None:
                        found = problem
                    else:
                        data = _read(rel, path)
                        found = _clients_of(rel, data)
                except FioOutputError as exc:
                    found = FileProblem(rel, exc.reason)
                if stamp is not None:
                    cache.store(rel, stamp, found, data)
            if isinstance(found, FileProblem):
                scenario.problems.append(found)
            else:
                scenario.clients.extend(found)
            done += 1
            if progress is not None:
                progress(done, total)
        if None not in stamps:
            merged = cache.scenario(record.files, stamps)
            if merged is None:
                merged = {kind: scenario.histogram(kind) for kind in LATENCY_KINDS}
                cache.store_scenario(record.files, stamps, merged)
            scenario.merged.update(merged)
        loaded.append(scenario)
    return loaded


def _save_cache(cache: SummaryCache, set_dir: Path, snapshot: Callable[[], dict[str, Any]]) -> None:
    try:
        raw = (set_dir / MANIFEST).read_bytes()
        stamp = file_stamp(set_dir / MANIFEST)
    except OSError:
        return
    cache.set_manifest(stamp, snapshot(), raw)
    cache.save()


def load_set(
    source: str | Path | ResultSet,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    save_cache: bool = False,
) -> LoadedSet:
    """Read every raw file of a set. Raises ResultSetError only when the manifest is unusable.

    Summaries of unchanged files come from the set's derived cache when it has one; the cache is
    written only with ``save_cache`` (`kataio report` and the store do), so that merely looking at
    a set writes nothing into its directory."""
    from kataio_tui.results.store import ResultSet

    result_set = source if isinstance(source, ResultSet) else ResultSet.load(source)
    cache = SummaryCache.open(result_set.path)
    loaded = _load_scenarios(result_set.manifest.scenarios, result_set.resolve, cache, progress, cancel)
    if save_cache:
        _save_cache(cache, result_set.path, lambda: result_set.manifest.model_dump(mode="json", exclude_none=True))
    return LoadedSet(result_set, loaded)


def summarize_set(path: str | Path) -> SetSummary:
    """A set for reporting, without the manifest model (pydantic) whenever the manifest is plainly
    valid: from the derived cache alone when neither the manifest nor any raw file changed since
    it was written (no parsing), else from the raw files, and the cache is written. A manifest
    that is not plainly valid goes through the model, which names what is wrong."""
    from kataio_tui.results.manifest_view import manifest_view

    root = Path(path)
    quick = quick_load(root)
    if quick is not None:
        return quick
    view = manifest_view(root)
    if view is None:
        return load_set(root, save_cache=True).summary()
    paths = SetPaths(root)
    paths.check_all(view.scenarios)
    cache = SummaryCache.open(root)
    loaded = _load_scenarios(view.scenarios, paths.resolve, cache, None, None)
    _save_cache(cache, root, lambda: view.snapshot)
    return SetSummary(view.name, root, view.snapshot["provenance"], loaded)


def warm_cache(result_set: ResultSet) -> None:
    """Write the set's derived summary cache now (the writers of a set call this after saving), so
    that the first report of a set kataio made is not the one that parses every raw file (files
    unchanged since the last cache are not read again). The cache is disposable: failing to
    write it changes nothing."""
    try:
        load_set(result_set, save_cache=True)
    except (OSError, KataioError):
        pass


def quick_load(set_dir: Path) -> SetSummary | None:
    """The set from its cache alone, or None when anything changed (then load_set is needed)."""
    try:
        cache = SummaryCache.open(set_dir)
        data = cache.manifest(file_stamp(set_dir / MANIFEST))
        if data is None:
            return None
        scenarios = []
        for record_data in data["scenarios"]:
            scenario = LoadedScenario(RecordView.of(record_data))
            stamps = []
            for rel in scenario.record.files:
                stamps.append(file_stamp(set_dir / rel))
                found = cache.lookup(rel, stamps[-1], set_dir / rel)
                if found is None:
                    return None
                if isinstance(found, FileProblem):
                    scenario.problems.append(found)
                else:
                    scenario.clients.extend(found)
            merged = cache.scenario(scenario.record.files, stamps)
            if merged is None:
                return None
            scenario.merged.update(merged)
            scenarios.append(scenario)
        return SetSummary(data["name"], set_dir, data["provenance"], scenarios)
    except (OSError, KeyError, TypeError, ValueError):
        return None
