"""SIGTERM and SIGHUP end a run the way Ctrl-C does: one orderly cancel.

``CancelOnSignals`` (installed from the main thread) turns SIGINT, SIGTERM and SIGHUP into
``cancel.set()`` plus a callback; it never raises KeyboardInterrupt, so a second signal while
kataio cleans up cannot abandon the clean-up half-way: it is only reported (and SIGKILL, which
nobody can catch, leaves the rest to the run's watchdog). ``InterruptOnSignals`` does the same for
synchronous commands by raising once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any, Self

CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_status(signum: int) -> int:
    """The shell's convention: 128 + the signal (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""
    return 128 + signum


class _Handlers:
    """Installs self._handle for signals on enter and puts the previous handlers back on exit."""

    def __init__(self, signals: Iterable[int]) -> None:
        self.signals = tuple(signals)
        self.received: list[int] = []
        self._old: dict[int, Any] = {}

    @property
    def first(self) -> int | None:
        return self.received[0] if self.received else None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        for sig in self.signals:
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


class CancelOnSignals(_Handlers):
    """with CancelOnSignals(cancel, on_signal): ... ; on_signal(signum, count) runs in the main
    thread for each signal (count 1: cancel has just been set; later: clean-up is under way)."""

    def __init__(self, cancel: threading.Event, on_signal: Callable[[int, int], None] | None = None,
                 signals: Iterable[int] = CANCEL_SIGNALS) -> None:
        super().__init__(signals)
        self.cancel = cancel
        self.on_signal = on_signal

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        self.cancel.set()
        if self.on_signal is not None:
            self.on_signal(signum, len(self.received))


class SignalInterrupt(KeyboardInterrupt):
    """Raised (once) in the main thread by InterruptOnSignals; .signum says which signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class InterruptOnSignals(_Handlers):
    """For synchronous commands (`kataio check`): the first SIGINT, SIGTERM or SIGHUP raises
    SignalInterrupt in the main thread, so every ``finally`` on the way out (a probe container's
    removal) runs; later signals are only counted, so they cannot cut that clean-up short."""

    def __init__(self, signals: Iterable[int] = CANCEL_SIGNALS) -> None:
        super().__init__(signals)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if len(self.received) == 1:
            raise SignalInterrupt(signum)
