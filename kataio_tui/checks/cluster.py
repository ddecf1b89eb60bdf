"""Cluster checks: API access, version, RuntimeClasses and the nodes they can use, permissions
(SelfSubjectAccessReview) and the storage target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kataio_tui.kube.diagnosis import KATA_NODE_LABEL
from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, failed, passed, warned
from kataio_tui.kube.connect import ClusterAccessError, ClusterSession, ServerVersion, connect

NODE_API_GROUP = "node.k8s.io"
RUNTIMECLASS_MIN = (1, 14)  # beta, on by default
RUNTIMECLASS_GA = (1, 20)  # node.k8s.io/v1
# (verb, API group, resource, subresource): what kataio's Kubernetes runner and the canary do.
PERMISSIONS: tuple[tuple[str, str, str, str], ...] = (
    ("create", "", "pods", ""), ("delete", "", "pods", ""), ("get", "", "pods", ""), ("watch", "", "pods", ""),
    ("get", "", "pods", "log"), ("create", "", "configmaps", ""), ("delete", "", "configmaps", ""),
    ("create", "batch", "jobs", ""), ("delete", "batch", "jobs", ""), ("list", "", "events", ""),
)


# ---- the shared connection ----------------------------------------------------------------------

def cluster_session(ctx: CheckContext) -> ClusterSession:
    """The run's one connection (raises ClusterAccessError, the same one to every caller)."""
    def open_session() -> ClusterSession:
        opts = ctx.options
        session = connect(opts.kubeconfig, opts.context, opts.namespace, opts.request_timeout_s)
        ctx.add_cleanup(session.close)
        return session

    return ctx.memo("cluster-session", open_session)


def session_or_skip(ctx: CheckContext) -> ClusterSession:
    try:
        return cluster_session(ctx)
    except ClusterAccessError as exc:
        raise SkipCheck(f"no connection to the cluster ({exc.kind}; see cluster.api)") from None


def api_status(exc: BaseException) -> int | None:
    return getattr(exc, "status", None)


def check_api(ctx: CheckContext) -> Finding:
    try:
        session = cluster_session(ctx)
    except ClusterAccessError as exc:
        if exc.kind == "no-kubeconfig" and not ctx.options.require_cluster:
            raise SkipCheck(f"{exc}: the cluster checks are skipped", exc.remedy + " (or use --host-only)") from None
        return failed(str(exc), "kataio cannot talk to the cluster, so no cluster check can run", exc.remedy)
    return passed(f"{session.describe()}; namespace {session.namespace}",
                  "the API server answers and accepts these credentials")


# ---- version and the RuntimeClass API -----------------------------------------------------------

def served_node_versions(session: ClusterSession) -> list[str]:
    from kubernetes import client

    groups = client.ApisApi(session.api_client).get_api_versions(_request_timeout=session.request_timeout)
    for group in groups.groups or []:
        if group.name == NODE_API_GROUP:
            return [v.version for v in group.versions or []]
    return []


def runtimeclass_version(ctx: CheckContext) -> str:
    """The node.k8s.io version to use (v1, else v1beta1); SkipCheck when none is served."""
    def pick() -> str:
        served = served_node_versions(session_or_skip(ctx))
        for version in ("v1", "v1beta1"):
            if version in served:
                return version
        raise SkipCheck(f"the server serves no RuntimeClass API ({NODE_API_GROUP}: {', '.join(served) or 'none'})")

    return ctx.memo("runtimeclass-version", pick)


def version_verdict(version: ServerVersion, served: list[str]) -> Finding:
    """What the server version and the served node.k8s.io versions mean for RuntimeClass."""
    observed = f"Kubernetes {version.git_version}; {NODE_API_GROUP} serves {', '.join(served) or 'nothing'}"
    if not version.at_least(*RUNTIMECLASS_MIN) or not served:
        return failed(observed, "RuntimeClass (how pods choose Kata) needs Kubernetes 1.14 or newer",
                      "upgrade the cluster to a supported Kubernetes release")
    if "v1" in served:
        return passed(observed, "RuntimeClass is GA (node.k8s.io/v1), as kata-deploy's manifests expect")
    return warned(observed, "RuntimeClass is only beta (node.k8s.io/v1beta1) before 1.20: kataio uses it, but "
                            "kata-deploy's RuntimeClass manifests are node.k8s.io/v1 and do not apply",
                  "upgrade to Kubernetes 1.20+ or create kata-* RuntimeClasses as node.k8s.io/v1beta1 by hand")


def check_version(ctx: CheckContext) -> Finding:
    session = session_or_skip(ctx)
    return version_verdict(session.version, served_node_versions(session))


# ---- nodes and RuntimeClasses -------------------------------------------------------------------

@dataclass(frozen=True)
class NodeFacts:
    name: str
    labels: dict[str, str]
    ready: bool
    unschedulable: bool
    taints: tuple[tuple[str, str, str], ...]  # (key, value, effect)
    runtime: str = ""

    @property
    def kata_labelled(self) -> bool:
        return self.labels.get(KATA_NODE_LABEL) == "true"


def list_nodes(ctx: CheckContext) -> list[NodeFacts]:
    def read() -> list[NodeFacts]:
        from kubernetes import client

        session = session_or_skip(ctx)
        items = client.CoreV1Api(session.api_client).list_node(_request_timeout=session.request_timeout).items
        nodes = []
        for node in items:
            conditions = {c.type: c.status for c in (node.status.conditions or [])}
            info = node.status.node_info
            nodes.append(NodeFacts(
                name=node.metadata.name, labels=dict(node.metadata.labels or {}),
                ready=conditions.get("Ready") == "True", unschedulable=bool(node.spec.unschedulable),
                taints=tuple((t.key, t.value or "", t.effect) for t in (node.spec.taints or [])),
                runtime=info.container_runtime_version if info else ""))
        return nodes

    return ctx.memo("nodes", read)


@dataclass(frozen=True)
class RuntimeClassFacts:
    name: str
    handler: str
    overhead: dict[str, str] = field(default_factory=dict)
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict, ...] = ()

    @property
    def is_kata(self) -> bool:
        return self.handler.startswith("kata")


def _runtime_class_from(raw: dict[str, Any]) -> RuntimeClassFacts:
    spec = raw.get("spec") if isinstance(raw.get("spec"), dict) else raw  # v1alpha1 nested it under spec
    scheduling = spec.get("scheduling") or {}
    return RuntimeClassFacts(name=raw["metadata"]["name"], handler=spec.get("handler", ""),
                             overhead=dict((spec.get("overhead") or {}).get("podFixed") or {}),
                             node_selector=dict(scheduling.get("nodeSelector") or {}),
                             tolerations=tuple(scheduling.get("tolerations") or ()))


def list_runtime_classes(ctx: CheckContext) -> dict[str, RuntimeClassFacts]:
    def read() -> dict[str, RuntimeClassFacts]:
        from kubernetes import client

        session = session_or_skip(ctx)
        version = runtimeclass_version(ctx)
        raw = client.CustomObjectsApi(session.api_client).list_cluster_custom_object(
            NODE_API_GROUP, version, "runtimeclasses", _request_timeout=session.request_timeout)
        classes = [_runtime_class_from(item) for item in raw.get("items", [])]
        return {rc.name: rc for rc in sorted(classes, key=lambda rc: rc.name)}

    return ctx.memo("runtime-classes", read)


def _tolerated(tolerations: tuple[dict, ...], taint: tuple[str, str, str]) -> bool:
    key, value, effect = taint
    for tol in tolerations:
        if tol.get("effect") and tol["effect"] != effect:
            continue
        if tol.get("operator") == "Exists" and (not tol.get("key") or tol["key"] == key):
            return True
        if tol.get("key") == key and tol.get("value", "") == value:
            return True
    return False


def matching_nodes(rc: RuntimeClassFacts, nodes: list[NodeFacts]) -> tuple[list[NodeFacts], list[str]]:
    """(Ready, schedulable nodes a pod of this RuntimeClass can land on, why the others cannot)."""
    usable, excluded = [], []
    for node in nodes:
        if any(node.labels.get(k) != v for k, v in rc.node_selector.items()):
            continue
        blocking = [t for t in node.taints if t[2] in ("NoSchedule", "NoExecute") and not _tolerated(rc.tolerations, t)]
        if not node.ready:
            excluded.append(f"{node.name} not Ready")
        elif node.unschedulable:
            excluded.append(f"{node.name} cordoned")
        elif blocking:
            excluded.append(f"{node.name} tainted {blocking[0][0]}:{blocking[0][2]}")
        else:
            usable.append(node)
    return usable, excluded


def wanted_runtime_classes(ctx: CheckContext) -> tuple[list[str], dict[str, RuntimeClassFacts]]:
    classes = list_runtime_classes(ctx)
    return (list(ctx.options.runtime_classes) or list(classes)), classes


def _describe_rc(rc: RuntimeClassFacts) -> str:
    parts = [f"handler {rc.handler}"]
    parts.append("overhead " + (", ".join(f"{k} {v}" for k, v in rc.overhead.items()) or "none"))
    parts.append("nodeSelector " + (", ".join(f"{k}={v}" for k, v in rc.node_selector.items()) or "none"))
    if rc.tolerations:
        parts.append(f"{len(rc.tolerations)} toleration(s)")
    return "; ".join(parts)


def _forbidden(exc: BaseException) -> bool:
    return api_status(exc) == 403


def check_runtime_classes(ctx: CheckContext) -> list[Finding]:
    try:
        names, classes = wanted_runtime_classes(ctx)
    except Exception as exc:  # noqa: BLE001
        if _forbidden(exc):
            return [failed("listing RuntimeClasses: 403 Forbidden", "kataio cannot see which RuntimeClasses exist",
                           "grant get/list on runtimeclasses.node.k8s.io (cluster-scoped) to this user")]
        raise
    if not names:
        return [warned("no RuntimeClass in the cluster", "every pod runs with the nodes' default runtime (runC): "
                                                         "there is no way to ask for Kata",
                       "install Kata with kata-deploy (it creates kata-<shim> RuntimeClasses)")]
    try:
        nodes: list[NodeFacts] | None = list_nodes(ctx)
    except Exception as exc:  # noqa: BLE001
        if not _forbidden(exc):
            raise
        nodes = None
    findings = []
    for name in names:
        title = f"RuntimeClass {name}"
        rc = classes.get(name)
        if rc is None:
            findings.append(failed(f"RuntimeClass {name!r} does not exist (existing: {', '.join(classes) or 'none'})",
                                   f'pods asking for it are rejected: `pod rejected: RuntimeClass "{name}" not found`',
                                   "create it (kata-deploy creates kata-<shim> RuntimeClasses) or pick an existing one",
                                   key=name, title=title))
            continue
        observed = _describe_rc(rc)
        if nodes is None:
            findings.append(warned(observed + "; nodes: cannot list (403 Forbidden)",
                                   "the RuntimeClass exists, but which nodes can run it is unknown",
                                   "grant list on nodes, or run the canary (--canary)", key=name, title=title))
            continue
        usable, excluded = matching_nodes(rc, nodes)
        node_text = ", ".join(f"{n.name}{' [kata]' if n.kata_labelled else ''}{f' ({n.runtime})' if n.runtime else ''}"
                              for n in usable) or "none"
        observed += f"; usable nodes: {node_text}" + (f"; not usable: {', '.join(excluded)}" if excluded else "")
        if not usable:
            findings.append(failed(observed, "no Ready, schedulable node matches: its pods stay Pending (`didn't match "
                                             "Pod's node affinity/selector`)",
                                   f"install the runtime on a node and label it (kata-deploy sets {KATA_NODE_LABEL}"
                                   "=true), or fix the RuntimeClass scheduling", key=name, title=title))
        elif rc.is_kata and not any(n.kata_labelled for n in usable):
            findings.append(warned(observed, f"a Kata handler, but none of its nodes is labelled {KATA_NODE_LABEL}=true: "
                                             "pods may land where Kata is not installed and fail with `no runtime for "
                                             f"\"{rc.handler}\" is configured`",
                                   f"install Kata with kata-deploy (it labels the nodes) and give the RuntimeClass "
                                   f"scheduling.nodeSelector {KATA_NODE_LABEL}=true", key=name, title=title))
        elif rc.is_kata and not rc.node_selector:
            findings.append(warned(observed, "a Kata handler without scheduling.nodeSelector: pods can land on nodes "
                                             "without Kata", f"add scheduling.nodeSelector {KATA_NODE_LABEL}: \"true\"",
                                   key=name, title=title))
        else:
            findings.append(passed(observed, f"{len(usable)} node(s) can run it; only a pod proves the handler works "
                                             "there (--canary)", key=name, title=title))
    return findings


# ---- permissions ---------------------------------------------------------------------------------

def _describe_permission(verb: str, group: str, resource: str, sub: str) -> str:
    return f"{verb} {resource}{'/' + sub if sub else ''}{' (' + group + ')' if group else ''}"


def access_review(session: ClusterSession, namespace: str, verb: str, group: str, resource: str,
                  subresource: str = "") -> tuple[bool, str]:
    from kubernetes import client

    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"namespace": namespace, "verb": verb, "group": group,
                                            "resource": resource, "subresource": subresource}}}
    review = client.AuthorizationV1Api(session.api_client).create_self_subject_access_review(
        body, _request_timeout=session.request_timeout)
    return bool(review.status.allowed), review.status.reason or ""


def check_permissions(ctx: CheckContext) -> Finding:
    session = session_or_skip(ctx)
    allowed, denied = [], []
    for verb, group, resource, sub in PERMISSIONS:
        try:
            ok, _ = access_review(session, session.namespace, verb, group, resource, sub)
        except Exception as exc:  # noqa: BLE001
            if _forbidden(exc):
                raise SkipCheck("this user may not even ask the API what it may do (SelfSubjectAccessReview: 403)",
                                "grant create on selfsubjectaccessreviews (system:basic-user does)") from None
            raise
        (allowed if ok else denied).append(_describe_permission(verb, group, resource, sub))
    observed = f"namespace {session.namespace}: allowed: {', '.join(allowed) or 'nothing'}" + (
        f"; denied: {', '.join(denied)}" if denied else "")
    if denied:
        return failed(observed, "kataio's runs and the canary need these; without them they fail with 403 Forbidden",
                      f"ask for a Role in {session.namespace} granting: {', '.join(denied)}")
    return passed(observed, "the user may do everything kataio's Kubernetes runs need in this namespace")


# ---- storage --------------------------------------------------------------------------------------

def check_storage(ctx: CheckContext) -> Finding:
    from kubernetes import client

    storage = ctx.options.storage
    session = session_or_skip(ctx)
    if storage is None or storage.kind == "emptyDir":
        return passed("emptyDir (no storage target given)", "each client pod gets node-local scratch space; nothing "
                      "to check in the API (the study used hostPath on a shared file system instead)")
    if storage.kind == "hostPath":
        return passed(f"hostPath {storage.path}", "fio writes to that directory on each node, as the study did; under "
                      "Kata it crosses the VM's shared file system (virtio-fs or 9p). The API cannot show the node's "
                      f"directory: run `kataio check --host-only --target-dir {storage.path}` on the nodes")
    timeout = session.request_timeout
    if storage.kind == "storageclass":
        try:
            sc = client.StorageV1Api(session.api_client).read_storage_class(storage.storage_class,
                                                                            _request_timeout=timeout)
        except Exception as exc:  # noqa: BLE001
            if api_status(exc) == 404:
                return failed(f"StorageClass {storage.storage_class!r} does not exist",
                              "kataio's claims from it would stay Pending forever",
                              "pick one from `kubectl get storageclass`")
            raise
        return passed(f"StorageClass {sc.metadata.name}: provisioner {sc.provisioner}, binding "
                      f"{sc.volume_binding_mode or 'Immediate'}", "kataio can claim volumes from it")
    try:
        pvc = client.CoreV1Api(session.api_client).read_namespaced_persistent_volume_claim(
            storage.claim, session.namespace, _request_timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        if api_status(exc) == 404:
            return failed(f"PVC {storage.claim!r} does not exist in namespace {session.namespace}",
                          "the client pods cannot mount it and stay Pending", f"create the claim in {session.namespace}")
        raise
    phase = pvc.status.phase
    modes = ", ".join(pvc.status.access_modes or pvc.spec.access_modes or []) or "none"
    capacity = (pvc.status.capacity or {}).get("storage", "?")
    observed = (f"PVC {storage.claim}: {phase}, {capacity}, access modes {modes}, StorageClass "
                f"{pvc.spec.storage_class_name or 'none'}")
    if phase == "Bound":
        if ctx.options.clients > 1 and "ReadWriteMany" not in modes:
            return warned(observed, f"{ctx.options.clients} clients share one claim, but it is not ReadWriteMany: "
                                    "pods on other nodes cannot mount it", "use a ReadWriteMany claim")
        return passed(observed, "the claim is bound and ready for the client pods")
    if phase == "Pending":
        return warned(observed, "the claim is not bound yet (a WaitForFirstConsumer class binds when a pod mounts it)",
                      "check `kubectl describe pvc` if it stays Pending")
    return failed(observed, "the claim is not usable", "recreate the claim")
