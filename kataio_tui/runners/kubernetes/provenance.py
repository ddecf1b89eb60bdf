"""The cluster's provenance for a result set, and the short-lived helper pods that gather or tidy.

Recorded: the Kubernetes version, the eligible nodes with their container runtime, kernel and OS
(``node.status.nodeInfo``), each runtime's RuntimeClass (handler, overhead, scheduling), and what one
probe pod per runtime sees: its node and the file systems of its root, of the data mount and, under
Kata, of ``kataShared`` (virtio-fs or 9p). A runtime whose probe cannot start is recorded with the
diagnosis (the scenario itself then fails with the same cause). Cluster-scoped reads the user may not
do (nodes, RuntimeClasses) are recorded as not readable instead of failing the run.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kataio_tui import __version__
from kataio_tui.kube.diagnosis import diagnose, pod_messages
from kataio_tui.model.plan import Plan
from kataio_tui.model.results import Provenance
from kataio_tui.runners.kubernetes import gate, manifests, mounts
from kataio_tui.runners.kubernetes.cleanup import _delete
from kataio_tui.runners.kubernetes.session import REQUEST_TIMEOUT, Cluster, api_failure, is_status
from kataio_tui.runners.kubernetes.watching import Watcher

PROBE_TIMEOUT_S = 60.0
GVISOR_NOTE = ("gVisor (runsc) implements O_DIRECT and libaio inside its own kernel (the Sentry) and reaches "
               "the volume through its gofer (9p): its numbers are not like-for-like with bare and runC.")
BASELINE_NOTE = ("'bare' is the opt-in baseline: fio in a privileged pod in the node's PID, network and IPC "
                 "namespaces, without seccomp or a RuntimeClass, on the same volume: the node's kernel and storage "
                 "path without container isolation (fio comes from the pod's image).")


def _dict(obj: Any) -> Any:
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def node_facts(cluster: Cluster, selector: dict[str, str]) -> tuple[list[str], dict[str, Any]]:
    """(node names, {node: nodeInfo facts}) of the nodes the clients may run on."""
    label_selector = ",".join(f"{k}={v}" for k, v in selector.items()) or None
    try:
        nodes = cluster.core().list_node(label_selector=label_selector, _request_timeout=REQUEST_TIMEOUT).items
    except Exception as exc:  # noqa: BLE001
        if is_status(exc, 403):
            return [], {"error": "the user may not list nodes"}
        return [], {"error": str(api_failure(exc, "listing nodes", cluster.server))}
    facts: dict[str, Any] = {}
    for node in nodes:
        info = node.status.node_info
        facts[node.metadata.name] = {k: v for k, v in {
            "container_runtime": info.container_runtime_version, "kubelet": info.kubelet_version,
            "kernel": info.kernel_version, "os": info.os_image, "architecture": info.architecture,
            "cpu": (node.status.allocatable or {}).get("cpu"), "memory": (node.status.allocatable or {}).get("memory"),
            "kata_label": (node.metadata.labels or {}).get("katacontainers.io/kata-runtime"),
        }.items() if v is not None}
    return sorted(facts), facts


def runtime_class_facts(cluster: Cluster, name: str | None) -> dict[str, Any]:
    if name is None:
        return {"runtime_class": "(cluster default)"}
    try:
        rc = cluster.node_api().read_runtime_class(name, _request_timeout=REQUEST_TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        if is_status(exc, 404):
            return {"runtime_class": name, "error": f'RuntimeClass "{name}" not found'}
        if is_status(exc, 403):
            return {"runtime_class": name, "error": "the user may not read RuntimeClasses"}
        return {"runtime_class": name, "error": str(api_failure(exc, f"reading RuntimeClass {name}", cluster.server))}
    facts: dict[str, Any] = {"runtime_class": name, "handler": rc.handler}
    if rc.overhead is not None and rc.overhead.pod_fixed:
        facts["overhead"] = dict(rc.overhead.pod_fixed)
    if rc.scheduling is not None and rc.scheduling.node_selector:
        facts["node_selector"] = dict(rc.scheduling.node_selector)
    return facts


def run_helper_pods(cluster: Cluster, namespace: str, pods: list[dict[str, Any]], timeout: float,
                    label_selector: str) -> dict[str, dict[str, Any]]:
    """Create pods that run to completion and return {pod name: {node, log, phase | failure}}; every pod is
    deleted afterwards. A pod that cannot start is reported (with a diagnosis) after ``timeout`` or at once
    when its Events name a definitive cause."""
    from kataio_tui.runners.kubernetes.scenario import DEFINITIVE, FATAL_WAITING, _container_state

    core = cluster.core()
    state: dict[str, dict[str, Any]] = {p["metadata"]["name"]: {"events": []} for p in pods}
    cond = threading.Condition()

    def on_pod(kind: str, pod: Any) -> None:
        with cond:
            if pod.metadata.name in state:
                state[pod.metadata.name]["pod"] = pod
                state[pod.metadata.name]["deleted"] = kind == "DELETED"
                cond.notify_all()

    def on_event(kind: str, event: Any) -> None:
        with cond:
            name = event.involved_object.name if event.involved_object else None
            if name in state:
                state[name]["events"].append(event)
                cond.notify_all()

    watchers = [Watcher(core.list_namespaced_pod, namespace, on_pod, label_selector=label_selector).start(),
                Watcher(core.list_namespaced_event, namespace, on_event,
                        field_selector="involvedObject.kind=Pod").start()]
    results: dict[str, dict[str, Any]] = {}
    try:
        watchers[0].listed.wait(REQUEST_TIMEOUT)

        def create(pod: dict[str, Any]) -> None:
            try:
                core.create_namespaced_pod(namespace, pod, _request_timeout=REQUEST_TIMEOUT)
            except Exception as exc:  # noqa: BLE001
                failure = api_failure(exc, "creating a helper pod", cluster.server)
                results[pod["metadata"]["name"]] = {"failure": failure.reason, "diagnosis": failure.diagnosis}

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(create, pods))
        deadline = time.monotonic() + timeout
        with cond:
            while True:
                for name, item in state.items():
                    if name in results:
                        continue
                    pod = item.get("pod")
                    messages = pod_messages(pod, item["events"])
                    found = diagnose(messages)
                    waiting = _container_state(pod, "waiting")
                    if pod is not None and pod.status.phase in ("Succeeded", "Failed"):
                        results[name] = {"phase": pod.status.phase, "node": pod.spec.node_name}
                    elif item.get("deleted"):
                        results[name] = {"failure": "deleted before it finished"}
                    elif (found is not None and found.key in DEFINITIVE) or (
                            waiting is not None and waiting.reason in FATAL_WAITING) or time.monotonic() > deadline:
                        detail = found.evidence if found else ("; ".join(messages[-2:]) or "did not start in time")
                        results[name] = {"failure": detail, "diagnosis": str(found) if found else None}
                if len(results) == len(state):
                    break
                cond.wait(0.2)
        for name, result in results.items():
            if "phase" in result:
                try:
                    result["log"] = core.read_namespaced_pod_log(name, namespace, container=manifests.CONTAINER,
                                                                 _request_timeout=REQUEST_TIMEOUT)
                except Exception as exc:  # noqa: BLE001
                    result["log"] = ""
                    result["failure"] = str(api_failure(exc, f"reading the log of {name}", cluster.server))
    finally:
        for watcher in watchers:
            watcher.stop()
        _delete(cluster, namespace, label_selector, ("pods",))
    return results


def probe_runtimes(cluster: Cluster, plan: Plan, classes: dict[str, str | None], names: manifests.RunNames,
                   owner: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One probe pod per runtime, all at once: node and file systems as the clients will see them."""
    assert plan.kubernetes is not None
    target = plan.kubernetes
    pods = {rt: manifests.probe_pod(names, target, rt, i, rc, rt == "bare", owner)
            for i, (rt, rc) in enumerate(classes.items())}
    timeout = min(plan.timeouts.start, PROBE_TIMEOUT_S)
    selector = f"{manifests.selector(names.run_id)},{manifests.ROLE_LABEL}=probe"
    results = run_helper_pods(cluster, target.namespace, list(pods.values()), timeout, selector)
    facts: dict[str, dict[str, Any]] = {}
    for runtime, pod in pods.items():
        result = results.get(pod["metadata"]["name"], {})
        if "failure" in result:
            facts[runtime] = {"probe": f"did not run: {result['failure']}"}
            if result.get("diagnosis"):
                facts[runtime]["diagnosis"] = result["diagnosis"]
            continue
        log = result.get("log", "").encode()
        entries = mounts.parse_mount_table("\n".join(gate.mount_lines(log)))
        facts[runtime] = {"node": result.get("node"), "fio_version": gate.probe_fio_version(log),
                          **mounts.describe(entries, target.mount_path)}
        facts[runtime] = {k: v for k, v in facts[runtime].items() if v is not None}
    return facts


def cluster_provenance(cluster: Cluster, plan: Plan, classes: dict[str, str | None], names: manifests.RunNames,
                       owner: dict[str, Any], probe: bool = True) -> Provenance:
    assert plan.kubernetes is not None
    target = plan.kubernetes
    node_names, nodes = node_facts(cluster, target.node_selector)
    runtimes: dict[str, dict[str, Any]] = {}
    for runtime, rc in classes.items():
        runtimes[runtime] = runtime_class_facts(cluster, rc)
        if runtime == "bare":
            runtimes[runtime].update(runtime_class="(none: privileged baseline pod)", baseline="privileged-pod")
    if probe:
        for runtime, facts in probe_runtimes(cluster, plan, classes, names, owner).items():
            runtimes[runtime].update(facts)
    notes = [n for n, wanted in ((BASELINE_NOTE, "bare" in classes),
                                 (GVISOR_NOTE, any("gvisor" in rt or "runsc" in str(f.get("handler"))
                                                   for rt, f in runtimes.items()))) if wanted]
    storage = target.storage
    fio_versions = sorted({f["fio_version"] for f in runtimes.values() if f.get("fio_version")})
    return Provenance(
        made_by="kataio run (kubernetes)", kataio_version=__version__, hosts=node_names,
        fio_version=", ".join(fio_versions) or None,
        kubernetes_version=cluster.version.git_version, runtimes=runtimes, notes=" ".join(notes) or None,
        cluster=cluster.description, namespace=target.namespace, nodes=nodes, run_id=names.run_id,
        image=target.image, image_pull_policy=target.image_pull_policy,
        storage={k: v for k, v in {"kind": storage.kind, "path": storage.path, "claim": storage.claim,
                                   "storage_class": storage.storage_class, "size": storage.size,
                                   "mount_path": target.mount_path}.items() if v is not None},
    )


def remove_data_files(cluster: Cluster, plan: Plan, names: manifests.RunNames, owner: dict[str, Any],
                      nodes: list[str] | None = None) -> list[str]:
    """Unlink the run's fio files on hostPath (on every node given, else every eligible node) or on an
    existing claim. The client directories stay (the image has no rmdir); notes say where."""
    assert plan.kubernetes is not None
    target = plan.kubernetes
    if target.storage.kind == "hostPath":
        where = nodes if nodes else node_facts(cluster, target.node_selector)[0]
        if not where:
            return [f"data files left in {target.storage.path}/{manifests.DATA_ROOT}/{names.run_id} on the nodes "
                    "(the user may not list nodes)"]
    else:
        where = [None]
    nrfiles = plan.fio.extra.get("nrfiles")
    pods = [manifests.tidy_pod(names, target, node, i, max(plan.fio.numjobs), nrfiles, owner) for i, node in enumerate(where)]
    selector = f"{manifests.selector(names.run_id)},{manifests.ROLE_LABEL}=tidy"
    results = run_helper_pods(cluster, target.namespace, pods, min(plan.timeouts.start, PROBE_TIMEOUT_S) + 60, selector)
    notes = []
    for pod, node in zip(pods, where):
        result = results.get(pod["metadata"]["name"], {})
        if result.get("phase") != "Succeeded" or "kataio-tidy:" in result.get("log", ""):
            notes.append(f"could not remove the data files{' on ' + node if node else ''}: "
                         f"{result.get('failure') or result.get('log') or result.get('phase')}")
    claim = target.storage.claim if target.storage.kind == "pvc" else names.claim
    location = (f"{target.storage.path}/{manifests.DATA_ROOT}/{names.run_id}" if target.storage.kind == "hostPath"
                else f"{manifests.DATA_ROOT}/{names.run_id} on claim {claim}")
    if not notes:
        notes.append(f"data files removed; empty client directories remain in {location}")
    return notes
