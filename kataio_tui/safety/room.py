"""Room on a file system: free space, errors worded with the path and what is free, whether a
layout fits, and whether a data file is really written (full size, no holes)."""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from pathlib import Path

from kataio_tui.errors import KataioError

_WORDS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
}


class NotEnoughRoom(KataioError):
    """A plan needs more space than a directory's file system has free."""


def free_bytes(path: str | os.PathLike[str]) -> int | None:
    """Bytes an unprivileged writer may still use on the file system of path (None if unknown,
    as on ramfs, which reports no size at all)."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize if st.f_blocks else None


def human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def describe_os_error(path: str | os.PathLike[str], exc: OSError) -> str:
    """'<path>: no space left on the device (12.0 MiB free)' and the like, for one line."""
    words = _WORDS.get(exc.errno or 0) or exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        free = free_bytes(path if os.path.isdir(path) else os.path.dirname(path) or ".")
        if free is not None:
            words += f" ({human(free)} free)"
    return f"{path}: {words}"


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_room(needs: Mapping[str | Path, int]) -> None:
    """Refuse when the bytes needed under each directory do not fit in its file system's free
    space; directories on one file system add up. The message names the directory, what is
    needed and what is free."""
    per_fs: dict[int, tuple[list[str], int, Path]] = {}
    for directory, need in needs.items():
        probe = _existing(Path(directory))
        names, total, _ = per_fs.get(os.stat(probe).st_dev, ([], 0, probe))
        per_fs[os.stat(probe).st_dev] = ([*names, str(directory)], total + need, probe)
    for names, total, probe in per_fs.values():
        free = free_bytes(probe)
        if free is not None and total > free:
            raise NotEnoughRoom(f"{', '.join(names)}: the plan needs {human(total)} for its data files, the file "
                                f"system has {human(free)} free; use a smaller fio.filesize, fewer clients or "
                                "numjobs, or another directory")


def unwritten(path: str | Path, size: int, data: bool = True) -> str | None:
    """Why the data file at path is not fully laid out, or None when it is: shorter than size, or
    (data=True, for reading workloads) a hole (never written, or only allocated: reads of it come
    back as zeros without touching the disk), or (data=False, for writing workloads) not fully
    allocated (sparse: writes would allocate as they go)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return f"{path}: cannot open: {exc.strerror}"
    try:
        st = os.fstat(fd)
        if st.st_size < size:
            return f"{path}: {st.st_size} bytes of {size} laid out"
        if not data:
            if st.st_blocks * 512 < size:
                return f"{path}: sparse ({st.st_blocks * 512} of {size} bytes allocated)"
            return None
        try:
            hole = os.lseek(fd, 0, os.SEEK_HOLE)
        except OSError:
            hole = st.st_size  # no SEEK_HOLE here: fall back on the allocated blocks
            if st.st_blocks * 512 < size:
                hole = st.st_blocks * 512
        if hole < size:
            return f"{path}: not written from byte {hole} on (a sparse or unwritten region)"
        return None
    finally:
        os.close(fd)
