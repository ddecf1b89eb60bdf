"""The canary: one tiny pod per RuntimeClass, watched (not polled) to Running/Succeeded or failure
within a timeout; failures are explained from the pod's Events (diagnosis.py). The pod is always
deleted, whatever happens (finally)."""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
from dataclasses import replace
from typing import Any

from kataio_tui.checks.cluster import api_status, list_runtime_classes, session_or_skip
from kataio_tui.kube.diagnosis import Diagnosis, diagnose, diagnose_pod, pod_messages
from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, Status, failed, passed, skipped
from kataio_tui.kube.connect import ClusterSession
from kataio_tui.checks.options import CheckOptions

CANARY_LABEL = "app.kubernetes.io/name"
CANARY_VALUE = "kataio-canary"
RUNTIME_CLASS_LABEL = "kataio.io/runtime-class"
WATCH_CHUNK_S = 5  # server-side watch timeout; the watch is renewed from the last resourceVersion


def canary_timeout(options: CheckOptions) -> float:
    """The check's engine timeout: the canary's own, plus creating, watching and deleting."""
    return options.canary_timeout_s + 45


def canary_pod_name(runtime_class: str) -> str:
    return f"kataio-canary-{runtime_class}"[:52].rstrip("-") + "-" + secrets.token_hex(3)


def canary_manifest(name: str, runtime_class: str, image: str, pull_policy: str, deadline_s: float) -> dict:
    """A pod that runs the image's own command; requests are tiny, there are no limits (Kata sizes
    its VM from limits) and activeDeadlineSeconds ends it even if kataio is killed."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {CANARY_LABEL: CANARY_VALUE,
                                              RUNTIME_CLASS_LABEL: runtime_class[:63].rstrip("-."),
                                              "app.kubernetes.io/managed-by": "kataio"}},
        "spec": {
            "runtimeClassName": runtime_class,
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "activeDeadlineSeconds": int(deadline_s) + 60,
            "containers": [{"name": "canary", "image": image, "imagePullPolicy": pull_policy,
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}],
        },
    }


class _Watcher(threading.Thread):
    """Streams watch events of one pod (or its Events) into a queue until stopped."""

    def __init__(self, tag: str, list_fn: Any, namespace: str, field_selector: str, out: queue.Queue,
                 request_timeout: float) -> None:
        super().__init__(name=f"canary-watch-{tag}", daemon=True)
        self.tag, self.list_fn, self.namespace, self.selector = tag, list_fn, namespace, field_selector
        self.out, self.request_timeout = out, request_timeout
        self.stopped = threading.Event()
        self.current: Any = None

    def run(self) -> None:
        from kubernetes import watch

        version: str | None = None
        while not self.stopped.is_set():
            self.current = watch.Watch()
            kwargs: dict[str, Any] = {"field_selector": self.selector, "timeout_seconds": WATCH_CHUNK_S,
                                      "_request_timeout": (self.request_timeout, WATCH_CHUNK_S + self.request_timeout)}
            if version:
                kwargs["resource_version"] = version
            try:
                for event in self.current.stream(self.list_fn, self.namespace, **kwargs):
                    version = event["object"].metadata.resource_version or version
                    self.out.put((self.tag, event))
                    if self.stopped.is_set():
                        break
            except Exception as exc:  # noqa: BLE001
                if self.stopped.is_set():
                    return
                if api_status(exc) == 410:  # the resourceVersion expired: start afresh
                    version = None
                    continue
                self.out.put((self.tag, exc))
                return

    def stop(self) -> None:
        self.stopped.set()
        if self.current is not None:
            self.current.stop()


def _api_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    try:
        return json.loads(body)["message"]
    except (TypeError, ValueError, KeyError):
        return f"{getattr(exc, 'status', '')} {getattr(exc, 'reason', '') or exc}".strip()


def _pod_state(pod: Any) -> str:
    if pod is None:
        return "not seen yet"
    phase = pod.status.phase or "Pending"
    for cs in pod.status.container_statuses or []:
        if cs.state and cs.state.waiting and cs.state.waiting.reason:
            return f"{phase} ({cs.state.waiting.reason})"
    return phase


def _failure(what: str, diagnosis: Diagnosis | None, messages: list[str]) -> Finding:
    if diagnosis is not None:
        return failed(f"{what}; {diagnosis.evidence}", diagnosis.cause, diagnosis.remedy)
    recent = "; ".join(messages[-3:]) or "no Events explain it"
    return failed(f"{what}; {recent}", "the pod did not start and the Events match no known cause",
                  "kubectl describe pod on a pod of this RuntimeClass and read the node's container runtime log")


def watch_canary(session: ClusterSession, namespace: str, name: str, runtime_class: str, timeout_s: float,
                 cancel: threading.Event) -> Finding:
    from kubernetes import client

    core = client.CoreV1Api(session.api_client)
    started = time.monotonic()
    out: queue.Queue = queue.Queue()
    watchers = [
        _Watcher("pod", core.list_namespaced_pod, namespace, f"metadata.name={name}", out, session.request_timeout),
        _Watcher("event", core.list_namespaced_event, namespace, f"involvedObject.name={name}", out,
                 session.request_timeout),
    ]
    for watcher in watchers:
        watcher.start()
    pod: Any = None
    events: list[Any] = []
    try:
        while True:
            if cancel.is_set():
                return skipped(f"pod {name}: cancelled while {_pod_state(pod)}")
            remaining = started + timeout_s - time.monotonic()
            if remaining <= 0:
                break
            try:
                tag, item = out.get(timeout=min(0.5, remaining))
            except queue.Empty:
                continue
            elapsed = time.monotonic() - started
            if isinstance(item, Exception):
                return failed(f"pod {name}: watching its {tag}s failed: {_api_message(item)}",
                              "kataio could not follow the canary", "grant watch on pods and list/watch on events")
            if tag == "event":
                events.append(item["object"])
                if item["object"].type == "Warning":
                    found = diagnose_pod(pod, events)
                    if found is not None:
                        return _failure(f"pod {name}: {_pod_state(pod)} after {elapsed:.1f} s", found,
                                        pod_messages(pod, events))
                continue
            if item["type"] == "DELETED":
                return failed(f"pod {name} was deleted by someone else after {elapsed:.1f} s",
                              "the canary could not finish", "run the check again")
            pod = item["object"]
            phase = pod.status.phase
            where = f" on node {pod.spec.node_name}" if pod.spec.node_name else ""
            if phase in ("Running", "Succeeded"):
                return passed(f"pod {name}{where}: {phase} after {elapsed:.1f} s",
                              f"pods with RuntimeClass {runtime_class} start on this cluster"
                              + (" (the Kata VM booted)" if runtime_class.startswith("kata") else ""))
            if phase == "Failed":
                return _failure(f"pod {name}{where}: Failed after {elapsed:.1f} s", diagnose_pod(pod, events),
                                pod_messages(pod, events))
            found = diagnose(pod_messages(pod))
            if found is not None:
                return _failure(f"pod {name}{where}: {_pod_state(pod)} after {elapsed:.1f} s", found,
                                pod_messages(pod, events))
        return _failure(f"pod {name}: still {_pod_state(pod)} after {timeout_s:g} s (the study's \"fails "
                        "silently\")", diagnose_pod(pod, events), pod_messages(pod, events))
    finally:
        for watcher in watchers:
            watcher.stop()


def delete_canary(session: ClusterSession, namespace: str, name: str) -> str:
    """Delete the pod at once (grace period 0); "" or what went wrong."""
    from kubernetes import client

    try:
        client.CoreV1Api(session.api_client).delete_namespaced_pod(
            name, namespace, grace_period_seconds=0, _request_timeout=session.request_timeout)
    except Exception as exc:  # noqa: BLE001
        if api_status(exc) == 404:
            return ""
        return _api_message(exc)
    return ""


def run_canary(session: ClusterSession, namespace: str, runtime_class: str, options: CheckOptions,
               cancel: threading.Event) -> Finding:
    from kubernetes import client

    title = f"Canary pod under {runtime_class}"
    name = canary_pod_name(runtime_class)
    manifest = canary_manifest(name, runtime_class, options.canary_image, options.image_pull_policy,
                               options.canary_timeout_s)
    try:
        client.CoreV1Api(session.api_client).create_namespaced_pod(namespace, manifest,
                                                                   _request_timeout=session.request_timeout)
    except Exception as exc:  # noqa: BLE001
        message = _api_message(exc)
        found = diagnose([message])
        if found is not None:
            return failed(f"creating pod {name}: {message}", found.cause, found.remedy, key=runtime_class, title=title)
        return failed(f"creating pod {name} in {namespace}: {message}", "the canary pod could not be created",
                      "check the namespace exists and the permissions (cluster.permissions)",
                      key=runtime_class, title=title)
    finding: Finding | None = None
    try:
        finding = watch_canary(session, namespace, name, runtime_class, options.canary_timeout_s, cancel)
    finally:
        problem = delete_canary(session, namespace, name)
    observed = f"{finding.observed}; image {options.canary_image}"
    if problem:
        observed += f"; the canary pod could NOT be deleted: {problem}"
        if finding.status is Status.PASS:
            finding = replace(finding, status=Status.WARN)
        finding = replace(finding, remedy=(finding.remedy + "; " if finding.remedy else "")
                          + f"delete it by hand: kubectl -n {namespace} delete pod {name}")
    return replace(finding, observed=observed, key=runtime_class, title=title)


def check_canaries(ctx: CheckContext) -> list[Finding]:
    session = session_or_skip(ctx)
    names = list(ctx.options.runtime_classes)
    if not names:
        try:
            names = list(list_runtime_classes(ctx))
        except Exception as exc:  # noqa: BLE001
            if api_status(exc) == 403:
                raise SkipCheck("cannot list RuntimeClasses (403) and none was named",
                                "name them with --runtime-class") from None
            raise
    if not names:
        raise SkipCheck("no RuntimeClass to try (none exists and none was named)")
    findings: dict[str, Finding] = {}

    def one(runtime_class: str) -> None:
        try:
            findings[runtime_class] = run_canary(session, session.namespace, runtime_class, ctx.options, ctx.cancel)
        except Exception as exc:  # noqa: BLE001 - one failing canary must not hide the others
            findings[runtime_class] = skipped(f"the canary could not run: {type(exc).__name__}: {exc}",
                                              key=runtime_class, title=f"Canary pod under {runtime_class}")

    threads = [threading.Thread(target=one, args=(n,), name=f"canary-{n}", daemon=True) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [findings[n] for n in names]
