"""Which files of fio output were one run of one scenario: loose folders grouped by job
configuration and run window.

Files go into one scenario run only when their job configurations are equal and their run windows
overlap (concurrent clients); equal configurations at other times are repeats of that scenario, in
time order; every other configuration is a scenario of its own. A file's window ends at fio's
``timestamp_ms`` (written when the run ends) and starts ramp_time plus the longest I/O runtime
before. Files without a timestamp cannot be shown to be concurrent with anything: each is a run
of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kataio_tui.fio.jobconfig import JobConfig
from kataio_tui.fio.reader import FioRun

T = TypeVar("T")

# the shorter of two windows must overlap the other by more than this fraction to be concurrent:
# clients of one scenario start within a second or two of each other; one run after another
# overlaps by the clock's resolution at most
CONCURRENT_FRACTION = 0.5
_TIME = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(us|usec|ms|msec|s|sec|m|min|h)?\s*", re.IGNORECASE)
_UNIT_MS = {None: 1000.0, "us": 0.001, "usec": 0.001, "ms": 1.0, "msec": 1.0, "s": 1000.0, "sec": 1000.0,
            "m": 60_000.0, "min": 60_000.0, "h": 3_600_000.0}


def time_ms(text: str | None) -> float:
    """fio's time value (seconds unless it has a unit) in milliseconds; 0 when absent or unreadable."""
    match = _TIME.fullmatch(text or "")
    if match is None:
        return 0.0
    return float(match.group(1)) * _UNIT_MS[(match.group(2) or "").lower() or None]


@dataclass(frozen=True, slots=True)
class Window:
    start_ms: float
    end_ms: float

    @property
    def length(self) -> float:
        return self.end_ms - self.start_ms

    def concurrent(self, other: Window) -> bool:
        overlap = min(self.end_ms, other.end_ms) - max(self.start_ms, other.start_ms)
        return overlap > 0 and overlap >= CONCURRENT_FRACTION * min(self.length, other.length)


@dataclass(slots=True)
class Member(Generic[T]):
    item: T
    config: JobConfig
    window: Window | None


@dataclass(slots=True)
class Run(Generic[T]):
    """Files that ran at the same time with the same configuration: one run of one scenario."""

    config: JobConfig
    members: list[Member[T]] = field(default_factory=list)

    @property
    def window(self) -> Window | None:
        windows = [m.window for m in self.members if m.window is not None]
        if not windows:
            return None
        return Window(min(w.start_ms for w in windows), max(w.end_ms for w in windows))


def group_runs(members: Iterable[Member[T]]) -> dict[JobConfig, list[Run[T]]]:
    """Per configuration, its runs in time order (runs with the same number of clients are the
    repeats of one scenario); runs without a window last."""
    by_config: dict[JobConfig, list[Member[T]]] = {}
    for member in members:
        by_config.setdefault(member.config, []).append(member)
    out: dict[JobConfig, list[Run[T]]] = {}
    for config, group in by_config.items():
        timed = sorted((m for m in group if m.window is not None), key=lambda m: m.window.start_ms)
        runs: list[Run[T]] = []
        for member in timed:
            current = runs[-1] if runs else None
            if current is not None and any(member.window.concurrent(m.window) for m in current.members):
                current.members.append(member)
            else:
                runs.append(Run(config, [member]))
        runs += [Run(config, [m]) for m in group if m.window is None]
        out[config] = runs
    return out


def run_window(run: FioRun) -> Window | None:
    """When a run did I/O: ending at fio's timestamp (written as the run ends) and starting the
    longest job's ramp time plus I/O time before it; None without a timestamp."""
    if run.timestamp_ms <= 0:
        return None
    longest = 0.0
    for job in run.jobs:
        active = [d.runtime_ms for d in job.directions.values() if d.active]
        io_ms = max(active, default=0) or job.job_runtime_ms
        ramp = time_ms(job.options.get("ramp_time", run.global_options.get("ramp_time")))
        longest = max(longest, io_ms + ramp)
    return Window(run.timestamp_ms - longest, float(run.timestamp_ms))
