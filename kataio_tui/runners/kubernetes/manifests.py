"""The Kubernetes objects of a run, as plain dicts the API (and ``kubernetes-validate``) accepts.

One run owns: a ConfigMap ``kataio-run-<id>`` (the owner: every other object carries an owner
reference to it, so the garbage collector removes leftovers once it is deleted); per scenario a
ConfigMap with the job file and N client pods; for storage kind ``storageclass`` one PVC per run.
Every object carries the labels :data:`APP_LABEL`, :data:`RUN_LABEL` and, per scenario,
:data:`SCENARIO_LABEL`, which ``kataio cleanup`` selects on.

Client pods get the least privilege fio needs: no privilege escalation, all capabilities dropped,
a read-only root file system, the runtime's default seccomp profile, no service-account token. Only
the opt-in bare-metal baseline pod is privileged (in the node's PID, network and IPC namespaces).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kataio_tui.model.plan import KubernetesTarget
from kataio_tui.model.results import ScenarioKey
from kataio_tui.runners.kubernetes import gate

APP_LABEL = "app.kubernetes.io/name"
APP = "kataio"
RUN_LABEL = "kataio.io/run-id"
SCENARIO_LABEL = "kataio.io/scenario"
ROLE_LABEL = "kataio.io/role"
CLIENT_LABEL = "kataio.io/client"
KEY_ANNOTATION = "kataio.io/scenario-key"
HOSTNAME_KEY = "kubernetes.io/hostname"
CONTAINER = "fio"
GIB = 1 << 30
DATA_ROOT = "kataio"  # directory under hostPath / PVC storage that holds the runs' client directories


def selector(run_id: str | None = None, scenario: str | None = None) -> str:
    """A label selector for kataio's objects (all, one run's, or one scenario's)."""
    parts = [f"{APP_LABEL}={APP}"]
    if run_id:
        parts.append(f"{RUN_LABEL}={run_id}")
    if scenario:
        parts.append(f"{SCENARIO_LABEL}={scenario}")
    return ",".join(parts)


@dataclass(frozen=True, slots=True)
class RunNames:
    """Object names of one run; run ids are short lower-case hex, so every name is a DNS label."""

    run_id: str

    @property
    def owner(self) -> str:
        return f"kataio-run-{self.run_id}"

    @property
    def claim(self) -> str:
        return f"kataio-{self.run_id}-data"

    def scenario(self, index: int) -> str:
        return f"s{index}"

    def jobfile(self, index: int) -> str:
        return f"kataio-{self.run_id}-s{index}-job"

    def pod(self, index: int, client: int) -> str:
        return f"kataio-{self.run_id}-s{index}-c{client}"

    def labels(self, role: str, index: int | None = None) -> dict[str, str]:
        labels = {APP_LABEL: APP, RUN_LABEL: self.run_id, ROLE_LABEL: role}
        if index is not None:
            labels[SCENARIO_LABEL] = self.scenario(index)
        return labels


def owner_configmap(names: RunNames, namespace: str, plan_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": names.owner, "namespace": namespace, "labels": names.labels("owner")},
        "data": {"plan": plan_name,
                 "note": "kataio run owner: deleting it garbage-collects the run's pods, job files and claims"},
    }


def owner_reference(names: RunNames, owner_uid: str) -> dict[str, Any]:
    # No blockOwnerDeletion: it needs update rights on the owner's finalizers, and deletes are explicit anyway.
    return {"apiVersion": "v1", "kind": "ConfigMap", "name": names.owner, "uid": owner_uid}


def _metadata(name: str, namespace: str, labels: dict[str, str], owner: dict[str, Any],
              annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels, "ownerReferences": [owner]}
    if annotations:
        meta["annotations"] = annotations
    return meta


def jobfile_configmap(names: RunNames, namespace: str, index: int, key: ScenarioKey, jobfile: str,
                      owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": _metadata(names.jobfile(index), namespace, names.labels("jobfile", index), owner,
                              {KEY_ANNOTATION: key.label()}),
        "data": {"job.fio": jobfile},
    }


def claim(names: RunNames, target: KubernetesTarget, owner: dict[str, Any], needed_bytes: int) -> dict[str, Any]:
    """The per-run PVC of storage kind ``storageclass``: ``storage.size``, or else what the largest
    scenario lays out (clients x numjobs x filesize) plus 10 % for the file system, in whole GiB."""
    storage = target.storage
    size = storage.size or f"{max(1, math.ceil(needed_bytes * 1.1 / GIB))}Gi"
    return {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": _metadata(names.claim, target.namespace, names.labels("storage"), owner),
        "spec": {"accessModes": [storage.access_mode], "storageClassName": storage.storage_class,
                 "resources": {"requests": {"storage": size}}},
    }


def data_volume(names: RunNames, target: KubernetesTarget) -> dict[str, Any]:
    storage = target.storage
    if storage.kind == "hostPath":
        source: dict[str, Any] = {"hostPath": {"path": storage.path, "type": "DirectoryOrCreate"}}
    elif storage.kind == "pvc":
        source = {"persistentVolumeClaim": {"claimName": storage.claim}}
    elif storage.kind == "storageclass":
        source = {"persistentVolumeClaim": {"claimName": names.claim}}
    else:
        source = {"emptyDir": {}}
    return {"name": "data", **source}


def data_sub_path(names: RunNames, target: KubernetesTarget, client: int) -> str | None:
    """Each client's own directory on shared storage, kept across the run's scenarios so files are laid
    out once per client (as the study's clients did); an emptyDir is private to its pod already."""
    if target.storage.kind == "emptyDir":
        return None
    return f"{DATA_ROOT}/{names.run_id}/client-{client}"


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """What differs between the pods of a run."""

    index: int  # scenario index in the run
    key: ScenarioKey
    client: int
    runtime_class: str | None  # None: the cluster's default runtime
    baseline: bool = False  # the privileged bare-metal baseline pod


def _resources(target: KubernetesTarget) -> dict[str, Any]:
    resources: dict[str, Any] = {"requests": {"cpu": target.cpu_request, "memory": target.memory_request}}
    if target.memory_limit:
        resources["limits"] = {"memory": target.memory_limit}
    return resources


def _security(baseline: bool) -> dict[str, Any]:
    if baseline:
        # The baseline must see the node as the host does; this pod is opt-in (kubernetes.baseline).
        return {"privileged": True}
    return {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def client_pod(names: RunNames, target: KubernetesTarget, spec: ClientSpec, owner: dict[str, Any],
               stop_grace_s: int = 5) -> dict[str, Any]:
    labels = {**names.labels("baseline" if spec.baseline else "client", spec.index), CLIENT_LABEL: str(spec.client)}
    mount: dict[str, Any] = {"name": "data", "mountPath": target.mount_path}
    sub_path = data_sub_path(names, target, spec.client)
    if sub_path:
        mount["subPath"] = sub_path
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": target.image,
        "imagePullPolicy": target.image_pull_policy,
        "command": gate.gate_command(target.mount_path, job_gate=True),
        "workingDir": target.mount_path,
        "stdin": True,  # the start gate reads its go line from here
        "stdinOnce": False,
        "tty": False,
        "resources": _resources(target),
        "securityContext": _security(spec.baseline),
        "volumeMounts": [{"name": "jobfile", "mountPath": gate.JOB_DIR, "readOnly": True}, mount],
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": stop_grace_s,
        "containers": [container],
        "volumes": [{"name": "jobfile", "configMap": {"name": names.jobfile(spec.index)}},
                    data_volume(names, target)],
        "topologySpreadConstraints": [{
            "maxSkew": 1, "topologyKey": HOSTNAME_KEY, "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {RUN_LABEL: names.run_id, SCENARIO_LABEL: names.scenario(spec.index)}},
        }],
    }
    if spec.runtime_class and not spec.baseline:
        pod_spec["runtimeClassName"] = spec.runtime_class
    if target.node_selector:
        pod_spec["nodeSelector"] = dict(target.node_selector)
    if spec.baseline:
        pod_spec.update(hostPID=True, hostNetwork=True, hostIPC=True)
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": _metadata(names.pod(spec.index, spec.client), target.namespace, labels, owner,
                              {KEY_ANNOTATION: spec.key.label()}),
        "spec": pod_spec,
    }


def namespace(name: str) -> dict[str, Any]:
    # Not owned by the run (it may hold other things); `kataio cleanup` never deletes namespaces.
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {APP_LABEL: APP}}}


def probe_pod(names: RunNames, target: KubernetesTarget, runtime: str, probe: int, runtime_class: str | None,
              baseline: bool, owner: dict[str, Any]) -> dict[str, Any]:
    """A pod like a client (same runtime, storage and privileges) that only prints its mount table."""
    key = ScenarioKey(runtime, "probe", 1, 1)
    pod = client_pod(names, target, ClientSpec(0, key, 0, runtime_class, baseline), owner)
    pod["metadata"]["name"] = f"kataio-{names.run_id}-probe-{probe}"
    pod["metadata"]["labels"] = names.labels("probe") | {CLIENT_LABEL: str(probe)}
    pod["metadata"]["annotations"] = {KEY_ANNOTATION: f"mount probe for {runtime}"}
    spec = pod["spec"]
    del spec["topologySpreadConstraints"]
    spec["volumes"] = [v for v in spec["volumes"] if v["name"] != "jobfile"]
    container = spec["containers"][0]
    container.update(command=gate.probe_command(target.mount_path), stdin=False, stdinOnce=False)
    container["volumeMounts"] = [m for m in container["volumeMounts"] if m["name"] != "jobfile"]
    return pod


def tidy_pod(names: RunNames, target: KubernetesTarget, node: str | None, numbered: int, numjobs: int,
             nrfiles: str | None, owner: dict[str, Any]) -> dict[str, Any]:
    """A pod that removes the run's fio data files from every client directory on shared storage
    (on ``node`` for hostPath). The image has no rm: fio's own unlink does it."""
    key = ScenarioKey("default", "tidy", 1, 1)
    pod = client_pod(names, target, ClientSpec(0, key, 0, None), owner)
    pod["metadata"]["name"] = f"kataio-{names.run_id}-tidy-{numbered}"
    pod["metadata"]["labels"] = names.labels("tidy") | {CLIENT_LABEL: str(numbered)}
    pod["metadata"]["annotations"] = {KEY_ANNOTATION: "remove data files"}
    spec = pod["spec"]
    del spec["topologySpreadConstraints"]
    spec.pop("nodeSelector", None)
    if node:
        spec["nodeName"] = node
    spec["volumes"] = [v for v in spec["volumes"] if v["name"] != "jobfile"]
    container = spec["containers"][0]
    container.update(command=gate.tidy_command(target.mount_path, numjobs, nrfiles), stdin=False, stdinOnce=False)
    mounts = [m for m in container["volumeMounts"] if m["name"] != "jobfile"]
    mounts[0]["subPath"] = f"{DATA_ROOT}/{names.run_id}"
    container["volumeMounts"] = mounts
    return pod
