"""Kernel modules and parameters from /sys/module, and the vhost device nodes Kata's VMs use."""

from __future__ import annotations

import os
import stat

from kataio_tui.checks.cpu import VENDOR_MODULE, cpu_info
from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, failed, passed, warned
from kataio_tui.checks.host import module_param, module_present
from kataio_tui.checks.kvm import PARAVIRTUAL_MODULES

TRUE_VALUES = ("Y", "y", "1")
# Loaded in VMware guests; it can hold the host side of vsock so /dev/vhost-vsock cannot be opened.
VMWARE_VSOCK = "vmw_vsock_vmci_transport"


def _vendor_module(ctx: CheckContext) -> str | None:
    try:
        return VENDOR_MODULE.get(cpu_info(ctx).vendor or "")
    except SkipCheck:
        return None


def check_kvm_modules(ctx: CheckContext) -> Finding:
    vendor_module = _vendor_module(ctx)
    wanted = ["kvm", vendor_module] if vendor_module else ["kvm", "kvm_intel or kvm_amd"]
    present = {m: module_present(ctx, m) for m in ("kvm", "kvm_intel", "kvm_amd", *PARAVIRTUAL_MODULES)}
    shown = ", ".join(f"{m} {'yes' if ok else 'no'}" for m, ok in present.items() if ok or m in wanted)
    observed = f"/sys/module: {shown}"
    if not present["kvm"]:
        return failed(observed, "the kvm module is not loaded: no /dev/kvm, no Kata",
                      f"modprobe {vendor_module or 'kvm_intel (or kvm_amd)'}")
    if vendor_module is None:
        if present["kvm_intel"] or present["kvm_amd"]:
            return passed(observed, "kvm and a vendor module are present")
        return warned(observed, "no kvm_intel or kvm_amd (the CPU vendor is unknown)", "modprobe kvm_intel or kvm_amd")
    if present[vendor_module]:
        return passed(observed, f"kvm and {vendor_module} are present, as kata-runtime requires")
    paravirtual = [m for m in PARAVIRTUAL_MODULES if present[m]]
    meaning = f"kata-runtime check requires {vendor_module}, which is not loaded"
    if paravirtual:
        meaning += f"; KVM here is provided by {', '.join(paravirtual)} instead (see kvm.backend)"
    return failed(observed, meaning,
                  f"modprobe {vendor_module} (it only loads when the CPU shows "
                  f"{'vmx' if vendor_module == 'kvm_intel' else 'svm'})")


def check_kvm_parameters(ctx: CheckContext) -> Finding:
    vendor_module = _vendor_module(ctx)
    if vendor_module is None or not module_present(ctx, vendor_module):
        raise SkipCheck(f"{vendor_module or 'kvm_intel/kvm_amd'} is not loaded, so it has no parameters to read")
    nested = module_param(ctx, vendor_module, "nested")
    clock = module_param(ctx, "kvm", "kvmclock_periodic_sync")
    facts = [f"{vendor_module} nested={nested if nested is not None else '?'}"]
    nested_note = ("nested=" + (nested or "?") + (": guests of this host may run their own VMs" if nested in TRUE_VALUES
                   else ": workloads inside Kata cannot use KVM themselves (Kata does not need nesting)"))
    if clock is not None:
        facts.append(f"kvm kvmclock_periodic_sync={clock}")
    if vendor_module == "kvm_intel":
        unrestricted = module_param(ctx, "kvm_intel", "unrestricted_guest")
        facts.insert(0, f"kvm_intel unrestricted_guest={unrestricted if unrestricted is not None else '?'}")
        if unrestricted is None:
            return warned("; ".join(facts), "unrestricted_guest is not reported, so the CPU generation is unknown",
                          "check /sys/module/kvm_intel/parameters/unrestricted_guest")
        if unrestricted not in TRUE_VALUES:
            return failed("; ".join(facts),
                          "no unrestricted guest mode: the CPU is older than Westmere (or the feature is off), "
                          "which Kata requires",
                          "use a Westmere or newer Intel CPU; do not load kvm_intel with unrestricted_guest=0")
        return passed("; ".join(facts), f"unrestricted guest mode: a Westmere or newer CPU, as Kata requires; {nested_note}")
    return passed("; ".join(facts), f"{vendor_module}: Kata has no CPU generation requirement beyond svm; "
                  f"{nested_note}")


def _char_device(path: os.PathLike) -> bool:
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def check_vhost(ctx: CheckContext) -> list[Finding]:
    modules = {m: module_present(ctx, m) for m in ("vhost", "vhost_net", "vhost_vsock")}
    shown = ", ".join(f"{m} {'yes' if ok else 'no'}" for m, ok in modules.items())
    findings = []
    net_dev = _char_device(ctx.path("/dev/vhost-net"))
    observed = f"/sys/module: {shown}; /dev/vhost-net {'present' if net_dev else 'missing'}"
    if modules["vhost"] and modules["vhost_net"]:
        findings.append(passed(observed, "kata-runtime's required vhost modules are present (vhost-net "
                                         "gives Kata VMs in-kernel virtio-net)", key="net",
                               title="vhost and vhost_net"))
    else:
        findings.append(failed(observed, "kata-runtime check requires vhost and vhost_net and fails without "
                                         "them (vhost-net is the in-kernel virtio-net back end of Kata's VMs)",
                               "modprobe vhost_net", key="net", title="vhost and vhost_net"))
    vsock_dev = _char_device(ctx.path("/dev/vhost-vsock"))
    vmware = module_present(ctx, VMWARE_VSOCK)
    observed = (f"/dev/vhost-vsock {'present' if vsock_dev else 'missing'}; vhost_vsock module "
                f"{'present' if modules['vhost_vsock'] else 'not in /sys/module'}"
                + (f"; {VMWARE_VSOCK} loaded" if vmware else ""))
    title = "vhost-vsock"
    if vsock_dev and not vmware:
        findings.append(passed(observed, "QEMU-based Kata (kata-qemu) reaches its agent over vhost-vsock",
                               key="vsock", title=title))
    elif vsock_dev:
        findings.append(warned(observed, "VMware's vsock transport can hold vsock: Kata then fails with "
                                         "`open /dev/vhost-vsock: no such device`",
                               f"unload {VMWARE_VSOCK} (modprobe -r) before starting Kata pods",
                               key="vsock", title=title))
    else:
        findings.append(failed(observed, "kata-qemu cannot start: it fails at config load with `host system "
                                         "doesn't support vsock`. (Cloud Hypervisor and Firecracker use hybrid "
                                         "vsock over a Unix socket and do not need it.)",
                               "modprobe vhost_vsock" + (f" (after modprobe -r {VMWARE_VSOCK})" if vmware else ""),
                               key="vsock", title=title))
    return findings
