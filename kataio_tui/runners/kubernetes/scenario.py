"""One scenario on Kubernetes: N client pods created together, watched, gated, streamed, collected.

Timeline: create the job-file ConfigMap and the N pods (concurrently) -> the pod watch sees each pod
start; a log follower per pod reads its log stream as it is written -> each gate prints "ready"
after laying out its files; its follower opens the pod's attach stream -> once every client is ready,
the go line is written to every stream in one tight loop -> followers feed fio's status documents to
ClientStream (ClientProgress events) -> every pod terminates -> each client's final document is
taken from its log exactly as fio wrote it.

Every wait has a deadline (timeouts.start for pods to start, scenario_grace for the layout and on top
of ramp + runtime for the run); pods that do not start are diagnosed from their status and Events
with the check engine's table; a definitive cause (no runtime handler, image never pulled, ...) ends
the scenario at once. Cancel and every exit path delete the scenario's pods within seconds.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kataio_tui.kube.diagnosis import Diagnosis, diagnose, pod_messages
from kataio_tui.fio.reader import FioOutputError, read_fio_output
from kataio_tui.fio.summary import client_summaries
from kataio_tui.model.plan import Plan
from kataio_tui.model.results import ScenarioKey
from kataio_tui.runners import fio_errors
from kataio_tui.runners.driver import ScenarioOutcome
from kataio_tui.runners.events import ClientResult, Emit, ScenarioPhase
from kataio_tui.runners.fio_stream import ClientStream, start_skew_s
from kataio_tui.runners.kubernetes import attach, gate, manifests
from kataio_tui.runners.kubernetes.cleanup import delete_scenario
from kataio_tui.runners.kubernetes.session import REQUEST_TIMEOUT, Cluster, KubernetesRunError, api_failure
from kataio_tui.runners.kubernetes.watching import Watcher

# A pod waiting for one of these will not get better by waiting.
FATAL_WAITING = {"ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError",
                 "RunContainerError"}
# Diagnoses (kube/diagnosis.py keys) that retrying cannot fix: fail at once instead of at the timeout.
DEFINITIVE = {"no-runtime-handler", "runtimeclass-not-found", "shim-not-installed", "image-never-pull",
              "vhost-vsock", "no-kvm", "kvm-busy"}
LOST_AFTER_S = 30.0  # the API server unreachable for this long ends the scenario
TICK_S = 0.2
FOLLOWER_GRACE_S = 5.0
LOG_READ_TIMEOUT_S = 60.0  # a quiet log (a long layout) reconnects; bytes already read are skipped


@dataclass(eq=False)
class Client:
    index: int
    name: str
    stream: ClientStream
    pod: Any = None
    events: list[Any] = field(default_factory=list)
    deleted: bool = False
    running_at: float | None = None  # monotonic time the container was first seen started
    ready: bool = False
    went: bool = False
    jobs_ready: int = 0  # fio jobs waiting at the job gate
    prelude: bytearray = field(default_factory=bytearray)
    attach: Any = None
    attach_error: str | None = None
    go_at: float | None = None
    follower: threading.Thread | None = None
    log_response: Any = None
    log_complete: bool = False
    log_error: str | None = None

    @property
    def terminated(self) -> Any:
        return _container_state(self.pod, "terminated")

    @property
    def finished(self) -> bool:
        return self.deleted or self.terminated is not None or (
            self.pod is not None and self.pod.status.phase in ("Succeeded", "Failed"))


def _container_state(pod: Any, kind: str) -> Any:
    if pod is None or pod.status is None:
        return None
    for status in pod.status.container_statuses or []:
        if status.name == manifests.CONTAINER and status.state is not None:
            return getattr(status.state, kind)
    return None


class StartFailure(Exception):
    def __init__(self, message: str, diagnosis: Diagnosis | None = None) -> None:
        super().__init__(message)
        self.diagnosis = diagnosis


@dataclass
class Timings:
    """Seconds from the first create request (for the benchmark and the docs)."""

    created: float | None = None  # every create request answered
    running: float | None = None  # every container started
    ready: float | None = None  # every client laid out and waiting at the gate
    go_spread: float | None = None  # between the first and the last go line written
    released: float | None = None  # every client's jobs released (the measured start)
    release_spread: float | None = None  # between the first and the last client's job lines


def create_pods(core: Any, namespace: str, specs: list[dict[str, Any]], workers: int = 32) -> list[BaseException]:
    """Create pods concurrently; the errors of those that failed. Responses are not decoded into models
    (with 64 pods that decoding, under the GIL, costs more than the requests)."""

    def create(spec: dict[str, Any]) -> BaseException | None:
        try:
            response = core.create_namespaced_pod(namespace, spec, _request_timeout=REQUEST_TIMEOUT,
                                                  _preload_content=False)
            response.drain_conn()
            response.release_conn()
        except Exception as exc:  # noqa: BLE001 - the caller reports it
            return exc
        return None

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(specs)))) as pool:
        return [e for e in pool.map(create, specs) if e is not None]


class ScenarioRun:
    def __init__(self, cluster: Cluster, plan: Plan, key: ScenarioKey, index: int, names: manifests.RunNames,
                 owner: dict[str, Any], jobfile: str, runtime_class: str | None, baseline: bool, emit: Emit,
                 cancel: threading.Event) -> None:
        assert plan.kubernetes is not None
        self.cluster = cluster
        self.core = cluster.core()
        self.plan = plan
        self.target = plan.kubernetes
        self.ns = plan.kubernetes.namespace
        self.key = key
        self.index = index
        self.names = names
        self.owner = owner
        self.jobfile = jobfile
        self.runtime_class = runtime_class
        self.baseline = baseline
        self.emit = emit
        self.cancel = cancel
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.timings = Timings()
        expected = plan.scenario_seconds()
        self.clients = [Client(i, names.pod(index, i),
                               ClientStream(key, i, expected, emit, source=f"{key.label()} client {i}"))
                        for i in range(key.clients)]
        self.by_name = {c.name: c for c in self.clients}
        self.watchers: list[Watcher] = []
        self.released = False  # the job gate was opened

    # ---- public ------------------------------------------------------------------------------

    def run(self) -> ScenarioOutcome:
        try:
            try:
                self.emit(ScenarioPhase(self.key, "start"))
                self._create()
                self._await_gate()
            except StartFailure as exc:
                return self._start_failed(exc)
            if self.cancel.is_set():
                return ScenarioOutcome("interrupted")
            self._go()
            self._release_jobs()
            hung = self._await_end()
            if hung is None:
                return ScenarioOutcome("interrupted")
            if hung:
                self.emit(ScenarioPhase(self.key, "stop"))
            return self._collect(hung)
        except KubernetesRunError as exc:
            return ScenarioOutcome("interrupted" if self.cancel.is_set() else "failed", failure=exc.reason,
                                   diagnosis=exc.diagnosis, remedy=exc.remedy)
        finally:
            self.teardown()

    def teardown(self) -> None:
        """Stop watching and streaming, and delete the scenario's pods and job file (no waiting)."""
        self.stopping.set()
        for watcher in self.watchers:
            watcher.stop()
        for client in self.clients:
            if client.attach is not None:
                attach.close_quietly(client.attach)
            if client.log_response is not None and not client.log_complete:
                try:
                    client.log_response.close()
                except Exception:  # noqa: BLE001
                    pass
        delete_scenario(self.cluster, self.ns, self.names.run_id, self.names.scenario(self.index))

    # ---- creating ----------------------------------------------------------------------------

    def _create(self) -> None:
        core = self.core
        try:
            core.create_namespaced_config_map(
                self.ns, manifests.jobfile_configmap(self.names, self.ns, self.index, self.key, self.jobfile,
                                                     self.owner), _request_timeout=REQUEST_TIMEOUT)
        except Exception as exc:  # noqa: BLE001
            raise api_failure(exc, "creating the job-file ConfigMap", self.cluster.server) from None
        selector = manifests.selector(self.names.run_id, self.names.scenario(self.index))
        pods = Watcher(core.list_namespaced_pod, self.ns, self._on_pod, label_selector=selector,
                       name=f"watch-pods-{self.index}")
        events = Watcher(core.list_namespaced_event, self.ns, self._on_event, field_selector="involvedObject.kind=Pod",
                         name=f"watch-events-{self.index}")
        self.watchers = [pods.start(), events.start()]
        if not pods.listed.wait(REQUEST_TIMEOUT):
            raise api_failure(pods.last_error or TimeoutError("no answer"), "watching the scenario's pods",
                              self.cluster.server)
        specs = [manifests.client_pod(self.names, self.target, manifests.ClientSpec(
            self.index, self.key, c.index, self.runtime_class, self.baseline), self.owner,
            stop_grace_s=int(self.plan.timeouts.stop)) for c in self.clients]
        self.t0 = time.monotonic()

        errors = create_pods(core, self.ns, specs)
        self.timings.created = time.monotonic() - self.t0
        if errors:
            failure = api_failure(errors[0], f"creating {len(errors)} of {len(specs)} client pods",
                                  self.cluster.server)
            found = diagnose([failure.reason])
            raise StartFailure(failure.reason, found)

    # ---- watch callbacks (watcher threads) ---------------------------------------------------

    def _on_pod(self, kind: str, pod: Any) -> None:
        client = self.by_name.get(pod.metadata.name)
        if client is None:
            return
        with self.cond:
            client.pod = pod
            if kind == "DELETED":
                client.deleted = True
            started = _container_state(pod, "running") is not None or client.terminated is not None
            if started and client.running_at is None:
                client.running_at = time.monotonic()
            if started and client.follower is None and not self.stopping.is_set():
                client.follower = threading.Thread(target=self._follow, args=(client,), daemon=True,
                                                   name=f"log-{client.name}")
                client.follower.start()
            self.cond.notify_all()

    def _on_event(self, kind: str, event: Any) -> None:
        involved = event.involved_object
        client = self.by_name.get(involved.name) if involved is not None else None
        if client is None or kind == "DELETED":
            return
        with self.cond:
            client.events = [e for e in client.events if e.metadata.uid != event.metadata.uid] + [event]
            self.cond.notify_all()

    # ---- log following (one thread per client) ----------------------------------------------

    def _follow(self, client: Client) -> None:
        consumed = 0
        while not self.stopping.is_set():
            try:
                response = self.core.read_namespaced_pod_log(
                    client.name, self.ns, container=manifests.CONTAINER, follow=True, _preload_content=False,
                    _request_timeout=(REQUEST_TIMEOUT, LOG_READ_TIMEOUT_S))
                client.log_response = response
                seen = 0
                for chunk in response.stream(None):
                    if seen + len(chunk) > consumed:  # after a reconnect, skip what was already taken
                        fresh = chunk[max(0, consumed - seen):]
                        consumed += len(fresh)
                        self._on_log(client, fresh)
                    seen += len(chunk)
                response.release_conn()
            except Exception as exc:  # noqa: BLE001 - reconnect below
                if self.stopping.is_set():
                    return
                client.log_error = f"{type(exc).__name__}: {exc}"
                time.sleep(0.5)
                continue
            with self.cond:  # the log ended: the container exited, or the connection dropped
                self.cond.wait_for(lambda: client.finished or self.stopping.is_set(), timeout=3.0)
                if client.finished:
                    client.log_complete = True
                    self.cond.notify_all()
                    return

    def _on_log(self, client: Client, chunk: bytes) -> None:
        if client.went:
            self._feed(client, chunk)
            return
        client.prelude += chunk
        lines = bytes(client.prelude).split(b"\n")[:-1]
        if not client.ready and gate.READY.encode() in lines:
            try:
                stream = attach.open_stdin(self.cluster.api.configuration, self.ns, client.name)
            except Exception as exc:  # noqa: BLE001 - the main loop reports it
                client.attach_error = f"{type(exc).__name__}: {exc}"
                stream = None
            with self.cond:
                client.attach = stream
                client.ready = True
                self.cond.notify_all()
        before, after = gate.split_log(bytes(client.prelude))
        if after is not None:
            client.prelude = bytearray(before)
            with self.cond:
                client.went = True
                self.cond.notify_all()
            if after:
                self._feed(client, after)

    def _feed(self, client: Client, chunk: bytes) -> None:
        client.stream.feed(chunk)
        if not self.released:
            ready = gate.jobs_ready(bytes(client.stream.raw))  # small until released: markers and fio's notes
            if ready != client.jobs_ready:
                with self.cond:
                    client.jobs_ready = ready
                    self.cond.notify_all()

    # ---- waiting -----------------------------------------------------------------------------

    def _lost(self) -> str | None:
        for watcher in self.watchers[:1]:  # the pod watch is the one that matters
            if watcher.lost_since is not None and time.monotonic() - watcher.lost_since > LOST_AFTER_S:
                return f"lost the connection to the API server for over {LOST_AFTER_S:.0f} s: {watcher.last_error}"
        return None

    def _await_gate(self) -> None:
        start_timeout = self.plan.timeouts.start
        layout_timeout = self.plan.timeouts.scenario_grace
        with self.cond:
            while True:
                if self.cancel.is_set():
                    return
                now = time.monotonic()
                lost = self._lost()
                if lost:
                    raise KubernetesRunError(lost, "the cluster stopped answering",
                                             "check the API server and the network; re-run with --resume")
                for client in self.clients:
                    self._check_start(client)
                not_started = [c for c in self.clients if c.running_at is None]
                if not_started and now - self.t0 > start_timeout:
                    raise self._not_started(not_started, start_timeout)
                if not not_started and self.timings.running is None:
                    self.timings.running = max(c.running_at for c in self.clients) - self.t0  # type: ignore[type-var]
                    self.emit(ScenarioPhase(self.key, "layout"))  # every pod runs: each lays out its files
                slow = [c for c in self.clients if c.running_at is not None and not c.ready
                        and now - c.running_at > layout_timeout]
                if slow:
                    raise StartFailure(f"client {slow[0].index} did not finish laying out its files within "
                                       f"timeouts.scenario_grace = {layout_timeout:g} s")
                if all(c.ready for c in self.clients):
                    broken = [c for c in self.clients if c.attach is None]
                    if broken:
                        raise StartFailure(f"cannot attach to client {broken[0].index} to start it: "
                                           f"{broken[0].attach_error}")
                    self.timings.ready = time.monotonic() - self.t0
                    return
                self.cond.wait(TICK_S)

    def _check_start(self, client: Client) -> None:
        """Raise StartFailure when a client can no longer start (called with the lock held)."""
        pod = client.pod
        if client.deleted:
            raise StartFailure(f"pod {client.name} was deleted before it started (evicted, or removed by someone "
                               "else)", diagnose(pod_messages(pod, client.events)))
        if pod is None:
            return
        if client.finished and not client.went:
            prelude = bytes(client.prelude) if client.log_complete else self._read_log(client)[0]
            reason = gate.gate_failure(prelude) or self._exit_text(client, prelude)
            found = fio_errors.diagnose(reason)
            diag = diagnose(pod_messages(pod, client.events))
            raise StartFailure(f"client {client.index} stopped before its start: {reason}",
                               diag or (Diagnosis("fio", found.diagnosis, found.remedy or "", reason)
                                        if found.diagnosis else None))
        waiting = _container_state(pod, "waiting")
        if waiting is not None and waiting.reason in FATAL_WAITING:
            found = diagnose(pod_messages(pod, client.events))
            raise StartFailure(f"pod {client.name}: {waiting.reason}: {waiting.message or ''}".rstrip(": "), found)
        found = diagnose(pod_messages(None, client.events))
        if found is not None and found.key in DEFINITIVE:
            raise StartFailure(f"pod {client.name}: {found.evidence}", found)

    def _not_started(self, clients: list[Client], timeout: float) -> StartFailure:
        first = clients[0]
        try:  # the watch may lag behind; read the first pod's events once more
            first.events = self.core.list_namespaced_event(
                self.ns, field_selector=f"involvedObject.name={first.name}", _request_timeout=REQUEST_TIMEOUT).items
        except Exception:  # noqa: BLE001 - keep what the watch saw
            pass
        messages = pod_messages(first.pod, first.events)
        found = diagnose(messages)
        phase = first.pod.status.phase if first.pod is not None and first.pod.status else "not created"
        detail = found.evidence if found else ("; ".join(messages[-3:]) or "no events")
        return StartFailure(f"{len(clients)} of {len(self.clients)} client pods did not start within "
                            f"timeouts.start = {timeout:g} s (pod {first.name} is {phase}: {detail})", found)

    def _go(self) -> None:
        for client in self.clients:  # one tight loop: the spread is the clients' start skew's floor
            try:
                attach.send_line(client.attach, gate.GO_LINE)
            except Exception as exc:  # noqa: BLE001
                client.attach_error = f"{type(exc).__name__}: {exc}"
            client.go_at = time.monotonic()
        sent = [c.go_at for c in self.clients if c.go_at is not None]
        self.timings.go_spread = max(sent) - min(sent) if sent else None

    def _release_jobs(self) -> None:
        """Second stage of the gate: once every fio job of every client waits in its prerun (started, forked,
        set up), give each job its line, in one loop. Clients that are late by the deadline start late (the
        recorded skew shows it); clients that failed are collected as failures."""
        numjobs = self.key.numjobs or max(self.plan.fio.numjobs)
        deadline = time.monotonic() + self.plan.timeouts.scenario_grace
        with self.cond:
            while not self.cancel.is_set() and time.monotonic() < deadline:
                if all(c.jobs_ready >= numjobs or c.finished for c in self.clients):
                    break
                self.cond.wait(TICK_S)
        if self.cancel.is_set():
            return
        lines = gate.job_lines(numjobs)
        released = []
        for client in self.clients:
            try:
                attach.send_line(client.attach, lines)
            except Exception as exc:  # noqa: BLE001 - the client then fails (its jobs never start)
                client.attach_error = f"{type(exc).__name__}: {exc}"
            released.append(time.monotonic())
        with self.cond:
            self.released = True
        self.timings.release_spread = max(released) - min(released)
        self.timings.released = released[-1] - self.t0

    def _await_end(self) -> bool | None:
        """True when the run timed out, False when every client finished, None when cancelled."""
        released = time.monotonic()
        deadline = released + self.plan.scenario_seconds() + self.plan.timeouts.scenario_grace
        all_finished_at: float | None = None
        fio = self.plan.fio
        measuring = fio.ramp_time <= 0
        self.emit(ScenarioPhase(self.key, "measure", fio.runtime) if measuring
                  else ScenarioPhase(self.key, "ramp", fio.ramp_time))
        with self.cond:
            while True:
                if self.cancel.is_set():
                    return None
                if not measuring and time.monotonic() - released >= fio.ramp_time:
                    measuring = True
                    self.emit(ScenarioPhase(self.key, "measure", fio.runtime))
                if all(c.finished for c in self.clients):
                    if all_finished_at is None:
                        self.emit(ScenarioPhase(self.key, "stop"))
                    all_finished_at = all_finished_at or time.monotonic()
                    # give the log streams a moment to deliver their last bytes; _collect re-reads otherwise
                    if all(c.log_complete or c.follower is None for c in self.clients) or \
                            time.monotonic() - all_finished_at > FOLLOWER_GRACE_S:
                        return False
                if time.monotonic() > deadline:
                    return True
                lost = self._lost()
                if lost:
                    raise KubernetesRunError(lost, "the cluster stopped answering",
                                             "check the API server and the network; re-run with --resume")
                self.cond.wait(TICK_S)

    # ---- results -----------------------------------------------------------------------------

    def _read_log(self, client: Client) -> tuple[bytes, bytes | None]:
        """The client's full log from the API (prelude, fio's output)."""
        try:
            response = self.core.read_namespaced_pod_log(client.name, self.ns, container=manifests.CONTAINER,
                                                         _preload_content=False, _request_timeout=REQUEST_TIMEOUT)
            return gate.split_log(response.data)
        except Exception as exc:  # noqa: BLE001
            return f"(log unavailable: {exc})".encode(), None

    def _exit_text(self, client: Client, text: bytes) -> str:
        terminated = client.terminated
        code = f"exit code {terminated.exit_code}" if terminated is not None else "no exit code"
        if client.deleted and terminated is None:
            code = "pod deleted (evicted, or removed by someone else)"
        reason = f" ({terminated.reason})" if terminated is not None and terminated.reason not in (None, "Completed",
                                                                                                  "Error") else ""
        words = fio_errors.fio_message(_non_json(text)) if text else "no output"
        return f"{code}{reason}: {words}"

    def _collect(self, hung: bool) -> ScenarioOutcome:
        files: list[tuple[str, bytes]] = []
        good: list[ClientStream] = []
        problems: list[tuple[int, fio_errors.FioFailure]] = []
        for client in self.clients:
            stream = client.stream
            if not client.log_complete:  # the live stream may have missed bytes: take the log as stored
                _, output = self._read_log(client)
                stream = ClientStream(self.key, client.index, None, lambda _e: None,
                                      source=f"{self.key.label()} client {client.index}")
                if output:
                    stream.feed(output)
            data = stream.result_bytes()
            run, errors = None, []
            if data is not None:
                try:
                    run = read_fio_output(data, f"client-{client.index}.json")
                    errors = [j.error for j in run.jobs]
                except FioOutputError:
                    run = None
            terminated = client.terminated
            exit_ok = terminated is not None and terminated.exit_code == 0
            if run is not None and not any(errors) and exit_ok and not hung:
                files.append((f"client-{client.index}.json", data))
                good.append(stream)
                summaries = client_summaries(run, f"client-{client.index}")
                self.emit(ClientResult(self.key, client.index, True, sum(s.bw_bytes for s in summaries),
                                       iops=sum(s.iops for s in summaries)))
                continue
            failure = fio_errors.diagnose(_non_json(bytes(stream.raw)), errors)
            if hung and not client.finished:
                failure = fio_errors.FioFailure(
                    f"did not finish within ramp + runtime + timeouts.scenario_grace "
                    f"({self.plan.scenario_seconds() + self.plan.timeouts.scenario_grace:g} s)",
                    "the client hung", "look at the node's load and the storage")
            elif not exit_ok:
                message = self._exit_text(client, bytes(stream.raw))
                failure = fio_errors.FioFailure(message, failure.diagnosis, failure.remedy)
            problems.append((client.index, failure))
            self.emit(ClientResult(self.key, client.index, False, message=failure.message))
        skew = start_skew_s(good)
        if not problems:
            return ScenarioOutcome("ok", files, skew)
        index, first = problems[0]
        which = f"client {index}" if len(self.clients) > 1 else "fio"
        more = f" ({len(problems)} of {len(self.clients)} clients failed)" if len(problems) > 1 else ""
        return ScenarioOutcome("partial" if files else "failed", files, skew, failure=f"{which}: {first.message}{more}",
                               diagnosis=first.diagnosis, remedy=first.remedy)

    def _start_failed(self, exc: StartFailure) -> ScenarioOutcome:
        if self.cancel.is_set():
            return ScenarioOutcome("interrupted")
        found = exc.diagnosis
        for client in self.clients:
            self.emit(ClientResult(self.key, client.index, False, message=str(exc)))
        return ScenarioOutcome("failed", failure=str(exc), diagnosis=found.cause if found else None,
                               remedy=found.remedy if found else None)


def _non_json(data: bytes) -> str:
    """fio's words outside its JSON documents (its stderr is interleaved in a pod's log)."""
    text = data.decode("utf-8", errors="replace")
    out, depth = [], 0
    for line in text.splitlines():
        if line == "{":
            depth += 1
        elif line == "}" and depth:
            depth -= 1
            continue
        if depth == 0 and line.strip():
            out.append(line)
    return "\n".join(out)
