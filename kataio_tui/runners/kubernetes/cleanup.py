"""Delete what kataio created on a cluster, by label: a scenario's pods, a run's objects, or every run's.

Deletes are immediate (grace period 0, in the request body: the 1.20 API server ignores the query
parameter when a body is sent), so Ctrl-C or a stop from the TUI clears a scenario within seconds.
The run's owner ConfigMap is deleted with them; any object a failed request left behind is still
collected by the garbage collector through its owner reference. ``kataio cleanup`` uses
:func:`cleanup_leftovers` after a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kataio_tui.runners.kubernetes import manifests
from kataio_tui.runners.kubernetes.session import REQUEST_TIMEOUT, Cluster, api_failure, is_status

IMMEDIATE = {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0, "propagationPolicy": "Background"}
KINDS = ("pods", "configmaps", "persistentvolumeclaims")


def _collections(core: Any) -> dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]]:
    """kind -> (delete collection in a namespace, list in a namespace, list in all namespaces)."""
    return {
        "pods": (core.delete_collection_namespaced_pod, core.list_namespaced_pod, core.list_pod_for_all_namespaces),
        "configmaps": (core.delete_collection_namespaced_config_map, core.list_namespaced_config_map,
                       core.list_config_map_for_all_namespaces),
        "persistentvolumeclaims": (core.delete_collection_namespaced_persistent_volume_claim,
                                   core.list_namespaced_persistent_volume_claim,
                                   core.list_persistent_volume_claim_for_all_namespaces),
    }


def _delete(cluster: Cluster, namespace: str, selector: str, kinds: tuple[str, ...]) -> list[str]:
    """Delete every object of kinds matching selector; returns problems (never raises)."""
    problems = []
    calls = _collections(cluster.core())
    for kind in kinds:
        delete = calls[kind][0]
        try:
            delete(namespace, label_selector=selector, body=IMMEDIATE, grace_period_seconds=0,
                   _request_timeout=REQUEST_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - reported, the garbage collector is the fallback
            if not is_status(exc, 404):
                problems.append(str(api_failure(exc, f"deleting {kind} ({selector}) in {namespace}", cluster.server)))
    return problems


def delete_scenario(cluster: Cluster, namespace: str, run_id: str, scenario: str) -> list[str]:
    return _delete(cluster, namespace, manifests.selector(run_id, scenario), ("pods", "configmaps"))


def delete_run(cluster: Cluster, namespace: str, run_id: str) -> list[str]:
    return _delete(cluster, namespace, manifests.selector(run_id), KINDS)


@dataclass
class Leftovers:
    """kataio's objects found on a cluster: (namespace, kind, name, run id)."""

    objects: list[tuple[str, str, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def count(self) -> int:
        return len(self.objects)


def find_leftovers(cluster: Cluster, namespace: str | None, run_id: str | None = None,
                   kinds: tuple[str, ...] = KINDS) -> Leftovers:
    """Objects labelled by kataio (of one run when run_id is given), in one namespace or all of them."""
    found = Leftovers()
    selector = manifests.selector(run_id)
    for kind in kinds:
        _, list_ns, list_all = _collections(cluster.core())[kind]
        try:
            if namespace is None:
                items = list_all(label_selector=selector, _request_timeout=REQUEST_TIMEOUT).items
            else:
                items = list_ns(namespace, label_selector=selector, _request_timeout=REQUEST_TIMEOUT).items
        except Exception as exc:  # noqa: BLE001
            found.problems.append(str(api_failure(exc, f"listing {kind}", cluster.server)))
            continue
        for item in items:
            labels = item.metadata.labels or {}
            found.objects.append((item.metadata.namespace, kind, item.metadata.name,
                                  labels.get(manifests.RUN_LABEL, "?")))
    return found


def cleanup_leftovers(cluster: Cluster, namespace: str | None, run_id: str | None = None,
                      wait_s: float = 30.0) -> tuple[Leftovers, Leftovers]:
    """Delete kataio's objects (one run's or all) and wait until they are gone.
    Returns (what was found, what is still there after wait_s)."""
    found = find_leftovers(cluster, namespace, run_id)
    problems: list[str] = []
    for ns in sorted({obj[0] for obj in found.objects}):
        problems += _delete(cluster, ns, manifests.selector(run_id), KINDS)
    deadline = time.monotonic() + wait_s
    while True:
        remaining = find_leftovers(cluster, namespace, run_id)
        if not remaining.objects or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    remaining.problems = problems + remaining.problems
    return found, remaining
