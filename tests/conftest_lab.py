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
- ``lab2`` (session): a second lab with TWO nodes (``scripts/k8s-lab up --nodes 2``) in its own state
  dir, bridge and pod subnet (KATAIO_LAB2_STATE, default $CACHE/state-lab2; KATAIO_LAB2_BRIDGE,
  default kataiolab2; KATAIO_LAB2_POD_SUBNET, default 10.244.93.0/24), so that tests may stop its
  kubelets and API server while other sessions use the default lab. Sessions using it are serialized
  by a lock file beside its state dir. Reused and left running when KATAIO_LAB2_EXTERNAL=1 or when it
  already runs. A :class:`Lab` like ``lab``, with ``nodes`` (:class:`LabNode`), ``kata_node``,
  ``plain_node`` and the fault helpers ``stop_kubelet``/``start_kubelet``/``kubelet_stopped``,
  ``stop_apiserver``/``start_apiserver`` (they act on the recorded PIDs through scripts/k8s-lab).
- ``lab2_namespace`` (function), ``lab2_runtime_classes`` (session): as above, on ``lab2``.

Tests that use ``lab`` or ``lab2`` get the ``lab`` marker automatically. They skip, with the reason, only where
the machine cannot host the lab (not Linux, not root); any other lab failure is an error.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
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
class LabNode:
    """One node of a lab: its own containerd and kubelet. ``index`` is ``k8s-lab stop|start --node N``'s N."""
    name: str
    index: int
    state_dir: str  # the node's directory (node 1: the lab's state dir itself)
    kata: bool      # labelled katacontainers.io/kata-runtime=true (only node 1, as kata-deploy would)


@dataclass
class Lab:
    kubeconfig: str
    api_client: object  # kubernetes.client.ApiClient (admin)
    has_gvisor: bool
    node_name: str      # node 1 (``localhost``)
    state_dir: str
    cache_dir: str
    external: bool
    env: dict = field(default_factory=dict)
    fio_image: str = FIO_IMAGE
    pause_image: str = PAUSE_IMAGE
    nodes: list[LabNode] = field(default_factory=list)
    script_env: dict = field(default_factory=dict)  # the environment selecting this lab for scripts/k8s-lab
    node_grace: float = 40.0  # controller-manager --node-monitor-grace-period, seconds

    # --- nodes --------------------------------------------------------------------------------
    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]

    @property
    def kata_node(self) -> str:
        """The node labelled katacontainers.io/kata-runtime=true."""
        return next(n.name for n in self.nodes if n.kata)

    @property
    def plain_node(self) -> str:
        """A node without the Kata label (a two-node lab has exactly one)."""
        return next(n.name for n in self.nodes if not n.kata)

    def node(self, name: str) -> LabNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node {name!r} in this lab (nodes: {', '.join(self.node_names)})")

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
    def ctr(self, *args: str, node: str | None = None) -> str:
        """Run ctr against a node's containerd (node 1 by default) in its mount namespace, namespace k8s.io."""
        d = self.node(node).state_dir if node else self.state_dir
        holder = Path(d, "pids", "holder.pid").read_text().strip()
        out = subprocess.run(["nsenter", "-t", holder, "-m", str(Path(self.cache_dir, "bin", "ctr")),
                              "--address", f"{d}/containerd.sock", "-n", "k8s.io", *args],
                             capture_output=True, text=True, check=True, timeout=60)
        return out.stdout

    # --- faults, for real: scripts/k8s-lab signals the recorded PID and restarts the recorded command --
    def script(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run scripts/k8s-lab on this lab; a failure raises with the script's message."""
        out = run_script(*args, env=self.script_env, check=False, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"scripts/k8s-lab {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
        return out

    def recorded_pid(self, component: str, node: str | None = None) -> int:
        """The PID that the lab recorded for ``component`` (kubelet, containerd, kube-apiserver, ...)."""
        d = self.node(node).state_dir if node else self.state_dir
        return int(Path(d, "pids", f"{component}.pid").read_text())

    def stop_kubelet(self, node: str, kill: bool = False) -> int:
        """SIGTERM (SIGKILL with ``kill``) to that node's kubelet; returns once it has exited. -> its PID."""
        pid = self.recorded_pid("kubelet", node)
        self.script("stop", "kubelet", "--node", str(self.node(node).index), *(["--kill"] if kill else []))
        return pid

    def start_kubelet(self, node: str, wait_ready: bool = True, timeout: float = 90) -> int:
        """Start that node's kubelet again (same command line, same namespace) -> the new PID."""
        self.script("start", "kubelet", "--node", str(self.node(node).index))
        if wait_ready:
            self.wait_node(node, ready=True, timeout=timeout)
        return self.recorded_pid("kubelet", node)

    @contextmanager
    def kubelet_stopped(self, node: str, kill: bool = False):
        """Stop that node's kubelet for the body; it is started again (and Ready) afterwards, whatever happens."""
        self.stop_kubelet(node, kill=kill)
        try:
            yield
        finally:
            self.start_kubelet(node)

    def stop_apiserver(self) -> int:
        """SIGTERM to the lab's kube-apiserver; returns once it has exited. -> its PID."""
        pid = self.recorded_pid("kube-apiserver")
        self.script("stop", "kube-apiserver")
        return pid

    def start_apiserver(self) -> int:
        """Start the kube-apiserver again; returns once /readyz answers. -> the new PID."""
        self.script("start", "kube-apiserver")
        return self.recorded_pid("kube-apiserver")

    def node_ready(self, name: str):
        """The node's Ready condition (``status`` is "True", "False" or "Unknown") and its taints."""
        node = self.core().read_node(name)
        ready = next(c for c in node.status.conditions if c.type == "Ready")
        return ready, node.spec.taints or []

    def wait_node(self, name: str, ready: bool = True, timeout: float = 90):
        """Poll until the node is Ready and untainted (``ready``) or no longer Ready -> its Ready condition."""
        deadline = time.monotonic() + timeout
        while True:
            cond, taints = self.node_ready(name)
            if (cond.status == "True" and not taints) if ready else cond.status != "True":
                return cond
            if time.monotonic() > deadline:
                want = "Ready and untainted" if ready else "not Ready"
                raise TimeoutError(f"node {name} not {want} after {timeout}s: {cond.status} {cond.message} {taints}")
            time.sleep(0.2)

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
                args: list[str] | None = None, node: str | None = None) -> dict:
        """A pod manifest running the local fio image on /etc/fio/job.fio from ``configmap``
        (scheduled onto ``node`` through a kubernetes.io/hostname nodeSelector, if given)."""
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
        if node:
            spec["nodeSelector"] = {"kubernetes.io/hostname": node}
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
        uses = set(getattr(item, "fixturenames", ()))
        if uses & {"lab", "lab2"} and not item.get_closest_marker("lab"):
            item.add_marker(pytest.mark.lab)


def pytest_report_header(config):
    reason = cannot_host_lab()
    return f"kataio lab: {'cannot run here: ' + reason if reason else 'available (' + str(SCRIPT) + ')'}"


def _lab_session(env: dict, nodes: int, external: bool):
    """Bring a lab up (or reuse a running one) and down at the end: the body of the ``lab*`` fixtures."""
    reason = cannot_host_lab()
    if reason:
        print(f"\nSKIP lab tests: {reason}", file=sys.stderr)
        pytest.skip(reason)
    from kubernetes import config as kconfig  # import here: the skip above must not need it

    external = external or run_script("status", env=env, check=False, timeout=60).returncode == 0
    if not external:
        t0 = time.monotonic()
        up = run_script("up", "--nodes", str(nodes), env=env, check=False)
        if up.returncode != 0:
            run_script("down", env=env, check=False, timeout=300)
            pytest.fail(f"scripts/k8s-lab up --nodes {nodes} failed ({up.returncode}):\n{up.stdout}\n{up.stderr[-4000:]}")
        print(f"\nkataio lab ({nodes} node(s)) up in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    info = parse_env(run_script("env", env=env, timeout=60).stdout)
    names = info["KATAIO_LAB_NODES"].split(",")
    if len(names) < nodes:
        pytest.fail(f"the lab running at {info['KATAIO_LAB_STATE']} has {len(names)} node(s), {nodes} needed "
                    f"(scripts/k8s-lab down it, or point the state variables elsewhere)")
    kata = set(info["KATAIO_LAB_KATA_NODES"].split(","))
    lab_nodes = [LabNode(name=n, index=i, state_dir=d, kata=n in kata)
                 for i, (n, d) in enumerate(zip(names, info["KATAIO_LAB_NODE_DIRS"].split(",")), start=1)]
    the_lab = Lab(kubeconfig=info["KUBECONFIG"], api_client=kconfig.new_client_from_config(config_file=info["KUBECONFIG"]),
                  has_gvisor=info.get("KATAIO_LAB_HAS_GVISOR") == "1", node_name=info["KATAIO_LAB_NODE"],
                  state_dir=info["KATAIO_LAB_STATE"], cache_dir=info["KATAIO_LAB_CACHE"], external=external, env=info,
                  fio_image=info.get("KATAIO_LAB_FIO_IMAGE", FIO_IMAGE),
                  pause_image=info.get("KATAIO_LAB_PAUSE_IMAGE", PAUSE_IMAGE),
                  nodes=lab_nodes, script_env=env, node_grace=float(info["KATAIO_LAB_NODE_GRACE"].rstrip("s")))
    try:
        yield the_lab
    finally:
        the_lab.api_client.close()
        if not external:
            down = run_script("down", env=env, check=False, timeout=300)
            if down.returncode != 0:
                print(f"scripts/k8s-lab down failed: {down.stderr}", file=sys.stderr)


@pytest.fixture(scope="session")
def lab():
    yield from _lab_session(os.environ.copy(), nodes=1, external=os.environ.get("KATAIO_LAB_EXTERNAL") == "1")


def lab2_env() -> dict:
    """The environment of the two-node lab: the caller's, with lab2's own state dir, bridge and subnet."""
    env = os.environ.copy()
    cache = env.get("KATAIO_LAB_CACHE") or str(Path.home() / ".cache" / "kataio-lab")
    env["KATAIO_LAB_STATE"] = env.get("KATAIO_LAB2_STATE") or f"{cache}/state-lab2"
    env["KATAIO_LAB_BRIDGE"] = env.get("KATAIO_LAB2_BRIDGE") or "kataiolab2"
    env["KATAIO_LAB_POD_SUBNET"] = env.get("KATAIO_LAB2_POD_SUBNET") or "10.244.93.0/24"
    return env


@contextmanager
def _exclusive(lock_path: str):
    """One pytest session at a time on a lab whose nodes tests stop: a lock file beside its state dir."""
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"\nwaiting for {lock_path} (another session uses that lab)", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def lab2():
    if cannot_host_lab():
        pytest.skip(cannot_host_lab())
    env = lab2_env()
    with _exclusive(env["KATAIO_LAB_STATE"].rstrip("/") + ".lock"):
        yield from _lab_session(env, nodes=2, external=os.environ.get("KATAIO_LAB2_EXTERNAL") == "1")


def _fresh_namespace(lab: Lab):
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


@pytest.fixture
def lab_namespace(lab):
    yield from _fresh_namespace(lab)


@pytest.fixture
def lab2_namespace(lab2):
    yield from _fresh_namespace(lab2)


RUNTIME_CLASSES = {"runc": "runc", "kata-qemu": "kata-qemu", "kata-fc": "kata-fc"}


def _runtime_classes(lab: Lab):
    """{name: handler}. Kata names keep Kata handlers (absent on the nodes): never mapped onto runc."""
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


@pytest.fixture(scope="session")
def lab_runtime_classes(lab):
    yield from _runtime_classes(lab)


@pytest.fixture(scope="session")
def lab2_runtime_classes(lab2):
    yield from _runtime_classes(lab2)


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
