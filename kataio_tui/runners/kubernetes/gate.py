"""The start gate each client runs: lay out fio's files, say ready, wait for the go line, run fio.

The fio image needs only fio and a POSIX ``/bin/sh`` (dash's builtins ``echo`` and ``read``): no
``sleep``, no ``mkfifo``. The container is created with ``stdin: true``, so ``read`` blocks on the
container's stdin until the runner attaches and writes a line. Laying out the data files happens
*before* the gate (``fio --create_only=1``), so a slow layout cannot skew the start of measured I/O.

Two stages (docs/kubernetes-runner.md): the go line releases the shell, which execs fio; with the job
gate each fio job then prints :data:`JOB_READY` and waits for its own line in fio's ``exec_prerun``,
after fio's start-up, so the release (:func:`job_lines`) only wakes processes that are ready to run.
Without the job gate (the local Kata client) fio measures as soon as it is up.

The log (stdout and stderr) reads: the mount lines, fio's layout errors if any, :data:`READY`,
:data:`GO`, then what the measured fio wrote (with the job gate's markers before its first document).
"""

from __future__ import annotations

from kataio_tui.fio.jobfile import FIO_ARGS, LAYOUT_ARGS
from kataio_tui.runners.fio_errors import fio_message

MOUNT = "kataio-mount:"
READY = "kataio-gate: ready"
GO = "kataio-gate: go"
LAYOUT_FAILED = "kataio-gate: layout failed"
NO_GO = "kataio-gate: stdin closed before the go line"
GO_LINE = b"go\n"

JOB_DIR = "/etc/kataio"
JOB_FILE = f"{JOB_DIR}/job.fio"

# The mount lines (root, data mount, Kata's kataShared) tell which file system the I/O really went through.
_MOUNTS = (
    'while read -r src dst rest; do case "$dst" in / | "$2") echo "{mount} $src $dst $rest" ;; *)\n'
    '  case "$src" in kataShared) echo "{mount} $src $dst $rest" ;; esac ;; esac; done < /proc/mounts\n'
)
# $0 is the script name, $1 the job file, $2 the data mount path; fio's own exit code is the container's.
_SCRIPT = _MOUNTS + (
    'fio {layout} "$1" > /dev/null || {{ echo "{failed} (fio exit $?)"; exit 3; }}\n'
    'echo "{ready}"\n'
    'read go || {{ echo "{no_go}"; exit 4; }}\n'
    'echo "{go}"\n'
    'exec fio {prerun}{live} "$1"\n'
)
# With the job gate, every fio job (each of numjobs clones) runs this before its measured I/O, after fio
# has started, forked and set up: it says so on the log (fio prints no status document while its jobs wait
# here) and waits for its own line, so the release only has to wake processes that are ready to run.
# fio appends "> <job>.prerun.txt 2>&1" to the command, i.e. to `read` only (a small file that stays in
# the client's directory); the echo goes to the log.
JOB_READY = "kataio-gate: job ready"
PRERUN_FILE = "kataio.prerun.txt"  # fio: "<job name>.prerun.txt"; the job name is fio/jobfile.py's JOB_NAME
JOB_GATE = f"echo {JOB_READY}; read go"


def gate_command(mount_path: str, job_file: str = JOB_FILE, job_gate: bool = False) -> list[str]:
    """The container command of a client. With ``job_gate``, after the go line fio starts up and each of
    its jobs waits for one more line (:func:`job_lines`) before measuring; the releasing side must send
    them (or close stdin, which releases the jobs at once)."""
    prerun = f"'--exec_prerun={JOB_GATE}' " if job_gate else ""
    script = _SCRIPT.format(mount=MOUNT, layout=" ".join(LAYOUT_ARGS), failed=LAYOUT_FAILED, ready=READY,
                            no_go=NO_GO, go=GO, prerun=prerun, live=" ".join(FIO_ARGS))
    return ["/bin/sh", "-c", script, "kataio-client", job_file, mount_path]


def jobs_ready(output: bytes) -> int:
    """How many of a client's fio jobs wait at the job gate, from its output after the go line."""
    return output.split(b"\n").count(JOB_READY.encode())


def job_lines(numjobs: int) -> bytes:
    """What releases the job gate of one client: a newline per fio job (each job's ``read`` takes one)."""
    return b"\n" * numjobs


FIO_VERSION = "kataio-fio:"


def probe_command(mount_path: str) -> list[str]:
    """Print the mount lines and fio's version, and exit (the provenance probe)."""
    script = _MOUNTS.format(mount=MOUNT) + f"printf '{FIO_VERSION} '; fio --version\n"
    return ["/bin/sh", "-c", script, "kataio-probe", "-", mount_path]


def probe_fio_version(log: bytes) -> str | None:
    for line in log.decode("utf-8", errors="replace").splitlines():
        if line.startswith(FIO_VERSION):
            return line[len(FIO_VERSION):].strip() or None
    return None


def tidy_command(mount_path: str, numjobs: int, nrfiles: str | None) -> list[str]:
    """Remove the data files (kataio.<job>.<file>, see fio/jobfile.py) and the job gate's prerun file of every
    client directory below the working directory: fio opens the existing files without laying them out
    again and unlinks them (the image has no rm)."""
    extra = f" --nrfiles={nrfiles}" if nrfiles else ""
    unlink = "--filesize=4k --size=4k --create_only=1 --unlink=1 --output-format=json"
    script = ('for d in client-*; do [ -d "$d" ] || continue; ( cd "$d" && '
              f'fio --name=kataio --numjobs={int(numjobs)}{extra} {unlink} > /dev/null && '
              f'fio --name=prerun --filename={PRERUN_FILE} {unlink} > /dev/null ) || echo "kataio-tidy: $d failed"; done')
    return ["/bin/sh", "-c", script, "kataio-tidy", mount_path]


def mount_lines(prelude: bytes) -> list[str]:
    """The /proc/mounts lines the gate printed (without the marker)."""
    text = prelude.decode("utf-8", errors="replace")
    return [line[len(MOUNT):].strip() for line in text.splitlines() if line.startswith(MOUNT)]


def split_log(log: bytes) -> tuple[bytes, bytes | None]:
    """(what came before the go line, fio's output after it) of a client's full log; None when fio never
    got the go line."""
    marker = GO.encode() + b"\n"
    at = log.find(marker)
    if at < 0 or (at > 0 and log[at - 1:at] != b"\n"):
        return log, None
    return log[:at], log[at + len(marker):]


def gate_failure(prelude: bytes) -> str | None:
    """Why a client stopped before measuring, from the log text before the go line (None: no known reason)."""
    text = prelude.decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith((MOUNT, READY))]
    for marker, what in ((LAYOUT_FAILED, "laying out the data files failed"), (NO_GO, NO_GO.split(": ", 1)[1])):
        found = next((line for line in lines if line.startswith(marker)), None)
        if found is not None:
            detail = found[len(marker):].strip()
            others = [line for line in lines if not line.startswith(marker)]
            head = f"{what} {detail}" if detail else what
            return f"{head}: {fio_message(chr(10).join(others))}" if others else head
    return None
