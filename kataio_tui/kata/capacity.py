"""Will a plan's Kata pods fit on a node? Guest RAM against /dev/shm, host footprint against RAM.

kata.md: QEMU backs guest RAM with a shared file on /dev/shm (tmpfs, half of RAM by default) when
virtio-fs is used, which caps the total guest memory of all Kata pods on a node; beyond it a guest
gets SIGBUS and the kubelet does not account for it. Host footprint measured on GKE in 2026: about
1.1 GiB RSS per kata-qemu pod (QEMU about 680 MiB, virtiofsd about 420 MiB).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kataio_tui.kata.config import Hypervisor, KataSettings
from kataio_tui.kata.verdicts import Severity, Verdict

MIB = 1 << 20
QEMU_RSS_MIB = 680
VIRTIOFSD_RSS_MIB = 420
KATA_QEMU_POD_MIB = QEMU_RSS_MIB + VIRTIOFSD_RSS_MIB  # "about 1.1 GiB"
FOOTPRINT_SOURCE = "measured per kata-qemu pod on GKE in 2026: QEMU about 680 MiB + virtiofsd about 420 MiB"


@dataclass(frozen=True)
class NodeMemory:
    """Bytes; None where unknown (e.g. a Kubernetes node seen only through the API)."""
    mem_total: int | None = None
    mem_available: int | None = None
    shm_total: int | None = None
    shm_free: int | None = None


@dataclass(frozen=True)
class KataLoad:
    pods: int  # Kata pods planned on this node at once
    guest_memory_mib: int  # default_memory of their configuration (or the variant's annotation)
    backing_dir: str | None  # where guest RAM is a shared file (/dev/shm); None: anonymous memory
    host_mib_per_pod: int | None  # None: kataio has no measured figure for this hypervisor
    label: str = "Kata"


def parse_meminfo(text: str) -> NodeMemory:
    values: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[name.strip()] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    return NodeMemory(values.get("MemTotal"), values.get("MemAvailable"))


def shm_sizes(path: Path) -> tuple[int, int] | None:
    """(size, free) of the file system at path, None when it cannot be asked."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize


def _mib(n: int) -> str:
    return f"{n / MIB:,.0f} MiB"


def shm_verdict(load: KataLoad, node: NodeMemory) -> Verdict:
    need = load.pods * load.guest_memory_mib * MIB
    subject = f"{load.pods} {load.label} pods x {load.guest_memory_mib} MiB guest memory = {_mib(need)}"
    if load.backing_dir is None:
        return Verdict("capacity.shm", Severity.OK, subject, "guest RAM is not a shared file here (no virtio-fs "
                       "with QEMU): /dev/shm does not cap it")
    if node.shm_total is None:
        return Verdict("capacity.shm", Severity.WARN, subject, f"the size of {load.backing_dir} is unknown",
                       f"check the size of {load.backing_dir} on the node")
    where = f"{load.backing_dir} ({_mib(node.shm_total)}"
    where += f", {_mib(node.shm_free)} free)" if node.shm_free is not None else ")"
    if need > node.shm_total:
        return Verdict("capacity.shm", Severity.FAIL, f"{subject} > {where}",
                       "QEMU keeps guest RAM in this tmpfs: guests beyond it die with SIGBUS and the kubelet "
                       "does not see it", f"run fewer Kata pods per node, lower default_memory, or grow "
                       f"{load.backing_dir} (mount -o remount,size=...)")
    if node.shm_free is not None and need > node.shm_free:
        return Verdict("capacity.shm", Severity.WARN, f"{subject} > free space of {where}",
                       "it fits the tmpfs size but not what is free now: something else holds shared memory",
                       f"free {load.backing_dir} or run fewer Kata pods per node")
    return Verdict("capacity.shm", Severity.OK, f"{subject} <= {where}", "guest RAM fits the tmpfs")


def host_memory_verdict(load: KataLoad, node: NodeMemory) -> Verdict:
    if load.host_mib_per_pod is None:
        return Verdict("capacity.host", Severity.OK, f"{load.pods} {load.label} pods",
                       "kataio has no measured host footprint for this hypervisor")
    need = load.pods * load.host_mib_per_pod * MIB
    subject = f"{load.pods} {load.label} pods x {load.host_mib_per_pod} MiB host memory = {_mib(need)}"
    if node.mem_total is None:
        return Verdict("capacity.host", Severity.WARN, subject, "the node's memory is unknown",
                       "check the node's memory")
    have = f"node memory {_mib(node.mem_total)}"
    have += f", {_mib(node.mem_available)} available" if node.mem_available is not None else ""
    if need > node.mem_total:
        return Verdict("capacity.host", Severity.FAIL, f"{subject} > {have}",
                       f"the VMs alone need more than the node has ({FOOTPRINT_SOURCE})",
                       "run fewer Kata pods per node")
    if node.mem_available is not None and need > node.mem_available:
        return Verdict("capacity.host", Severity.WARN, f"{subject} > {have}",
                       f"more than is available now: expect swapping or OOM kills ({FOOTPRINT_SOURCE})",
                       "run fewer Kata pods per node or free memory")
    return Verdict("capacity.host", Severity.OK, f"{subject} <= {have}", f"fits ({FOOTPRINT_SOURCE})")


def capacity(load: KataLoad, node: NodeMemory) -> list[Verdict]:
    return [shm_verdict(load, node), host_memory_verdict(load, node)]


def kata_load(settings: KataSettings, pods: int, label: str = "Kata") -> KataLoad:
    """The load of ``pods`` pods of this configuration; the 1.1 GiB figure only for QEMU + virtiofsd."""
    qemu_virtiofsd = (settings.hypervisor is Hypervisor.QEMU
                      and settings.shared_fs in ("virtio-fs", "virtio-fs-nydus"))
    return KataLoad(pods, settings.guest_memory_mib, settings.memory_backend_dir,
                    KATA_QEMU_POD_MIB if qemu_virtiofsd else None, label)
