"""The Kubernetes runner (ScenarioRunner for plans whose target is "kubernetes").

prepare: connect, check permissions, make sure the namespace accepts pods, create the run's owner
ConfigMap (and the per-run claim), record the cluster's provenance (probe pods show the file system
each runtime's clients really write through). run_scenario: one :class:`ScenarioRun`. close: delete
everything of the run by label, remove the data files on shared storage unless asked to keep them.

Runtime names map to RuntimeClasses through ``kubernetes.runtime_classes``; unlisted names are used
as RuntimeClass names, ``runc`` and ``default`` mean the cluster's default runtime (no
runtimeClassName), and ``bare`` is the opt-in privileged baseline pod (``kubernetes.baseline``).
"""

from __future__ import annotations

import threading
from typing import Any

from kataio_tui.errors import KataioError
from kataio_tui.model.plan import KubernetesTarget, Plan
from kataio_tui.model.results import Provenance, ScenarioKey
from kataio_tui.runners.driver import ScenarioOutcome
from kataio_tui.runners.events import Emit, serialized
from kataio_tui.runners.kubernetes import cleanup, manifests, provenance
from kataio_tui.runners.kubernetes.scenario import ScenarioRun, Timings
from kataio_tui.runners.kubernetes.session import (
    REQUEST_TIMEOUT,
    Cluster,
    KubernetesRunError,
    api_failure,
    check_permissions,
    ensure_namespace,
    open_cluster,
    required_permissions,
)

BARE = "bare"
DEFAULT_RUNTIMES = ("runc", "default")
# Storage that outlives the pods (a claim from a StorageClass may be retained): fio's files are removed at close.
SHARED_STORAGE = ("hostPath", "pvc", "storageclass")
CLOSE_WAIT_S = 20.0


def runtime_class_for(target: KubernetesTarget, runtime: str) -> str | None:
    """The RuntimeClass name of a plan runtime (None: the cluster's default runtime)."""
    if runtime in target.runtime_classes:
        return target.runtime_classes[runtime] or None
    if runtime in DEFAULT_RUNTIMES or runtime == BARE:
        return None
    return runtime


def run_id_label(run_id: str) -> str:
    """The driver's run ids ('20261125-181500-ab12') are valid label values and name parts already;
    anything else is reduced to one."""
    cleaned = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in run_id.lower()).strip("-")
    return cleaned[:40] or "run"


class KubernetesRunner:
    """Runs each scenario's N clients as pods; see the module docstring."""

    def __init__(self, probe_mounts: bool = True) -> None:
        self.probe_mounts = probe_mounts
        self.cluster: Cluster | None = None
        self.plan: Plan | None = None
        self.names: manifests.RunNames | None = None
        self.owner_ref: dict[str, Any] | None = None
        self.timings: list[tuple[ScenarioKey, Timings]] = []
        self._index = 0
        self._active: ScenarioRun | None = None
        self.nodes_used: set[str] = set()  # where clients ran (hostPath data files live there)

    # ---- ScenarioRunner --------------------------------------------------------------------

    def prepare(self, plan: Plan, run_id: str) -> Provenance:
        if plan.target != "kubernetes" or plan.kubernetes is None:
            raise KataioError(f"the Kubernetes runner cannot run a plan whose target is {plan.target!r}")
        target = plan.kubernetes
        if BARE in plan.runtimes and target.baseline != "privileged-pod":
            raise KataioError(
                "runtimes: 'bare' on Kubernetes needs kubernetes.baseline = \"privileged-pod\" (opt-in: fio in a "
                "privileged pod in the node's namespaces, on the same storage), or remove 'bare' and import local "
                "results from the nodes (docs/kubernetes-runner.md)")
        self.plan = plan
        self.names = manifests.RunNames(run_id_label(run_id))
        self.cluster = open_cluster(target.kubeconfig, target.context, target.namespace)
        namespace = target.namespace
        check_permissions(self.cluster, required_permissions(target), namespace)
        ensure_namespace(self.cluster, namespace, target.create_namespace)
        core = self.cluster.core()
        try:
            owner = core.create_namespaced_config_map(
                namespace, manifests.owner_configmap(self.names, namespace, plan.name),
                _request_timeout=REQUEST_TIMEOUT)
        except Exception as exc:  # noqa: BLE001
            raise api_failure(exc, f"creating the run's owner ConfigMap in {namespace}", self.cluster.server) from None
        self.owner_ref = manifests.owner_reference(self.names, owner.metadata.uid)
        if target.storage.kind == "storageclass":
            needed = plan.data_bytes()
            try:
                core.create_namespaced_persistent_volume_claim(
                    namespace, manifests.claim(self.names, target, self.owner_ref, needed),
                    _request_timeout=REQUEST_TIMEOUT)
            except Exception as exc:  # noqa: BLE001
                raise api_failure(exc, "creating the run's PersistentVolumeClaim", self.cluster.server) from None
        classes = {rt: runtime_class_for(target, rt) for rt in plan.runtimes}
        return provenance.cluster_provenance(self.cluster, plan, classes, self.names, self.owner_ref,
                                             probe=self.probe_mounts)

    def run_scenario(self, plan: Plan, key: ScenarioKey, jobfile: str, emit: Emit,
                     cancel: threading.Event) -> ScenarioOutcome:
        if self.cluster is None or self.names is None or self.owner_ref is None or plan.kubernetes is None:
            raise KataioError("the Kubernetes runner was not prepared")
        index = self._index
        self._index += 1
        run = ScenarioRun(self.cluster, plan, key, index, self.names, self.owner_ref, jobfile,
                          runtime_class_for(plan.kubernetes, key.runtime), key.runtime == BARE,
                          serialized(emit), cancel)
        self._active = run
        try:
            return run.run()
        finally:
            self._active = None
            self.timings.append((key, run.timings))
            self.nodes_used |= {c.pod.spec.node_name for c in run.clients
                                if c.pod is not None and c.pod.spec and c.pod.spec.node_name}

    def close(self, keep_files: bool) -> list[str]:
        notes: list[str] = []
        if self.cluster is None or self.names is None or self.plan is None or self.plan.kubernetes is None:
            return notes
        target = self.plan.kubernetes
        try:
            if self._active is not None:  # close() after an exception in the middle of a scenario
                self._active.teardown()
            if not keep_files and target.storage.kind in SHARED_STORAGE and self.owner_ref is not None:
                if self.nodes_used or target.storage.kind != "hostPath":
                    notes += provenance.remove_data_files(self.cluster, self.plan, self.names, self.owner_ref,
                                                          sorted(self.nodes_used))
            elif keep_files and target.storage.kind in SHARED_STORAGE:
                notes.append(f"data files kept in {manifests.DATA_ROOT}/{self.names.run_id}/ on the "
                             f"{target.storage.kind} storage")
            problems = cleanup.delete_run(self.cluster, target.namespace, self.names.run_id)
            # wait (briefly) until they are really gone: a claim stays while its finalizer waits for the pods
            _, remaining = cleanup.cleanup_leftovers(self.cluster, target.namespace, self.names.run_id,
                                                     wait_s=CLOSE_WAIT_S)
            problems += remaining.problems
            if remaining.objects:
                problems.append(f"{remaining.count()} objects of run {self.names.run_id} were still being deleted "
                                f"after {CLOSE_WAIT_S:g} s")
            notes += problems
            if problems:
                notes.append(f"run `kataio cleanup --run-id {self.names.run_id} --namespace {target.namespace}` to "
                             "retry; the garbage collector also removes them once the owner is gone")
        finally:
            self.cluster.close()
            self.cluster = None
        return notes

    # ---- helpers ---------------------------------------------------------------------------



__all__ = ["KubernetesRunner", "KubernetesRunError", "runtime_class_for"]
