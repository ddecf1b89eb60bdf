"""OCI bundles and the runc-compatible command line (runc, crun, runsc) for local clients.

A client's bundle has an empty rootfs of mount points. The host's /usr (fio and its libraries)
is bind-mounted read-only, the merged-/usr symlinks (/lib -> usr/lib, ...) are recreated, the job
file's directory is mounted read-only at /kataio and the client's scratch directory read-write at
/data, fio's working directory. Nothing of the host is writable except /data.

Synchronised start uses the OCI create/start split: ``create`` sets the container up and leaves
its process waiting before exec; ``start`` releases it. Creating every client first and then
starting all of them together makes the clients' fio begin within milliseconds of each other.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

BUNDLE_DATA = "/data"
BUNDLE_CTL = "/kataio"

# Mask and read-only lists as container engines use them, so a client sees what a Kubernetes pod sees.
_MASKED = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
           "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
_READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
         "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
         "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
_HOST_TOP = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


@dataclass(frozen=True, slots=True)
class OciTool:
    """How to drive one OCI runtime binary: its path and global flags (before the sub-command)."""

    runtime: str  # plan name: runc, crun, gvisor
    binary: str
    global_flags: tuple[str, ...] = ()

    def command(self, *args: str) -> list[str]:
        return [self.binary, *self.global_flags, *args]


def _bind(source: str, destination: str, readonly: bool) -> dict:
    options = ["rbind", "nosuid", "nodev"] + (["ro"] if readonly else ["rw"])
    return {"destination": destination, "type": "bind", "source": source, "options": options}


def oci_config(args: list[str], data_dir: Path, ctl_dir: Path, hostname: str,
               env: dict[str, str] | None = None) -> dict:
    """The config.json of one client container (OCI runtime spec 1.0); env: extra variables
    (the run's marker, so that the host can find the container's processes)."""
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
        _bind("/usr", "/usr", True),
    ]
    for top in _HOST_TOP:
        host = Path("/") / top
        if host.is_dir() and not host.is_symlink():
            mounts.append(_bind(str(host), f"/{top}", True))
    mounts.append(_bind(str(ctl_dir), BUNDLE_CTL, True))
    mounts.append(_bind(str(data_dir), BUNDLE_DATA, False))
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp", "TZ=UTC",
                    *(f"{k}={v}" for k, v in (env or {}).items())],
            "cwd": BUNDLE_DATA,
            "capabilities": {k: list(_CAPS) for k in ("bounding", "effective", "permitted")},
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": hostname,
        "mounts": mounts,
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
            "maskedPaths": _MASKED,
            "readonlyPaths": _READONLY,
        },
    }


def write_bundle(bundle: Path, config: dict) -> Path:
    """Create bundle/rootfs with the mount points and merged-/usr symlinks, and bundle/config.json."""
    rootfs = bundle / "rootfs"
    rootfs.mkdir(parents=True, exist_ok=True)
    for mount in config["mounts"]:
        (rootfs / mount["destination"].lstrip("/")).mkdir(parents=True, exist_ok=True)
    for top in _HOST_TOP:
        host = Path("/") / top
        if host.is_symlink() and not (rootfs / top).exists():
            os.symlink(os.readlink(host), rootfs / top)
    (bundle / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    return bundle


def remove_bundle(bundle: Path) -> None:
    shutil.rmtree(bundle, ignore_errors=True)


def run_tool(tool: OciTool, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run a short runtime command (start, kill, delete, state, list) and capture its output."""
    return subprocess.run(tool.command(*args), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def list_containers(tool: OciTool) -> list[str]:
    """IDs the runtime knows about (``<runtime> list``)."""
    proc = run_tool(tool, "list", "--format", "json")
    if proc.returncode != 0 or not proc.stdout.strip() or proc.stdout.strip() == "null":
        return []
    return [c["id"] for c in json.loads(proc.stdout) or []]


def force_delete(tool: OciTool, container_id: str) -> None:
    """Kill and remove a container; quiet when it is already gone."""
    run_tool(tool, "kill", container_id, "KILL", timeout=10)
    run_tool(tool, "delete", "--force", container_id, timeout=20)
