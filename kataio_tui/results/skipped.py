"""Files left out (of an import, or of a report), summarised by reason: a count and the first few
names of each, never every name (a folder of fio output can hold thousands of other files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXAMPLES = 3


def reason_of(message: str) -> str:
    """The kind of a problem: its message up to the first colon ('truncated', 'not fio output',
    'cannot read', 'no pattern', ...), the whole message when it has none."""
    head = message.split(":", 1)[0].strip()
    return head or message


@dataclass(slots=True)
class Skipped:
    by_reason: dict[str, list[str]] = field(default_factory=dict)  # reason -> file names, in order
    first: dict[str, str] = field(default_factory=dict)  # reason -> the first file's whole message

    def add(self, name: str, message: str) -> None:
        reason = reason_of(message)
        self.by_reason.setdefault(reason, []).append(name)
        self.first.setdefault(reason, f"{name}: {message}")

    def __len__(self) -> int:
        return sum(len(names) for names in self.by_reason.values())

    def __bool__(self) -> bool:
        return bool(self.by_reason)

    def lines(self, examples: int = EXAMPLES) -> list[str]:
        """One line per reason, the most frequent first: '12 not fio output: a.txt, b.txt, c.txt
        and 9 more (first: a.txt: not fio output: no JSON document ...)'."""
        out = []
        for reason, names in sorted(self.by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
            shown = ", ".join(names[:examples]) + (f" and {len(names) - examples} more" if len(names) > examples else "")
            out.append(f"{len(names)} {reason}: {shown} (first: {self.first[reason]})")
        return out

    def summary(self, examples: int = EXAMPLES) -> str:
        return f"skipped {len(self)} file(s): " + "; ".join(self.lines(examples))

    def as_data(self, examples: int = EXAMPLES) -> dict[str, Any]:
        """For provenance: per reason the count, the first names and the first message."""
        return {reason: {"files": len(names), "first": names[:examples], "message": self.first[reason]}
                for reason, names in self.by_reason.items()}
