"""Load a result set's raw fio files into per-client summaries; bad files are listed, not fatal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kataio_tui.fio.reader import FioOutputError, read_fio_output
from kataio_tui.fio.summary import ClientSummary, client_summaries
from kataio_tui.model.results import ScenarioRecord
from kataio_tui.results.store import ResultSet, ResultSetError


@dataclass(slots=True)
class FileProblem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(slots=True)
class LoadedScenario:
    record: ScenarioRecord
    clients: list[ClientSummary] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


@dataclass(slots=True)
class LoadedSet:
    result_set: ResultSet
    scenarios: list[LoadedScenario]

    @property
    def problems(self) -> list[FileProblem]:
        return [p for s in self.scenarios for p in s.problems]

    @property
    def client_count(self) -> int:
        return sum(len(s.clients) for s in self.scenarios)


class LoadCancelled(Exception):
    pass


def load_clients(result_set: ResultSet, rel: str) -> list[ClientSummary]:
    """The client summaries in one raw file (several for a client/server output)."""
    try:
        data = result_set.read_raw(rel)
    except OSError as exc:
        raise FioOutputError(rel, f"cannot read: {exc.strerror or exc}") from None
    run = read_fio_output(data, rel)
    return client_summaries(run, Path(rel).stem)


def load_set(
    source: str | Path | ResultSet,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> LoadedSet:
    """Read every raw file of a set. Raises ResultSetError only when the manifest is unusable."""
    result_set = source if isinstance(source, ResultSet) else ResultSet.load(source)
    records = result_set.manifest.scenarios
    total = sum(len(r.files) for r in records)
    done = 0
    loaded: list[LoadedScenario] = []
    for record in records:
        scenario = LoadedScenario(record)
        for rel in record.files:
            if cancel is not None and cancel.is_set():
                raise LoadCancelled()
            try:
                scenario.clients.extend(load_clients(result_set, rel))
            except (FioOutputError, ResultSetError) as exc:
                scenario.problems.append(FileProblem(rel, getattr(exc, "reason", str(exc))))
            done += 1
            if progress is not None:
                progress(done, total)
        loaded.append(scenario)
    return LoadedSet(result_set, loaded)
