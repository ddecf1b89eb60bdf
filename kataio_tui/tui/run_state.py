"""The live run as the run screen shows it, folded from runner events (no Textual).

ClientProgress arrives at up to once a second per client (64 clients: 64 a second); the screen
does not redraw per event but reads this state on a timer, so high rates coalesce for free.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from kataio_tui.model.results import ScenarioKey
from kataio_tui.runners import events as ev


@dataclass(slots=True)
class ClientLive:
    client: int
    bw_bytes: float = 0.0
    iops: float = 0.0
    elapsed_s: float = 0.0
    io_bytes: int = 0
    state: str = "running"  # running, ok, failed
    message: str | None = None


@dataclass(slots=True)
class ScenarioLive:
    key: ScenarioKey
    state: str = "waiting"  # waiting, running, ok, failed, partial, interrupted
    expected_s: float | None = None
    bw_bytes: float | None = None
    start_skew_s: float | None = None
    started_at: float | None = None
    phase: str | None = None  # layout, start, ramp, measure, stop, save (runners' ScenarioPhase)
    phase_started: float | None = None
    phase_expected_s: float | None = None


@dataclass(slots=True)
class FailureNote:
    key: ScenarioKey | None
    message: str
    diagnosis: str | None
    remedy: str | None


@dataclass
class RunState:
    run_id: str = ""
    result_set: Path | None = None
    status: str = "starting"  # starting, running, completed, cancelled, failed
    scenarios: list[ScenarioLive] = field(default_factory=list)
    current: int | None = None
    clients: dict[int, ClientLive] = field(default_factory=dict)
    failures: list[FailureNote] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    estimated_s: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    version: int = 0  # bumped on every change: the screen redraws only when it moved
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def apply(self, event: ev.Event, now: float | None = None) -> None:
        """Fold one event in; called from the runner's thread."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._apply(event, now)
            self.version += 1

    def _apply(self, event: ev.Event, now: float) -> None:
        if isinstance(event, ev.ClientProgress):
            scenario = self._scenario(event.key)
            if scenario is not None and self.current is not None and scenario is self.scenarios[self.current]:
                live = self.clients.setdefault(event.client, ClientLive(event.client))
                if live.state != "running":
                    return  # ended: its final numbers stay
                # a rate is never negative (the runners say so; a stray value must not show as -23)
                live.bw_bytes, live.iops, live.elapsed_s, live.io_bytes = (
                    max(0.0, event.bw_bytes), max(0.0, event.iops), event.elapsed_s, event.io_bytes)
        elif isinstance(event, ev.ScenarioPhase):
            scenario = self._scenario(event.key)
            if scenario is not None:
                scenario.phase, scenario.phase_started, scenario.phase_expected_s = (
                    event.phase, now, event.expected_s)
        elif isinstance(event, ev.RunStarted):
            self.run_id, self.result_set, self.estimated_s = event.run_id, event.result_set, event.estimated_s
            self.scenarios = [ScenarioLive(k) for k in event.scenarios]
            self.status, self.started_at = "running", now
        elif isinstance(event, ev.ScenarioStarted):
            self.current = event.index
            self.clients = {}
            if 0 <= event.index < len(self.scenarios):
                scenario = self.scenarios[event.index]
                scenario.state, scenario.expected_s, scenario.started_at = "running", event.expected_s, now
        elif isinstance(event, ev.ClientResult):
            live = self.clients.setdefault(event.client, ClientLive(event.client))
            live.state = "ok" if event.ok else "failed"
            live.message = event.message
            if event.ok:  # the final numbers from its result file, not the last interval's
                live.bw_bytes, live.iops = event.bw_bytes, event.iops
            else:
                live.bw_bytes = live.iops = 0.0
        elif isinstance(event, ev.ScenarioFinished):
            scenario = self._scenario(event.key)
            if scenario is not None:
                scenario.state, scenario.bw_bytes, scenario.start_skew_s = (
                    event.status, event.bw_bytes if event.status in ("ok", "partial") else None, event.start_skew_s)
                scenario.phase = None
        elif isinstance(event, ev.Failure):
            self.failures.append(FailureNote(event.key, event.message, event.diagnosis, event.remedy))
        elif isinstance(event, ev.RunFinished):
            self.status, self.notes, self.finished_at = event.status, event.notes, now
            if event.result_set is not None:
                self.result_set = event.result_set
            for scenario in self.scenarios:
                if scenario.state == "running":
                    scenario.state = "interrupted"

    def _scenario(self, key: ScenarioKey) -> ScenarioLive | None:
        if self.current is not None and self.scenarios and self.scenarios[self.current].key == key:
            return self.scenarios[self.current]
        return next((s for s in self.scenarios if s.key == key), None)

    def add_failure(self, note: FailureNote) -> None:
        """A failure the runner did not emit (an error raised out of the run); once per message."""
        with self._lock:
            if not any(f.key == note.key and f.message == note.message for f in self.failures):
                self.failures.append(note)
                self.version += 1

    # ---- read side (UI thread) ---------------------------------------------------------------

    def snapshot(self) -> tuple[list[ClientLive], list[ScenarioLive], int]:
        with self._lock:
            clients = [replace(c) for c in sorted(self.clients.values(), key=lambda c: c.client)]
            scenarios = [replace(s) for s in self.scenarios]
            return clients, scenarios, self.version

    def progress(self, now: float | None = None) -> tuple[float, float, float | None]:
        """(done seconds, total seconds, remaining seconds) on the plan's expected durations."""
        now = time.monotonic() if now is None else now
        with self._lock:
            total = sum(s.expected_s or 0.0 for s in self.scenarios) or (self.estimated_s or 0.0)
            if not total and self.estimated_s:
                total = self.estimated_s
            per = (self.estimated_s / len(self.scenarios)) if self.estimated_s and self.scenarios else 0.0
            done = 0.0
            for s in self.scenarios:
                expected = s.expected_s or per
                if s.state in ("ok", "failed", "partial", "interrupted"):
                    done += expected
                elif s.state == "running" and s.started_at is not None:
                    done += min(expected, now - s.started_at)
            total = sum(s.expected_s or per for s in self.scenarios) or total
            elapsed = (self.finished_at or now) - self.started_at if self.started_at else 0.0
            remaining = None
            if done > 0 and self.status == "running":
                remaining = max(0.0, elapsed * (total - done) / done)
            return done, total, remaining

    @property
    def elapsed_s(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.monotonic()) - self.started_at

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "cancelled", "failed")
