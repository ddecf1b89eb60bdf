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
class SetProgress:
    """How far a set made by `kataio run` got through its plan."""

    state: str  # "complete", "cancelled" (a scenario was interrupted), "partial" (failed or not run)
    left: int  # scenarios of its plan that are not 'ok' yet: what a resume runs
    total: int

    @property
    def resumable(self) -> bool:
        return self.left > 0


def set_progress(result_set: ResultSet) -> SetProgress | None:
    """None for a set without a plan (imported) or whose stored plan no longer loads."""
    if result_set.manifest.plan is None:
        return None
    from kataio_tui.errors import KataioError
    from kataio_tui.runners.driver import plan_of_set

    try:
        planned = plan_of_set(result_set).scenarios()
    except KataioError:
        return None
    records = result_set.manifest.scenarios
    done = {r.key for r in records if r.status == "ok"}
    left = sum(1 for key in planned if key not in done)
    if not left:
        return SetProgress("complete", 0, len(planned))
    interrupted = any(r.status == "interrupted" for r in records)
    return SetProgress("cancelled" if interrupted else "partial", left, len(planned))


@dataclass(frozen=True, slots=True)
class SetEntry:
    path: Path
    origin: str  # "sample", "user", "extra" or "command line"
    result_set: ResultSet | None
    error: str | None = None
    source: Path | None = None  # the directory it was found under
    progress: SetProgress | None = None

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
        state = self.progress.state if self.progress and self.progress.resumable else ""
        haystack = " ".join([self.name, self.where, self.origin, state, *self.runtimes]).lower()
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
                entries.append(SetEntry(path, origin, found, source=directory, progress=set_progress(found)))
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
