"""The check engine: run independent checks concurrently, each with a timeout, and never crash.

A :class:`Check` is a function of a :class:`CheckContext` that returns one :class:`Finding` or a
list of them (a check about every RuntimeClass returns one per class, each with its own ``key``).
:func:`run_checks` turns findings into :class:`CheckResult` s, in the checks' order whatever order
they finish in. A check that raises becomes SKIP with the reason, one that outlives its timeout
becomes FAIL; :class:`SkipCheck` is how a check (or a shared prerequisite) says it cannot run.

The JSON form of a result (:meth:`CheckResult.to_dict`, :func:`report_document`) is a stable,
documented schema: docs/checks.md.
"""

from __future__ import annotations

import enum
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kataio_tui.checks.options import CheckOptions

SCHEMA = "kataio.checks/1"


class Status(enum.StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Finding:
    """What a check function reports; the engine adds the check's id, title and group."""

    status: Status
    observed: str
    meaning: str
    remedy: str = ""
    key: str | None = None  # appended to the check id: cluster.runtimeclass.kata-qemu
    title: str | None = None  # replaces the check's title for this finding


def passed(observed: str, meaning: str, **kw: Any) -> Finding:
    return Finding(Status.PASS, observed, meaning, **kw)


def warned(observed: str, meaning: str, remedy: str, **kw: Any) -> Finding:
    return Finding(Status.WARN, observed, meaning, remedy, **kw)


def failed(observed: str, meaning: str, remedy: str, **kw: Any) -> Finding:
    return Finding(Status.FAIL, observed, meaning, remedy, **kw)


def skipped(observed: str, meaning: str = "", remedy: str = "", **kw: Any) -> Finding:
    return Finding(Status.SKIP, observed, meaning, remedy, **kw)


class SkipCheck(Exception):
    """Raised by a check or a shared prerequisite when the check cannot run; becomes SKIP."""

    def __init__(self, reason: str, remedy: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.remedy = remedy


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: Status
    observed: str
    meaning: str
    remedy: str
    group: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "status": self.status.value, "group": self.group,
                "observed": self.observed, "meaning": self.meaning, "remedy": self.remedy}


CheckFunction = Callable[["CheckContext"], "Finding | Sequence[Finding]"]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    group: Literal["host", "cluster"]
    run: CheckFunction
    timeout_s: float | Callable[[CheckOptions], float] = 15.0
    wanted: Callable[[CheckOptions], bool] | None = None  # None: always part of its group

    def timeout_for(self, options: CheckOptions) -> float:
        return self.timeout_s(options) if callable(self.timeout_s) else self.timeout_s


@dataclass(frozen=True)
class CheckUpdate:
    """Progress for a live view: every check goes pending -> running -> done (results set)."""

    check: Check
    state: Literal["pending", "running", "done"]
    results: tuple[CheckResult, ...] = ()


class CheckContext:
    """What a running check sees: the options, host paths under ``options.root``, a shared
    memo for facts several checks need (computed once, thread-safe), and the cancel flag."""

    def __init__(self, options: CheckOptions, cancel: threading.Event | None = None) -> None:
        self.options = options
        self.cancel = cancel or threading.Event()
        self._memo: dict[str, tuple[bool, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._cleanups: list[Callable[[], None]] = []

    def add_cleanup(self, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` when the run ends (closing a shared API client, for example)."""
        with self._guard:
            self._cleanups.append(cleanup)

    def close(self) -> None:
        with self._guard:
            cleanups, self._cleanups = self._cleanups, []
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception:  # noqa: BLE001 - clean-up is best effort
                pass

    @property
    def root(self) -> Path:
        return self.options.root

    @property
    def live_host(self) -> bool:
        """True when checking this machine itself: commands may be run and devices opened."""
        return self.options.root.resolve() == Path("/")

    def path(self, absolute: str) -> Path:
        """A host path such as /proc/cpuinfo, under the configured root."""
        return self.options.root / absolute.lstrip("/")

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """compute() once per run; later callers get the value or the same exception again."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                try:
                    self._memo[key] = (True, compute())
                except BaseException as exc:  # noqa: BLE001 - re-raised to every caller
                    self._memo[key] = (False, exc)
            ok, value = self._memo[key]
        if ok:
            return value
        raise value


def _results_of(check: Check, outcome: Finding | Sequence[Finding]) -> tuple[CheckResult, ...]:
    findings = [outcome] if isinstance(outcome, Finding) else list(outcome)
    if not findings:
        findings = [skipped("the check reported nothing")]
    return tuple(
        CheckResult(id=f"{check.id}.{f.key}" if f.key else check.id, title=f.title or check.title,
                    status=f.status, observed=f.observed, meaning=f.meaning, remedy=f.remedy, group=check.group)
        for f in findings)


def _single(check: Check, status: Status, observed: str, meaning: str = "", remedy: str = "") -> tuple[CheckResult, ...]:
    return (CheckResult(check.id, check.title, status, observed, meaning, remedy, check.group),)


def _execute(check: Check, ctx: CheckContext) -> tuple[CheckResult, ...]:
    try:
        return _results_of(check, check.run(ctx))
    except SkipCheck as exc:
        return _single(check, Status.SKIP, exc.reason, "not checked", exc.remedy)
    except Exception as exc:  # noqa: BLE001 - a broken check must not break the report
        return _single(check, Status.SKIP, f"the check could not run: {type(exc).__name__}: {exc}",
                       "kataio could not evaluate this prerequisite", "report this as a kataio bug if it persists")


@dataclass
class _Running:
    check: Check
    deadline: float
    thread: threading.Thread


def run_checks(checks: Sequence[Check], options: CheckOptions | None = None,
               on_update: Callable[[CheckUpdate], None] | None = None,
               cancel: threading.Event | None = None, max_workers: int = 6,
               cancel_grace_s: float = 15.0) -> list[CheckResult]:
    """Run ``checks`` (e.g. a list from :func:`kataio_tui.checks.registry.plan_checks`) and return
    their results in the checks' order. ``on_update`` is called from the calling thread. Setting
    ``cancel`` stops starting new checks; running ones are told through ``ctx.cancel`` and given
    ``cancel_grace_s`` to clean up (the canary deletes its pods) before they are reported as SKIP
    "cancelled"."""
    options = options or CheckOptions()
    ctx = CheckContext(options, cancel)
    notify = on_update or (lambda update: None)
    done: dict[str, tuple[CheckResult, ...]] = {}
    finished: queue.Queue[tuple[str, tuple[CheckResult, ...]]] = queue.Queue()
    pending = list(checks)
    running: dict[str, _Running] = {}
    for check in checks:
        notify(CheckUpdate(check, "pending"))

    def finish(check: Check, results: tuple[CheckResult, ...]) -> None:
        done[check.id] = results
        notify(CheckUpdate(check, "done", results))

    def start(check: Check) -> None:
        def work() -> None:
            finished.put((check.id, _execute(check, ctx)))

        thread = threading.Thread(target=work, name=f"check-{check.id}", daemon=True)
        running[check.id] = _Running(check, time.monotonic() + check.timeout_for(options), thread)
        notify(CheckUpdate(check, "running"))
        thread.start()

    def collect(timeout: float) -> None:
        try:
            check_id, results = finished.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return
        entry = running.pop(check_id, None)
        if entry is not None:  # None: it had already been given up on (timeout)
            finish(entry.check, results)

    try:
        while pending or running:
            if ctx.cancel.is_set():
                break
            while pending and len(running) < max_workers:
                start(pending.pop(0))
            now = time.monotonic()
            for entry in [e for e in running.values() if e.deadline <= now]:
                del running[entry.check.id]
                limit = entry.check.timeout_for(options)
                finish(entry.check, _single(entry.check, Status.FAIL, f"no answer within {limit:g} s",
                                            "the check hung: whatever it waits for (a device, a command, "
                                            "the API server) does not respond",
                                            "run it again; if it hangs again, look at what the check reads"))
            if running:
                collect(min(0.2, min(e.deadline for e in running.values()) - time.monotonic()))
    except KeyboardInterrupt:
        ctx.cancel.set()
        raise
    finally:
        if ctx.cancel.is_set():
            _drain(running, collect, cancel_grace_s)
        ctx.close()
    if ctx.cancel.is_set():
        for check in [entry.check for entry in running.values()] + pending:
            finish(check, _single(check, Status.SKIP, "cancelled before it finished"))
    return [result for check in checks for result in done.get(check.id, ())]


def _drain(running: dict[str, _Running], collect: Callable[[float], None], grace_s: float) -> None:
    """Give running checks (they see ctx.cancel) time to finish their clean-up."""
    deadline = time.monotonic() + grace_s
    while running and time.monotonic() < deadline:
        collect(min(0.2, deadline - time.monotonic()))


def count_statuses(results: Sequence[CheckResult]) -> dict[str, int]:
    counts = {status.value.lower(): 0 for status in Status}
    for result in results:
        counts[result.status.value.lower()] += 1
    return counts


def exit_code(results: Sequence[CheckResult]) -> int:
    """0 when nothing FAILs, 1 when something FAILs, 2 when nothing could be checked at all."""
    if any(r.status is Status.FAIL for r in results):
        return 1
    if not results or all(r.status is Status.SKIP for r in results):
        return 2
    return 0


def report_document(results: Sequence[CheckResult], context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stable JSON document of a check run (docs/checks.md)."""
    code = exit_code(results)
    verdict = {0: "nothing failed", 1: "something failed", 2: "nothing could be checked"}[code]
    return {
        "schema": SCHEMA,
        "checks": [r.to_dict() for r in results],
        "summary": {**count_statuses(results), "total": len(results), "exit_code": code, "verdict": verdict},
        "context": context or {},
    }
