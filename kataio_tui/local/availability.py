"""Can a local runtime run fio on this host? One answer with a reason and a version.

``local_runtime_status(name)`` checks what is installed (binaries, root, containerd, the Kata
shim, KVM); with ``probe=True`` it also starts a real container that runs ``fio --version`` (a
few hundred milliseconds), so a runtime that is installed but broken on this host (for example
crun on a cgroup v1/v2 hybrid host) is reported with the runtime's own error. The check engine
and the local runner both use it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from kataio_tui.local.cpuinfo import parse_cpuinfo
from kataio_tui.local.oci import OciTool, force_delete, oci_config, remove_bundle, write_bundle
from kataio_tui.safety.children import spawn
from kataio_tui.safety.journal import RunJournal
from kataio_tui.safety.state_dir import runs_dir

OCI_BINARIES = {"runc": "runc", "crun": "crun", "gvisor": "runsc"}
# runsc on a host without a CNI-configured network namespace must not try to set up networking,
# and the KVM platform needs hardware virtualisation (it hangs in boot on paravirtual KVM): ptrace.
OCI_FLAGS = {"gvisor": ("--network=none", "--platform=ptrace")}
CONTAINERD_SOCKET = Path("/run/containerd/containerd.sock")
KATA_SHIM_DIRS = (Path("/opt/kata/bin"), Path("/usr/local/bin"), Path("/usr/bin"))
PROBE_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class RuntimeStatus:
    name: str
    available: bool
    reason: str  # why not, or what was checked
    version: str | None = None
    details: dict[str, str] = field(default_factory=dict)


def _first_line(cmd: list[str]) -> str | None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (proc.stdout or proc.stderr).strip()
    return text.splitlines()[0] if text else None


def fio_version(binary: str | None = None) -> str | None:
    """'fio-3.33' from `fio --version`, or None when fio is missing."""
    binary = binary or shutil.which("fio")
    return _first_line([binary, "--version"]) if binary else None


def oci_tool(name: str) -> OciTool | None:
    """The OCI runtime binary and flags for a plan runtime name (None if not an OCI runtime here)."""
    binary_name = OCI_BINARIES.get(name)
    binary = shutil.which(binary_name) if binary_name else None
    if binary is None:
        return None
    return OciTool(name, binary, OCI_FLAGS.get(name, ()))


def kata_shim(name: str) -> Path | None:
    """The containerd shim of a Kata runtime name: kata -> containerd-shim-kata-v2,
    kata-qemu -> containerd-shim-kata-qemu-v2 (kata-deploy installs both names)."""
    shim = "containerd-shim-kata-v2" if name == "kata" else f"containerd-shim-{name}-v2"
    for candidate in (shim, "containerd-shim-kata-v2"):
        found = shutil.which(candidate)
        if found:
            return Path(found)
        for directory in KATA_SHIM_DIRS:
            if (directory / candidate).is_file():
                return directory / candidate
    return None


def hardware_virtualisation(cpuinfo: str) -> bool:
    """vmx (Intel VT-x) or svm (AMD-V) among the first processor's flags."""
    return parse_cpuinfo(cpuinfo).virt_flag is not None


def _kata_status(name: str) -> RuntimeStatus:
    ctr = shutil.which("ctr")
    if ctr is None:
        return RuntimeStatus(name, False, "containerd's `ctr` is not installed (Kata runs locally through "
                                          "`ctr run --runtime io.containerd.kata.v2`)")
    if not CONTAINERD_SOCKET.exists():
        return RuntimeStatus(name, False, f"containerd is not running ({CONTAINERD_SOCKET} does not exist)")
    shim = kata_shim(name)
    if shim is None:
        return RuntimeStatus(name, False, f"no Kata shim for {name!r}: containerd-shim-kata-v2 is not on PATH "
                                          f"or in {KATA_SHIM_DIRS[0]}")
    if not Path("/dev/kvm").exists():
        return RuntimeStatus(name, False, "/dev/kvm does not exist: Kata needs KVM")
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    if not hardware_virtualisation(cpuinfo):
        return RuntimeStatus(name, False, "the CPU flags show no vmx/svm: Kata's hypervisor cannot start VMs "
                                          "on this host (nested virtualisation is off or the host is a VM)")
    version = _first_line([str(shim), "--version"])
    return RuntimeStatus(name, True, f"ctr, containerd and {shim} found", version, {"shim": str(shim)})


def local_runtime_status(name: str, probe: bool = False, state_dir: Path | None = None,
                         journal: RunJournal | None = None) -> RuntimeStatus:
    """Whether ``name`` (bare, runc, crun, gvisor, kata, kata-<shim>) can run fio here, and why not."""
    fio = shutil.which("fio")
    if fio is None:
        return RuntimeStatus(name, False, "fio is not installed (apt-get install fio)")
    if name == "bare":
        return RuntimeStatus(name, True, f"fio at {fio}", fio_version(fio), {"binary": fio})
    if name == "kata" or name.startswith("kata-"):
        return _kata_status(name)
    if name not in OCI_BINARIES:
        return RuntimeStatus(name, False, f"unknown local runtime {name!r}")
    tool = oci_tool(name)
    if tool is None:
        return RuntimeStatus(name, False, f"{OCI_BINARIES[name]} is not installed")
    if os.geteuid() != 0:
        return RuntimeStatus(name, False, f"{OCI_BINARIES[name]} needs root here (kataio does not set up "
                                          "rootless containers); run kataio as root")
    version = _first_line(tool.command("--version"))
    details = {"binary": tool.binary, "flags": " ".join(tool.global_flags)}
    if not probe:
        return RuntimeStatus(name, True, f"{tool.binary} found (not probed)", version, details)
    error = probe_oci(tool, state_dir, journal)
    if error:
        return RuntimeStatus(name, False, f"{OCI_BINARIES[name]} cannot start a container here: {error}",
                             version, details)
    return RuntimeStatus(name, True, f"{OCI_BINARIES[name]} ran `fio --version` in a container", version, details)


def probe_oci(tool: OciTool, state_dir: Path | None = None, journal: RunJournal | None = None) -> str | None:
    """Run `fio --version` in a throw-away container; the runtime's error text, or None if it worked.

    The bundle goes in the private state directory (state_dir, default the runs directory) and,
    like the container, into the journal (the run's, or the probe's own) before it is made."""
    probe_id = f"kataio-probe-{uuid.uuid4().hex[:8]}"
    own = RunJournal.begin(probe_id, kind="probe") if journal is None else None
    journal = journal or own
    assert journal is not None
    base = (state_dir or runs_dir()) / probe_id
    bundle = base / "bundle"
    base_entry = journal.record("path", path=str(base), what="probe bundle")
    container_entry = journal.record("container", tool=[tool.binary, *tool.global_flags], container=probe_id)
    try:
        base.mkdir(mode=0o700)
        (base / "ctl").mkdir()
        (base / "data").mkdir()
        write_bundle(bundle, oci_config(["/usr/bin/fio", "--version"], base / "data", base / "ctl", "probe",
                                        env=journal.marker))
        proc = spawn(tool.command("run", "--bundle", str(bundle), probe_id), marker=journal.marker,
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = (b.decode("utf-8", errors="replace") for b in proc.communicate(timeout=PROBE_TIMEOUT_S))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return f"`{tool.binary} run` did not finish within {PROBE_TIMEOUT_S:.0f} s"
        if proc.returncode != 0 or not out.startswith("fio-"):
            text = (err or out).strip().splitlines()
            return text[-1] if text else f"exit status {proc.returncode}"
        return None
    finally:
        force_delete(tool, probe_id)
        journal.forget(container_entry)
        remove_bundle(base)
        journal.forget(base_entry)
        if own is not None:
            own.finish()
