"""Removing what a journal lists: first every process carrying the run's marker (fio and its
workers, a half-made container's runtime command), then containers, then paths. Used by the
watchdog when kataio dies, by `kataio cleanup` and by `kataio run --resume`.

Other kinds (the Kubernetes runner's objects) register a handler with register() in a module
the journal names in its meta ``handlers`` (a list of kataio_tui module names): load_handlers()
imports them, so the watchdog and `kataio cleanup` can remove those kinds too.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kataio_tui.safety.journal import MARKER_ENV, JournalView, dead_runs
from kataio_tui.safety.lockfile import FileLock

Remove = Callable[[dict[str, Any]], str | None]  # removes one entry's thing; a problem, or None
Present = Callable[[dict[str, Any]], bool]  # does it still exist?
_CONTAINER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


@dataclass(slots=True)
class Handler:
    remove: Remove
    present: Present
    describe: Callable[[dict[str, Any]], str]


_HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    _HANDLERS[kind] = handler


@dataclass(slots=True)
class Cleared:
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    processes_killed: int = 0
    seconds: float = 0.0


# ---- processes ---------------------------------------------------------------------------------

def marked_processes(run_id: str, exclude: tuple[int, ...] = ()) -> list[int]:
    """PIDs of this user's processes whose environment carries KATAIO_RUN_ID=run_id."""
    needle = f"{MARKER_ENV}={run_id}".encode()
    me, found = os.geteuid(), []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) in (os.getpid(), *exclude):
            continue
        try:
            if os.stat(entry.path).st_uid != me:
                continue
            with open(f"{entry.path}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_marked(run_id: str, within: float = 5.0, exclude: tuple[int, ...] = ()) -> int:
    """SIGKILL every marked process until none is left (forks are caught on the next pass)."""
    killed: set[int] = set()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        pids = [p for p in marked_processes(run_id, exclude) if not _zombie(p)]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    return len(killed)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return True


# ---- containers (runc, crun, runsc: the runc command line) -----------------------------------

def _tool(entry: dict[str, Any]) -> list[str] | None:
    """The runtime command recorded, if it is a trustworthy one: an absolute path to a root-owned
    executable nobody else may write, and plain flags."""
    tool = entry.get("tool")
    if not isinstance(tool, list) or not tool or not all(isinstance(t, str) for t in tool):
        return None
    try:
        st = os.stat(tool[0])
    except OSError:
        return None
    if not os.path.isabs(tool[0]) or st.st_uid != 0 or st.st_mode & 0o022 or not stat.S_ISREG(st.st_mode):
        return None
    if not all(re.fullmatch(r"--[a-z-]+(=[A-Za-z0-9_./-]+)?", flag) for flag in tool[1:]):
        return None
    return tool


def _container(entry: dict[str, Any]) -> tuple[list[str], str] | None:
    tool, cid = _tool(entry), entry.get("container")
    if tool is None or not isinstance(cid, str) or not _CONTAINER_ID.fullmatch(cid):
        return None
    return tool, cid


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None


def container_present(entry: dict[str, Any]) -> bool:
    found = _container(entry)
    if found is None:
        return False
    proc = _run([*found[0], "state", found[1]], 10)
    return proc is not None and proc.returncode == 0


def remove_container(entry: dict[str, Any]) -> str | None:
    found = _container(entry)
    if found is None:
        return f"container entry {entry.get('container')!r}: not a runtime command kataio would run; left alone"
    tool, cid = found
    _run([*tool, "kill", cid, "KILL"], 10)
    proc = _run([*tool, "delete", "--force", cid], 30)
    if container_present(entry):
        return f"container {cid}: `{os.path.basename(tool[0])} delete` failed: " \
               f"{(proc.stderr.strip() if proc else 'timed out') or 'no message'}"
    return None


# ---- paths ---------------------------------------------------------------------------------------

def _path(entry: dict[str, Any]) -> Path | None:
    value = entry.get("path")
    if not isinstance(value, str) or not os.path.isabs(value) or os.path.normpath(value) in ("/", "//"):
        return None
    return Path(value)


def path_present(entry: dict[str, Any]) -> bool:
    path = _path(entry)
    return path is not None and os.path.lexists(path)


def remove_path(entry: dict[str, Any]) -> str | None:
    """Remove a recorded file or directory tree; a link is removed, never followed (rmtree here
    works on descriptors, so a link swapped in below cannot redirect it)."""
    path = _path(entry)
    if path is None:
        return f"path entry {entry.get('path')!r}: not an absolute path; left alone"
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    if st.st_uid != os.geteuid():
        return f"{path}: owned by uid {st.st_uid}, not by you; left alone"
    try:
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except OSError as exc:
        return f"{path}: cannot remove: {exc.strerror}"
    return None


def _describe_container(entry: dict[str, Any]) -> str:
    tool = entry.get("tool") or ["?"]
    return f"container {entry.get('container')} ({os.path.basename(str(tool[0]))})"


register("container", Handler(remove_container, container_present, _describe_container))
register("path", Handler(remove_path, path_present, lambda e: f"{e.get('what') or 'files'}: {e.get('path')}"))


# ---- a whole journal -----------------------------------------------------------------------------

def load_handlers(view: JournalView) -> list[str]:
    """Import the handler modules the journal names; problems (as text) for those that fail."""
    problems = []
    for name in view.meta.get("handlers") or []:
        if not isinstance(name, str) or not re.fullmatch(r"kataio_tui(\.[a-z_][a-z0-9_]*)+", name):
            problems.append(f"handler module {name!r}: not a kataio module; ignored")
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            problems.append(f"handler module {name}: {exc}")
    return problems


def describe(entry: dict[str, Any]) -> str:
    handler = _HANDLERS.get(str(entry.get("kind")))
    return handler.describe(entry) if handler else f"{entry.get('kind')} (unknown kind)"


def leftovers(view: JournalView) -> list[str]:
    """What of the journal's entries still exists (and live marked processes), described."""
    found = [f"process {pid}" for pid in marked_processes(view.run_id)]
    for entry in view.entries:
        handler = _HANDLERS.get(str(entry.get("kind")))
        if handler is None or handler.present(entry):
            found.append(describe(entry))
    return found


def clear(view: JournalView, exclude: tuple[int, ...] = ()) -> Cleared:
    """Kill the run's processes, then remove its entries newest first (containers before the
    bundles and directories they use)."""
    started = time.monotonic()
    result = Cleared(processes_killed=kill_marked(view.run_id, exclude=exclude), problems=load_handlers(view))
    for entry in reversed(view.entries):
        handler = _HANDLERS.get(str(entry.get("kind")))
        if handler is None:
            result.problems.append(f"{describe(entry)}: kataio cannot remove this kind here")
            continue
        problem = handler.remove(entry)
        if problem:
            result.problems.append(problem)
        else:
            result.removed.append(describe(entry))
    result.seconds = time.monotonic() - started
    return result


def reap(view: JournalView) -> Cleared | None:
    """Clear a dead run's journal and remove it, holding its lock meanwhile (so two cleaners never
    work on one run). None when the run is alive again or its journal is gone; a journal whose
    entries could not all be removed stays, for the next `kataio cleanup`."""
    lock = FileLock.take_over(view.path, f"run {view.run_id}")
    if lock is None:
        return None
    try:
        result = clear(view)
    except BaseException:
        lock.release(unlink=False)
        raise
    lock.release(unlink=not result.problems)
    return result


def dead_leftovers(directory: Path | None = None) -> list[tuple[JournalView, list[str]]]:
    """This user's dead runs that left something, each with what is left (for `kataio check`,
    `kataio cleanup --dry-run` and the TUI's Home)."""
    found = []
    for view in dead_runs(directory):
        load_handlers(view)
        found.append((view, leftovers(view)))
    return found


def reap_dead_probes(directory: Path | None = None) -> int:
    """Clear the journals of dead runtime probes (a probe's container and bundle: nothing anyone
    would keep); how many were cleared. Runs are left for `kataio cleanup` or `--resume`."""
    cleared = 0
    for view in dead_runs(directory):
        if view.meta.get("kind") == "probe" and reap(view) is not None:
            cleared += 1
    return cleared
