"""The typed events every runner emits; the TUI and the headless CLI consume the same stream.

Data flows one way: plan -> runner -> events -> result set -> views. A runner calls ``emit`` from
its own thread; consumers must not block in it (the TUI posts a message, the CLI updates rich).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kataio_tui.model.results import ScenarioKey


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: str
    result_set: Path
    scenarios: tuple[ScenarioKey, ...]
    estimated_s: float | None = None


@dataclass(frozen=True, slots=True)
class ScenarioStarted:
    key: ScenarioKey
    index: int  # 0-based position in the run
    total: int
    expected_s: float | None = None  # ramp + runtime (+ layout when known)


# What a running scenario is doing, in the order a local run goes through them (on Kubernetes the
# pods start before their files are laid out). Consumers may ignore the event (older consumers do).
PHASES = ("layout", "start", "ramp", "measure", "stop", "save")


@dataclass(frozen=True, slots=True)
class ScenarioPhase:
    """The running scenario moved on to phase (one of PHASES); expected_s: how long it should take,
    when known (ramp_time for ramp, runtime for measure)."""

    key: ScenarioKey
    phase: str
    expected_s: float | None = None


@dataclass(frozen=True, slots=True)
class ClientProgress:
    """One client's numbers at one status interval (rates are for the last interval)."""

    key: ScenarioKey
    client: int
    elapsed_s: float
    remaining_s: float | None
    bw_bytes: float  # bytes per second over the last interval
    iops: float
    io_bytes: int  # cumulative


@dataclass(frozen=True, slots=True)
class ClientResult:
    """A client ended: ok with its final numbers from its result file, or failed with message."""

    key: ScenarioKey
    client: int
    ok: bool
    bw_bytes: float = 0.0
    message: str | None = None
    iops: float = 0.0


@dataclass(frozen=True, slots=True)
class ScenarioFinished:
    key: ScenarioKey
    status: str  # "ok", "failed", "interrupted", "partial"
    start_skew_s: float | None = None
    bw_bytes: float = 0.0  # aggregate over clients


@dataclass(frozen=True, slots=True)
class Failure:
    """A scenario (or the whole run when key is None) failed; diagnosis says why, remedy what to do."""

    key: ScenarioKey | None
    message: str
    diagnosis: str | None = None
    remedy: str | None = None


@dataclass(frozen=True, slots=True)
class RunFinished:
    status: str  # "completed", "cancelled", "failed"
    result_set: Path | None
    completed: int = 0
    failed: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


Event = (RunStarted | ScenarioStarted | ScenarioPhase | ClientProgress | ClientResult | ScenarioFinished | Failure
         | RunFinished)
Emit = Callable[[Event], None]


def serialized(emit: Emit) -> Emit:
    """An emit that a scenario's client threads may call at once: consumers see one event at a time."""
    lock = threading.Lock()

    def locked(event: Event) -> None:
        with lock:
            emit(event)

    return locked
