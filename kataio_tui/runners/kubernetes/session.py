"""The runner's connection to a cluster: one API client sized for many parallel requests and streams,
permission checks up front, the namespace, and API failures turned into one clear message."""

from __future__ import annotations

import copy
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kataio_tui.kube.diagnosis import diagnose
from kataio_tui.kube.connect import ClusterAccessError, ServerVersion, connect, explain_exception
from kataio_tui.errors import KataioError
from kataio_tui.model.plan import KubernetesTarget
from kataio_tui.runners.kubernetes import manifests

REQUEST_TIMEOUT = 15.0
# Each client holds a log stream and, briefly, a create request; 64 clients need well over urllib3's default.
POOL_SIZE = 256


class KubernetesRunError(KataioError):
    """The cluster refused or failed something the run needs; the message says what and what to do."""

    def __init__(self, message: str, diagnosis: str | None = None, remedy: str | None = None) -> None:
        super().__init__(f"{message}; {remedy}" if remedy else message)
        self.reason = message
        self.diagnosis = diagnosis
        self.remedy = remedy


def api_failure(exc: BaseException, doing: str, server: str = "the API server") -> KubernetesRunError:
    """Any exception of a Kubernetes call as one KubernetesRunError naming what was being done."""
    from kubernetes.client.exceptions import ApiException

    if isinstance(exc, KubernetesRunError):
        return exc
    if isinstance(exc, ApiException) and exc.status:
        message = api_message(exc)
        found = diagnose([message])
        if found is not None:
            return KubernetesRunError(f"{doing}: {message}", found.cause, found.remedy)
        return KubernetesRunError(f"{doing}: the API server answered {exc.status} {exc.reason}: {message}")
    explained = explain_exception(exc.__cause__ if isinstance(exc, ApiException) and exc.__cause__ else exc, server)
    return KubernetesRunError(f"{doing}: {explained}", None, explained.remedy)


def api_message(exc: Any) -> str:
    """The Status message of an ApiException's body, else its reason."""
    import json

    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        body = {}
    return str(body.get("message") or exc.reason or exc)


def is_status(exc: BaseException, *codes: int) -> bool:
    return getattr(exc, "status", None) in codes


@dataclass
class Cluster:
    api: Any  # kubernetes.client.ApiClient
    namespace: str
    version: ServerVersion
    server: str
    description: str

    def core(self):
        from kubernetes import client

        return client.CoreV1Api(self.api)

    def node_api(self):
        from kubernetes import client

        return client.NodeV1Api(self.api)

    def close(self) -> None:
        try:
            self.api.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


def open_cluster(kubeconfig: str | None, context: str | None, namespace: str,
                 request_timeout: float = REQUEST_TIMEOUT) -> Cluster:
    """Connect (clear errors for every way of failing) and return a client with a large connection pool."""
    from kubernetes import client

    try:
        session = connect(kubeconfig, context, namespace, request_timeout)
    except ClusterAccessError as exc:
        raise KubernetesRunError(str(exc), None, exc.remedy) from None
    configuration = copy.deepcopy(session.api_client.configuration)
    configuration.connection_pool_maxsize = POOL_SIZE
    session.close()
    return Cluster(client.ApiClient(configuration), session.namespace, session.version, session.server,
                   session.describe())


# (verb, resource, subresource) the runner uses in its namespace
BASE_PERMISSIONS = (
    ("create", "pods", ""), ("delete", "pods", ""), ("deletecollection", "pods", ""), ("list", "pods", ""),
    ("watch", "pods", ""), ("get", "pods", "log"), ("create", "pods", "attach"),
    ("create", "configmaps", ""), ("delete", "configmaps", ""), ("deletecollection", "configmaps", ""),
    ("list", "events", ""), ("watch", "events", ""),
)
CLAIM_PERMISSIONS = (("create", "persistentvolumeclaims", ""), ("deletecollection", "persistentvolumeclaims", ""))


def required_permissions(target: KubernetesTarget) -> list[tuple[str, str, str]]:
    needed = list(BASE_PERMISSIONS)
    if target.storage.kind == "storageclass":
        needed += CLAIM_PERMISSIONS
    return needed


def check_permissions(cluster: Cluster, needed: list[tuple[str, str, str]], namespace: str) -> None:
    """Ask the API server (SelfSubjectAccessReview) for every permission at once; one error lists what is
    missing. Silently passes when the server cannot answer reviews (then the first refused call says it)."""
    from kubernetes import client

    api = client.AuthorizationV1Api(cluster.api)

    def allowed(need: tuple[str, str, str]) -> bool | None:
        verb, resource, sub = need
        attrs: dict[str, Any] = {"namespace": namespace, "verb": verb, "resource": resource}
        if sub:
            attrs["subresource"] = sub
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                  "spec": {"resourceAttributes": attrs}}
        try:
            answer = api.create_self_subject_access_review(review, _request_timeout=REQUEST_TIMEOUT)
        except Exception:  # noqa: BLE001 - no review API: let the real calls report
            return None
        return bool(answer.status.allowed)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(allowed, needed))
    missing = [f"{verb} {resource}{'/' + sub if sub else ''}" for (verb, resource, sub), ok in zip(needed, answers)
               if ok is False]
    if missing:
        raise KubernetesRunError(
            f"the Kubernetes user of this kubeconfig may not {', '.join(missing)} in namespace {namespace}",
            "kataio creates and watches pods and ConfigMaps, reads pod logs and events, and attaches to pods",
            "ask a cluster admin for a Role with these verbs in that namespace (docs/kubernetes-runner.md lists it)")


def ensure_namespace(cluster: Cluster, namespace: str, create: bool, timeout: float = 60.0) -> None:
    """The namespace must exist (created when the plan asks) and accept pods: on Kubernetes < 1.24 only once
    its default service account has its token secret."""
    core = cluster.core()
    try:
        core.read_namespace(namespace, _request_timeout=REQUEST_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - classified below
        if is_status(exc, 403):
            return  # may not read namespaces: pods will tell whether it exists
        if not is_status(exc, 404):
            raise api_failure(exc, f"reading namespace {namespace}", cluster.server) from None
        if not create:
            raise KubernetesRunError(f"namespace {namespace} does not exist", None,
                                     "create it, or set kubernetes.create_namespace = true in the plan") from None
        try:
            core.create_namespace(manifests.namespace(namespace), _request_timeout=REQUEST_TIMEOUT)
        except Exception as exc2:  # noqa: BLE001
            if not is_status(exc2, 409):
                raise api_failure(exc2, f"creating namespace {namespace}", cluster.server) from None
    needs_token = not cluster.version.at_least(1, 24)
    deadline = time.monotonic() + timeout
    while True:
        try:
            accounts = core.list_namespaced_service_account(
                namespace, field_selector="metadata.name=default", _request_timeout=REQUEST_TIMEOUT).items
        except Exception as exc:  # noqa: BLE001
            if is_status(exc, 403):
                return
            raise api_failure(exc, f"reading service accounts of {namespace}", cluster.server) from None
        if accounts and (accounts[0].secrets or not needs_token):
            return
        if time.monotonic() > deadline:
            raise KubernetesRunError(f"namespace {namespace}: its default service account did not appear within "
                                     f"{timeout:.0f} s", None, "check the controller-manager of the cluster")
        time.sleep(0.2)
