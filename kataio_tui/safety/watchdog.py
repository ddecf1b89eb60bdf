"""A watchdog process per run: when kataio dies (even by SIGKILL) it clears the run's journal:
kills the run's processes, removes its containers, bundles and data files.

kataio starts it with ``Watchdog.start(journal)``. The watchdog gets two descriptors: the read
end of a pipe whose only write end kataio holds, and the journal's lock. It sits in its own
session (a terminal's SIGINT or SIGHUP does not reach it) and reads the pipe: ``done`` means
kataio cleaned up itself; end of file without it means kataio died, and the watchdog, which
still holds the journal's lock (so `kataio cleanup` leaves the run alone meanwhile), clears the
journal and removes it. SIGTERM to the watchdog is taken as kataio's death too.

    python -m kataio_tui.safety.watchdog JOURNAL PIPE_FD LOCK_FD READY_FD
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from kataio_tui.errors import KataioError
from kataio_tui.safety.journal import MARKER_ENV, RunJournal, read_journal
from kataio_tui.safety.reaper import clear

DONE = b"done\n"
LOG = "watchdog.log"


class Watchdog:
    """kataio's side: the watchdog process and the pipe's write end."""

    def __init__(self, proc: subprocess.Popen[bytes], write_fd: int) -> None:
        self.proc = proc
        self._write_fd = write_fd

    @classmethod
    def start(cls, journal: RunJournal) -> Watchdog:
        read_fd, write_fd = os.pipe()  # both close on exec: no child of kataio holds the write end
        ready_r, ready_w = os.pipe()
        package_root = str(Path(__file__).resolve().parents[2])
        env = {k: v for k, v in os.environ.items() if k != MARKER_ENV}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "kataio_tui.safety.watchdog", str(journal.path), str(read_fd),
                 str(journal.lock.fd), str(ready_w)],
                pass_fds=(read_fd, journal.lock.fd, ready_w), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True, env=env, cwd="/")
        finally:
            os.close(read_fd)
            os.close(ready_w)
        with os.fdopen(ready_r, "rb") as ready:  # its signal handlers are in place once it says so
            said = ready.read(6)
        if said != b"ready\n":
            os.close(write_fd)
            proc.kill()
            proc.wait()
            raise KataioError(f"{journal.path}: the run's watchdog did not start")
        return cls(proc, write_fd)

    def stop(self, timeout: float = 5.0) -> None:
        """kataio has cleaned up: the watchdog exits without touching anything."""
        if self._write_fd < 0:
            return
        try:
            os.write(self._write_fd, DONE)
        except OSError:
            pass
        os.close(self._write_fd)
        self._write_fd = -1
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _wait(pipe_fd: int) -> bool:
    """True when kataio said done; False on end of file (kataio died)."""
    data = b""
    while True:
        try:
            chunk = os.read(pipe_fd, 64)
        except InterruptedError:
            continue
        if not chunk:
            return DONE in data
        data += chunk
        if DONE in data:
            return True


def _log(journal: Path, text: str) -> None:
    """A line in watchdog.log beside the journals (written only when the watchdog had to act)."""
    line = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {text}\n".encode()
    fd = os.open(journal.parent / LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def main(argv: list[str]) -> int:
    journal = Path(argv[0])
    try:
        return _watch(journal, int(argv[1]), int(argv[2]), int(argv[3]))
    except Exception as exc:  # noqa: BLE001 - nobody sees the watchdog's stderr: say it in the log
        _log(journal, f"watchdog failed: {type(exc).__name__}: {exc}")
        return 1


def _watch(journal: Path, pipe_fd: int, lock_fd: int, ready_fd: int) -> int:
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)

    def on_term(signum: int, frame: FrameType | None) -> None:
        os.close(pipe_fd)  # wakes the read below with EBADF/EOF: clear as if kataio died

    signal.signal(signal.SIGTERM, on_term)
    os.write(ready_fd, b"ready\n")
    os.close(ready_fd)
    try:
        if _wait(pipe_fd):
            return 0
    except OSError:
        pass
    started = time.monotonic()
    view = read_journal(journal)
    result = clear(view)
    st, now = os.fstat(lock_fd), None
    try:
        now = os.stat(journal, follow_symlinks=False)
    except FileNotFoundError:
        pass
    if not result.problems and now is not None and (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
        os.unlink(journal)
    _log(journal, f"run {view.run_id}: kataio ended without cleaning up; killed {result.processes_killed} processes, "
         f"removed {len(result.removed)} of {len(view.entries)} entries in {time.monotonic() - started:.2f} s"
         + "".join(f"; {p}" for p in result.problems))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
