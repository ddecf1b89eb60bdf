"""Every check kataio knows, in report order, and the selection of those to run."""

from __future__ import annotations

from dataclasses import dataclass

from kataio_tui.checks import (
    cluster,
    container_runtimes,
    cpu,
    fio_checks,
    host,
    kata_capacity,
    kata_ctl,
    kata_handlers,
    kata_install,
    kata_runtime_check,
    kvm,
    modules,
)
from kataio_tui.checks.canary import canary_timeout, check_canaries
from kataio_tui.checks.engine import Check
from kataio_tui.checks.options import CheckOptions


def _command_timeout(options: CheckOptions) -> float:
    return options.command_timeout_s * 2 + 5


def _probe_timeout(options: CheckOptions) -> float:
    """runtimes.oci starts one probe container per runtime (each bounded by the runner's own timeout)."""
    return options.command_timeout_s * len(container_runtimes.OCI_RUNTIMES) + 10


def _request_timeout(options: CheckOptions) -> float:
    return options.request_timeout_s * 3 + 5


HOST_CHECKS: tuple[Check, ...] = (
    Check("host.kernel", "Linux kernel", "host", host.check_kernel),
    Check("cpu.flags", "CPU virtualisation flags", "host", cpu.check_cpu_flags),
    Check("cpu.hypervisor", "Bare metal or VM", "host", cpu.check_hypervisor_flag),
    Check("kvm.device", "/dev/kvm usable", "host", kvm.check_kvm_device),
    Check("kvm.backend", "KVM backend", "host", kvm.check_kvm_backend),
    Check("modules.kvm", "KVM modules", "host", modules.check_kvm_modules),
    Check("modules.kvm_params", "KVM module parameters", "host", modules.check_kvm_parameters),
    Check("modules.vhost", "vhost modules and devices", "host", modules.check_vhost),
    Check("kata.binaries", "Kata binaries", "host", kata_install.check_binaries),
    Check("kata.config", "Kata configuration", "host", kata_install.check_configs),
    Check("kata.handlers", "Kata handlers", "host", kata_handlers.check_kata_handlers),
    Check("kata.capacity", "Kata capacity", "host", kata_capacity.check_capacity,
          wanted=lambda options: bool(options.kata_runtimes)),
    Check("kata.runtime_check", "kata-runtime check", "host", kata_runtime_check.check_kata_runtime, _command_timeout),
    Check("kata.ctl_check", "kata-ctl check", "host", kata_ctl.check_kata_ctl, _command_timeout),
    Check("runtimes.containerd", "containerd runtime handlers", "host", container_runtimes.check_containerd,
          _command_timeout),
    Check("runtimes.crio", "CRI-O runtimes", "host", container_runtimes.check_crio),
    Check("runtimes.oci", "OCI runtimes", "host", container_runtimes.check_oci_runtimes, _probe_timeout),
    Check("fio.binary", "fio", "host", fio_checks.check_fio, _command_timeout),
    Check("fio.target", "fio target directory", "host", fio_checks.check_target, _command_timeout),
)

CLUSTER_CHECKS: tuple[Check, ...] = (
    Check("cluster.api", "Kubernetes API", "cluster", cluster.check_api, _request_timeout),
    Check("cluster.version", "Kubernetes version", "cluster", cluster.check_version, _request_timeout),
    Check("cluster.runtimeclass", "RuntimeClass", "cluster", cluster.check_runtime_classes, _request_timeout),
    Check("cluster.permissions", "Permissions", "cluster", cluster.check_permissions,
          lambda options: options.request_timeout_s * (len(cluster.PERMISSIONS) + 1) + 5),
    Check("cluster.storage", "Storage target", "cluster", cluster.check_storage, _request_timeout),
    Check("cluster.canary", "Canary pod", "cluster", check_canaries, canary_timeout,
          wanted=lambda options: options.canary),
)

ALL_CHECKS = HOST_CHECKS + CLUSTER_CHECKS


@dataclass(frozen=True)
class Selection:
    host: bool = True
    cluster: bool = True


def plan_checks(selection: Selection, options: CheckOptions) -> list[Check]:
    """The checks a run will make, in report order (the TUI shows them before they run)."""
    groups = {"host"} if selection.host else set()
    if selection.cluster:
        groups.add("cluster")
    return [c for c in ALL_CHECKS if c.group in groups and (c.wanted is None or c.wanted(options))]


def find_check(check_id: str) -> Check:
    for check in ALL_CHECKS:
        if check.id == check_id:
            return check
    raise KeyError(check_id)
