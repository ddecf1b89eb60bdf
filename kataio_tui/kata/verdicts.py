"""The outcome of a Kata rule: how bad, why, how to fix it, and Kata's own words for it."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.IntEnum):
    OK = 0
    WARN = 1  # the pod starts but does not do what the user expects
    FAIL = 2  # the pod would not start

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Verdict:
    rule: str  # id in the rules table, e.g. "shared_fs.runtime-rs"
    severity: Severity
    subject: str  # what was looked at: 'shared_fs = "virtio-9p"'
    reason: str
    fix: str = ""
    kata_error: str = ""  # the runtime's own message for it, where known

    def line(self) -> str:
        said = f" (Kata says: {self.kata_error})" if self.kata_error else ""
        return f"{self.severity}: {self.subject}: {self.reason}{said}"


def worst(verdicts: Iterable[Verdict]) -> Severity:
    return max((v.severity for v in verdicts), default=Severity.OK)
