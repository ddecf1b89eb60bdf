"""Which directories kataio may create files under, checked by walking the path with file
descriptors (no path is looked up twice, so nothing can be swapped between check and use).

The rule: every directory and symbolic link on the way belongs to root or to the invoking user,
and no directory is writable by anyone else, except a sticky one (/tmp, /var/tmp): there others
cannot rename or remove what belongs to us, so kataio may create (or use a verified) private
child in it. A directory owned by another user, or a symlink made by one, is refused: that user
could swap what kataio writes into for a link to any file or device.
"""

from __future__ import annotations

import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kataio_tui.errors import KataioError
from kataio_tui.safety.room import describe_os_error

_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_LINKS = 40  # as the kernel's own limit on symlinks in one lookup


class UnsafePathError(KataioError):
    """A path another user could control, or that is not what kataio expects; names the path."""


def trusted_owners() -> frozenset[int]:
    return frozenset({0, os.geteuid()})


def user_name(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def shared_writable(mode: int) -> bool:
    """Writable by the group or by others."""
    return bool(mode & (stat.S_IWGRP | stat.S_IWOTH))


def check_directory(st: os.stat_result, where: str | os.PathLike[str]) -> None:
    """Refuse a directory that is not root's or ours, or that others may write to without the sticky bit."""
    if st.st_uid not in trusted_owners():
        raise UnsafePathError(f"{where}: owned by {user_name(st.st_uid)}, not by you ({user_name(os.geteuid())}) "
                              "or root: that user could swap what kataio writes there; remove it or choose "
                              "another directory")
    if shared_writable(st.st_mode) and not st.st_mode & stat.S_ISVTX:
        raise UnsafePathError(f"{where}: writable by other users (mode {stat.S_IMODE(st.st_mode):04o}) and not "
                              "sticky: anyone could swap what kataio writes there; tighten it (chmod go-w) or "
                              "choose another directory")


def check_private(st: os.stat_result, where: str | os.PathLike[str]) -> None:
    """A directory only we may use: ours, not a link, mode 0700 (or stricter)."""
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePathError(f"{where}: not a directory")
    if st.st_uid != os.geteuid():
        raise UnsafePathError(f"{where}: owned by {user_name(st.st_uid)}, not by you ({user_name(os.geteuid())}); "
                              "kataio uses only a private directory of its own here")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise UnsafePathError(f"{where}: mode {stat.S_IMODE(st.st_mode):04o}; kataio's private directories are "
                              "0700 (chmod 700 it, or remove it)")


@dataclass(slots=True)
class OpenDir:
    """A directory opened by a verified walk: its O_PATH descriptor, its path as walked and its stat."""

    fd: int
    path: Path
    st: os.stat_result

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OpenDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_trusted_dir(path: str | Path, create: bool = False, final_shared_ok: bool = False) -> OpenDir:
    """Walk path from / and open it, checking every directory and symlink on the way.

    create: make missing directories (mode 0700, exclusively). final_shared_ok: the last
    directory may be a sticky shared one (the caller only creates a private child in it).
    Raises UnsafePathError naming the first component that fails, or KataioError when the path
    does not exist (create=False) or cannot be created.
    """
    stack: list[tuple[int, PurePosixPath, os.stat_result]] = []
    root_fd = os.open("/", _DIR_FLAGS)
    stack.append((root_fd, PurePosixPath("/"), os.fstat(root_fd)))
    pending = list(reversed(PurePosixPath(os.path.abspath(path)).parts[1:]))
    links = 0
    try:
        check_directory(stack[-1][2], "/")
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop()[0])
                continue
            fd, here, _ = stack[-1]
            where = here / name
            st = _lstat_or_create(fd, name, where, create)
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > _MAX_LINKS:
                    raise UnsafePathError(f"{where}: too many levels of symbolic links")
                if st.st_uid not in trusted_owners():
                    raise UnsafePathError(f"{where}: a symbolic link made by {user_name(st.st_uid)}; kataio "
                                          "follows only links made by you or root")
                target = PurePosixPath(os.readlink(name, dir_fd=fd))
                if target.is_absolute():
                    while len(stack) > 1:
                        os.close(stack.pop()[0])
                pending.extend(reversed(target.parts[1:] if target.is_absolute() else target.parts))
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise UnsafePathError(f"{where}: not a directory")
            child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            cst = os.fstat(child)
            stack.append((child, where, cst))
            if (cst.st_dev, cst.st_ino) != (st.st_dev, st.st_ino):
                raise UnsafePathError(f"{where}: changed while kataio was checking it")
            check_directory(cst, where)
        fd, here, st = stack.pop()
        if shared_writable(st.st_mode) and not final_shared_ok:
            os.close(fd)
            raise UnsafePathError(f"{here}: a directory other users can write to (mode "
                                  f"{stat.S_IMODE(st.st_mode):04o}); kataio only makes a private directory "
                                  "there, it does not write files into it")
        return OpenDir(fd, Path(here), st)
    finally:
        for fd, _, _ in stack:
            os.close(fd)


def _lstat_or_create(fd: int, name: str, where: PurePosixPath, create: bool) -> os.stat_result:
    for _ in range(3):  # a racing creator: look again
        try:
            return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            if not create:
                raise KataioError(f"{where}: does not exist") from None
        except OSError as exc:
            raise KataioError(f"{where}: cannot look it up: {exc.strerror}") from None
        try:
            os.mkdir(name, 0o700, dir_fd=fd)
        except FileExistsError:
            continue
        except OSError as exc:
            raise KataioError(f"{describe_os_error(where, exc)} (creating the directory)") from None
    return os.stat(name, dir_fd=fd, follow_symlinks=False)
