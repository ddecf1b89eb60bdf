"""Cheap facts for the home screen: host, kubeconfig context and namespace, which local runtimes can
run fio (the local runner's own availability answers, each probed with a throw-away container).

The kubeconfig is read as YAML (kube/kubeconfig.py); the Kubernetes client is never imported for this.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path

from kataio_tui.kube.kubeconfig import KubeContext, kubeconfig_path, read_kube_context
from kataio_tui.local.cpuinfo import host_cpu


@dataclass(frozen=True, slots=True)
class RuntimeGlance:
    available: bool
    reason: str


@dataclass(frozen=True, slots=True)
class HostFacts:
    hostname: str
    kernel: str
    virtualization: str | None  # "vmx", "svm" or None
    kvm: bool
    fio: str | None = None  # fio's version, None when it is missing
    runtimes: dict[str, RuntimeGlance] = field(default_factory=dict)
    kube: KubeContext | None = None
    leftovers: list[str] = field(default_factory=list)  # what dead kataio runs of this user left here


def leftovers() -> list[str]:
    """'run <id>: <what>' for each thing dead kataio runs of this user left on this host (dead
    probes are cleared on the way: nobody keeps a probe's container)."""
    from kataio_tui.errors import KataioError
    from kataio_tui.safety.reaper import dead_leftovers, reap_dead_probes

    try:
        reap_dead_probes()
        return [f"run {view.run_id}: {what}" for view, left in dead_leftovers() for what in left]
    except KataioError as exc:
        return [str(exc)]


def gather() -> HostFacts:
    from concurrent.futures import ThreadPoolExecutor

    from kataio_tui.local.availability import fio_version, local_runtime_status
    from kataio_tui.model.plan import LOCAL_RUNTIMES

    uname = platform.uname()
    cpu = host_cpu()
    # probed for real (a throw-away container each, in parallel): an installed runtime that cannot
    # start a container here (crun on a hybrid cgroup host) must not show as available
    with ThreadPoolExecutor(max_workers=len(LOCAL_RUNTIMES)) as pool:
        statuses = list(pool.map(lambda name: local_runtime_status(name, probe=True), LOCAL_RUNTIMES))
    runtimes = {s.name: RuntimeGlance(s.available, s.reason) for s in statuses}
    return HostFacts(
        leftovers=leftovers(),
        hostname=uname.node,
        kernel=uname.release,
        virtualization=cpu.virt_flag if cpu is not None else None,
        kvm=Path("/dev/kvm").exists(),
        fio=fio_version(),
        runtimes=runtimes,
        kube=read_kube_context(kubeconfig_path()),
    )
