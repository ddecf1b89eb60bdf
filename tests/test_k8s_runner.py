"""The Kubernetes runner against the real lab (scripts/k8s-lab): real pods, real fio, real failures.

Tiny files (8 MiB), 2 s runs. Every test ends by checking that no object labelled by kataio is left.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from kataio_tui.cli import main
from kataio_tui.fio.reader import iter_documents, read_fio_output
from kataio_tui.model.plan import FioParams, KubernetesStorage, KubernetesTarget, Plan, Timeouts, save_plan
from kataio_tui.runners.driver import run_plan
from kataio_tui.runners.events import ClientProgress, ClientResult
from kataio_tui.runners.kubernetes import manifests
from kataio_tui.runners.kubernetes.cleanup import find_leftovers
from kataio_tui.runners.kubernetes.runner import KubernetesRunner
from kataio_tui.runners.kubernetes.session import open_cluster

pytestmark = pytest.mark.lab


def k8s_plan(lab, namespace: str, runtimes: list[str], clients: list[int], runtime: int = 2,
             ioengine: str = "libaio", start: float = 60, **target) -> Plan:
    options = {"kubeconfig": lab.kubeconfig, "image": lab.fio_image, "image_pull_policy": "Never"} | target
    return Plan(name="k8s-lab", target="kubernetes", runtimes=runtimes, patterns=["randread"], clients=clients,
                fio=FioParams(ioengine=ioengine, filesize=8 << 20, runtime=runtime, ramp_time=0, numjobs=2,
                              iodepth=4),
                timeouts=Timeouts(start=start, scenario_grace=30, stop=2),
                kubernetes=KubernetesTarget(namespace=namespace, **options))


class Recorder:
    def __init__(self) -> None:
        self.events: list = []
        self.lock = threading.Lock()
        self.progress = threading.Event()

    def __call__(self, event) -> None:
        with self.lock:
            self.events.append(event)
        if isinstance(event, ClientProgress):
            self.progress.set()

    def of(self, kind) -> list:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]


def leftovers(lab, namespace: str) -> list:
    cluster = open_cluster(lab.kubeconfig, None, namespace)
    try:
        found = find_leftovers(cluster, namespace)
        assert not found.problems
        return found.objects
    finally:
        cluster.close()


def run(plan: Plan, tmp_path, cancel: threading.Event | None = None, emit=None):
    return run_plan(plan, KubernetesRunner(), emit or Recorder(), cancel or threading.Event(), out_dir=tmp_path)


def test_bare_runc_gvisor_side_by_side_on_a_hostpath(lab, lab_namespace, lab_runtime_classes, tmp_path,
                                                    tmp_path_factory, capsys):
    shared = tmp_path_factory.mktemp("k8sshared")  # no '_' in the path: plan paths refuse it
    runtimes = ["bare", "runc"] + (["gvisor"] if lab.has_gvisor else [])
    plan = k8s_plan(lab, lab_namespace, runtimes, [1, 4], baseline="privileged-pod",
                    storage=KubernetesStorage(kind="hostPath", path=str(shared)))
    events = Recorder()
    result = run(plan, tmp_path, emit=events)

    assert result.status == "completed" and result.failed == 0, [s.failure for s in result.result_set.manifest.scenarios]
    records = result.result_set.manifest.scenarios
    assert {(s.runtime, s.clients) for s in records} == {(rt, n) for rt in runtimes for n in (1, 4)}
    for record in records:
        assert record.status == "ok" and len(record.files) == record.clients
        for rel in record.files:
            data = result.result_set.read_raw(rel)
            assert data.startswith(b"{\n") and data.endswith(b"}\n")
            assert len(list(iter_documents(data))) == 1  # the final document only, as fio wrote it
            run_ = read_fio_output(data, rel)
            assert all(job.error == 0 for job in run_.jobs) and run_.jobs[0].directions["read"].io_bytes > 0
        if record.clients == 4:  # measured (its size depends on the machine's load: bench/start_skew.py)
            assert record.start_skew_s is not None and record.start_skew_s >= 0, record
    # live progress: every client of every 4-client scenario reported before its result (how often
    # depends on the machine's load: bench/start_skew.py --kubeconfig prints the intervals)
    for runtime in runtimes:
        for client in range(4):
            mine = [i for i, e in enumerate(events.events) if isinstance(e, (ClientProgress, ClientResult))
                    and e.key.runtime == runtime and e.key.clients == 4 and e.client == client]
            assert mine and isinstance(events.events[mine[0]], ClientProgress), (runtime, client)

    provenance = result.result_set.manifest.provenance
    assert provenance.kubernetes_version == "v1.20.2" and provenance.hosts == [lab.node_name]
    assert provenance.runtimes["bare"]["baseline"] == "privileged-pod"
    assert provenance.fio_version == "fio-3.33" and provenance.runtimes["runc"]["fio_version"] == "fio-3.33"
    assert provenance.runtimes["runc"]["node"] == lab.node_name and provenance.runtimes["runc"]["data_fs"]
    if lab.has_gvisor:
        assert provenance.runtimes["gvisor"]["handler"] == "runsc"
        assert provenance.runtimes["gvisor"]["data_fs"] == "9p"  # gVisor reaches the volume through its gofer
    assert provenance.nodes[lab.node_name]["container_runtime"].startswith("containerd://")

    assert main(["report", str(result.result_set.path)]) == 0
    report = capsys.readouterr().out
    for runtime in runtimes:
        assert runtime in report

    run_dir = shared / "kataio" / provenance.run_id
    assert sorted(p.name for p in run_dir.iterdir()) == [f"client-{i}" for i in range(4)]
    assert not list(run_dir.glob("client-*/kataio.*")), "fio's data files were not removed"
    assert leftovers(lab, lab_namespace) == []


def test_kata_qemu_ends_with_the_missing_handler_diagnosis(lab, lab_runtime_classes, tmp_path):
    namespace = f"kt-kata-{uuid.uuid4().hex[:6]}"  # created by the runner (and its service account awaited)
    plan = k8s_plan(lab, namespace, ["kata-qemu"], [1], create_namespace=True)
    t0 = time.monotonic()
    try:
        result = run(plan, tmp_path)
        elapsed = time.monotonic() - t0
        (record,) = result.result_set.manifest.scenarios
        assert record.status == "failed"
        assert 'no runtime for "kata-qemu" is configured' in record.failure
        assert "kata-qemu handler" in record.diagnosis and "kata-deploy" in record.remedy
        assert elapsed < plan.timeouts.start, "a definitive cause must end the scenario before the timeout"
        probe = result.result_set.manifest.provenance.runtimes["kata-qemu"]
        assert probe["handler"] == "kata-qemu" and probe["probe"].startswith("did not run")
        assert leftovers(lab, namespace) == []
    finally:
        lab.core().delete_namespace(namespace, body={"gracePeriodSeconds": 0})


def test_cancel_mid_run_deletes_everything_within_seconds(lab, lab_namespace, lab_runtime_classes, tmp_path):
    plan = k8s_plan(lab, lab_namespace, ["runc"], [4], runtime=30)
    cancel = threading.Event()
    events = Recorder()
    outcome: dict = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", run(plan, tmp_path, cancel, events)))
    worker.start()
    assert events.progress.wait(120), "no progress from the clients"
    assert leftovers(lab, lab_namespace), "the run's pods should exist while it runs"
    cancel.set()
    t0 = time.monotonic()
    worker.join(30)
    assert not worker.is_alive()
    assert time.monotonic() - t0 < 10
    result = outcome["result"]
    assert result.status == "cancelled"
    assert [s.status for s in result.result_set.manifest.scenarios] == ["interrupted"]
    assert leftovers(lab, lab_namespace) == []


def test_a_deleted_client_pod_ends_the_scenario_instead_of_hanging(lab, lab_namespace, lab_runtime_classes,
                                                                    tmp_path):
    plan = k8s_plan(lab, lab_namespace, ["runc"], [2], runtime=5)
    events = Recorder()
    outcome: dict = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", run(plan, tmp_path, emit=events)))
    worker.start()
    assert events.progress.wait(120)
    victim = next(p for p in lab.core().list_namespaced_pod(lab_namespace).items if p.metadata.name.endswith("-c1"))
    lab.core().delete_namespaced_pod(victim.metadata.name, lab_namespace, body={"gracePeriodSeconds": 0})  # like an eviction
    worker.join(60)
    assert not worker.is_alive()
    (record,) = outcome["result"].result_set.manifest.scenarios
    assert record.status == "partial" and len(record.files) == 1
    assert "client 1" in record.failure and "deleted" in record.failure
    assert leftovers(lab, lab_namespace) == []


def test_an_image_that_is_not_on_the_node_fails_at_once_with_the_cause(lab, lab_namespace, lab_runtime_classes,
                                                                        tmp_path):
    plan = k8s_plan(lab, lab_namespace, ["runc"], [1], image="kataio.local/missing:0")
    t0 = time.monotonic()
    result = run(plan, tmp_path)
    (record,) = result.result_set.manifest.scenarios
    assert record.status == "failed" and "ErrImageNeverPull" in record.failure
    assert "imagePullPolicy is Never" in record.diagnosis
    assert time.monotonic() - t0 < plan.timeouts.start
    assert leftovers(lab, lab_namespace) == []


def test_a_fio_error_is_a_scenario_failure_with_fio_s_words(lab, lab_namespace, lab_runtime_classes, tmp_path):
    if not lab.has_gvisor:
        pytest.skip("needs gVisor in the lab")
    # fio 3.33 with io_uring crashes under this gVisor release (runsc has io_uring off): a real fio failure
    plan = k8s_plan(lab, lab_namespace, ["gvisor"], [1], ioengine="io_uring")
    result = run(plan, tmp_path)
    (record,) = result.result_set.manifest.scenarios
    assert record.status == "failed"
    # fio crashes while laying out its files or, as often, once measuring (after the gate): either way in fio's words
    assert "laying out the data files failed (fio exit" in record.failure or "got signal=11" in record.failure
    assert "\n" not in record.failure
    assert leftovers(lab, lab_namespace) == []


@pytest.mark.parametrize("who", ["limited", "nobody"])
def test_a_user_without_pod_permissions_gets_one_clear_error(who, lab, lab_limited_user, lab_nobody_kubeconfig,
                                                            lab_runtime_classes, tmp_path, capsys):
    kubeconfig = lab_limited_user.kubeconfig if who == "limited" else lab_nobody_kubeconfig
    plan = k8s_plan(lab, lab_limited_user.namespace, ["runc"], [1], kubeconfig=kubeconfig)
    save_plan(plan, tmp_path / "plan.toml")
    code = main(["run", str(tmp_path / "plan.toml"), "--headless", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "kataio: error: the Kubernetes user of this kubeconfig may not create pods" in err
    assert "create pods/attach" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cleanup_command_removes_what_a_crashed_run_left(lab, lab_namespace, lab_runtime_classes, capsys):
    plan = k8s_plan(lab, lab_namespace, ["runc"], [2])
    runner = KubernetesRunner(probe_mounts=False)
    runner.prepare(plan, "crash-run-1")
    core = lab.core()
    names, owner = runner.names, runner.owner_ref
    key = plan.scenarios()[0]
    core.create_namespaced_config_map(lab_namespace, manifests.jobfile_configmap(names, lab_namespace, 0, key, "[x]\n",
                                                                                 owner))
    for client in range(2):
        core.create_namespaced_pod(lab_namespace, manifests.client_pod(
            names, plan.kubernetes, manifests.ClientSpec(0, key, client, None), owner))
    runner.cluster.close()  # the "crash": close() never runs
    assert len(leftovers(lab, lab_namespace)) == 4  # owner, job file, two pods

    assert main(["cleanup", "--run-id", "other-run", "--kubeconfig", lab.kubeconfig,
                 "--namespace", lab_namespace]) == 0
    assert len(leftovers(lab, lab_namespace)) == 4  # another run's id touches nothing
    assert main(["cleanup", "--run-id", "crash-run-1", "--kubeconfig", lab.kubeconfig,
                 "--namespace", lab_namespace]) == 0
    assert "deleted 4 objects" in capsys.readouterr().out
    assert leftovers(lab, lab_namespace) == []


def test_storage_from_a_storageclass_gets_a_claim_per_run_that_goes_with_it(lab, lab_namespace, lab_runtime_classes,
                                                                            tmp_path, tmp_path_factory):
    # The lab has no provisioner: a PersistentVolume of the class is made by hand and binds statically.
    backing = tmp_path_factory.mktemp("k8spv")
    pv_name = f"kataio-test-{lab_namespace}"
    lab.core().create_persistent_volume({
        "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv_name},
        "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany"], "storageClassName": pv_name,
                 "persistentVolumeReclaimPolicy": "Retain", "hostPath": {"path": str(backing)}}})
    try:
        plan = k8s_plan(lab, lab_namespace, ["runc"], [2], storage=KubernetesStorage(
            kind="storageclass", storage_class=pv_name, access_mode="ReadWriteMany"))
        result = run(plan, tmp_path)
        (record,) = result.result_set.manifest.scenarios
        assert record.status == "ok", record.failure
        run_id = result.result_set.manifest.provenance.run_id
        assert sorted(p.name for p in (backing / "kataio" / run_id).iterdir()) == ["client-0", "client-1"]
        assert not list(backing.glob("kataio/*/client-*/kataio.*")), "fio's data files were not removed"
        assert lab.core().read_persistent_volume(pv_name).spec.claim_ref.name == f"kataio-{run_id}-data"
        assert leftovers(lab, lab_namespace) == []  # the claim went with the run
    finally:
        lab.core().delete_persistent_volume(pv_name)
