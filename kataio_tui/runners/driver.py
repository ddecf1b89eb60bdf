"""The runner-independent loop of ``kataio run``: result set, scenarios, events, cancel, resume.

Use::

    result = run_plan(plan, runner, emit, cancel, out_dir=paths.results_dir())
    result = run_plan(plan, runner, emit, cancel, resume=existing_set_dir)

``run_plan`` blocks; call it from a worker thread and set ``cancel`` (a threading.Event) to stop.
Events go to ``emit`` from that thread (see runners/events.py). A runner (local, Kubernetes)
implements :class:`ScenarioRunner`: it runs one scenario's N clients and returns a
:class:`ScenarioOutcome`; everything else (saving each scenario at once, marking the interrupted
one, on_failure, skipping completed scenarios on resume, provenance) happens here.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from kataio_tui.errors import KataioError
from kataio_tui.fio.jobfile import render_jobfile
from kataio_tui.fio.reader import FioOutputError, read_fio_output
from kataio_tui.fio.summary import client_summaries
from kataio_tui.model.plan import Plan, PlanError, plan_from_dict
from kataio_tui.model.results import Provenance, ScenarioKey, ScenarioRecord, ScenarioStatus
from kataio_tui.results.loader import warm_cache
from kataio_tui.results.store import ResultSet, safe_name
from kataio_tui.runners.events import (
    Emit,
    Failure,
    RunFinished,
    RunStarted,
    ScenarioFinished,
    ScenarioPhase,
    ScenarioStarted,
)
from kataio_tui.safety.lockfile import FileLock
from kataio_tui.safety.room import describe_os_error


@dataclass(slots=True)
class ScenarioOutcome:
    """What a runner returns for one scenario.

    status: ok (every client produced a result), partial (some did: their files only), failed
    (none did; ``failure`` holds fio's or the platform's message), interrupted (cancel was set).
    files: (file name, fio's final json+ document exactly as fio wrote it) per client that
    finished, e.g. ("client-0.json", b"{...}").
    start_skew_s: spread of the clients' measured-I/O start times (None for one client).
    """

    status: ScenarioStatus
    files: list[tuple[str, bytes]] = field(default_factory=list)
    start_skew_s: float | None = None
    failure: str | None = None
    diagnosis: str | None = None
    remedy: str | None = None


class ScenarioRunner(Protocol):
    """What the driver needs from a runner. Methods are called from the driver's thread, in order:
    prepare once, run_scenario per scenario, close once (always, also after cancel or an error)."""

    def prepare(self, plan: Plan, run_id: str) -> Provenance:
        """Check the target, note versions; raise KataioError when nothing can run at all."""
        ...

    def run_scenario(self, plan: Plan, key: ScenarioKey, jobfile: str, emit: Emit,
                     cancel: threading.Event) -> ScenarioOutcome:
        """Run key.clients fio clients with ``jobfile``, starting their measured I/O together;
        emit ClientProgress at least once a second per client and ClientResult per client; when
        ``cancel`` is set, stop everything within seconds and return status 'interrupted'.
        Must not raise for scenario-level problems: return status 'failed' with the message."""
        ...

    def close(self, keep_files: bool) -> list[str]:
        """Remove what the run left (containers, pods, data files unless keep_files); notes for the user."""
        ...


@dataclass(slots=True)
class RunResult:
    status: str  # completed, cancelled, failed (stopped by on_failure = "stop")
    result_set: ResultSet
    completed: int
    failed: int
    skipped: int  # already 'ok' in a resumed set
    notes: list[str]


WRITER_LOCK = ".kataio-writer.lock"  # in the set: held by the one run that writes into it


def new_run_id() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def lock_set(path: Path) -> FileLock:
    """One writer per result set: raises LockHeld naming the run that writes into it now."""
    return FileLock.acquire(Path(path) / WRITER_LOCK, f"result set {path}")


def plan_of_set(result_set: ResultSet) -> Plan:
    """The plan stored in a result set (for --resume)."""
    if result_set.manifest.plan is None:
        raise KataioError(f"{result_set.path}: this result set has no plan (it was imported); it cannot be resumed")
    try:
        return plan_from_dict(result_set.manifest.plan, f"{result_set.path}/manifest.toml [plan]")
    except PlanError as exc:
        raise KataioError(str(exc)) from None


def aggregate_bw(files: list[tuple[str, bytes]]) -> float:
    """Sum of the clients' bandwidth (bytes/s) in a scenario's raw files."""
    total = 0.0
    for name, data in files:
        try:
            total += sum(s.bw_bytes for s in client_summaries(read_fio_output(data, name), name))
        except FioOutputError:
            continue
    return total


def _open_set(plan: Plan, provenance: Provenance, out_dir: Path | None, resume: Path | None,
              run_id: str) -> ResultSet:
    if resume is not None:
        result_set = ResultSet.load(resume)
        runs = [*getattr(result_set.manifest.provenance, "run_ids", []), run_id]
        merged = provenance.model_copy(update={"run_ids": runs})
        result_set.update(provenance=merged)
        return result_set
    if out_dir is None:
        raise KataioError("run_plan needs out_dir or resume")
    name = f"{plan.name}-{run_id}"
    return ResultSet.create(Path(out_dir) / safe_name(name), name,
                            provenance.model_copy(update={"run_ids": [run_id]}),
                            plan=plan.model_dump(mode="json"))


def _run_one(plan: Plan, runner: ScenarioRunner, key: ScenarioKey, jobfile: str, emit: Emit,
             cancel: threading.Event) -> ScenarioOutcome:
    try:
        return runner.run_scenario(plan, key, jobfile, emit, cancel)
    except KataioError as exc:
        return ScenarioOutcome("interrupted" if cancel.is_set() else "failed", failure=str(exc))
    except Exception as exc:  # a runner bug must not lose the scenarios already saved
        return ScenarioOutcome("failed", failure=f"internal error in the runner: {type(exc).__name__}: {exc}")


def run_plan(plan: Plan, runner: ScenarioRunner, emit: Emit, cancel: threading.Event,
             out_dir: Path | None = None, resume: Path | None = None, run_id: str | None = None,
             keep_files: bool | None = None) -> RunResult:
    """Run every scenario of plan (on resume: every scenario not already 'ok' in the set)."""
    run_id = run_id or new_run_id()
    keep = plan.keep_files if keep_files is None else keep_files
    completed = failed = 0
    notes: list[str] = []
    status = "completed"
    result_set: ResultSet | None = None
    writer: FileLock | None = None
    try:
        if resume is not None:  # before anything is made: a second writer is refused here
            earlier = getattr(ResultSet.load(resume).manifest.provenance, "run_ids", [])  # a set, or an error
            writer = lock_set(resume)
            clear = getattr(runner, "clear_dead_runs", None)
            if clear is not None:
                notes += clear(list(earlier))
        provenance = runner.prepare(plan, run_id)
        try:
            result_set = _open_set(plan, provenance, out_dir, resume, run_id)
        except OSError as exc:
            if isinstance(exc, KataioError):
                raise
            raise KataioError(describe_os_error(exc.filename or out_dir or resume or ".", exc)) from None
        writer = writer or lock_set(result_set.path)
        done = {s.key for s in result_set.manifest.scenarios if s.status == "ok"}
        todo = [k for k in plan.scenarios() if k not in done]
        skipped = len(plan.scenarios()) - len(todo)
        emit(RunStarted(run_id, result_set.path, tuple(todo), float(len(todo) * plan.scenario_seconds())))
        for index, key in enumerate(todo):
            if cancel.is_set():
                status = "cancelled"
                break
            jobfile = render_jobfile(plan, key)
            emit(ScenarioStarted(key, index, len(todo), plan.scenario_seconds()))
            started = datetime.now(timezone.utc)
            outcome = _run_one(plan, runner, key, jobfile, emit, cancel)
            if cancel.is_set() and outcome.status != "ok":
                outcome.status = "interrupted"
            emit(ScenarioPhase(key, "save"))
            record = ScenarioRecord.of(
                key, status=outcome.status, started=started,
                finished=datetime.now(timezone.utc), start_skew_s=outcome.start_skew_s,
                failure=outcome.failure, diagnosis=outcome.diagnosis, remedy=outcome.remedy,
            )
            try:
                result_set.add_scenario(record, outcome.files, jobfile)
            except OSError as exc:
                why = str(exc) if isinstance(exc, KataioError) else describe_os_error(exc.filename or result_set.path,
                                                                                       exc)
                raise KataioError(f"saving {key.label()}: {why}; this scenario was not recorded, the ones before it "
                                  "are saved") from None
            warm_cache(result_set)
            emit(ScenarioFinished(key, outcome.status, outcome.start_skew_s, aggregate_bw(outcome.files)))
            if outcome.status == "ok":
                completed += 1
                continue
            if outcome.status == "interrupted":
                status = "cancelled"
                break
            failed += 1
            emit(Failure(key, outcome.failure or outcome.status, outcome.diagnosis, outcome.remedy))
            if plan.on_failure == "stop":
                status = "failed"
                notes.append(f"stopped after the failure of {key.label()} (on_failure = \"stop\")")
                break
    except BaseException as exc:
        status = "cancelled" if isinstance(exc, KeyboardInterrupt) else "failed"
        if isinstance(exc, KataioError):  # e.g. no kubeconfig: the remedy travels with the message
            diagnosis, remedy = getattr(exc, "diagnosis", None), getattr(exc, "remedy", None)
            emit(Failure(None, str(exc), diagnosis if isinstance(diagnosis, str) else None,
                         remedy if isinstance(remedy, str) else None))
        raise
    finally:
        try:
            notes += runner.close(keep)
        finally:
            if writer is not None:
                writer.release()
            emit(RunFinished(status, result_set.path if result_set else None, completed, failed, tuple(notes)))
    return RunResult(status, result_set, completed, failed, skipped, notes)
