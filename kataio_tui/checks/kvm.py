"""/dev/kvm for real: open it, KVM_GET_API_VERSION, KVM_CREATE_VM; and which KVM backend this is."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from dataclasses import dataclass

from kataio_tui.checks.cpu import VENDOR_MODULE, cpu_info
from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, failed, passed, skipped, warned
from kataio_tui.checks.host import module_present

KVM_GET_API_VERSION = 0xAE00  # _IO(KVMIO, 0x00)
KVM_CREATE_VM = 0xAE01  # _IO(KVMIO, 0x01)
KVM_API_VERSION = 12
PARAVIRTUAL_MODULES = {"kvm_pvm": "PVM, the Pagetable-based Virtual Machine"}


@dataclass(frozen=True)
class KvmProbe:
    path: str
    exists: bool
    char_device: bool = False
    open_errno: int | None = None
    api_version: int | None = None
    api_errno: int | None = None
    create_vm_errno: int | None = None  # None with api_version set: KVM_CREATE_VM succeeded

    @property
    def usable(self) -> bool:
        return self.api_version == KVM_API_VERSION and self.create_vm_errno is None


def probe_kvm(ctx: CheckContext) -> KvmProbe:
    """Do what `kata-runtime check` does as root, for real: open, API version, create a VM."""
    def probe() -> KvmProbe:
        host_path = ctx.path("/dev/kvm")
        shown = str(host_path)
        try:
            mode = os.stat(host_path).st_mode
        except FileNotFoundError:
            return KvmProbe(shown, exists=False)
        if not stat.S_ISCHR(mode):
            return KvmProbe(shown, exists=True, char_device=False)
        try:
            fd = os.open(host_path, os.O_RDWR | os.O_CLOEXEC)
        except OSError as exc:
            return KvmProbe(shown, True, True, open_errno=exc.errno)
        try:
            try:
                version = fcntl.ioctl(fd, KVM_GET_API_VERSION, 0)
            except OSError as exc:
                return KvmProbe(shown, True, True, api_errno=exc.errno)
            try:
                vm_fd = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
            except OSError as exc:
                return KvmProbe(shown, True, True, api_version=version, create_vm_errno=exc.errno)
            os.close(vm_fd)
            return KvmProbe(shown, True, True, api_version=version)
        finally:
            os.close(fd)

    return ctx.memo("kvm-probe", probe)


def explain_open_error(err: int) -> tuple[str, str]:
    """(meaning, remedy) of an errno from opening /dev/kvm."""
    if err in (errno.EACCES, errno.EPERM):
        return ("this user may not open /dev/kvm read-write (Kata's hypervisor runs as root)",
                "run kataio check as root, or add the user to the group owning /dev/kvm")
    if err in (errno.ENXIO, errno.ENODEV):
        return ("the device node exists but no KVM driver answers: kvm_intel/kvm_amd is not loaded",
                "load kvm_intel or kvm_amd (modprobe), after enabling VT-x/AMD-V in the firmware")
    return (f"opening /dev/kvm failed ({errno.errorcode.get(err, err)})", "look at the kernel log (dmesg) for kvm")


def explain_create_vm_error(err: int) -> tuple[str, str]:
    """(meaning, remedy) of an errno from KVM_CREATE_VM."""
    if err == errno.EBUSY:
        return ("another hypervisor (VirtualBox, VMware, another KVM user with exclusive VT-x) holds "
                "VT-x/AMD-V, so KVM cannot create VMs: Kata pods fail with `ioctl(KVM_CREATE_VM) failed: 16 "
                "Device or resource busy`", "stop the other hypervisor on this host")
    if err == errno.ENOMEM:
        return "the kernel could not allocate a VM", "free memory on the host and try again"
    if err == errno.EINVAL:
        return ("KVM refused the default VM type", "check dmesg for kvm errors; the KVM module may be misconfigured")
    return (f"KVM_CREATE_VM failed ({errno.errorcode.get(err, err)})", "look at the kernel log (dmesg) for kvm")


def _errname(err: int) -> str:
    return f"{errno.errorcode.get(err, str(err))} ({os.strerror(err)})"


def check_kvm_device(ctx: CheckContext) -> Finding:
    kvm = probe_kvm(ctx)
    if not kvm.exists:
        return failed(f"{kvm.path} does not exist",
                      "no KVM: Kata cannot start VMs (qemu: `Could not access KVM kernel module`)",
                      "enable VT-x/AMD-V (or nested virtualisation) and load kvm_intel or kvm_amd")
    if not kvm.char_device:
        return failed(f"{kvm.path} is not a character device", "it cannot be the KVM device",
                      "remove it and reload the kvm modules (udev recreates /dev/kvm)")
    if kvm.open_errno is not None:
        meaning, remedy = explain_open_error(kvm.open_errno)
        observed = f"open({kvm.path}, O_RDWR): {_errname(kvm.open_errno)}"
        if kvm.open_errno in (errno.EACCES, errno.EPERM) and os.geteuid() != 0:
            return skipped(observed + f" as uid {os.geteuid()}", meaning, remedy)
        return failed(observed, meaning, remedy)
    if kvm.api_errno is not None:
        return failed(f"KVM_GET_API_VERSION: {_errname(kvm.api_errno)}", "the device does not speak the KVM API",
                      "check which driver provides /dev/kvm (ls -l /dev/kvm; dmesg)")
    if kvm.api_version != KVM_API_VERSION:
        return failed(f"KVM_GET_API_VERSION returned {kvm.api_version}, expected {KVM_API_VERSION}",
                      "hypervisors (QEMU, Cloud Hypervisor, Firecracker) refuse any KVM API version but 12",
                      "use a mainstream Linux kernel's KVM")
    if kvm.create_vm_errno is not None:
        meaning, remedy = explain_create_vm_error(kvm.create_vm_errno)
        return failed(f"KVM_GET_API_VERSION = 12; KVM_CREATE_VM: {_errname(kvm.create_vm_errno)}", meaning, remedy)
    return passed(f"{kvm.path} opened read-write, KVM_GET_API_VERSION = 12, KVM_CREATE_VM succeeded",
                  "this host can create KVM virtual machines now")


def check_kvm_backend(ctx: CheckContext) -> Finding:
    """Hardware-assisted or paravirtual: what /dev/kvm working means for the hypervisors Kata uses."""
    kvm = probe_kvm(ctx)
    if not kvm.usable:
        raise SkipCheck("no usable /dev/kvm (see kvm.device)")
    cpu = cpu_info(ctx)
    if cpu.virt_flag:
        module = VENDOR_MODULE.get(cpu.vendor or "", "kvm_intel/kvm_amd")
        return passed(f"/dev/kvm works and the CPU shows {cpu.virt_flag}; {module} "
                      f"{'present' if module_present(ctx, module) else 'not in /sys/module'}",
                      "hardware-assisted KVM: QEMU, Cloud Hypervisor and Firecracker can run Kata's VMs")
    backends = [f"{name} ({label})" for name, label in PARAVIRTUAL_MODULES.items() if module_present(ctx, name)]
    observed = ("/dev/kvm works (API 12, KVM_CREATE_VM succeeds) but /proc/cpuinfo shows neither vmx nor svm"
                + (f"; KVM is provided by {', '.join(backends)}" if backends else ""))
    if backends:
        meaning = ("a paravirtual KVM without VT-x/AMD-V. It keeps the KVM API, so QEMU, Cloud Hypervisor and "
                   "Firecracker can open /dev/kvm and create VMs, but PVM runs only guests whose kernel is built "
                   "as a PVM guest (CONFIG_PVM_GUEST); Kata's stock guest kernels are not, and `kata-runtime "
                   "check` refuses the CPU. Expect Kata's VMs not to boot here, and performance unlike "
                   "hardware-assisted KVM (shadow paging)")
    else:
        meaning = ("a KVM implementation that works without VT-x/AMD-V being visible (paravirtual or "
                   "software). QEMU, Cloud Hypervisor and Firecracker can open /dev/kvm, but whether Kata's "
                   "guest kernel boots depends on that implementation, and `kata-runtime check` refuses the CPU")
    return warned(observed, meaning,
                  "run Kata on bare metal or in a VM with nested virtualisation; to try this host anyway, start one "
                  "Kata pod on it (`kataio check --canary` when it is a cluster node) and read the diagnosis")
