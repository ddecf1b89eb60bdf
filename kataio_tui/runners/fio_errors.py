"""fio's error output turned into one failure message, a diagnosis and a remedy (any runner)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

# (pattern in fio's stderr, diagnosis, remedy); strings are fio 3.x's own messages.
_KNOWN = (
    (re.compile(r"does not support direct=1|does not support O_DIRECT"),
     "the target file system does not support O_DIRECT (direct=1): ramfs, tmpfs before Linux 6.6, "
     "some FUSE and network file systems",
     "choose a directory on a disk file system, or set fio.direct = false (then the page cache is measured)"),
    (re.compile(r"No space left on device|ENOSPC"),
     "the target file system is full: numjobs x filesize per client does not fit",
     "free space, use a smaller fio.filesize, or fewer clients/numjobs"),
    (re.compile(r"Permission denied|EACCES|Read-only file system|EROFS"),
     "fio cannot write its data files in the client's directory",
     "make the target directory writable for the runtime (and not read-only)"),
    (re.compile(r"engine \S+ not loadable|failed to load engine"),
     "this fio build lacks the requested I/O engine",
     "install an fio with that engine (Debian's fio has libaio and io_uring) or change fio.ioengine"),
    (re.compile(r"io_queue_init|io_setup|Resource temporarily unavailable"),
     "libaio could not set up its context (fs.aio-max-nr reached?)",
     "raise fs.aio-max-nr (sysctl) or lower clients x numjobs x iodepth"),
)


@dataclass(frozen=True, slots=True)
class FioFailure:
    message: str
    diagnosis: str | None = None
    remedy: str | None = None


def fio_message(stderr: str, job_errors: list[int] | None = None, limit: int = 6) -> str:
    """fio's own words: its distinct stderr lines (repeats from numjobs clones dropped)."""
    seen: dict[str, None] = {}
    for line in stderr.splitlines():
        line = line.strip()
        if line:
            seen.setdefault(line, None)
    lines = list(seen)[-limit:]
    for code in job_errors or []:
        if code:
            lines.append(f"job error {code} ({os.strerror(code)})")
    return "; ".join(lines) or "fio exited without output"


def diagnose(stderr: str, job_errors: list[int] | None = None) -> FioFailure:
    message = fio_message(stderr, job_errors)
    for pattern, diagnosis, remedy in _KNOWN:
        if pattern.search(message):
            return FioFailure(message, diagnosis, remedy)
    return FioFailure(message)
