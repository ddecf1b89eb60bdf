"""The settings of a loaded Kata configuration that matter for I/O, with each runtime's defaults.

Defaults: Go from src/runtime/pkg/katautils/config.go (sharedFS: "" -> virtio-fs; defaultMemSz:
below vc.MinHypervisorMemory = 256 MiB -> 2048; defaultVirtioFSCache), Go virtiofsd.go ("" -> auto);
runtime-rs from kata-types config/default.rs (DEFAULT_SHARED_FS_TYPE virtio-fs for an empty value,
DEFAULT_VIRTIO_FS_CACHE_MODE never, DEFAULT_VIRTIO_FS_DAX_SIZE_MB 1024, DEFAULT_<HV>_MEMORY_SIZE_MB 128)
and config/hypervisor/mod.rs (SharedFsInfo::adjust_config).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from kataio_tui.kata.configload import LoadedConfig
from kataio_tui.kata.layout import Runtime

GO_MIN_MEMORY_MIB = 256
GO_DEFAULT_MEMORY_MIB = 2048
RUST_DEFAULT_MEMORY_MIB = 128  # kata-types default.rs, the same for qemu, CH, firecracker, dragonball
RUST_DEFAULT_DAX_MIB = 1024
DEV_SHM = "/dev/shm"


class Hypervisor(enum.StrEnum):
    QEMU = "qemu"
    CLH = "cloud-hypervisor"
    FIRECRACKER = "firecracker"
    DRAGONBALL = "dragonball"
    STRATOVIRT = "stratovirt"
    REMOTE = "remote"
    OTHER = "other"


# [hypervisor.<table>] names: Go uses clh, runtime-rs cloud-hypervisor (Makefile HYPERVISOR_CLH).
_TABLES = {"qemu": Hypervisor.QEMU, "clh": Hypervisor.CLH, "cloud-hypervisor": Hypervisor.CLH,
           "firecracker": Hypervisor.FIRECRACKER, "dragonball": Hypervisor.DRAGONBALL,
           "stratovirt": Hypervisor.STRATOVIRT, "remote": Hypervisor.REMOTE}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


@dataclass(frozen=True)
class KataSettings:
    loaded: LoadedConfig
    table: str | None  # the [hypervisor.<table>] the runtime uses
    settings: dict[str, Any]

    @classmethod
    def of(cls, loaded: LoadedConfig) -> KataSettings:
        tables = loaded.data.get("hypervisor")
        tables = tables if isinstance(tables, dict) else {}
        name: str | None = None
        if loaded.runtime is Runtime.RUST:
            wanted = _text(_table(loaded.data, "runtime").get("hypervisor_name"))
            name = wanted if wanted in tables else None
        if name is None and tables:
            name = next(iter(tables))
        chosen = tables.get(name) if name else None
        return cls(loaded, name, chosen if isinstance(chosen, dict) else {})

    @property
    def runtime(self) -> Runtime:
        return self.loaded.runtime

    @property
    def hypervisor(self) -> Hypervisor:
        return _TABLES.get(self.table or "", Hypervisor.OTHER)

    def raw(self, key: str) -> Any:
        return self.settings.get(key)

    @property
    def shared_fs(self) -> str | None:
        """What the runtime will use; None when runtime-rs has no shared_fs key at all."""
        if self.hypervisor is Hypervisor.FIRECRACKER:
            return "none"  # Go never reads shared_fs for Firecracker: it has no shared-fs device
        value = _text(self.raw("shared_fs"))
        if value:
            return value
        if self.runtime is Runtime.RUST and value is None:
            return None
        return "virtio-fs"

    @property
    def virtio_fs_cache(self) -> str:
        value = _text(self.raw("virtio_fs_cache")) or ""
        if self.runtime is Runtime.GO:
            return value or "auto"
        return "never" if value in ("", "none") else value

    @property
    def dax_window_mib(self) -> int:
        """The DAX window asked for, 0 when none (runtime-rs: virtio_fs_is_dax alone asks for 1024)."""
        size = _int(self.raw("virtio_fs_cache_size"))
        if size == 0 and self.runtime is Runtime.RUST and self.raw("virtio_fs_is_dax") is True:
            return RUST_DEFAULT_DAX_MIB
        return size

    @property
    def extra_args(self) -> tuple[str, ...]:
        return _strings(self.raw("virtio_fs_extra_args"))

    @property
    def enable_annotations(self) -> tuple[str, ...]:
        return _strings(self.raw("enable_annotations"))

    @property
    def guest_memory_mib(self) -> int:
        value = _int(self.raw("default_memory"))
        if self.runtime is Runtime.GO:
            return value if value >= GO_MIN_MEMORY_MIB else GO_DEFAULT_MEMORY_MIB
        return value or RUST_DEFAULT_MEMORY_MIB

    @property
    def memory_backend_dir(self) -> str | None:
        """Where QEMU puts guest RAM as a shared file: file_mem_backend, or /dev/shm automatically with
        virtio-fs (template comment on file_mem_backend); None when guest RAM is anonymous memory."""
        if self.hypervisor is not Hypervisor.QEMU:
            return None
        explicit = _text(self.raw("file_mem_backend"))
        if explicit:
            return explicit
        return DEV_SHM if self.shared_fs in ("virtio-fs", "virtio-fs-nydus") else None

    def describe(self) -> str:
        keys = ("shared_fs", "virtio_fs_cache", "virtio_fs_cache_size", "virtio_fs_extra_args",
                "block_device_driver", "block_device_aio", "default_memory")
        shown = [f"{k} = {json.dumps(self.settings[k])}" for k in keys if k in self.settings]
        return f"[hypervisor.{self.table}] " + ", ".join(shown) if self.table else "no [hypervisor.<name>] table"


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
