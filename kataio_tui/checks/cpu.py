"""CPU checks from /proc/cpuinfo: vendor, the flags kata-runtime requires, and the hypervisor flag."""

from __future__ import annotations

from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, failed, passed, skipped, warned
from kataio_tui.checks.host import read_text
from kataio_tui.local.cpuinfo import CpuInfo, parse_cpuinfo

INTEL = "GenuineIntel"
AMD = "AuthenticAMD"
# What `kata-runtime check` requires on amd64, per vendor: the virtualisation flag first.
REQUIRED_FLAGS = {INTEL: ("vmx", "lm", "sse4_1"), AMD: ("svm", "lm", "sse4_1")}
VIRT_FLAG = {INTEL: "vmx", AMD: "svm"}
VENDOR_MODULE = {INTEL: "kvm_intel", AMD: "kvm_amd"}


def cpu_info(ctx: CheckContext) -> CpuInfo:
    def read() -> CpuInfo:
        text = read_text(ctx, "/proc/cpuinfo")
        if text is None:
            raise SkipCheck(f"{ctx.path('/proc/cpuinfo')} cannot be read", "mount /proc or check the --root tree")
        return parse_cpuinfo(text)

    return ctx.memo("cpuinfo", read)


def check_cpu_flags(ctx: CheckContext) -> Finding:
    cpu = cpu_info(ctx)
    required = REQUIRED_FLAGS.get(cpu.vendor or "")
    if required is None:
        return skipped(f"vendor_id {cpu.vendor!r}: not an Intel or AMD x86 CPU",
                       "kataio checks the amd64 requirements of kata-runtime only")
    missing = [f for f in required if f not in cpu.flags]
    present = ", ".join(f for f in required if f in cpu.flags) or "none"
    observed = f"{cpu.describe()}; required flags present: {present}" + (
        f"; missing: {', '.join(missing)}" if missing else "")
    virt = VIRT_FLAG[cpu.vendor]
    if virt in missing:
        how = ("the outer hypervisor does not expose it (nested virtualisation off)" if cpu.in_vm
               else "it is disabled in the firmware or absent")
        return failed(observed,
                      f"no hardware-assisted virtualisation visible ({virt}): {how}. `kata-runtime check` "
                      "refuses this CPU and hardware KVM cannot work; see kvm.backend for what /dev/kvm does",
                      "enable VT-x/AMD-V in the firmware, or nested virtualisation on the outer hypervisor "
                      "(and pass the host CPU model to this VM)")
    if missing:
        return failed(observed, f"kata-runtime requires {', '.join(required)}: a 64-bit CPU with SSE4.1",
                      "use a newer CPU (or a VM CPU model that passes these flags through)")
    return passed(observed, "the CPU has what kata-runtime requires")


def check_hypervisor_flag(ctx: CheckContext) -> Finding:
    cpu = cpu_info(ctx)
    if not cpu.in_vm:
        return passed("no `hypervisor` flag in /proc/cpuinfo", "bare metal: Kata's VMs run directly on the hardware")
    if cpu.virt_flag:
        return passed(f"`hypervisor` and `{cpu.virt_flag}` flags",
                      "a VM with nested virtualisation exposed: Kata's VMs run nested (expect slower I/O and "
                      "start-up than on bare metal)")
    module = VENDOR_MODULE.get(cpu.vendor or "", "kvm_intel")
    return warned("`hypervisor` flag without vmx/svm",
                  "this host is itself a VM and its hypervisor does not expose VT-x/AMD-V: hardware KVM "
                  "cannot work here, so Kata cannot start VMs unless another KVM backend is present (kvm.backend)",
                  f"enable nested virtualisation on the outer hypervisor (e.g. {module} nested=1 on the L0 host "
                  "and the host CPU model for this VM), or run Kata on bare metal")
