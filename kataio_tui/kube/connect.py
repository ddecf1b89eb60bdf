"""Connect to a Kubernetes API server and say clearly why it did not work.

:func:`connect` loads a kubeconfig (``--kubeconfig`` or $KUBECONFIG or ~/.kube/config, else the
in-cluster service account), picks the context, and asks the server for its version, so that every
way of failing becomes a :class:`ClusterAccessError` with a ``kind`` and a one-line remedy: no
kubeconfig, unknown context, broken file, unreachable server, TLS failure, rejected (expired or
invalid) credentials, failing credential plugin.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kataio_tui.errors import KataioError
from kataio_tui.kube.kubeconfig import kubeconfig_candidates


class ClusterAccessError(KataioError):
    def __init__(self, kind: str, message: str, remedy: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.remedy = remedy


@dataclass(frozen=True)
class ServerVersion:
    major: int
    minor: int
    git_version: str

    def at_least(self, major: int, minor: int) -> bool:
        return (self.major, self.minor) >= (major, minor)


@dataclass
class ClusterSession:
    api_client: Any  # kubernetes.client.ApiClient
    source: str  # kubeconfig path(s) or "in-cluster service account"
    context: str | None
    namespace: str
    server: str
    version: ServerVersion
    request_timeout: float

    def describe(self) -> str:
        ctx = f"context {self.context}, " if self.context else ""
        return f"{ctx}server {self.server} ({self.source}), Kubernetes {self.version.git_version}"

    def close(self) -> None:
        try:
            self.api_client.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


def _parse_version(info: Any) -> ServerVersion:
    def number(text: str) -> int:
        match = re.match(r"\d+", text or "")
        return int(match.group()) if match else 0

    return ServerVersion(number(info.major), number(info.minor), info.git_version or f"v{info.major}.{info.minor}")


def explain_exception(exc: BaseException, server: str) -> ClusterAccessError:
    """Map a failed request to the server to a ClusterAccessError."""
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, SSLError, TimeoutError

    if isinstance(exc, ApiException):
        if exc.status == 401:
            return ClusterAccessError("unauthorized", f"{server} rejected the credentials (401 Unauthorized): the "
                                      "token or client certificate is expired or invalid",
                                      "refresh the credentials (log in again / get a new kubeconfig)")
        if exc.status == 403:
            return ClusterAccessError("forbidden", f"{server}: 403 Forbidden for the version endpoint",
                                      "the user may not read even /version; ask a cluster admin")
        return ClusterAccessError("api-error", f"{server} answered {exc.status} {exc.reason}",
                                  "check the API server's health")
    if isinstance(exc, ConfigException):
        return ClusterAccessError("credentials", f"credentials could not be obtained: {exc}",
                                  "fix the kubeconfig's user entry (for exec plugins, run the plugin by hand)")
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    if isinstance(reason, SSLError):
        return ClusterAccessError("tls", f"TLS with {server} failed: {reason}",
                                  "check the kubeconfig's certificate-authority data and the server name")
    if isinstance(reason, (NewConnectionError, ProtocolError, ConnectionError, OSError)):
        return ClusterAccessError("unreachable", f"{server} is unreachable: {_short(reason)}",
                                  "check that the cluster is running and the kubeconfig points at it")
    if isinstance(reason, TimeoutError):
        return ClusterAccessError("unreachable", f"{server} did not answer in time: {_short(reason)}",
                                  "check the network path to the API server")
    return ClusterAccessError("unreachable", f"{server}: {type(exc).__name__}: {_short(exc)}",
                              "check that the cluster is running and the kubeconfig points at it")


def _short(exc: BaseException) -> str:
    text = str(exc)
    match = re.search(r"\[Errno -?\d+\] [^'\")]+", text)
    return match.group() if match else text[:200]


def connect(kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None,
            request_timeout: float = 10.0) -> ClusterSession:
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    to_load, looked = kubeconfig_candidates(kubeconfig)
    configuration = client.Configuration()
    configuration.retries = False  # one attempt: an unreachable server is reported at once
    if to_load is None and not kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config(client_configuration=configuration)
        source, active_context, default_ns = "in-cluster service account", None, _incluster_namespace()
    elif to_load is None:
        raise ClusterAccessError("no-kubeconfig", f"no kubeconfig: {', '.join(looked)} "
                                 f"{'does' if len(looked) == 1 else 'do'} not exist",
                                 "pass --kubeconfig FILE, set KUBECONFIG, or write ~/.kube/config")
    else:
        try:
            contexts, current = config.list_kube_config_contexts(config_file=to_load)
        except ConfigException as exc:
            raise ClusterAccessError("bad-kubeconfig", f"{to_load}: {exc}", "fix or replace the kubeconfig") from None
        except Exception as exc:  # noqa: BLE001 - YAML errors and the like
            raise ClusterAccessError("bad-kubeconfig", f"{to_load}: cannot be read: {exc}",
                                     "fix or replace the kubeconfig") from None
        names = [c["name"] for c in contexts]
        if context and context not in names:
            raise ClusterAccessError("no-context", f"{to_load}: no context {context!r} (contexts: "
                                     f"{', '.join(names) or 'none'})", "pass one of the listed contexts")
        chosen = next((c for c in contexts if c["name"] == (context or (current or {}).get("name"))), None)
        if chosen is None:
            raise ClusterAccessError("no-context", f"{to_load}: no current-context set and no --context given",
                                     "pass --context NAME or run `kubectl config use-context NAME`")
        try:
            config.load_kube_config(config_file=to_load, context=chosen["name"], client_configuration=configuration,
                                    persist_config=False)
        except ConfigException as exc:
            raise ClusterAccessError("bad-kubeconfig", f"{to_load}: {exc}", "fix the kubeconfig") from None
        source, active_context = to_load, chosen["name"]
        default_ns = (chosen.get("context") or {}).get("namespace") or "default"
    api_client = client.ApiClient(configuration)
    server = configuration.host
    try:
        info = client.VersionApi(api_client).get_code(_request_timeout=request_timeout)
    except Exception as exc:  # noqa: BLE001 - every failure is explained
        api_client.close()
        raise explain_exception(exc, server) from None
    return ClusterSession(api_client, source, active_context, namespace or default_ns, server,
                          _parse_version(info), request_timeout)


def _incluster_namespace() -> str:
    try:
        return Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read_text().strip() or "default"
    except OSError:
        return "default"
