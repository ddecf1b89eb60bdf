"""Cluster checks and the canary against the real Kubernetes lab (tests/conftest_lab.py), plus the
connection errors and the diagnosis table with the strings real failures print."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

from kataio_tui.checks.canary import CANARY_LABEL, CANARY_VALUE
from kataio_tui.kube.diagnosis import KATA_NODE_LABEL, diagnose, diagnose_pod, pod_messages
from kataio_tui.checks.engine import CheckResult, Status, run_checks
from kataio_tui.kube.connect import ClusterAccessError, connect
from kataio_tui.checks.options import CheckOptions
from kataio_tui.checks.registry import Selection, find_check, plan_checks
from kataio_tui.cli import main
from kataio_tui.model.plan import KubernetesStorage

CLUSTER_IDS = ("cluster.api", "cluster.version", "cluster.runtimeclass", "cluster.permissions", "cluster.storage")


def run_ids(ids, **options) -> dict[str, CheckResult]:
    results = run_checks([find_check(i) for i in ids], CheckOptions(**options))
    return {r.id: r for r in results}


def lab_options(lab, namespace: str | None = None, **more) -> dict:
    return {"kubeconfig": lab.kubeconfig, "namespace": namespace, "require_cluster": True,
            "canary_image": lab.fio_image, "image_pull_policy": "Never", **more}


def canary_pods_left(lab, namespace: str, timeout: float = 30) -> list[str]:
    """Canary pods still in the namespace once deletion had time to finish (grace period 0)."""
    deadline = time.monotonic() + timeout
    while True:
        pods = lab.core().list_namespaced_pod(namespace, label_selector=f"{CANARY_LABEL}={CANARY_VALUE}").items
        if not pods or time.monotonic() > deadline:
            return [p.metadata.name for p in pods]
        time.sleep(0.5)


# ---- the diagnosis table (strings from real failures) --------------------------------------------

def test_diagnosis_of_known_kata_failures():
    cases = {
        'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime '
        'for "kata-qemu" is configured': ("no-runtime-handler", "this node's containerd has no kata-qemu handler"),
        'pods "fio-0" is forbidden: pod rejected: RuntimeClass "kata-clh" not found':
            ("runtimeclass-not-found", 'RuntimeClass "kata-clh" does not exist'),
        "failed to create shim: open /dev/vhost-vsock: no such device": ("vhost-vsock", "vhost_vsock"),
        "host system doesn't support vsock: stat /dev/vhost-vsock: no such file or directory":
            ("vhost-vsock", "vhost_vsock"),
        "failed to launch qemu: exit status 1, error messages from qemu log: Could not access KVM kernel module: "
        "No such file or directory\nqemu-system-x86_64: failed to initialize KVM: No such file or directory":
            ("no-kvm", "no usable /dev/kvm"),
        "failed to launch qemu: exit status 1, error messages from qemu log: ioctl(KVM_CREATE_VM) failed: 16 Device "
        "or resource busy\nqemu-system-x86_64: failed to initialize KVM: Device or resource busy":
            ("kvm-busy", "another hypervisor"),
        'failed to create containerd task: failed to create shim task: OCI runtime create failed: binary not '
        'installed "containerd-shim-kata-v2"': ("shim-not-installed", "containerd-shim-kata-v2 is not installed"),
        "failed to start shim: fork/exec /opt/kata/bin/containerd-shim-kata-v2: no such file or directory":
            ("shim-not-installed", "/opt/kata/bin/containerd-shim-kata-v2"),
        "failed to create containerd task: failed to create shim task: Others(\"timeout\")": ("shim-failed", "shim"),
        "0/1 nodes are available: 1 node(s) didn't match node selector.": ("node-selector", "nodeSelector"),
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.": ("node-selector", "labels"),
        "0/2 nodes are available: 2 Insufficient memory.": ("insufficient-resources", "memory"),
        'Container image "kataio.local/fio:9" is not present with pull policy of Never':
            ("image-never-pull", "imagePullPolicy is Never"),
        'Failed to pull image "example.invalid/fio:1": rpc error: code = Unknown desc = failed to resolve':
            ("image-pull", "cannot pull"),
    }
    for message, (key, cause_part) in cases.items():
        found = diagnose([message])
        assert found is not None, message
        assert found.key == key, (message, found)
        assert cause_part in found.cause, (message, found.cause)
    assert KATA_NODE_LABEL in diagnose(list(cases)[:1]).remedy
    assert "kata-deploy" in diagnose(list(cases)[:1]).remedy


def test_diagnosis_prefers_the_specific_cause_and_knows_non_kata_handlers():
    generic_then_specific = ["failed to create containerd task: failed to create shim task",
                             "failed to create shim: open /dev/vhost-vsock: no such device"]
    assert diagnose(generic_then_specific).key == "vhost-vsock"
    runsc = diagnose(['failed to get sandbox runtime: no runtime for "runsc" is configured'])
    assert "runsc" in runsc.remedy and "kata-deploy" not in runsc.remedy
    assert diagnose(["Started container fio", "Pulled"]) is None


def test_pod_messages_from_api_dicts():
    pod = {"status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}],
                      "containerStatuses": [{"state": {"waiting": {"reason": "ErrImageNeverPull", "message":
                          'Container image "kataio.local/nope:1" is not present with pull policy of Never'}}}]}}
    events = [{"reason": "Scheduled", "message": "Successfully assigned ns/p to localhost"}]
    texts = pod_messages(pod, events)
    assert texts[0].startswith("ErrImageNeverPull: Container image")
    assert diagnose_pod(pod, events).key == "image-never-pull"


def test_version_verdicts_across_releases():
    from kataio_tui.checks.cluster import version_verdict
    from kataio_tui.kube.connect import ServerVersion

    old = version_verdict(ServerVersion(1, 13, "v1.13.12"), [])
    assert old.status is Status.FAIL and "1.14" in old.meaning
    beta = version_verdict(ServerVersion(1, 19, "v1.19.16"), ["v1beta1"])
    assert beta.status is Status.WARN and "node.k8s.io/v1beta1" in beta.meaning
    assert version_verdict(ServerVersion(1, 29, "v1.29.2"), ["v1"]).status is Status.PASS


def test_runtime_classes_of_a_kubernetes_plan():
    from kataio_tui.checks.options import options_from_plan
    from kataio_tui.model.plan import Plan

    plan = Plan(target="kubernetes", runtimes=["runc", "kata-qemu", "gvisor"],
                kubernetes={"namespace": "bench", "runtime_classes": {"gvisor": "gvisor-ptrace"}})
    options = options_from_plan(plan)
    assert options.runtime_classes == ("kata-qemu", "gvisor-ptrace")
    assert options.namespace == "bench" and options.require_cluster and options.target_dir is None


# ---- connection errors ------------------------------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kubeconfig(path: Path, server: str, token: str = "not-a-real-token", ca: str | None = None) -> Path:
    cluster = {"server": server, **({"certificate-authority": ca} if ca else {"insecure-skip-tls-verify": True})}
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": cluster}], "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u", "namespace": "team-a"}}]}))
    return path


def test_unreachable_server(tmp_path):
    config = _kubeconfig(tmp_path / "kubeconfig", f"https://127.0.0.1:{_closed_port()}")
    r = run_ids(CLUSTER_IDS, kubeconfig=str(config))
    api = r["cluster.api"]
    assert api.status is Status.FAIL
    assert "is unreachable" in api.observed and "Connection refused" in api.observed
    assert "cluster is running" in api.remedy
    for other in CLUSTER_IDS[1:]:
        assert r[other].status is Status.SKIP and "unreachable" in r[other].observed


def test_missing_kubeconfig(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nowhere.yaml"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ClusterAccessError) as info:
        connect()
    assert info.value.kind == "no-kubeconfig" and "nowhere.yaml" in str(info.value)
    quiet = run_ids(["cluster.api"])["cluster.api"]  # a plain `kataio check` on a host without a cluster
    assert quiet.status is Status.SKIP and "--host-only" in quiet.remedy
    loud = run_ids(["cluster.api"], require_cluster=True)["cluster.api"]
    assert loud.status is Status.FAIL and "no kubeconfig" in loud.observed and "--kubeconfig" in loud.remedy


def test_unknown_context_and_broken_file(tmp_path):
    config = _kubeconfig(tmp_path / "kubeconfig", "https://127.0.0.1:1")
    with pytest.raises(ClusterAccessError) as info:
        connect(str(config), context="prod")
    assert info.value.kind == "no-context" and "contexts: c" in str(info.value)
    broken = tmp_path / "broken"
    broken.write_text("apiVersion: v1\nclusters: [\n")
    result = run_ids(["cluster.api"], kubeconfig=str(broken))["cluster.api"]
    assert result.status is Status.FAIL and str(broken) in result.observed


def test_cli_cluster_only_without_kubeconfig(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert main(["check", "--cluster-only", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["checks"][0]["id"] == "cluster.api" and doc["checks"][0]["status"] == "FAIL"
    assert {c["status"] for c in doc["checks"][1:]} == {"SKIP"}


# ---- against the lab ----------------------------------------------------------------------------------

@pytest.mark.lab
def test_version_and_runtime_classes(lab, lab_runtime_classes):
    from kubernetes import client

    wanted = ("runc", "kata-qemu", "no-such-class")
    r = run_ids(CLUSTER_IDS[:3], **lab_options(lab, runtime_classes=wanted))
    server = client.VersionApi(lab.api_client).get_code()
    assert r["cluster.api"].status is Status.PASS and server.git_version in r["cluster.api"].observed
    version = r["cluster.version"]
    assert version.status is Status.PASS and "serves v1" in version.observed
    runc = r["cluster.runtimeclass.runc"]
    assert runc.status is Status.PASS and "handler runc" in runc.observed and lab.node_name in runc.observed
    kata = r["cluster.runtimeclass.kata-qemu"]
    # The lab's kata-qemu class has no nodeSelector (kata-deploy's would select the kata label).
    assert kata.status is Status.WARN and "handler kata-qemu" in kata.observed and "nodeSelector" in kata.meaning
    missing = r["cluster.runtimeclass.no-such-class"]
    assert missing.status is Status.FAIL and 'RuntimeClass "no-such-class" not found' in missing.meaning


@pytest.mark.lab
def test_all_runtime_classes_by_default(lab, lab_runtime_classes):
    r = run_ids(["cluster.runtimeclass"], **lab_options(lab))
    for name in lab_runtime_classes:
        assert f"cluster.runtimeclass.{name}" in r


@pytest.mark.lab
def test_permissions_of_the_rbac_limited_user(lab, lab_limited_user):
    r = run_ids(["cluster.permissions", "cluster.runtimeclass"], kubeconfig=lab_limited_user.kubeconfig,
                namespace=lab_limited_user.namespace)
    perms = r["cluster.permissions"]
    assert perms.status is Status.FAIL
    allowed, denied = perms.observed.split("; denied: ")
    for verb in ("get pods", "watch pods"):
        assert verb in allowed
    for verb in ("create pods", "delete pods", "create configmaps", "create jobs (batch)", "get pods/log",
                 "list events"):
        assert verb in denied
    assert lab_limited_user.namespace in perms.remedy
    listing = r["cluster.runtimeclass"]
    assert listing.status is Status.FAIL and "403 Forbidden" in listing.observed


@pytest.mark.lab
def test_permissions_of_the_admin(lab, lab_namespace):
    perms = run_ids(["cluster.permissions"], **lab_options(lab, lab_namespace))["cluster.permissions"]
    assert perms.status is Status.PASS and "denied" not in perms.observed


@pytest.mark.lab
def test_invalid_credentials_are_named(lab, tmp_path):
    viewer = yaml.safe_load(Path(lab.env["KATAIO_LAB_VIEWER_KUBECONFIG"]).read_text())
    cluster = viewer["clusters"][0]["cluster"]
    config = _kubeconfig(tmp_path / "expired", cluster["server"], token="expired-" + uuid.uuid4().hex,
                         ca=cluster.get("certificate-authority"))
    api = run_ids(["cluster.api"], kubeconfig=str(config))["cluster.api"]
    assert api.status is Status.FAIL
    assert "401 Unauthorized" in api.observed and "expired or invalid" in api.observed


@pytest.mark.lab
def test_storage_targets(lab, lab_namespace):
    core = lab.core()
    pv_name = f"kt-pv-{uuid.uuid4().hex[:8]}"
    core.create_persistent_volume({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv_name},
                                   "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                                            "storageClassName": "", "hostPath": {"path": "/tmp/kataio-kt-pv"}}})
    try:
        core.create_namespaced_persistent_volume_claim(lab_namespace, {
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "bound"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "", "volumeName": pv_name,
                     "resources": {"requests": {"storage": "1Gi"}}}})
        core.create_namespaced_persistent_volume_claim(lab_namespace, {
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "unbound"},
            "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "",
                     "resources": {"requests": {"storage": "1Gi"}}}})
        deadline = time.monotonic() + 60
        while core.read_namespaced_persistent_volume_claim("bound", lab_namespace).status.phase != "Bound":
            assert time.monotonic() < deadline, "the lab's PV controller did not bind the claim"
            time.sleep(0.5)

        def storage(target: KubernetesStorage, clients: int = 1) -> CheckResult:
            return run_ids(["cluster.storage"], **lab_options(lab, lab_namespace, storage=target,
                                                              clients=clients))["cluster.storage"]

        bound = storage(KubernetesStorage(kind="pvc", claim="bound"))
        assert bound.status is Status.PASS and "Bound" in bound.observed and "ReadWriteOnce" in bound.observed
        shared = storage(KubernetesStorage(kind="pvc", claim="bound"), clients=8)
        assert shared.status is Status.WARN and "ReadWriteMany" in shared.meaning
        assert storage(KubernetesStorage(kind="pvc", claim="unbound")).status is Status.WARN
        missing = storage(KubernetesStorage(kind="pvc", claim="nope"))
        assert missing.status is Status.FAIL and "does not exist" in missing.observed
        no_class = storage(KubernetesStorage(kind="storageclass", storage_class="fast-nvme"))
        assert no_class.status is Status.FAIL and "fast-nvme" in no_class.observed
        host = storage(KubernetesStorage(kind="hostPath", path="/mnt/beegfs"))
        assert host.status is Status.PASS and "--target-dir /mnt/beegfs" in host.meaning
    finally:
        core.delete_persistent_volume(pv_name)


@pytest.mark.lab
def test_canary_runc_succeeds_and_kata_fails_with_the_real_event(lab, lab_namespace, lab_runtime_classes):
    wanted = ["runc", "kata-qemu", "no-such-class"] + (["gvisor"] if "gvisor" in lab_runtime_classes else [])
    r = run_ids(["cluster.canary"], **lab_options(lab, lab_namespace, runtime_classes=tuple(wanted),
                                                  canary_timeout_s=120))
    runc = r["cluster.canary.runc"]
    assert runc.status is Status.PASS, runc.observed
    assert "Succeeded" in runc.observed or "Running" in runc.observed
    kata = r["cluster.canary.kata-qemu"]
    assert kata.status is Status.FAIL, kata.observed
    assert 'no runtime for "kata-qemu" is configured' in kata.observed  # the real FailedCreatePodSandBox event
    assert kata.meaning == "this node's containerd has no kata-qemu handler"
    assert "kata-deploy" in kata.remedy and f"{KATA_NODE_LABEL}=true" in kata.remedy
    unknown = r["cluster.canary.no-such-class"]  # the API server's own 403 answer
    assert unknown.status is Status.FAIL and 'pod rejected: RuntimeClass "no-such-class" not found' in unknown.observed
    assert unknown.meaning.startswith('RuntimeClass "no-such-class" does not exist')
    if "gvisor" in wanted:
        assert r["cluster.canary.gvisor"].status is Status.PASS, r["cluster.canary.gvisor"].observed
    assert canary_pods_left(lab, lab_namespace) == []


@pytest.mark.lab
def test_canary_pods_are_deleted_on_timeout_and_on_cancel(lab, lab_namespace, lab_runtime_classes):
    # A 0.2 s budget: the pod cannot be Running yet, so the canary gives up and must still delete it.
    late = run_ids(["cluster.canary"], **lab_options(lab, lab_namespace, runtime_classes=("runc",),
                                                     canary_timeout_s=0.2))["cluster.canary.runc"]
    assert late.status is Status.FAIL and "still" in late.observed and "after 0.2 s" in late.observed
    cancel = threading.Event()
    options = CheckOptions(**lab_options(lab, lab_namespace, runtime_classes=("runc",), canary_timeout_s=60))
    threading.Timer(0.3, cancel.set).start()
    results = run_checks([find_check("cluster.canary")], options, cancel=cancel)
    assert results[0].status is Status.SKIP and "cancel" in results[0].observed
    assert canary_pods_left(lab, lab_namespace) == []


@pytest.mark.lab
def test_cli_cluster_json_exit_0(lab, lab_namespace, lab_runtime_classes, capsys):
    code = main(["check", "--cluster-only", "--json", "--kubeconfig", lab.kubeconfig, "--namespace", lab_namespace,
                 "--runtime-class", "runc", "--canary", "--canary-image", lab.fio_image,
                 "--image-pull-policy", "Never"])
    doc = json.loads(capsys.readouterr().out)
    statuses = {c["id"]: c["status"] for c in doc["checks"]}
    assert code == 0 and doc["summary"]["exit_code"] == 0, statuses
    assert statuses["cluster.canary.runc"] == "PASS" and statuses["cluster.runtimeclass.runc"] == "PASS"
    assert doc["context"]["namespace"] == lab_namespace
    assert [c.id for c in plan_checks(Selection(host=False), CheckOptions(canary=True))][-1] == "cluster.canary"
