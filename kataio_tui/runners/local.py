"""The local runner: every scenario's N fio clients on this host, bare or in containers.

Per scenario: check the runtime (once per run, with a real probe container), lay the data files
out in each client's directory with the host's fio (``--create_only=1``, not measured), launch
every client parked, release them together, stream their ``--status-interval`` output into
ClientProgress events, keep each client's final json+ document as fio wrote it, and remove the
containers. Data files stay for the run's next scenarios and are removed by :meth:`close`.

Directories: ``<plan.directory>/kataio-<run id>/client-<i>/`` (data, fio's working directory),
made exclusively with mode 0700 after plan.directory and every directory above it were checked
(safety/trust.py: nobody else can swap them); ``<state>/runs/<run id>/`` holds job files and OCI
bundles, in the user's private state directory (safety/state_dir.py).

Nothing outlives the run: every directory and container is written into the run's journal
before it is made (safety/journal.py), every process carries the run's marker and a parent-death
signal (safety/children.py), and a watchdog process clears the journal if kataio dies, even by
SIGKILL (safety/watchdog.py). Before the first scenario the room the data files need is compared
with the free space; after each layout every data file is checked to be fully written.
"""

from __future__ import annotations

import errno
import os
import platform
import shutil
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kataio_tui import __version__
from kataio_tui.errors import KataioError
from kataio_tui.fio.jobfile import LAYOUT_ARGS
from kataio_tui.fio.reader import FioOutputError, read_fio_output
from kataio_tui.fio.summary import client_summaries
from kataio_tui.local.availability import RuntimeStatus, local_runtime_status, oci_tool
from kataio_tui.local.oci import force_delete, list_containers, remove_bundle
from kataio_tui.model.plan import Plan
from kataio_tui.model.results import Provenance, ScenarioKey
from kataio_tui.runners.driver import ScenarioOutcome
from kataio_tui.runners.events import ClientResult, Emit, ScenarioPhase, serialized
from kataio_tui.runners.fio_errors import FioFailure, diagnose
from kataio_tui.runners.fio_stream import ClientStream, start_skew_s
from kataio_tui.runners.local_clients import BareClient, LocalClient, OciClient
from kataio_tui.safety.children import spawn
from kataio_tui.safety.journal import RunJournal, dead_runs
from kataio_tui.safety.private_dirs import ensure_private_dir, make_private_dir
from kataio_tui.safety.reaper import reap
from kataio_tui.safety.room import check_room, describe_os_error, free_bytes, human, unwritten
from kataio_tui.safety.safe_write import write_new
from kataio_tui.safety.state_dir import runs_dir
from kataio_tui.safety.watchdog import Watchdog

GVISOR_NOTE = ("gVisor (runsc) implements O_DIRECT and libaio inside its own kernel (the Sentry), not "
               "with the host's block layer: its numbers are not like-for-like with bare and runC.")


def data_bytes_needed(plan: Plan) -> int:
    """What the data files of the largest scenario take (they stay for the run's next scenarios)."""
    return plan.data_bytes()


def reads(pattern: str) -> bool:
    """Does the fio pattern read (read, randread, rw, randrw, readwrite)? Those need the data
    files written; writing patterns need them allocated only (fio lays those out with fallocate)."""
    return "read" in pattern or pattern in ("rw", "randrw")


def layout_problem(directory: Path, plan: Plan, key: ScenarioKey) -> str | None:
    """Why the data files fio laid out in directory for the scenario key cannot be measured
    (missing, short, sparse, or, for a reading pattern, only allocated), or None when every one is
    laid out. The directory may hold more files: those of a scenario with a larger numjobs."""
    data = reads(key.pattern)
    nrfiles = int(plan.fio.extra.get("nrfiles", 1) or 1)
    try:
        files = sorted(e.path for e in os.scandir(directory) if e.is_file(follow_symlinks=False))
    except OSError as exc:
        return describe_os_error(directory, exc)
    expected = (key.numjobs or max(plan.fio.numjobs)) * nrfiles
    if len(files) < expected:
        return f"{directory}: {len(files)} data files laid out, {expected} expected"
    for path in files:
        problem = unwritten(path, plan.fio.filesize, data=data)
        if problem:
            return problem
    return None


def drop_incomplete(directory: Path, plan: Plan, key: ScenarioKey) -> None:
    """Remove data files fio would not lay out again but that cannot be measured: a layout cut
    short by a full disk (short or sparse), or files a writing scenario left allocated but unwritten
    when a reading one follows (reads of unwritten blocks never reach the disk)."""
    if layout_problem(directory, plan, key) is None:
        return
    for entry in os.scandir(directory):
        if entry.is_file(follow_symlinks=False):
            os.unlink(entry.path)


def _fs_type(path: Path) -> str | None:
    """The file system type of the mount holding path (from /proc/self/mounts)."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    best, fstype = "", None
    target = str(path.resolve())
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and (target == parts[1] or target.startswith(parts[1].rstrip("/") + "/")):
            if len(parts[1]) >= len(best):
                best, fstype = parts[1], parts[2]
    return fstype


def _os_name() -> str | None:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return None


def _with_room(failure: FioFailure, stderr: str, directory: Path) -> FioFailure:
    """fio's message for a full or read-only target, with the directory and its free space."""
    for code, words in ((errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system"),
                        (errno.EDQUOT, "Disk quota exceeded")):
        if words in stderr:
            message = describe_os_error(directory, OSError(code, words))
            if code != errno.ENOSPC and (free := free_bytes(directory)) is not None:
                message += f" ({human(free)} free)"
            return FioFailure(message, failure.diagnosis, failure.remedy)
    return failure


class LocalRunner:
    """ScenarioRunner for target = "local"."""

    def __init__(self, state_root: Path | None = None, probe: bool = True) -> None:
        self.state_root = state_root  # where run journals and control files go; None: runs_dir()
        self.probe = probe
        self.journal: RunJournal | None = None
        self.watchdog: Watchdog | None = None
        self._data_entry: str | None = None
        self.run_id = ""
        self.state: Path | None = None
        self.data_root: Path | None = None
        self.status: dict[str, RuntimeStatus] = {}
        self._fio = shutil.which("fio") or "fio"
        self._scenario = 0
        self._live: list[LocalClient] = []

    # ---- ScenarioRunner --------------------------------------------------------------------

    def prepare(self, plan: Plan, run_id: str) -> Provenance:
        if plan.target != "local":
            raise KataioError(f"the local runner cannot run a plan whose target is {plan.target!r}")
        self.run_id = run_id
        runs = ensure_private_dir(self.state_root) if self.state_root else runs_dir()
        check_room({plan.directory: data_bytes_needed(plan)})
        self.journal = RunJournal.begin(run_id, directory=runs, target="local", plan=plan.name)
        self.watchdog = Watchdog.start(self.journal)
        self.state = runs / run_id
        self.journal.record("path", path=str(self.state), what="job files and bundles")
        self.state.mkdir(mode=0o700)
        data_root = Path(os.path.abspath(plan.directory)) / f"kataio-{run_id}"
        self._data_entry = self.journal.record("path", path=str(data_root), what="data files")
        try:
            self.data_root = make_private_dir(plan.directory, data_root.name)
        except KataioError as exc:
            self.journal.forget(self._data_entry)  # not ours: never remove it
            self._data_entry = None
            text = str(exc)
            raise KataioError(f"plan directory {text}" if text.startswith(f"{plan.directory}")
                              else f"plan directory {plan.directory}: {text}") from None
        if self.data_root != data_root:  # plan.directory reached through a link: record the real path
            self.journal.forget(self._data_entry)
            self._data_entry = self.journal.record("path", path=str(self.data_root), what="data files")
        self.status = {rt: local_runtime_status(rt, probe=self.probe, state_dir=self.state, journal=self.journal)
                       for rt in plan.runtimes}
        runtimes = {
            rt: {k: v for k, v in {"available": s.available, "reason": s.reason, "version": s.version,
                                   **s.details}.items() if v not in (None, "")}
            for rt, s in self.status.items()
        }
        notes = [GVISOR_NOTE] if "gvisor" in plan.runtimes else []
        return Provenance(
            made_by="kataio run (local)", kataio_version=__version__,
            fio_version=local_runtime_status("bare").version, hosts=[socket.gethostname()],
            kernel=platform.release(), runtimes=runtimes, notes=" ".join(notes) or None,
            os=_os_name(), cpu_count=os.cpu_count(), directory=plan.directory,
            directory_fs=_fs_type(self.data_root),
            load_average_at_start=[round(x, 2) for x in os.getloadavg()],  # a busy host skews every number
        )

    def run_scenario(self, plan: Plan, key: ScenarioKey, jobfile: str, emit: Emit,
                     cancel: threading.Event) -> ScenarioOutcome:
        assert self.state is not None and self.data_root is not None, "prepare() first"
        status = self.status.get(key.runtime) or local_runtime_status(key.runtime)
        if not status.available:
            return ScenarioOutcome("failed", failure=f"runtime {key.runtime} is unavailable on this host: "
                                   f"{status.reason}", diagnosis=status.reason,
                                   remedy="install or fix the runtime, or remove it from the plan's runtimes")
        self._scenario += 1
        ctl = self.state / f"s{self._scenario}"
        dirs = [self.data_root / f"client-{i}" for i in range(key.clients)]
        safe_emit = serialized(emit)
        try:
            safe_emit(ScenarioPhase(key, "layout"))
            try:  # in the run's private directories, which nobody else can enter
                ctl.mkdir(mode=0o700)
                write_new(ctl / "job.fio", jobfile.encode("utf-8"), mode=0o644)
                for d in dirs:
                    d.mkdir(mode=0o700, exist_ok=True)
                    drop_incomplete(d, plan, key)
            except OSError as exc:
                raise KataioError(describe_os_error(exc.filename or ctl, exc)) from None
            layout = self._layout(plan, ctl / "job.fio", dirs, cancel)
            if cancel.is_set():
                return ScenarioOutcome("interrupted")
            if layout is not None:
                return ScenarioOutcome("failed", failure=f"laying out the data files: {layout.message}",
                                       diagnosis=layout.diagnosis, remedy=layout.remedy)
            problem = next(filter(None, (layout_problem(d, plan, key) for d in dirs)), None)
            if problem is not None:  # never measure a partial layout
                return ScenarioOutcome("failed", failure=f"laying out the data files: {problem}",
                                       diagnosis="the data files are not fully written",
                                       remedy="make room on the target file system, or use a smaller fio.filesize")
            clients = self._clients(plan, key, ctl, dirs, safe_emit)
            return self._run_clients(plan, key, clients, safe_emit, cancel)
        finally:
            for client in self._live:
                client.cleanup()
            self._live = []
            shutil.rmtree(ctl, ignore_errors=True)

    def clear_dead_runs(self, run_ids: list[str]) -> list[str]:
        """Before a resume: remove what the set's earlier runs left if they died (their journals'
        locks are free); notes saying what was removed."""
        runs = ensure_private_dir(self.state_root) if self.state_root else runs_dir()
        notes = []
        for view in dead_runs(runs):
            if view.run_id in run_ids:
                result = reap(view)
                if result is not None and (result.removed or result.processes_killed):
                    notes.append(f"removed what the interrupted run {view.run_id} left: "
                                 + ", ".join(result.removed or [f"{result.processes_killed} processes"]))
                if result is not None:
                    notes += [f"run {view.run_id}: {p}" for p in result.problems]
        return notes

    def close(self, keep_files: bool) -> list[str]:
        notes: list[str] = []
        problems: list[str] = []
        for client in self._live:
            client.cleanup()
        self._live = []
        for name in {rt for rt in self.status if oci_tool(rt) is not None}:
            tool = oci_tool(name)
            assert tool is not None
            for cid in list_containers(tool):
                if cid.startswith(f"kataio-{self.run_id}-"):
                    force_delete(tool, cid)
                    notes.append(f"removed leftover container {cid} ({name})")
        if self.state is not None:
            remove_bundle(self.state)
            if self.state.exists():
                problems.append(f"{self.state}: could not be removed")
        if self.data_root is not None and self.data_root.exists():
            if keep_files:
                notes.append(f"data files kept in {self.data_root}")
                if self.journal is not None and self._data_entry is not None:
                    self.journal.forget(self._data_entry)  # kept on purpose: not a leftover
            else:
                shutil.rmtree(self.data_root, ignore_errors=True)
                if self.data_root.exists():
                    problems.append(f"{self.data_root}: could not be removed")
        self._end_journal(problems)
        return notes + [f"left behind (`kataio cleanup` retries): {p}" for p in problems]

    def _end_journal(self, problems: list[str]) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()
            self.watchdog = None
        if self.journal is not None:
            if problems:
                self.journal.lock.release(unlink=False)  # a dead run's journal, for `kataio cleanup`
            else:
                self.journal.finish()
            self.journal = None

    # ---- steps -----------------------------------------------------------------------------


    def _layout(self, plan: Plan, jobfile: Path, dirs: list[Path], cancel: threading.Event) -> FioFailure | None:
        """Create every client's data files before the measured start (fio --create_only=1)."""
        marker = self.journal.marker if self.journal else None
        procs = [spawn([self._fio, *LAYOUT_ARGS, str(jobfile)], marker=marker, cwd=d, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
                 for d in dirs]
        deadline = time.monotonic() + plan.timeouts.scenario_grace
        timed_out = False
        try:
            while any(p.poll() is None for p in procs):
                if cancel.wait(0.05):
                    break
                if time.monotonic() > deadline:
                    timed_out = True
                    break
        finally:
            for p in procs:
                if p.poll() is None:
                    os.killpg(p.pid, 9)
                    p.wait()
        errors = []
        for p in procs:
            assert p.stderr is not None
            errors.append(p.stderr.read().decode("utf-8", errors="replace"))
            p.stderr.close()
        if cancel.is_set():
            return None
        if timed_out:
            return FioFailure(f"did not finish within timeouts.scenario_grace = {plan.timeouts.scenario_grace:g} s",
                              "laying out the files is too slow",
                              "raise timeouts.scenario_grace or use a smaller fio.filesize")
        for p, err, d in zip(procs, errors, dirs, strict=True):
            if p.returncode != 0:
                return _with_room(diagnose(err), err, d)
        return None

    def _clients(self, plan: Plan, key: ScenarioKey, ctl: Path, dirs: list[Path], emit: Emit) -> list[LocalClient]:
        expected = plan.scenario_seconds()
        clients: list[LocalClient] = []
        tool = oci_tool(key.runtime) if key.runtime != "bare" else None
        for i, d in enumerate(dirs):
            stream = ClientStream(key, i, expected, emit, source=f"{key.label()} client {i}")
            if key.runtime == "bare":
                clients.append(BareClient(i, stream, self._fio, ctl / "job.fio", d, journal=self.journal))
            elif key.runtime.startswith("kata"):
                from kataio_tui.runners.local_kata import KataClient, kata_runtime_type

                status = self.status[key.runtime]
                runtime_type = kata_runtime_type(key.runtime, status.details.get("shim"))
                cid = f"kataio-{self.run_id}-s{self._scenario}-c{i}"
                clients.append(KataClient(i, stream, shutil.which("ctr") or "ctr", runtime_type, cid,
                                          ctl / f"bundle-{i}", ctl, d))
            elif tool is not None:
                cid = f"kataio-{self.run_id}-s{self._scenario}-c{i}"
                clients.append(OciClient(i, stream, tool, cid, ctl / f"bundle-{i}", ctl, d, journal=self.journal))
            else:
                raise KataioError(f"runtime {key.runtime} has no local client implementation here")
        return clients

    def _run_clients(self, plan: Plan, key: ScenarioKey, clients: list[LocalClient], emit: Emit,
                     cancel: threading.Event) -> ScenarioOutcome:
        self._live = clients
        start_timeout = plan.timeouts.start
        emit(ScenarioPhase(key, "start"))
        with ThreadPoolExecutor(max_workers=min(16, len(clients))) as pool:
            list(pool.map(lambda c: c.launch(start_timeout), clients))
            failed = [c for c in clients if c.launch_error]
            if failed or cancel.is_set():
                self._stop_all(plan)
                if cancel.is_set():
                    return ScenarioOutcome("interrupted")
                first = failed[0]
                return ScenarioOutcome("failed", failure=f"client {first.index} did not start: {first.launch_error}",
                                       diagnosis=f"{key.runtime} could not create the container",
                                       remedy="see the runtime's message; `kataio check` lists host problems")
            list(pool.map(lambda c: c.release(), clients))
        released = time.monotonic()
        ramp, measuring = plan.fio.ramp_time, plan.fio.ramp_time <= 0
        emit(ScenarioPhase(key, "measure", plan.fio.runtime) if measuring else ScenarioPhase(key, "ramp", ramp))
        deadline = released + plan.scenario_seconds() + plan.timeouts.scenario_grace
        hung = False
        while not all(c.finished() for c in clients):
            if cancel.wait(0.1):
                self._stop_all(plan)
                return ScenarioOutcome("interrupted")
            if not measuring and time.monotonic() - released >= ramp:
                measuring = True
                emit(ScenarioPhase(key, "measure", plan.fio.runtime))
            if time.monotonic() > deadline:
                hung = True
                self._stop_all(plan)
                break
        emit(ScenarioPhase(key, "stop"))
        for c in clients:
            c.join_output(5.0)
            c.cleanup()
        return self._assess(key, clients, emit, hung, plan)

    def _stop_all(self, plan: Plan) -> None:
        grace = min(2.0, plan.timeouts.stop)
        with ThreadPoolExecutor(max_workers=min(16, max(1, len(self._live)))) as pool:
            list(pool.map(lambda c: c.stop(grace), self._live))
        for c in self._live:
            c.join_output(2.0)

    def _assess(self, key: ScenarioKey, clients: list[LocalClient], emit: Emit, hung: bool,
                plan: Plan) -> ScenarioOutcome:
        files: list[tuple[str, bytes]] = []
        problems: list[tuple[int, FioFailure]] = []
        good_streams = []
        for c in clients:
            data = c.stream.result_bytes()
            errors: list[int] = []
            run = None
            if data is not None:
                try:
                    run = read_fio_output(data, f"client-{c.index}.json")
                    errors = [j.error for j in run.jobs]
                except FioOutputError:
                    run = None
            # a hung client stopped by us may still have written a final document: not a result
            ok = (run is not None and not any(errors) and c.exit_code in (0, None) and not c.launch_error
                  and not hung)
            if ok:
                files.append((f"client-{c.index}.json", data))
                good_streams.append(c.stream)
                summaries = client_summaries(run, f"client-{c.index}")
                emit(ClientResult(key, c.index, True, sum(s.bw_bytes for s in summaries),
                                  iops=sum(s.iops for s in summaries)))
            else:
                failure = diagnose(c.launch_error or c.stderr_text, errors)
                if c.data_dir is not None:
                    failure = _with_room(failure, c.stderr_text, c.data_dir)
                if hung:
                    failure = FioFailure(f"did not finish within ramp + runtime + timeouts.scenario_grace "
                                         f"({plan.scenario_seconds() + plan.timeouts.scenario_grace:g} s); "
                                         f"{failure.message}", "the client hung", "look at the host's load and "
                                         "the target file system")
                problems.append((c.index, failure))
                emit(ClientResult(key, c.index, False, message=failure.message))
        skew = start_skew_s(good_streams)
        if not problems:
            return ScenarioOutcome("ok", files, skew)
        index, first = problems[0]
        which = f"client {index}" if len(clients) > 1 else "fio"
        more = f" ({len(problems)} of {len(clients)} clients failed)" if len(problems) > 1 else ""
        return ScenarioOutcome("partial" if files else "failed", files, skew,
                               failure=f"{which}: {first.message}{more}", diagnosis=first.diagnosis,
                               remedy=first.remedy)
