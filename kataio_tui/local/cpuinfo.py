"""/proc/cpuinfo as kata-runtime reads it: the first processor block's vendor, model and flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CpuInfo:
    vendor: str | None
    model_name: str | None
    flags: frozenset[str]
    processors: int

    @property
    def virt_flag(self) -> str | None:
        """vmx (Intel VT-x) or svm (AMD-V) when /proc/cpuinfo shows one."""
        return next((f for f in ("vmx", "svm") if f in self.flags), None)

    @property
    def in_vm(self) -> bool:
        return "hypervisor" in self.flags

    def describe(self) -> str:
        return f"{self.vendor or 'unknown vendor'}" + (f" ({self.model_name})" if self.model_name else "")


def parse_cpuinfo(text: str) -> CpuInfo:
    """The first processor block (as kata-runtime reads it) and the processor count."""
    blocks = [b for b in text.split("\n\n") if b.strip()]
    fields: dict[str, str] = {}
    for line in (blocks[0].splitlines() if blocks else []):
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    processors = sum(1 for line in text.splitlines() if line.split(":")[0].strip() == "processor")
    return CpuInfo(vendor=fields.get("vendor_id"), model_name=fields.get("model name"),
                   flags=frozenset(fields.get("flags", "").split()), processors=processors)


def host_cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> CpuInfo | None:
    """This host's CPU, or None when /proc/cpuinfo cannot be read."""
    try:
        return parse_cpuinfo(cpuinfo.read_text(errors="replace"))
    except OSError:
        return None
