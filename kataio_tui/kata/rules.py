"""Per-runtime validity of a Kata configuration, as a table of rules.

A rule that fires gives a Verdict: FAIL when a pod with this configuration would not start, WARN when
it starts but does not do what the user expects. ``kata_error`` is the runtime's own message where
the source has it. Sources:
- Go: src/runtime/pkg/katautils/config.go (sharedFS, blockDeviceDriver, blockDeviceAIO,
  newClhHypervisorConfig, newQemuHypervisorConfig), src/runtime/virtcontainers/virtiofsd.go (valid:
  cache mode checked when virtiofsd starts; "metadata" accepted in its tests).
- runtime-rs: kata-types src/config/hypervisor/mod.rs (SharedFsInfo::validate and adjust_config).
- kata.md "Kata 4.x": runtime-rs accepts only virtio-fs, inline-virtio-fs, virtio-fs-nydus, none
  (the copy of kata-types in kataio's source corpus still listed virtio-9p: a 3.x runtime-rs);
  DAX unsupported in practice; Firecracker has no shared file system; runtime-rs block drivers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kataio_tui.kata.config import Hypervisor, KataSettings
from kataio_tui.kata.layout import Runtime
from kataio_tui.kata.verdicts import Severity, Verdict
from kataio_tui.kata.virtiofsd import thread_pool_size

SHARED_FS = {
    Runtime.GO: ("virtio-9p", "virtio-fs", "virtio-fs-nydus", "none"),
    Runtime.RUST: ("virtio-fs", "inline-virtio-fs", "virtio-fs-nydus", "none"),
}
VIRTIO_FS_FAMILY = ("virtio-fs", "inline-virtio-fs", "virtio-fs-nydus")
CLH_SHARED_FS = ("virtio-fs", "virtio-fs-nydus", "none")  # Go newClhHypervisorConfig / Stratovirt likewise
CACHE_MODES = {
    Runtime.GO: ("never", "metadata", "auto", "always"),
    Runtime.RUST: ("never", "auto", "always"),
}
BLOCK_DRIVERS = {
    Runtime.GO: ("virtio-scsi", "virtio-blk", "virtio-mmio", "nvdimm", "virtio-blk-ccw"),
    Runtime.RUST: ("virtio-blk-pci", "virtio-blk-ccw", "virtio-blk-mmio", "virtio-scsi", "virtio-pmem", "nvdimm"),
}
GO_BLOCK_AIO = ("io_uring", "native", "threads")
RUST_NONE_CACHE_WARNING = ("virtio-fs cache mode `none` is deprecated since Kata Containers 2.5.0 and will be "
                           "removed in the future release, please use `never` instead.")


def _go_list(values: tuple[str, ...]) -> str:
    return "[" + " ".join(values) + "]"  # how Go's %v prints a []string


@dataclass(frozen=True)
class Rule:
    id: str
    runtimes: tuple[Runtime, ...]
    severity: Severity
    fires: Callable[[KataSettings], bool]
    subject: Callable[[KataSettings], str]
    reason: str
    fix: str
    kata_error: Callable[[KataSettings], str] = lambda s: ""

    def check(self, s: KataSettings) -> Verdict | None:
        if s.runtime not in self.runtimes or not self.fires(s):
            return None
        return Verdict(self.id, self.severity, self.subject(s), self.reason, self.fix, self.kata_error(s))


def _shared(s: KataSettings) -> str:
    return f'shared_fs = "{s.shared_fs}"'


def _cache(s: KataSettings) -> str:
    return f'virtio_fs_cache = "{s.raw("virtio_fs_cache")}"'


def _uses_virtio_fs(s: KataSettings) -> bool:
    return s.hypervisor is not Hypervisor.FIRECRACKER and s.shared_fs in VIRTIO_FS_FAMILY


def _raw_cache(s: KataSettings) -> str:
    value = s.raw("virtio_fs_cache")
    return value if isinstance(value, str) else ""


def _text(s: KataSettings, key: str) -> str:
    value = s.raw(key)
    return value if isinstance(value, str) else ""


RULES: tuple[Rule, ...] = (
    Rule("shared_fs.go", (Runtime.GO,), Severity.FAIL,
         lambda s: s.hypervisor is not Hypervisor.FIRECRACKER and s.shared_fs not in SHARED_FS[Runtime.GO],
         _shared, "the Go runtime does not know this shared file system: it refuses the configuration",
         'set shared_fs = "virtio-fs"',
         lambda s: f"Invalid hypervisor shared file system {s.shared_fs} specified (supported file systems: "
                   f"{_go_list(SHARED_FS[Runtime.GO])})"),
    Rule("shared_fs.runtime-rs-9p", (Runtime.RUST,), Severity.FAIL,
         lambda s: s.shared_fs == "virtio-9p", _shared,
         "runtime-rs has no 9p: its pods fail to start; on Kata 4.x the 2019 study's 9p needs a Go-runtime shim",
         'use the Go runtime\'s kata-qemu for 9p, or set shared_fs = "virtio-fs"',
         lambda s: "Invalid shared_fs type virtio-9p"),
    Rule("shared_fs.runtime-rs", (Runtime.RUST,), Severity.FAIL,
         lambda s: s.shared_fs not in (None, "virtio-9p", *SHARED_FS[Runtime.RUST]), _shared,
         "runtime-rs does not know this shared file system: its pods fail to start",
         'set shared_fs = "virtio-fs"', lambda s: f"Invalid shared_fs type {s.shared_fs}"),
    Rule("shared_fs.clh", (Runtime.GO,), Severity.FAIL,
         lambda s: s.hypervisor is Hypervisor.CLH and s.shared_fs in SHARED_FS[Runtime.GO]
         and s.shared_fs not in CLH_SHARED_FS, _shared,
         "Cloud Hypervisor rejects virtio-9p: kata-clh pods cannot start", 'set shared_fs = "virtio-fs"',
         lambda s: f"Cloud Hypervisor does not support {s.shared_fs} shared filesystem option"),
    Rule("shared_fs.9p-slow", (Runtime.GO,), Severity.WARN,
         lambda s: s.hypervisor is Hypervisor.QEMU and s.shared_fs == "virtio-9p", _shared,
         "virtio-9p: the shared file system of the StackHPC 2019 study, and its bottleneck (Kata reached about "
         "15 % of bare-metal read bandwidth at 64 clients)",
         'set shared_fs = "virtio-fs" (the default since Kata 2) to measure the fast path'),
    Rule("shared_fs.none", (Runtime.GO, Runtime.RUST), Severity.WARN,
         lambda s: s.hypervisor is not Hypervisor.FIRECRACKER and s.shared_fs == "none", _shared,
         "no shared file system (confidential-computing set-ups): host directories are not shared into the VM "
         "over virtio-fs or 9p", "use a virtio-fs configuration to measure shared-file-system I/O"),
    Rule("shared_fs.firecracker", (Runtime.GO, Runtime.RUST), Severity.WARN,
         lambda s: s.hypervisor is Hypervisor.FIRECRACKER,
         lambda s: "[hypervisor.firecracker]" + (f" shared_fs = \"{s.raw('shared_fs')}\" (ignored)"
                                                 if s.raw("shared_fs") else ""),
         "Firecracker has no shared file system device: directory volumes are not on a virtio-fs path there, so "
         "a kata-fc result does not measure virtio-fs (container file systems reach the VM as block devices)",
         "compare shared-file-system I/O with a QEMU or Cloud Hypervisor configuration"),
    Rule("virtiofsd.daemon", (Runtime.GO,), Severity.FAIL,
         lambda s: s.hypervisor in (Hypervisor.QEMU, Hypervisor.CLH) and s.shared_fs in ("virtio-fs", "virtio-fs-nydus")
         and not _text(s, "virtio_fs_daemon"),
         lambda s: f"{_shared(s)} without virtio_fs_daemon", "virtio-fs needs the virtiofsd path: the VM cannot start",
         'set virtio_fs_daemon = "/opt/kata/libexec/virtiofsd"',
         lambda s: f"cannot enable {s.shared_fs} without daemon path in configuration file"),
    Rule("virtio_fs_cache.go", (Runtime.GO,), Severity.FAIL,
         lambda s: _uses_virtio_fs(s) and _raw_cache(s) != "" and _raw_cache(s) not in CACHE_MODES[Runtime.GO],
         _cache, "the Go runtime's virtiofsd refuses this cache mode when the pod starts (the old `none` included)",
         'set virtio_fs_cache = "never" (what "none" meant), or auto / metadata / always',
         lambda s: f"Invalid virtio-fs cache mode: {_raw_cache(s)}"),
    Rule("virtio_fs_cache.runtime-rs", (Runtime.RUST,), Severity.FAIL,
         lambda s: s.shared_fs in ("virtio-fs", "inline-virtio-fs") and _raw_cache(s) not in ("", "none")
         and _raw_cache(s) not in CACHE_MODES[Runtime.RUST],
         _cache, "runtime-rs refuses this cache mode when it loads the configuration (it has no `metadata`)",
         'set virtio_fs_cache = "never", "auto" or "always"', lambda s: f"Invalid virtio-fs cache mode: {_raw_cache(s)}"),
    Rule("virtio_fs_cache.runtime-rs-none", (Runtime.RUST,), Severity.WARN,
         lambda s: _uses_virtio_fs(s) and _raw_cache(s) == "none", _cache,
         "runtime-rs accepts the deprecated `none` with a warning and uses its default `never` instead",
         'set virtio_fs_cache = "never" to say what runs', lambda s: RUST_NONE_CACHE_WARNING),
    Rule("dax.qemu", (Runtime.GO, Runtime.RUST), Severity.FAIL,
         lambda s: s.hypervisor is Hypervisor.QEMU and _uses_virtio_fs(s) and s.dax_window_mib > 0,
         lambda s: f"DAX window of {s.dax_window_mib} MiB (virtio_fs_cache_size)",
         "DAX is unsupported in practice: release QEMU builds have no DAX window for virtio-fs and the Rust "
         "virtiofsd does not implement it, so the VM does not come up with this setting",
         "set virtio_fs_cache_size = 0"),
    Rule("dax.clh", (Runtime.GO, Runtime.RUST), Severity.WARN,
         lambda s: s.hypervisor is Hypervisor.CLH and _uses_virtio_fs(s) and s.dax_window_mib > 0,
         lambda s: f"DAX window of {s.dax_window_mib} MiB (virtio_fs_cache_size)",
         "Cloud Hypervisor removed DAX support: there is no DAX window to measure, whatever this says",
         "set virtio_fs_cache_size = 0"),
    Rule("block_device_driver.go", (Runtime.GO,), Severity.FAIL,
         lambda s: _text(s, "block_device_driver") not in ("", *BLOCK_DRIVERS[Runtime.GO]),
         lambda s: f'block_device_driver = "{_text(s, "block_device_driver")}"',
         "the Go runtime does not know this block driver (runtime-rs names such as virtio-blk-pci are not Go's)",
         'set block_device_driver = "virtio-scsi" or "virtio-blk"',
         lambda s: f"Invalid hypervisor block storage driver {_text(s, 'block_device_driver')} specified (supported "
                   f"drivers: {_go_list(BLOCK_DRIVERS[Runtime.GO])})"),
    Rule("block_device_driver.runtime-rs", (Runtime.RUST,), Severity.FAIL,
         lambda s: _text(s, "block_device_driver") not in ("", *BLOCK_DRIVERS[Runtime.RUST]),
         lambda s: f'block_device_driver = "{_text(s, "block_device_driver")}"',
         "runtime-rs does not know this block driver (Go names such as virtio-blk are not runtime-rs's)",
         'set block_device_driver = "virtio-blk-pci" or "virtio-scsi"'),
    Rule("block_device_aio.go", (Runtime.GO,), Severity.FAIL,
         lambda s: _text(s, "block_device_aio") not in ("", *GO_BLOCK_AIO),
         lambda s: f'block_device_aio = "{_text(s, "block_device_aio")}"',
         "the Go runtime does not know this I/O mechanism: it refuses the configuration",
         'set block_device_aio = "io_uring"',
         lambda s: f"Invalid hypervisor block storage I/O mechanism  {_text(s, 'block_device_aio')} specified "
                   f"(supported AIO: {_go_list(GO_BLOCK_AIO)})"),
)


def evaluate(settings: KataSettings) -> list[Verdict]:
    """Every rule that fires for this configuration under its runtime, in table order."""
    return [v for rule in RULES if (v := rule.check(settings)) is not None]


def effective(settings: KataSettings) -> list[str]:
    """What the runtime will really use, for the observed text (defaults spelled out)."""
    facts = [f"{settings.runtime.label}, [hypervisor.{settings.table}]"]
    shared = settings.shared_fs
    facts.append(f"shared_fs {shared}" if shared else "shared_fs not set")
    if _uses_virtio_fs(settings):
        raw = _raw_cache(settings)
        note = f" (virtio_fs_cache is {'empty' if not raw else repr(raw)}: {settings.runtime.label} uses this)" \
            if raw in ("", "none") else ""
        facts.append(f"virtio-fs cache {settings.virtio_fs_cache}{note}")
        if shared != "inline-virtio-fs":
            size = thread_pool_size(settings.extra_args)
            facts.append(f"virtiofsd thread pool {size}" if size is not None else "virtiofsd thread pool not set")
        facts.append(f"DAX window {settings.dax_window_mib} MiB" if settings.dax_window_mib else "no DAX window")
    facts.append(f"guest memory {settings.guest_memory_mib} MiB")
    return facts
