"""pytest plugin for kataio's real Kubernetes lab (scripts/k8s-lab, docs/lab.md).

Loaded by tests/conftest.py (``pytest_plugins = ["conftest_lab"]``). Fixtures:

- ``lab`` (session): a running single-node Kubernetes v1.20.2; brought up once (built first when the
  cache is missing) and down at session end. Reused and left running when KATAIO_LAB_EXTERNAL=1 or
  when ``scripts/k8s-lab status`` finds a lab already running. Returns a :class:`Lab`.
- ``lab_namespace`` (function): a fresh namespace whose default service account (and its token
  secret) exists; deleted afterwards.
- ``lab_runtime_classes`` (session): RuntimeClasses ``runc`` (handler runc), ``gvisor`` (handler
  runsc, only when ``lab.has_gvisor``), ``kata-qemu`` and ``kata-fc`` (handlers the node does NOT
  have: their pods fail with ``no runtime for "kata-qemu" is configured``). Returns {name: handler}.
- ``lab_limited_user`` (function): a user allowed only get/list/watch on pods in ``lab_namespace``;
  a :class:`LimitedUser` with ``kubeconfig`` (path), ``api_client``, ``namespace``, ``username``.
- ``lab_nobody_kubeconfig`` (session): kubeconfig path of an authenticated user with no permission.

Tests that use ``lab`` get the ``lab`` marker automatically. They skip, with the reason, only where
the machine cannot host the lab (not Linux, not root); any other lab failure is an error.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "k8s-lab"
FIO_IMAGE = "kataio.local/fio:3.33"
PAUSE_IMAGE = "kataio.local/pause:3.2"
KATA_LABEL = "katacontainers.io/kata-runtime"


def cannot_host_lab() -> str | None:
    if not sys.platform.startswith("linux"):
        return f"the Kubernetes lab needs Linux (this is {sys.platform})"
    if os.geteuid() != 0:
        return "the Kubernetes lab needs root (it runs containerd, kubelet and a CNI bridge)"
    return None


def run_script(*args: str, env: dict | None = None, check: bool = True, timeout: float = 1200) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], env=env or os.environ.copy(), text=True,
                          capture_output=True, check=check, timeout=timeout)


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@dataclass
class LimitedUser:
    username: str
    namespace: str
    kubeconfig: str
    api_client: object


@dataclass
class Lab:
    kubeconfig: str
    api_client: object  # kubernetes.client.ApiClient (admin)
    has_gvisor: bool
    node_name: str
    state_dir: str
    cache_dir: str
    external: bool
    env: dict = field(default_factory=dict)
    fio_image: str = FIO_IMAGE
    pause_image: str = PAUSE_IMAGE

    # --- API handles --------------------------------------------------------------------------
    def core(self):
        from kubernetes import client
        return client.CoreV1Api(self.api_client)

    def batch(self):
        from kubernetes import client
        return client.BatchV1Api(self.api_client)

    def node_api(self):
        from kubernetes import client
        return client.NodeV1Api(self.api_client)

    def rbac(self):
        from kubernetes import client
        return client.RbacAuthorizationV1Api(self.api_client)

    def new_client(self, kubeconfig: str | None = None):
        from kubernetes import config
        return config.new_client_from_config(config_file=kubeconfig or self.kubeconfig)

    # --- node-side helpers --------------------------------------------------------------------
    def ctr(self, *args: str) -> str:
        """Run ctr against the lab's containerd (inside the lab's mount namespace), namespace k8s.io."""
        holder = Path(self.state_dir, "pids", "holder.pid").read_text().strip()
        out = subprocess.run(["nsenter", "-t", holder, "-m", str(Path(self.cache_dir, "bin", "ctr")),
                              "--address", f"{self.state_dir}/containerd.sock", "-n", "k8s.io", *args],
                             capture_output=True, text=True, check=True, timeout=60)
        return out.stdout

    # --- waiting ------------------------------------------------------------------------------
    def wait_pod_done(self, namespace: str, name: str, timeout: float = 180):
        """Poll until the pod is Succeeded or Failed (a fast pod may never be seen Running)."""
        core = self.core()
        deadline = time.monotonic() + timeout
        while True:
            pod = core.read_namespaced_pod(name, namespace)
            if pod.status.phase in ("Succeeded", "Failed"):
                return pod
            if time.monotonic() > deadline:
                raise TimeoutError(f"pod {namespace}/{name} still {pod.status.phase} after {timeout}s: {pod.status}")
            time.sleep(0.5)

    def wait_event(self, namespace: str, involved: str, reason: str, timeout: float = 120):
        core = self.core()
        deadline = time.monotonic() + timeout
        while True:
            evs = core.list_namespaced_event(
                namespace, field_selector=f"involvedObject.name={involved},reason={reason}").items
            if evs:
                return evs[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {reason} event for {namespace}/{involved} after {timeout}s")
            time.sleep(0.5)

    def pod_log(self, namespace: str, name: str, container: str | None = None) -> str:
        kw = {"container": container} if container else {}
        return self.core().read_namespaced_pod_log(name, namespace, **kw)

    # --- manifests ----------------------------------------------------------------------------
    def fio_pod(self, name: str, runtime_class: str | None, configmap: str = "fio-job",
                args: list[str] | None = None) -> dict:
        """A pod manifest running the local fio image on /etc/fio/job.fio from ``configmap``."""
        spec: dict = {
            "restartPolicy": "Never",
            "containers": [{
                "name": "fio", "image": self.fio_image, "imagePullPolicy": "Never",
                "command": ["/usr/bin/fio", "--output-format=json", *(args or []), "/etc/fio/job.fio"],
                "volumeMounts": [{"name": "job", "mountPath": "/etc/fio"}, {"name": "data", "mountPath": "/data"}],
            }],
            "volumes": [{"name": "job", "configMap": {"name": configmap}}, {"name": "data", "emptyDir": {}}],
        }
        if runtime_class:
            spec["runtimeClassName"] = runtime_class
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "kataio-lab-test"}},
                "spec": spec}


def _namespace_ready(core, ns: str, timeout: float = 60) -> None:
    """A 1.20 namespace accepts pods only once its default service account and token secret exist."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sas = core.list_namespaced_service_account(ns, field_selector="metadata.name=default").items
        if sas and sas[0].secrets:
            return
        time.sleep(0.1)
    raise TimeoutError(f"namespace {ns}: default service account not ready after {timeout}s")


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the real single-node Kubernetes lab (scripts/k8s-lab)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "lab" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("lab"):
            item.add_marker(pytest.mark.lab)


def pytest_report_header(config):
    reason = cannot_host_lab()
    return f"kataio lab: {'cannot run here: ' + reason if reason else 'available (' + str(SCRIPT) + ')'}"


@pytest.fixture(scope="session")
def lab():
    reason = cannot_host_lab()
    if reason:
        print(f"\nSKIP lab tests: {reason}", file=sys.stderr)
        pytest.skip(reason)
    from kubernetes import config as kconfig  # import here: the skip above must not need it

    external = os.environ.get("KATAIO_LAB_EXTERNAL") == "1" or \
        run_script("status", check=False, timeout=60).returncode == 0
    if not external:
        t0 = time.monotonic()
        up = run_script("up", check=False)
        if up.returncode != 0:
            run_script("down", check=False, timeout=300)
            pytest.fail(f"scripts/k8s-lab up failed ({up.returncode}):\n{up.stdout}\n{up.stderr[-4000:]}")
        print(f"\nkataio lab up in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    env = parse_env(run_script("env", timeout=60).stdout)
    the_lab = Lab(kubeconfig=env["KUBECONFIG"], api_client=kconfig.new_client_from_config(config_file=env["KUBECONFIG"]),
                  has_gvisor=env.get("KATAIO_LAB_HAS_GVISOR") == "1", node_name=env["KATAIO_LAB_NODE"],
                  state_dir=env["KATAIO_LAB_STATE"], cache_dir=env["KATAIO_LAB_CACHE"], external=external, env=env,
                  fio_image=env.get("KATAIO_LAB_FIO_IMAGE", FIO_IMAGE),
                  pause_image=env.get("KATAIO_LAB_PAUSE_IMAGE", PAUSE_IMAGE))
    try:
        yield the_lab
    finally:
        the_lab.api_client.close()
        if not external:
            down = run_script("down", check=False, timeout=300)
            if down.returncode != 0:
                print(f"scripts/k8s-lab down failed: {down.stderr}", file=sys.stderr)


@pytest.fixture
def lab_namespace(lab):
    core = lab.core()
    name = f"kt-{uuid.uuid4().hex[:10]}"
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    try:
        _namespace_ready(core, name)
        yield name
    finally:
        try:
            core.delete_namespace(name, body={"gracePeriodSeconds": 0, "propagationPolicy": "Background"})
        except Exception as exc:  # already gone (a test may delete it itself)
            if getattr(exc, "status", None) != 404:
                raise


RUNTIME_CLASSES = {"runc": "runc", "kata-qemu": "kata-qemu", "kata-fc": "kata-fc"}


@pytest.fixture(scope="session")
def lab_runtime_classes(lab):
    """{name: handler}. Kata names keep Kata handlers (absent on this node): never mapped onto runc."""
    wanted = dict(RUNTIME_CLASSES)
    if lab.has_gvisor:
        wanted["gvisor"] = "runsc"
    api = lab.node_api()
    created = []
    for name, handler in wanted.items():
        try:
            api.create_runtime_class({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass",
                                      "metadata": {"name": name}, "handler": handler})
            created.append(name)
        except Exception as exc:
            if getattr(exc, "status", None) != 409:
                raise
            assert api.read_runtime_class(name).handler == handler, f"RuntimeClass {name} exists with another handler"
    yield wanted
    for name in created:
        try:
            api.delete_runtime_class(name)
        except Exception:
            pass


@pytest.fixture
def lab_limited_user(lab, lab_namespace):
    """The static token user ``kataio-viewer``: get/list/watch pods in ``lab_namespace`` and nothing else."""
    rbac = lab.rbac()
    rbac.create_namespaced_role(lab_namespace, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "pod-reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]})
    rbac.create_namespaced_role_binding(lab_namespace, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "pod-reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "kataio-viewer"}]})
    kubeconfig = lab.env["KATAIO_LAB_VIEWER_KUBECONFIG"]
    client = lab.new_client(kubeconfig)
    try:
        yield LimitedUser(username="kataio-viewer", namespace=lab_namespace, kubeconfig=kubeconfig, api_client=client)
    finally:
        client.close()


@pytest.fixture(scope="session")
def lab_nobody_kubeconfig(lab):
    """Kubeconfig of the static token user ``kataio-nobody``: authenticated, no RBAC binding at all."""
    return lab.env["KATAIO_LAB_NOBODY_KUBECONFIG"]
