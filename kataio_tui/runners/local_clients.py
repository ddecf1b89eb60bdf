"""Local fio clients: a bare process or an OCI container, launched parked and released together.

Every process is spawned with the run's marker and a parent-death signal (safety/children.py),
and a container is written into the run's journal before it is created, so neither outlives
kataio. Both kinds follow the same life: ``launch`` (the client exists but fio has not begun), ``release``
(fio begins), reader threads feed fio's stdout to a ClientStream, ``stop`` ends it at once,
``cleanup`` removes what is left. Parking is what synchronises the clients' start:
- bare: fio is exec'd by ``sh`` after a line arrives on its stdin; releasing N clients is N
  one-byte writes, microseconds apart;
- OCI: ``<runtime> create`` leaves the container's process waiting before exec; ``<runtime> start``
  releases it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from kataio_tui.fio.jobfile import FIO_ARGS
from kataio_tui.local.oci import BUNDLE_CTL, OciTool, force_delete, oci_config, run_tool, write_bundle
from kataio_tui.runners.fio_stream import ClientStream
from kataio_tui.safety.children import spawn
from kataio_tui.safety.journal import RunJournal

# `read` waits for the release line; "$@" passes fio's argv through untouched (no interpolation).
_PARK = 'read _release && exec "$@"'


def _pump(pipe, sink) -> None:
    fd = pipe.fileno()
    try:
        while chunk := os.read(fd, 65536):
            sink(chunk)
    except OSError:
        pass
    finally:
        pipe.close()


class LocalClient:
    """Common parts: the reader threads and the collected stderr."""

    def __init__(self, index: int, stream: ClientStream, journal: RunJournal | None = None) -> None:
        self.index = index
        self.stream = stream
        self.journal = journal
        self.marker = journal.marker if journal else {}
        self.stderr = bytearray()
        self.exit_code: int | None = None
        self.launch_error: str | None = None
        self.data_dir: Path | None = None
        self._threads: list[threading.Thread] = []

    def _read(self, proc: subprocess.Popen) -> None:
        for pipe, sink in ((proc.stdout, self.stream.feed), (proc.stderr, self.stderr.extend)):
            thread = threading.Thread(target=_pump, args=(pipe, sink), daemon=True,
                                      name=f"kataio-client-{self.index}")
            thread.start()
            self._threads.append(thread)

    def output_done(self) -> bool:
        return all(not t.is_alive() for t in self._threads)

    def join_output(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")


class BareClient(LocalClient):
    """fio as a plain host process in its own process group, working in the client's directory."""

    def __init__(self, index: int, stream: ClientStream, fio: str, jobfile: Path, data_dir: Path,
                 journal: RunJournal | None = None) -> None:
        super().__init__(index, stream, journal)
        self._argv = ["/bin/sh", "-c", _PARK, "kataio-client", fio, *FIO_ARGS, str(jobfile)]
        self._cwd = data_dir
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None

    def launch(self, timeout: float) -> None:
        self.proc = spawn(self._argv, marker=self.marker, cwd=self._cwd, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self._read(self.proc)

    def release(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(b"\n")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass

    def finished(self) -> bool:
        return self.proc is None or (self.proc.poll() is not None and self.output_done())

    def stop(self, grace: float) -> None:
        """SIGTERM to fio's process group (fio stops its jobs), SIGKILL after grace seconds."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def cleanup(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.stop(0.5)
            self.exit_code = self.proc.returncode
            if self.proc.stdin and not self.proc.stdin.closed:
                self.proc.stdin.close()


class OciClient(LocalClient):
    """fio in a container of an OCI runtime (runc, crun, runsc) built from the host's /usr."""

    def __init__(self, index: int, stream: ClientStream, tool: OciTool, container_id: str, bundle: Path,
                 ctl_dir: Path, data_dir: Path, fio_in_container: str = "/usr/bin/fio",
                 journal: RunJournal | None = None) -> None:
        super().__init__(index, stream, journal)
        self.tool = tool
        self.container_id = container_id
        self.bundle = bundle
        self.data_dir = data_dir
        config = oci_config([fio_in_container, *FIO_ARGS, f"{BUNDLE_CTL}/job.fio"], data_dir, ctl_dir,
                            f"client-{index}", env=self.marker)
        write_bundle(bundle, config)
        self.created = False
        self._gone = False
        self._entry: str | None = None
        self._launched = False

    def launch(self, timeout: float) -> None:
        """`<runtime> create`: blocks until the container waits before exec (or fails)."""
        self._launched = True
        if self.journal is not None:
            self._entry = self.journal.record("container", tool=[self.tool.binary, *self.tool.global_flags],
                                              container=self.container_id)
        proc = spawn(self.tool.command("create", "--bundle", str(self.bundle), self.container_id),
                     marker=self.marker, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     start_new_session=True)
        self._read(proc)  # the container inherits these pipes: they carry fio's output
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.launch_error = f"`{self.tool.binary} create` did not finish within {timeout:.0f} s"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return
        if code != 0:
            self.join_output(2.0)
            self.launch_error = self.stderr_text.strip() or f"`{self.tool.binary} create` exit status {code}"
        else:
            self.created = True

    def release(self) -> None:
        proc = run_tool(self.tool, "start", self.container_id)
        if proc.returncode != 0:
            self.launch_error = proc.stderr.strip() or f"`{self.tool.binary} start` exit status {proc.returncode}"
            self.stop(0)

    def finished(self) -> bool:
        return self.output_done()

    def stop(self, grace: float) -> None:
        if self._launched and not self._gone:  # also a create that failed half-way
            force_delete(self.tool, self.container_id)
            self._gone = True
            if self.journal is not None and self._entry is not None:
                self.journal.forget(self._entry)

    def cleanup(self) -> None:
        self.stop(0)
