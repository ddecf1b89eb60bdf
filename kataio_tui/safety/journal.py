"""The run journal: what a run (or a probe) creates, written down before it is created, so that
whatever ends the run (a crash, SIGKILL, a reboot) the leftovers can be found and removed.

One journal per run, ``<state>/runs/<run id>.journal``, in the user's private state directory.
Its first line is the lock holder (lockfile.py): a live run holds the lock for as long as it
lives, its watchdog too, so a journal whose lock can be taken belongs to a dead run. Then one
JSON line per event, fsynced:

    {"op": "meta", "kind": "run", "result_set": "/path/set", ...}
    {"op": "add", "id": "e1", "kind": "path", "path": "/var/tmp/kataio/kataio-<run>", "what": "data files"}
    {"op": "add", "id": "e2", "kind": "container", "tool": ["/usr/sbin/runc"], "container": "kataio-..."}
    {"op": "gone", "ref": "e2"}          # removed in the normal course of the run

Processes are not listed one by one: every child of a run carries ``KATAIO_RUN_ID=<run id>`` in
its environment (MARKER_ENV), which fio's own forked workers inherit, and the reaper kills every
process of this user that carries it.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kataio_tui.errors import KataioError
from kataio_tui.safety.lockfile import FileLock, Holder, holder_of
from kataio_tui.safety.safe_read import TreeReader
from kataio_tui.safety.state_dir import runs_dir

MARKER_ENV = "KATAIO_RUN_ID"
SUFFIX = ".journal"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC


def check_run_id(run_id: str) -> str:
    if not _ID.fullmatch(run_id):
        raise KataioError(f"{run_id!r} is not a run id (letters, digits, '-', '_', '.')")
    return run_id


class RunJournal:
    """The journal of a live run, held (locked) by this process."""

    def __init__(self, run_id: str, lock: FileLock) -> None:
        self.run_id = run_id
        self.lock = lock
        self.path = lock.path
        self._count = 0
        self._fd = os.open(self.path, _APPEND)

    @classmethod
    def begin(cls, run_id: str, kind: str = "run", directory: Path | None = None, **meta: Any) -> RunJournal:
        """Start the journal of run_id (raises LockHeld if that run is alive elsewhere)."""
        check_run_id(run_id)
        directory = directory or runs_dir()
        lock = FileLock.acquire(directory / f"{run_id}{SUFFIX}", f"run {run_id}")
        journal = cls(run_id, lock)
        journal._append({"op": "meta", "kind": kind, **meta})
        return journal

    @property
    def marker(self) -> dict[str, str]:
        """The environment entry every child of this run carries."""
        return {MARKER_ENV: self.run_id}

    def _append(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, separators=(",", ":")).encode() + b"\n"
        try:
            os.write(self._fd, line)
            os.fsync(self._fd)
        except OSError as exc:
            raise KataioError(f"{self.path}: cannot write the run journal: {exc.strerror}") from None

    def record(self, kind: str, **data: Any) -> str:
        """Write down what is about to be created; returns the entry's id (for forget)."""
        self._count += 1
        entry_id = f"e{self._count}"
        self._append({"op": "add", "id": entry_id, "kind": kind, **data})
        return entry_id

    def forget(self, entry_id: str) -> None:
        """What entry_id names has been removed."""
        self._append({"op": "gone", "ref": entry_id})

    def finish(self) -> None:
        """Everything the run made is gone: remove the journal and drop the lock."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.lock.release(unlink=True)


@dataclass(slots=True)
class JournalView:
    """A journal as read from disk: its holder (None: the run is dead), meta and open entries."""

    path: Path
    run_id: str
    holder: Holder | None
    meta: dict[str, Any] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return self.holder is not None


def read_journal(path: Path, reader: TreeReader | None = None) -> JournalView:
    """Parse a journal (a torn last line, from a crash mid-write, is skipped)."""
    run_id = path.name.removesuffix(SUFFIX)
    own = reader is None
    reader = reader or TreeReader(path.parent, limit=64 * 1024 * 1024)
    try:
        lines = reader.read(path.name).splitlines()[1:]
    finally:
        if own:
            reader.close()
    view = JournalView(path, run_id, holder_of(path))
    open_entries: dict[str, dict[str, Any]] = {}
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        if event.get("op") == "meta":
            view.meta.update({k: v for k, v in event.items() if k != "op"})
        elif event.get("op") == "add" and isinstance(event.get("id"), str):
            open_entries[event["id"]] = event
        elif event.get("op") == "gone":
            open_entries.pop(str(event.get("ref")), None)
    view.entries = list(open_entries.values())
    return view


def list_journals(directory: Path | None = None) -> list[JournalView]:
    """Every journal of this user (the state directory is private to the user, and only regular
    files owned by the user are read), live and dead, oldest first."""
    directory = directory or runs_dir()
    found = []
    with TreeReader(directory, limit=64 * 1024 * 1024) as reader:
        for rel, why in reader.walk(SUFFIX):
            if why is not None or "/" in rel or not _ID.fullmatch(rel.removesuffix(SUFFIX)):
                continue
            try:
                st = os.stat(directory / rel, follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
                    continue
                found.append((st.st_mtime, read_journal(directory / rel, reader)))
            except (OSError, KataioError):
                continue
    return [view for _, view in sorted(found, key=lambda item: item[0])]


def dead_runs(directory: Path | None = None) -> list[JournalView]:
    """Journals whose run is dead (nobody holds the lock): what they list was left behind."""
    return [view for view in list_journals(directory) if not view.alive]
