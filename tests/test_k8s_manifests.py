"""The Kubernetes runner's manifests: valid for current Kubernetes (strict schemas), labelled, owned, least privilege.

The lab's 1.20 API server silently drops fields it does not know, so the schemas of current releases
(bundled by ``kubernetes-validate``) are the check that every field is spelled right.
"""

from __future__ import annotations

import re

import kubernetes_validate
import pytest
from packaging.version import Version

from kataio_tui.model.plan import KubernetesStorage, KubernetesTarget
from kataio_tui.model.results import ScenarioKey
from kataio_tui.runners.kubernetes import gate, manifests as m

NAMES = m.RunNames("3f9a01bc")
OWNER = m.owner_reference(NAMES, "0c6f6a6e-5a8e-4b8e-9d0e-2f1d7b8d9a10")
KEY = ScenarioKey("kata-qemu", "randread", 65536, 8, 0)
BARE_KEY = ScenarioKey("bare", "randread", 65536, 8, 0)
STORAGES = {
    "emptyDir": KubernetesStorage(),
    "hostPath": KubernetesStorage(kind="hostPath", path="/srv/shared"),
    "pvc": KubernetesStorage(kind="pvc", claim="fast-nvme"),
    "storageclass": KubernetesStorage(kind="storageclass", storage_class="cephfs", access_mode="ReadWriteMany"),
}


def newest_schema_versions(count: int = 2) -> list[str]:
    """The newest Kubernetes versions whose schemas kubernetes-validate bundles (strict variants exist for all)."""
    versions = sorted({Version(v) for v in kubernetes_validate.utils.all_versions()})
    assert versions, "kubernetes-validate bundles no schemas"
    return [str(v) for v in versions[-count:]]


def target(storage: str = "emptyDir", **kw) -> KubernetesTarget:
    return KubernetesTarget(namespace="bench", storage=STORAGES[storage], image="kataio.local/fio:3.33",
                            image_pull_policy="Never", **kw)


def all_manifests() -> list[tuple[str, dict]]:
    found = [("owner", m.owner_configmap(NAMES, "bench", "quick")),
             ("jobfile", m.jobfile_configmap(NAMES, "bench", 3, KEY, "[global]\nrw=randread\n[c]\n", OWNER)),
             ("claim", m.claim(NAMES, target("storageclass"), OWNER, 8 * 4 * (32 << 30))),
             ("claim-sized", m.claim(NAMES, target("storageclass").model_copy(
                 update={"storage": KubernetesStorage(kind="storageclass", storage_class="x", size="500Gi")}),
                 OWNER, 1)),
             ("namespace", m.namespace("bench"))]
    for storage in STORAGES:
        for rc in ("kata-qemu", None):
            spec = m.ClientSpec(index=3, key=KEY, client=5, runtime_class=rc)
            found.append((f"pod-{storage}-{rc}", m.client_pod(NAMES, target(storage), spec, OWNER)))
        base = m.ClientSpec(index=3, key=BARE_KEY, client=0, runtime_class=None, baseline=True)
        found.append((f"baseline-{storage}", m.client_pod(NAMES, target(storage, baseline="privileged-pod"), base,
                                                          OWNER)))
    found.append(("pod-selector-limits", m.client_pod(
        NAMES, target(node_selector={"disktype": "nvme"}, memory_limit="2Gi", cpu_request="0.5"),
        m.ClientSpec(index=0, key=KEY, client=0, runtime_class="gvisor"), OWNER)))
    return found


@pytest.mark.parametrize("version", newest_schema_versions())
def test_every_manifest_validates_strictly(version):
    for name, manifest in all_manifests():
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name} is invalid for Kubernetes {version}: {exc.message} at {list(exc.path)}")


def test_validation_catches_a_misspelt_field():
    """The check above can fail: a field the schema does not know is refused in strict mode."""
    pod = m.client_pod(NAMES, target(), m.ClientSpec(0, KEY, 0, None), OWNER)
    pod["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalaton"] = False
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod, newest_schema_versions(1)[0], strict=True)


def test_labels_and_owner_on_every_run_object():
    for name, manifest in all_manifests():
        labels = manifest["metadata"]["labels"]
        assert labels[m.APP_LABEL] == "kataio", name
        if name == "namespace":
            assert "ownerReferences" not in manifest["metadata"]
            continue
        assert labels[m.RUN_LABEL] == "3f9a01bc", name
        if name != "owner":
            assert manifest["metadata"]["ownerReferences"] == [OWNER], name
        for value in labels.values():
            assert re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", value), (name, value)
        assert len(manifest["metadata"]["name"]) <= 63


def test_client_pod_least_privilege_and_gate():
    pod = m.client_pod(NAMES, target("hostPath"), m.ClientSpec(3, KEY, 5, "kata-qemu"), OWNER)
    spec = pod["spec"]
    container = spec["containers"][0]
    assert spec["runtimeClassName"] == "kata-qemu"
    assert spec["automountServiceAccountToken"] is False
    assert not any(spec.get(k) for k in ("hostPID", "hostNetwork", "hostIPC"))
    sc = container["securityContext"]
    assert sc["privileged"] is False and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]} and sc["readOnlyRootFilesystem"] is True
    assert container["stdin"] is True and container["command"][:2] == ["/bin/sh", "-c"]
    assert container["command"][-2:] == [gate.JOB_FILE, "/data"] and f"--exec_prerun={gate.JOB_GATE}" in container["command"][2]
    mounts = {v["name"]: v for v in container["volumeMounts"]}
    assert mounts["data"]["subPath"] == "kataio/3f9a01bc/client-5"
    assert spec["volumes"][1] == {"name": "data", "hostPath": {"path": "/srv/shared", "type": "DirectoryOrCreate"}}
    spread = spec["topologySpreadConstraints"][0]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert spread["labelSelector"]["matchLabels"] == {m.RUN_LABEL: "3f9a01bc", m.SCENARIO_LABEL: "s3"}


def test_default_runtime_has_no_runtime_class_and_emptydir_no_subpath():
    pod = m.client_pod(NAMES, target(), m.ClientSpec(0, KEY, 0, None), OWNER)
    assert "runtimeClassName" not in pod["spec"]
    assert "subPath" not in pod["spec"]["containers"][0]["volumeMounts"][1]


def test_baseline_pod_is_privileged_in_host_namespaces_and_labelled():
    pod = m.client_pod(NAMES, target("hostPath", baseline="privileged-pod"),
                       m.ClientSpec(1, BARE_KEY, 0, "kata-qemu", baseline=True), OWNER)
    spec = pod["spec"]
    assert spec["hostPID"] and spec["hostNetwork"] and spec["hostIPC"]
    assert "runtimeClassName" not in spec
    assert spec["containers"][0]["securityContext"] == {"privileged": True}
    assert pod["metadata"]["labels"][m.ROLE_LABEL] == "baseline"


def test_claim_size_from_plan_when_not_given():
    pvc = m.claim(NAMES, target("storageclass"), OWNER, 64 * 4 * (32 << 30))
    assert pvc["spec"]["resources"]["requests"]["storage"] == "9012Gi"  # ceil(8192 GiB x 1.1 = 9011.2)
    assert pvc["spec"]["storageClassName"] == "cephfs"


def test_selector_text():
    assert m.selector() == "app.kubernetes.io/name=kataio"
    assert m.selector("ab12", "s4") == "app.kubernetes.io/name=kataio,kataio.io/run-id=ab12,kataio.io/scenario=s4"


def test_runtime_names_map_to_runtime_classes():
    from kataio_tui.runners.kubernetes.runner import runtime_class_for, run_id_label

    t = KubernetesTarget(runtime_classes={"kata": "kata-qemu", "fast": None})
    assert [runtime_class_for(t, rt) for rt in ("runc", "default", "bare", "kata", "fast", "gvisor", "kata-clh")] \
        == [None, None, None, "kata-qemu", None, "gvisor", "kata-clh"]
    assert run_id_label("20261125-181500-ab12") == "20261125-181500-ab12"
    assert run_id_label("My Run_1") == "my-run-1"


def test_bare_on_kubernetes_needs_the_opt_in_before_anything_is_contacted():
    from kataio_tui.errors import KataioError
    from kataio_tui.model.plan import Plan
    from kataio_tui.runners.kubernetes.runner import KubernetesRunner

    plan = Plan(target="kubernetes", runtimes=["bare", "runc"],
                kubernetes=KubernetesTarget(kubeconfig="/nonexistent/kubeconfig"))
    with pytest.raises(KataioError, match='kubernetes.baseline = "privileged-pod"'):
        KubernetesRunner().prepare(plan, "r1")
    # with the opt-in the next problem is the missing kubeconfig, named as such
    plan = plan.model_copy(update={"kubernetes": plan.kubernetes.model_copy(update={"baseline": "privileged-pod"})})
    with pytest.raises(KataioError, match="no kubeconfig: /nonexistent/kubeconfig"):
        KubernetesRunner().prepare(plan, "r1")
