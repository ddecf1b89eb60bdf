"""A local Kata client: ``ctr run --runtime io.containerd.kata[-<shim>].v2`` with the OCI client's rootfs.

This path cannot run on a host without hardware virtualisation (the development machine has
none); availability.py reports it unavailable there. Design (also in shared/notes/kata.md):
- ``ctr run --rootfs`` takes the bundle's rootfs directory (mount points and merged-/usr links)
  as an externally managed root; /usr, the job directory and the client's data directory are
  bind mounts, which Kata shares into the VM (virtio-fs or 9p, as configured).
- ctr has no create/start split that waits before exec while the VM boots, so the client runs the
  start gate of the Kubernetes runner (runners/kubernetes/gate.py): lay out files, print READY,
  wait for a line on stdin (ctr forwards its stdin), then exec fio. kataio releases all clients
  once every one has printed READY, as it does for pods.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

from kataio_tui.runners.fio_stream import ClientStream
from kataio_tui.runners.kubernetes.gate import GO_LINE, READY, gate_command
from kataio_tui.runners.local_clients import LocalClient
from kataio_tui.local.oci import BUNDLE_CTL, BUNDLE_DATA, oci_config, write_bundle


def kata_runtime_type(runtime: str, shim: str | None = None) -> str:
    """containerd's runtime type: from the shim found (containerd-shim-kata-qemu-v2 ->
    io.containerd.kata-qemu.v2), else from the plan name (kata -> io.containerd.kata.v2)."""
    match = re.fullmatch(r"containerd-shim-(.+)-v2", Path(shim).name) if shim else None
    return f"io.containerd.{match.group(1) if match else runtime}.v2"


def ctr_run_command(ctr: str, runtime_type: str, rootfs: Path, container_id: str, ctl_dir: Path,
                    data_dir: Path) -> list[str]:
    mounts = [("/usr", "/usr", "ro"), (str(ctl_dir), BUNDLE_CTL, "ro"), (str(data_dir), BUNDLE_DATA, "rw")]
    argv = [ctr, "run", "--rm", "--rootfs", "--runtime", runtime_type, "--cwd", BUNDLE_DATA]
    for source, destination, mode in mounts:
        argv += ["--mount", f"type=bind,src={source},dst={destination},options=rbind:{mode}"]
    return [*argv, str(rootfs), container_id, *gate_command(BUNDLE_DATA, f"{BUNDLE_CTL}/job.fio")]


class KataClient(LocalClient):
    def __init__(self, index: int, stream: ClientStream, ctr: str, runtime_type: str, container_id: str,
                 bundle: Path, ctl_dir: Path, data_dir: Path) -> None:
        super().__init__(index, stream)
        write_bundle(bundle, oci_config(["/bin/true"], data_dir, ctl_dir, f"client-{index}"))
        self.ctr = ctr
        self.container_id = container_id
        self.argv = ctr_run_command(ctr, runtime_type, bundle / "rootfs", container_id, ctl_dir, data_dir)
        self.proc: subprocess.Popen | None = None

    def launch(self, timeout: float) -> None:
        """Start the VM and wait until the gate says READY (its layout done, waiting for the go line)."""
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self._read(self.proc)
        marker = READY.encode()
        waited = 0.0
        while marker not in self.stream.raw:
            if self.proc.poll() is not None or waited >= timeout:
                self.launch_error = (self.stderr_text.strip() or
                                     f"the Kata container did not become ready within {timeout:.0f} s")
                self.stop(0)
                return
            try:
                self.proc.wait(0.05)
            except subprocess.TimeoutExpired:
                pass
            waited += 0.05

    def release(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(GO_LINE)
            self.proc.stdin.close()
        except BrokenPipeError:
            pass

    def finished(self) -> bool:
        return self.proc is None or (self.proc.poll() is not None and self.output_done())

    def stop(self, grace: float) -> None:
        subprocess.run([self.ctr, "task", "kill", "--signal", "SIGKILL", self.container_id],
                       capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.wait(max(grace, 2.0))
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        subprocess.run([self.ctr, "container", "rm", self.container_id], capture_output=True, timeout=20,
                       stdin=subprocess.DEVNULL)

    def cleanup(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.stop(0)
            self.exit_code = self.proc.returncode
