"""Typed messages that workers post to screens (posting is thread-safe; handlers run on the UI loop)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message


class WorkerMessage(Message, bubble=False):
    """Posted by a worker to the screen that started it; it has no business further up."""


class WorkFailed(WorkerMessage, bubble=False):
    """Blocking work ended with an error a user can act on (a KataioError's one-line message)."""

    def __init__(self, what: str, error: str, remedy: str | None = None) -> None:
        super().__init__()
        self.what = what
        self.error = error
        self.remedy = remedy


class Progress(WorkerMessage, bubble=False):
    """done of total for a named job; a newer one replaces an older one still queued."""

    def __init__(self, job: str, done: int, total: int) -> None:
        super().__init__()
        self.job = job
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progress) and message.job == self.job


class SetsScanned(WorkerMessage, bubble=False):
    def __init__(self, entries: list[Any]) -> None:
        super().__init__()
        self.entries = entries


class SetLoaded(WorkerMessage, bubble=False):
    """A result set read and turned into scenario rows."""

    def __init__(self, path: Path, loaded: Any, rows: list[Any], seconds: float) -> None:
        super().__init__()
        self.path = path
        self.loaded = loaded
        self.rows = rows
        self.seconds = seconds


class ComparisonReady(WorkerMessage, bubble=False):
    def __init__(self, name_a: str, name_b: str, rows_a: list[Any], rows_b: list[Any]) -> None:
        super().__init__()
        self.name_a = name_a
        self.name_b = name_b
        self.rows_a = rows_a
        self.rows_b = rows_b


class ImportFinished(WorkerMessage, bubble=False):
    def __init__(self, report: Any) -> None:
        super().__init__()
        self.report = report


class SetDeleted(WorkerMessage, bubble=False):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class FactsGathered(WorkerMessage, bubble=False):
    def __init__(self, facts: Any) -> None:
        super().__init__()
        self.facts = facts
