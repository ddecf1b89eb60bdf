"""Which file system a client's I/O really went through, from the mount table seen inside its pod.

Accepts ``/proc/mounts`` lines (``src dst type opts 0 0``, what the start gate prints) and ``mount``'s
output (``src on dst type T (opts)``). Inside a Kata pod, files Kata shares from the host appear with
the source ``kataShared`` and the type ``virtiofs`` (Kata 2+, default) or ``9p`` (Kata 1.x, the
study's 9p); volumes such as a hostPath show source ``none`` and the same type. Under gVisor
bind mounts show as ``9p`` (its gofer), under runc as the node's own file system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KATA_SHARED = "kataShared"
SHARED_FS_TYPES = {"virtiofs": "virtio-fs", "9p": "virtio-9p"}
_MOUNT_OUTPUT = re.compile(r"^(?P<src>\S+) on (?P<dst>\S+) type (?P<type>\S+) \((?P<opts>[^)]*)\)\s*$")
_OCTAL = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True, slots=True)
class MountEntry:
    source: str
    target: str
    fstype: str
    options: str


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes (\\040 ...)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mount_table(text: str) -> list[MountEntry]:
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _MOUNT_OUTPUT.match(line)
        if match:
            entries.append(MountEntry(match["src"], match["dst"], match["type"], match["opts"]))
            continue
        parts = line.split()
        if len(parts) >= 4:
            entries.append(MountEntry(_unescape(parts[0]), _unescape(parts[1]), parts[2], parts[3]))
    return entries


def kata_shared_fs(entries: list[MountEntry]) -> str | None:
    """'virtiofs' or '9p' (the type of the kataShared mounts), or None outside Kata."""
    types = {e.fstype for e in entries if e.source == KATA_SHARED}
    for fstype in ("virtiofs", "9p"):
        if fstype in types:
            return fstype
    return next(iter(sorted(types)), None)


def mount_of(entries: list[MountEntry], path: str) -> MountEntry | None:
    """The mount that holds path (the longest matching target; the last one wins on stacked mounts)."""
    best: MountEntry | None = None
    for entry in entries:
        target = entry.target.rstrip("/") or "/"
        if path == target or path.startswith(target.rstrip("/") + "/") or target == "/":
            if best is None or len(target) >= len(best.target.rstrip("/") or "/"):
                best = entry
    return best


def describe(entries: list[MountEntry], data_path: str) -> dict[str, str]:
    """Provenance facts: the data mount's type and source, the root's type, and Kata's shared file system."""
    facts: dict[str, str] = {}
    data = mount_of(entries, data_path)
    if data is not None:
        facts["data_fs"] = data.fstype
        facts["data_source"] = data.source
        facts["data_options"] = data.options
    root = mount_of(entries, "/")
    if root is not None and root.target == "/":
        facts["root_fs"] = root.fstype
    shared = kata_shared_fs(entries)
    if shared is not None:
        facts["kata_shared_fs"] = shared
    return facts
