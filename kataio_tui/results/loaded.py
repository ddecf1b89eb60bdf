"""What loading a result set yields: per-scenario client summaries, merged histograms and the files
that could not be used. Plain types below the cache, the store and the loader, so that each of them
(and the tables) can use them without importing the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kataio_tui.fio.histogram import Histogram
from kataio_tui.fio.summary import ClientSummary
from kataio_tui.model.identity import ScenarioId, ScenarioKey

if TYPE_CHECKING:
    from kataio_tui.model.results import ScenarioRecord


@dataclass(slots=True)
class FileProblem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(slots=True, frozen=True)
class RecordView:
    """The fields of a scenario record that reports read, from manifest data (no manifest model)."""

    key: ScenarioKey
    status: str
    files: list[str]
    jobfile: str | None
    started: str | None  # as text (the cache's JSON data); ScenarioRecord has a datetime
    start_skew_s: float | None
    failure: str | None
    diagnosis: str | None
    logs: list[str]

    @classmethod
    def of(cls, data: dict[str, Any]) -> RecordView:
        key = ScenarioKey(data["runtime"], data["pattern"], data["block_size"], data["clients"], data.get("repeat", 0),
                          data.get("iodepth"), data.get("numjobs"), data.get("variant") or "",
                          tuple(sorted(data.get("options", {}).items())))
        started = data.get("started")
        return cls(key, data.get("status", "ok"), list(data.get("files", [])), data.get("jobfile"),
                   None if started is None else str(started), data.get("start_skew_s"), data.get("failure"),
                   data.get("diagnosis"), list(data.get("logs", [])))

    @property
    def repeat(self) -> int:
        return self.key.repeat

    @property
    def scenario(self) -> ScenarioId:
        return self.key.scenario


@dataclass(slots=True)
class LoadedScenario:
    record: ScenarioRecord | RecordView  # RecordView: the record read without the manifest model
    clients: list[ClientSummary] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    # merged histogram per latency kind (None: some client has no bins); filled on demand or from the cache
    merged: dict[str, Histogram | None] = field(default_factory=dict)

    def histogram(self, kind: str) -> Histogram | None:
        """The sum of all clients' histograms of this kind, or None when any client lacks bins."""
        if kind not in self.merged:
            parts = [c.latency[kind].histogram for c in self.clients if kind in c.latency]
            complete = bool(parts) and all(h is not None for h in parts)
            self.merged[kind] = Histogram.merged([h for h in parts if h is not None]) if complete else None
        return self.merged[kind]


class Scenarios(Protocol):
    """Anything holding loaded scenarios: a loaded set or a set summary (what the tables read)."""

    @property
    def scenarios(self) -> list[LoadedScenario]: ...


def problems_of(scenarios: list[LoadedScenario]) -> list[FileProblem]:
    return [p for s in scenarios for p in s.problems]


@dataclass(slots=True)
class SetSummary:
    """What a report needs of a set: its name, path, provenance (as JSON data) and scenarios."""

    name: str
    path: Path
    provenance: dict[str, Any]
    scenarios: list[LoadedScenario]

    @property
    def problems(self) -> list[FileProblem]:
        return problems_of(self.scenarios)
