"""What the checks look at: host root, fio target and sizes, cluster access, RuntimeClasses, canary."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from kataio_tui.model.plan import DEFAULT_FIO_IMAGE, FioParams, KubernetesStorage, Plan

_FIO_DEFAULTS = FioParams()
DEFAULT_RUNTIMES = ("runc", "default")  # plan runtime names that mean "no RuntimeClass"


@dataclass(frozen=True)
class CheckOptions:
    # host
    root: Path = Path("/")
    """Host checks read <root>/proc, <root>/sys, <root>/etc, <root>/opt: tests point it at file trees."""
    containerd_config: Path | None = None
    """Host path of containerd's main config (default /etc/containerd/config.toml under root)."""
    target_dir: Path | None = None
    """Where fio will write (a real path on this machine, not under root); None: not checked."""
    clients: int = 1
    numjobs: int = max(_FIO_DEFAULTS.numjobs)
    file_size: int = _FIO_DEFAULTS.filesize
    command_timeout_s: float = 30.0
    kata_runtimes: tuple[str, ...] = ()
    """The plan's Kata runtimes (RuntimeClasses, or local names kata-*): kata.capacity checks that
    ``clients`` VMs of each fit this host."""
    plan_target: Literal["local", "kubernetes"] | None = None
    """Where the plan runs (None: no plan): local Kata clients go through `ctr run`, not a CRI handler."""
    # cluster
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    """None: the kubeconfig context's namespace, else "default"."""
    runtime_classes: tuple[str, ...] = ()
    """RuntimeClasses the plan wants; empty: every RuntimeClass in the cluster."""
    storage: KubernetesStorage | None = None
    require_cluster: bool = False
    """True when the user asked for the cluster (--cluster-only, --kubeconfig, ...): then a missing
    kubeconfig FAILs cluster.api; otherwise it SKIPs the cluster checks."""
    request_timeout_s: float = 10.0
    canary: bool = False
    canary_image: str = DEFAULT_FIO_IMAGE
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    canary_timeout_s: float = 120.0

    @property
    def planned_bytes(self) -> int:
        return self.clients * self.numjobs * self.file_size

    def with_(self, **changes: Any) -> CheckOptions:
        return replace(self, **changes)


def runtime_classes_of(plan: Plan) -> tuple[str, ...]:
    """The RuntimeClass names a Kubernetes plan uses (its default-runtime entries need none)."""
    if plan.target != "kubernetes" or plan.kubernetes is None:
        return ()
    mapping = plan.kubernetes.runtime_classes
    names = []
    for runtime in plan.runtimes:
        name = mapping[runtime] if runtime in mapping else (None if runtime in DEFAULT_RUNTIMES else runtime)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def options_from_plan(plan: Plan, **overrides: Any) -> CheckOptions:
    """Check options matching what ``kataio run`` would do with ``plan``; ``overrides`` win."""
    values: dict[str, Any] = {
        "clients": max(plan.clients), "numjobs": max(plan.fio.numjobs), "file_size": plan.fio.filesize,
        "plan_target": plan.target,
    }
    if plan.target == "local":
        values["target_dir"] = Path(plan.directory)
        values["kata_runtimes"] = tuple(r for r in plan.runtimes if r.startswith("kata"))
    if plan.kubernetes is not None and plan.target == "kubernetes":
        k8s = plan.kubernetes
        values.update(kubeconfig=k8s.kubeconfig, context=k8s.context, namespace=k8s.namespace,
                      storage=k8s.storage, canary_image=k8s.image, image_pull_policy=k8s.image_pull_policy,
                      runtime_classes=runtime_classes_of(plan), require_cluster=True,
                      kata_runtimes=tuple(rc for rc in runtime_classes_of(plan) if rc.startswith("kata")))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return CheckOptions(**values)
