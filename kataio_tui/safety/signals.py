"""SIGTERM and SIGHUP end a run the way Ctrl-C does: one orderly cancel.

``CancelOnSignals`` (installed from the main thread) turns SIGINT, SIGTERM and SIGHUP into
``cancel.set()`` plus a callback; it never raises KeyboardInterrupt, so a second signal while
kataio cleans up cannot abandon the clean-up half-way: it is only reported (and SIGKILL, which
nobody can catch, leaves the rest to the run's watchdog). ``bounded`` runs clean-up steps within
a time budget and says how long they took and what it left to the watchdog.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_status(signum: int) -> int:
    """The shell's convention: 128 + the signal (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""
    return 128 + signum


class CancelOnSignals:
    """with CancelOnSignals(cancel, on_signal): ... ; on_signal(signum, count) runs in the main
    thread for each signal (count 1: cancel has just been set; later: clean-up is under way)."""

    def __init__(self, cancel: threading.Event, on_signal: Callable[[int, int], None] | None = None,
                 signals: Iterable[int] = CANCEL_SIGNALS) -> None:
        self.cancel = cancel
        self.on_signal = on_signal
        self.signals = tuple(signals)
        self.received: list[int] = []
        self._old: dict[int, Any] = {}

    @property
    def first(self) -> int | None:
        return self.received[0] if self.received else None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        self.cancel.set()
        if self.on_signal is not None:
            self.on_signal(signum, len(self.received))

    def __enter__(self) -> CancelOnSignals:
        for sig in self.signals:
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


@dataclass(slots=True)
class CleanupReport:
    seconds: float = 0.0
    done: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)  # over budget: left to the watchdog
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"clean-up took {self.seconds:.1f} s"
        if self.unfinished:
            text += f"; not finished in time (the watchdog completes it): {', '.join(self.unfinished)}"
        return text


def bounded(steps: Iterable[tuple[str, Callable[[], object]]], budget_s: float) -> CleanupReport:
    """Run clean-up steps in order, each in a worker thread, stopping at the budget: a step that
    has not returned by then keeps running in the background and is reported unfinished."""
    report = CleanupReport()
    started = time.monotonic()
    deadline = started + budget_s
    pending = list(steps)
    while pending:
        name, step = pending.pop(0)
        outcome: dict[str, BaseException] = {}

        def run(step: Callable[[], object] = step, outcome: dict[str, BaseException] = outcome) -> None:
            try:
                step()
            except BaseException as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=run, name=f"kataio-cleanup-{name}", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            report.unfinished += [name, *(n for n, _ in pending)]
            break
        if "error" in outcome:
            report.problems.append(f"{name}: {outcome['error']}")
        report.done.append(name)
    report.seconds = time.monotonic() - started
    return report


class SignalInterrupt(KeyboardInterrupt):
    """Raised (once) in the main thread by InterruptOnSignals; .signum says which signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class InterruptOnSignals:
    """For synchronous commands (`kataio check`): the first SIGINT, SIGTERM or SIGHUP raises
    SignalInterrupt in the main thread, so every ``finally`` on the way out (a probe container's
    removal) runs; later signals are only counted, so they cannot cut that clean-up short."""

    def __init__(self, signals: Iterable[int] = CANCEL_SIGNALS) -> None:
        self.signals = tuple(signals)
        self.received: list[int] = []
        self._old: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if len(self.received) == 1:
            raise SignalInterrupt(signum)

    def __enter__(self) -> InterruptOnSignals:
        for sig in self.signals:
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()
