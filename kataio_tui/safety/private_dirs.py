"""Directories only the invoking user can touch: per-run directories made exclusively (0700) and
per-user directories that are made or, when they exist, verified (ours, not a link, not writable
by others) before anything is written into them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kataio_tui.errors import KataioError
from kataio_tui.safety.room import describe_os_error
from kataio_tui.safety.trust import OpenDir, UnsafePathError, check_private, open_trusted_dir

_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _check_name(name: str) -> None:
    if not name or "/" in name or name in (".", "..") or "\x00" in name:
        raise KataioError(f"{name!r}: not a plain directory name")


def make_private_dir(base: str | Path, name: str) -> Path:
    """Create base/name exclusively with mode 0700; base (created 0700 when missing) and every
    directory above it are checked first (see trust.py). An existing base/name is refused: kataio
    makes its per-run directories itself, so one already there was made by someone else."""
    _check_name(name)
    with open_trusted_dir(base, create=True, final_shared_ok=True) as parent:
        where = parent.path / name
        try:
            os.mkdir(name, 0o700, dir_fd=parent.fd)
        except FileExistsError:
            raise UnsafePathError(f"{where}: already exists; kataio creates its run directories itself and "
                                  "does not use one it did not make") from None
        except OSError as exc:
            raise KataioError(f"{describe_os_error(where, exc)} (creating the directory)") from None
        _verify_child(parent, name, where, tighten=False)
    return where


def ensure_private_dir(path: str | Path) -> Path:
    """The directory path, made with mode 0700 when missing, else verified to be ours, a real
    directory (not a symlink) and writable by nobody else (its mode is then tightened to 0700).
    Parents are checked as in make_private_dir. Returns the path as walked (links resolved)."""
    target = Path(os.path.abspath(path))
    _check_name(target.name)
    with open_trusted_dir(target.parent, create=True, final_shared_ok=True) as parent:
        where = parent.path / target.name
        try:
            os.mkdir(target.name, 0o700, dir_fd=parent.fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise KataioError(f"{describe_os_error(where, exc)} (creating the directory)") from None
        _verify_child(parent, target.name, where, tighten=True)
    return where


def _verify_child(parent: OpenDir, name: str, where: Path, tighten: bool) -> None:
    st = os.stat(name, dir_fd=parent.fd, follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePathError(f"{where}: a symbolic link; kataio's private directories are real directories "
                              "(remove the link)")
    fd = os.open(name, _FLAGS, dir_fd=parent.fd)
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
            raise UnsafePathError(f"{where}: changed while kataio was checking it")
        if tighten and opened.st_uid == os.geteuid() and not opened.st_mode & 0o022:
            if stat.S_IMODE(opened.st_mode) != 0o700:
                os.chmod(name, 0o700, dir_fd=parent.fd, follow_symlinks=False)
                opened = os.fstat(fd)
        check_private(opened, where)
    finally:
        os.close(fd)
