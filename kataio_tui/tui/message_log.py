"""Every notification the app showed, with its time: a toast is gone after seconds, the log is not
(no Textual; the app appends from any thread)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

KEEP = 1000  # the oldest go first beyond this


@dataclass(frozen=True, slots=True)
class LoggedMessage:
    at: datetime
    severity: str  # information, warning, error
    title: str
    message: str


class MessageLog:
    def __init__(self, clock: Callable[[], datetime] = datetime.now, keep: int = KEEP) -> None:
        self._clock = clock
        self._entries: deque[LoggedMessage] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.added = 0  # ever, also those dropped beyond `keep`: tells a reader something is new

    def add(self, message: str, severity: str = "information", title: str = "") -> LoggedMessage:
        entry = LoggedMessage(self._clock(), severity, title, message)
        with self._lock:
            self._entries.append(entry)
            self.added += 1
        return entry

    def entries(self) -> list[LoggedMessage]:
        """Oldest first."""
        with self._lock:
            return list(self._entries)
