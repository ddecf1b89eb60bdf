"""The two-node lab (``scripts/k8s-lab up --nodes 2``, fixture ``lab2``): two real kubelets and containerds.

Pods land on, stream from and fail with each node for real; a stopped kubelet makes its node NotReady.
lab2 has its own state dir, bridge and subnet: stopping its kubelets never disturbs the default lab.
"""
from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest
from test_lab import GENERATED, assert_fio_json, generated, job_configmap, validate_strictly

pytestmark = pytest.mark.lab

KATA_LABEL = "katacontainers.io/kata-runtime"


def runtimes(lab) -> list[str]:
    return ["runc", "gvisor"] if lab.has_gvisor else ["runc"]


def wait_running(lab, namespace: str, names: list[str], timeout: float = 90) -> None:
    core = lab.core()
    deadline = time.monotonic() + timeout
    for name in names:
        while (pod := core.read_namespaced_pod(name, namespace)).status.phase != "Running":
            assert pod.status.phase == "Pending", (name, pod.status)
            assert time.monotonic() < deadline, f"{name} did not start: {pod.status}"
            time.sleep(0.3)


def running(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan exits into a zombie until PID 1 reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def pod_containers(lab, node: str, namespace: str, pod: str) -> list[str]:
    """IDs of the containers that ``node``'s own containerd holds for that pod."""
    return lab.ctr("containers", "ls", "-q", f'labels."io.kubernetes.pod.namespace"=={namespace},'
                   f'labels."io.kubernetes.pod.name"=={pod}', node=node).split()


def test_two_nodes_ready_and_only_one_labelled_for_kata(lab2):
    core = lab2.core()
    nodes = {n.metadata.name: n for n in core.list_node().items}
    assert sorted(nodes) == sorted(lab2.node_names) and len(nodes) == 2
    for name, node in nodes.items():
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions), name
        assert not node.spec.taints, (name, node.spec.taints)
    assert [n.metadata.name for n in core.list_node(label_selector=f"{KATA_LABEL}=true").items] == [lab2.kata_node]
    assert KATA_LABEL not in nodes[lab2.plain_node].metadata.labels
    # each node is its own kubelet (own port) with its own containerd (own state directory)
    ports = {n.status.daemon_endpoints.kubelet_endpoint.port for n in nodes.values()}
    assert len(ports) == 2
    assert len({n.state_dir for n in lab2.nodes}) == 2
    assert len({lab2.recorded_pid("kubelet", n) for n in lab2.node_names}) == 2
    assert all(nodes[n].status.node_info.container_runtime_version.startswith("containerd://") for n in nodes)


def test_fio_pod_pinned_to_each_node_succeeds(lab2, lab2_namespace, lab2_runtime_classes):
    """runc (and gVisor) on both nodes, all at once; the logs come through the API server from each kubelet."""
    core = lab2.core()
    core.create_namespaced_config_map(lab2_namespace, job_configmap())
    pods = {}
    for node in lab2.node_names:
        for rc in runtimes(lab2):
            name = f"fio-{rc}-{lab2.node(node).index}"
            core.create_namespaced_pod(lab2_namespace, generated(lab2.fio_pod(name, rc, node=node)))
            pods[name] = node
    for name, node in pods.items():
        pod = lab2.wait_pod_done(lab2_namespace, name)
        log = lab2.pod_log(lab2_namespace, name)
        assert pod.status.phase == "Succeeded", (name, pod.status, log)
        assert pod.spec.node_name == node
        assert_fio_json(log)
        # the pod's containers are in that node's containerd, and only there
        assert len(pod_containers(lab2, node, lab2_namespace, name)) == 2  # sandbox and fio
        other = next(n for n in lab2.node_names if n != node)
        assert pod_containers(lab2, other, lab2_namespace, name) == []


def test_attach_exec_and_logs_through_the_api_server_on_each_node(lab2, lab2_namespace, lab2_runtime_classes):
    """What the Kubernetes runner uses (pods/attach for the start gate, log streams), on both kubelets."""
    from kubernetes import client
    from kubernetes.stream import stream
    core = lab2.core()
    names = []
    for node in lab2.node_names:
        for rc in runtimes(lab2):
            name = f"sh-{rc}-{lab2.node(node).index}"
            manifest = lab2.fio_pod(name, rc, node=node)
            manifest["spec"]["containers"][0].update(
                stdin=True, command=["/bin/sh", "-c", "echo started; while read l; do echo got $l; done"])
            del manifest["spec"]["containers"][0]["volumeMounts"], manifest["spec"]["volumes"]
            core.create_namespaced_pod(lab2_namespace, generated(manifest))
            names.append(name)
    wait_running(lab2, lab2_namespace, names)
    streams = lab2.new_client()  # kubernetes.stream swaps call_api on the client it is given
    try:
        score = client.CoreV1Api(streams)
        for name in names:
            out = stream(score.connect_get_namespaced_pod_exec, name, lab2_namespace, command=["/bin/sh", "-c", "echo exec $0", name],
                         stdin=False, stdout=True, stderr=True, tty=False)
            assert out.strip() == f"exec {name}"
            ws = stream(score.connect_get_namespaced_pod_attach, name, lab2_namespace, stdin=True, stdout=True,
                        stderr=True, tty=False, _preload_content=False)
            try:
                ws.write_stdin(f"hello {name}\n")
                got, deadline = "", time.monotonic() + 30
                while f"got hello {name}" not in got and time.monotonic() < deadline and ws.is_open():
                    ws.update(timeout=1)
                    got += ws.read_stdout()
            finally:
                ws.close()
            assert f"got hello {name}" in got
            assert core.read_namespaced_pod_log(name, lab2_namespace).splitlines() == ["started", f"got hello {name}"]
    finally:
        streams.close()


def test_runtime_class_node_selector_confines_pods_to_the_kata_node(lab2, lab2_namespace):
    """A RuntimeClass whose scheduling.nodeSelector names the Kata label: its pods go only where the label is.

    The handler is runc (Kata cannot run here); the placement is what is under test. A pod of that class
    asked onto the other node stays Pending with the scheduler's own reason."""
    name = f"on-kata-{lab2_namespace}"
    api = lab2.node_api()
    api.create_runtime_class(generated({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": name},
                                        "handler": "runc", "scheduling": {"nodeSelector": {KATA_LABEL: "true"}}}))
    try:
        core = lab2.core()
        core.create_namespaced_config_map(lab2_namespace, job_configmap())
        for i in range(3):
            core.create_namespaced_pod(lab2_namespace, generated(lab2.fio_pod(f"fio-{i}", name)))
        core.create_namespaced_pod(lab2_namespace, generated(lab2.fio_pod("fio-elsewhere", name, node=lab2.plain_node)))
        for i in range(3):
            pod = lab2.wait_pod_done(lab2_namespace, f"fio-{i}")
            assert pod.status.phase == "Succeeded" and pod.spec.node_name == lab2.kata_node
            assert pod.spec.node_selector == {KATA_LABEL: "true"}  # merged in by the RuntimeClass admission
        ev = lab2.wait_event(lab2_namespace, "fio-elsewhere", "FailedScheduling")
        assert "0/2 nodes are available" in ev.message and "didn't match Pod's node affinity" in ev.message, ev.message
        pod = core.read_namespaced_pod("fio-elsewhere", lab2_namespace)
        assert pod.status.phase == "Pending" and not pod.spec.node_name
    finally:
        api.delete_runtime_class(name)


def test_stopped_kubelet_makes_its_node_not_ready_and_a_restart_brings_it_back(lab2, lab2_namespace):
    node, other = lab2.plain_node, lab2.kata_node
    old_pid = lab2.recorded_pid("kubelet", node)
    t0 = time.monotonic()
    with lab2.kubelet_stopped(node):
        cond = lab2.wait_node(node, ready=False, timeout=lab2.node_grace + 60)
        t_not_ready = time.monotonic() - t0
        assert cond.status == "Unknown" and cond.reason == "NodeStatusUnknown"
        assert cond.message == "Kubelet stopped posting node status."
        _, taints = lab2.node_ready(node)
        assert {(t.key, t.effect) for t in taints} >= {("node.kubernetes.io/unreachable", "NoSchedule")}
        cond_other, taints_other = lab2.node_ready(other)
        assert cond_other.status == "True" and not taints_other  # only that node is affected
        t1 = time.monotonic()
    t_back = time.monotonic() - t1  # kubelet_stopped restarted it and waited for Ready, untainted
    assert lab2.recorded_pid("kubelet", node) != old_pid and not running(old_pid)
    # the restarted kubelet serves pods again
    lab2.core().create_namespaced_config_map(lab2_namespace, job_configmap())
    lab2.core().create_namespaced_pod(lab2_namespace, generated(lab2.fio_pod("fio-after", "runc", node=node)))
    assert lab2.wait_pod_done(lab2_namespace, "fio-after").status.phase == "Succeeded"
    print(f"\nkubelet of {node} stopped: NotReady after {t_not_ready:.1f}s (grace {lab2.node_grace:g}s), "
          f"Ready again {t_back:.1f}s after the restart", file=sys.stderr)


def test_stopped_api_server_refuses_and_a_restart_serves_again(lab2):
    port = int(lab2.env["KATAIO_LAB_API"].rsplit(":", 1)[1])
    old_pid = lab2.stop_apiserver()
    try:
        assert not running(old_pid)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        new_pid = lab2.start_apiserver()
    assert new_pid != old_pid
    assert lab2.core().read_node(lab2.kata_node).metadata.name == lab2.kata_node
    for node in lab2.node_names:
        lab2.wait_node(node, ready=True)


def test_two_node_manifests_validate_strictly():
    validate_strictly(GENERATED)
