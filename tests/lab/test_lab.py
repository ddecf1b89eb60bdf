"""The lab itself: a real Kubernetes v1.20.2 node (scripts/k8s-lab) running the local fio image."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

JOBFILE = "[global]\nioengine=psync\nsize=4m\ndirectory=/data\n[randread]\nrw=randread\nbs=4k\n"
GENERATED: list[dict] = []  # every manifest these tests send, validated at the end against current schemas


def generated(manifest: dict) -> dict:
    GENERATED.append(manifest)
    return manifest


def job_configmap() -> dict:
    return generated({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fio-job"},
                      "data": {"job.fio": JOBFILE}})


def assert_fio_json(text: str) -> dict:
    out = json.loads(text)
    assert out["fio version"] == "fio-3.33"
    job = out["jobs"][0]
    assert job["jobname"] == "randread" and job["error"] == 0
    assert job["read"]["io_bytes"] == 4 * 1024 * 1024 and job["read"]["iops"] > 0
    return out


def test_api_version_is_1_20_2(lab):
    from kubernetes import client
    assert client.VersionApi(lab.api_client).get_code().git_version == "v1.20.2"


def test_node_is_ready_and_labelled_for_kata(lab):
    nodes = lab.core().list_node(label_selector="katacontainers.io/kata-runtime=true").items
    assert [n.metadata.name for n in nodes] == [lab.node_name]
    assert any(c.type == "Ready" and c.status == "True" for c in nodes[0].status.conditions)


def run_fio_pod(lab, namespace, runtime_class, name):
    core = lab.core()
    core.create_namespaced_config_map(namespace, job_configmap())
    core.create_namespaced_pod(namespace, generated(lab.fio_pod(name, runtime_class)))
    pod = lab.wait_pod_done(namespace, name)
    log = lab.pod_log(namespace, name)
    assert pod.status.phase == "Succeeded", (pod.status, log)
    assert pod.spec.runtime_class_name == runtime_class
    return assert_fio_json(log)


def test_fio_pod_under_runc(lab, lab_namespace, lab_runtime_classes):
    run_fio_pod(lab, lab_namespace, "runc", "fio-runc")


def test_fio_pod_under_gvisor(lab, lab_namespace, lab_runtime_classes):
    if not lab.has_gvisor:
        pytest.skip("gVisor (runsc) is not available in this lab")
    assert lab_runtime_classes["gvisor"] == "runsc"
    run_fio_pod(lab, lab_namespace, "gvisor", "fio-gvisor")
    # the container really ran under runsc: containerd recorded the runsc handler's binary for it
    cid = lab.core().read_namespaced_pod("fio-gvisor", lab_namespace).status.container_statuses[0].container_id
    cid = cid.split("://", 1)[1]
    options = json.loads(lab.ctr("containers", "info", cid))["Runtime"]["Options"]
    assert b"/bin/runsc" in base64.b64decode(options["value"])  # runc.v1.Options{BinaryName: .../runsc}


@pytest.mark.parametrize("runtime_class", ["kata-qemu", "kata-fc"])
def test_kata_pod_fails_like_a_node_without_kata(lab, lab_namespace, lab_runtime_classes, runtime_class):
    assert lab_runtime_classes[runtime_class] == runtime_class  # never mapped onto runc
    lab.core().create_namespaced_config_map(lab_namespace, job_configmap())
    lab.core().create_namespaced_pod(lab_namespace, generated(lab.fio_pod("fio-kata", runtime_class)))
    ev = lab.wait_event(lab_namespace, "fio-kata", "FailedCreatePodSandBox")
    assert f'no runtime for "{runtime_class}" is configured' in ev.message
    assert lab.core().read_namespaced_pod("fio-kata", lab_namespace).status.phase == "Pending"


def test_unknown_runtime_class_is_rejected(lab, lab_namespace):
    from kubernetes.client.exceptions import ApiException
    with pytest.raises(ApiException) as exc:
        lab.core().create_namespaced_pod(lab_namespace, lab.fio_pod("fio-nope", "no-such-class"))
    assert exc.value.status == 403
    assert 'pod rejected: RuntimeClass "no-such-class" not found' in json.loads(exc.value.body)["message"]


def test_job_with_parallelism_4_completes(lab, lab_namespace, lab_runtime_classes):
    lab.core().create_namespaced_config_map(lab_namespace, job_configmap())
    pod = lab.fio_pod("unused", "runc")
    job = generated({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "fio-par"},
        "spec": {"parallelism": 4, "completions": 4, "backoffLimit": 0,
                 "template": {"metadata": {"labels": {"app": "fio-par"}}, "spec": pod["spec"]}}})
    lab.batch().create_namespaced_job(lab_namespace, job)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        st = lab.batch().read_namespaced_job_status("fio-par", lab_namespace).status
        if (st.succeeded or 0) >= 4 or (st.failed or 0) > 0:
            break
        time.sleep(1)
    assert st.succeeded == 4 and not st.failed, st
    pods = lab.core().list_namespaced_pod(lab_namespace, label_selector="app=fio-par").items
    assert len(pods) == 4
    for p in pods:
        assert_fio_json(lab.pod_log(lab_namespace, p.metadata.name))


def node_containers(lab, namespace: str) -> int:
    """Containers (sandboxes included) that containerd holds for pods of ``namespace``."""
    out = lab.ctr("containers", "ls", "-q", f'labels."io.kubernetes.pod.namespace"=={namespace}')
    return len(out.split())


def test_deleting_the_namespace_removes_everything(lab, lab_runtime_classes):
    core = lab.core()
    ns = f"kt-del-{os.getpid()}-{int(time.time()) % 100000}"
    core.create_namespace(generated({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
    from conftest_lab import _namespace_ready
    _namespace_ready(core, ns)
    core.create_namespaced_config_map(ns, job_configmap())
    sleeper = lab.fio_pod("fio-long", "runc", args=["--time_based", "--runtime=600"])
    core.create_namespaced_pod(ns, sleeper)
    deadline = time.monotonic() + 60
    while core.read_namespaced_pod("fio-long", ns).status.phase != "Running":
        assert time.monotonic() < deadline, "pod did not start"
        time.sleep(0.5)
    assert node_containers(lab, ns) >= 2  # the sandbox and fio
    core.delete_namespace(ns)
    from kubernetes.client.exceptions import ApiException
    deadline = time.monotonic() + 120
    while True:
        try:
            core.read_namespace(ns)
        except ApiException as exc:
            assert exc.status == 404
            break
        assert time.monotonic() < deadline, "namespace still terminating"
        time.sleep(1)
    assert core.list_pod_for_all_namespaces(field_selector=f"metadata.namespace={ns}").items == []
    # and on the node: no container of that namespace is left in containerd
    deadline = time.monotonic() + 60
    while node_containers(lab, ns):
        assert time.monotonic() < deadline, "containers of the deleted namespace are still on the node"
        time.sleep(1)


def test_limited_user_only_reads_pods(lab, lab_limited_user, lab_nobody_kubeconfig):
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    ns = lab_limited_user.namespace
    viewer = client.CoreV1Api(lab_limited_user.api_client)
    assert viewer.list_namespaced_pod(ns).items == []
    with pytest.raises(ApiException) as exc:
        viewer.create_namespaced_pod(ns, lab.fio_pod("denied", "runc"))
    assert exc.value.status == 403
    with pytest.raises(ApiException) as exc:
        viewer.list_node()
    assert exc.value.status == 403
    nobody_client = lab.new_client(lab_nobody_kubeconfig)
    try:
        with pytest.raises(ApiException) as exc:
            client.CoreV1Api(nobody_client).list_namespaced_pod(ns)
        assert exc.value.status == 403
    finally:
        nobody_client.close()


def test_down_leaves_nothing(lab, tmp_path):
    """A second, throwaway lab with two nodes (own state dir, bridge and subnet), a pod running on each
    (gVisor on node 2 when available: its sandbox and gofer must go too), then `down`."""
    from conftest_lab import SCRIPT, _namespace_ready, parse_env
    from kubernetes import client
    state = tmp_path / "lab2"
    env = dict(os.environ, KATAIO_LAB_STATE=str(state), KATAIO_LAB_BRIDGE="kataiolabt0",
               KATAIO_LAB_POD_SUBNET="10.244.92.0/24", KATAIO_LAB_CACHE=lab.cache_dir)
    env.pop("KATAIO_LAB_EXTERNAL", None)
    nodes = [state, state / "node2"]
    try:
        up = subprocess.run([str(SCRIPT), "up", "--nodes", "2"], env=env, check=False, capture_output=True, text=True, timeout=300)
        assert up.returncode == 0, up.stderr
        info = parse_env(subprocess.run([str(SCRIPT), "env"], env=env, check=False, capture_output=True, text=True).stdout)
        assert info["KATAIO_LAB_NODE_DIRS"].split(",") == [str(d) for d in nodes]
        api = lab.new_client(info["KUBECONFIG"])
        core = client.CoreV1Api(api)
        _namespace_ready(core, "default")
        core.create_namespaced_config_map("default", job_configmap())
        node2_class = None
        if lab.has_gvisor:
            client.NodeV1Api(api).create_runtime_class(
                {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "gvisor"}, "handler": "runsc"})
            node2_class = "gvisor"
        for i, (node, rc) in enumerate(zip(info["KATAIO_LAB_NODES"].split(","), [None, node2_class]), start=1):
            core.create_namespaced_pod("default", lab.fio_pod(f"fio-long-{i}", rc, node=node,
                                                              args=["--time_based", "--runtime=600"]))
        deadline = time.monotonic() + 90
        for i in (1, 2):
            while core.read_namespaced_pod(f"fio-long-{i}", "default").status.phase != "Running":
                assert time.monotonic() < deadline
                time.sleep(0.5)
        api.close()
        mntns = [(d / "mntns").read_text().strip() for d in nodes]
        holders = [(d / "pids" / "holder.pid").read_text().strip() for d in nodes]
        cgroup_dirs = []
        for d, holder in zip(nodes, holders):
            ids = subprocess.run(["nsenter", "-t", holder, "-m", f"{lab.cache_dir}/bin/ctr", "--address",
                                  f"{d}/containerd.sock", "-n", "k8s.io", "containers", "ls", "-q"],
                                 capture_output=True, text=True, check=True).stdout.split()
            assert len(ids) == 2, d  # the sandbox and fio, on each node
            cgroup_dirs += [c for i in ids for c in Path("/sys/fs/cgroup").glob(f"*/k8s.io/{i}")]
        assert cgroup_dirs, "the pods' cgroups should exist while they run"
    finally:
        down = subprocess.run([str(SCRIPT), "down"], env=env, check=False, capture_output=True, text=True, timeout=300)
    down_done = float(Path("/proc/uptime").read_text().split()[0])
    assert down.returncode == 0, down.stderr
    assert not state.exists()
    # processes: nothing in either node's mount namespace, nothing naming the state dir. The kernel
    # reuses a freed namespace's inode number at once (another helper's new container may get it), so
    # only a process that started before `down` returned can be a leftover of the lab.
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            ns = os.stat(f"/proc/{pid}/ns/mnt").st_ino
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            started = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
        assert str(ns) not in mntns or started > down_done, f"process {pid} still in a lab mount namespace: {cmd}"
        assert str(state) not in cmd, f"process {pid} left: {cmd}"
    for holder, ns in zip(holders, mntns):
        assert not Path(f"/proc/{holder}").exists() or str(os.stat(f"/proc/{holder}/ns/mnt").st_ino) != ns
    # bridge, cgroups, mounts
    assert subprocess.run(["ip", "link", "show", "kataiolabt0"], check=False, capture_output=True).returncode != 0
    for d in cgroup_dirs:
        assert not d.exists(), f"cgroup left: {d}"
    assert str(state) not in Path("/proc/self/mountinfo").read_text()


def validate_strictly(manifests: list[dict]) -> None:
    """1.20 silently drops unknown fields: check what the tests send against current schemas, strict."""
    import kubernetes_validate
    assert manifests, "run with the other lab tests"
    for version in ("1.25", kubernetes_validate.latest_version()):
        for manifest in manifests:
            kubernetes_validate.validate(manifest, version, strict=True)


def test_generated_manifests_validate_strictly():
    import kubernetes_validate
    validate_strictly(GENERATED)
    bad = dict(GENERATED[-1], spec={"notAField": 1}) if GENERATED[-1].get("spec") else None
    if bad:
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(bad, kubernetes_validate.latest_version(), strict=True)
