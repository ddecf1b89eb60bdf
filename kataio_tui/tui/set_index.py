"""The list of result sets the TUI offers: where they come from and what each holds (no Textual)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kataio_tui import paths
from kataio_tui.results.store import ResultSet, find_result_sets

SORT_KEYS = ("newest", "name", "scenarios", "source")


@dataclass(frozen=True, slots=True)
class SetEntry:
    path: Path
    origin: str  # "sample", "user", "extra" or "command line"
    result_set: ResultSet | None
    error: str | None = None
    source: Path | None = None  # the directory it was found under

    @property
    def name(self) -> str:
        return self.result_set.name if self.result_set else self.path.name

    @property
    def created(self) -> datetime | None:
        return self.result_set.manifest.created if self.result_set else None

    @property
    def scenarios(self) -> int:
        return len(self.result_set.manifest.scenarios) if self.result_set else 0

    @property
    def files(self) -> int:
        return sum(len(s.files) for s in self.result_set.manifest.scenarios) if self.result_set else 0

    @property
    def runtimes(self) -> list[str]:
        if not self.result_set:
            return []
        return list(dict.fromkeys(s.runtime for s in self.result_set.manifest.scenarios))

    @property
    def deletable(self) -> bool:
        """Bundled samples are part of the installation and are never deleted from the TUI."""
        return self.origin != "sample"

    @property
    def where(self) -> str:
        """The path below the directory it was found under: the part that tells sets apart (every
        user set lies under .../kataio/results, so the full path would match 'kata' everywhere)."""
        if self.source is not None:
            try:
                relative = self.path.relative_to(self.source)
            except ValueError:
                relative = None
            if relative is not None and str(relative) != ".":
                return str(relative)
        return self.path.name

    def matches(self, text: str) -> bool:
        """Every word is in the name, the path below its directory, the origin or a runtime (not in
        boilerplate such as "made by kataio run", which every set shares)."""
        haystack = " ".join([self.name, self.where, self.origin, *self.runtimes]).lower()
        return all(word in haystack for word in text.lower().split())


def source_dirs(extra: Iterable[Path] = (), command_line: Iterable[Path] = ()) -> list[tuple[Path, str]]:
    return [
        (paths.sample_results_dir(), "sample"),
        (paths.results_dir(), "user"),
        *((Path(p), "extra") for p in extra),
        *((Path(p), "command line") for p in command_line),
    ]


def scan(dirs: list[tuple[Path, str]]) -> list[SetEntry]:
    entries: list[SetEntry] = []
    seen: set[Path] = set()
    for directory, origin in dirs:
        for path, found in find_result_sets([directory]):
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            if isinstance(found, ResultSet):
                entries.append(SetEntry(path, origin, found, source=directory))
            else:
                entries.append(SetEntry(path, origin, None, str(found), source=directory))
    return entries


def sort_entries(entries: list[SetEntry], key: str) -> list[SetEntry]:
    if key == "name":
        return sorted(entries, key=lambda e: e.name.lower())
    if key == "scenarios":
        return sorted(entries, key=lambda e: -e.scenarios)
    if key == "source":
        return sorted(entries, key=lambda e: (e.origin, e.name.lower()))
    return sorted(entries, key=lambda e: e.created.timestamp() if e.created else 0.0, reverse=True)
