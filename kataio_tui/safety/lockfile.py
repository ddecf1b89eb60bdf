"""Locks that say who holds them. A lock is a file locked with flock(LOCK_EX | LOCK_NB); its
first line is the holder (pid, user, host, start time, command) as JSON. Liveness is the lock
itself, not the pid in the file: the kernel drops a flock when its last descriptor closes, also
when the holder is killed with SIGKILL, so a lock that can be taken belongs to nobody alive.

A forked child that inherits the descriptor (the watchdog) holds the same lock. Releasing
unlinks the file while still holding it; a taker that opened the old file notices (its
descriptor no longer matches the path) and tries again.
"""

from __future__ import annotations

import fcntl
import json
import os
import pwd
import shlex
import socket
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from kataio_tui.errors import KataioError
from kataio_tui.safety.trust import open_trusted_dir

_OPEN = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
_HOLDER_MAX = 64 * 1024


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    uid: int
    user: str
    host: str
    started: str  # ISO 8601, UTC
    command: str

    @classmethod
    def me(cls, command: str | None = None) -> Holder:
        uid = os.geteuid()
        try:
            user = pwd.getpwuid(uid).pw_name
        except KeyError:
            user = str(uid)
        return cls(os.getpid(), uid, user, socket.gethostname(),
                   datetime.now(UTC).replace(microsecond=0).isoformat(),
                   command if command is not None else shlex.join(["kataio", *sys.argv[1:]]))

    def describe(self) -> str:
        return f"pid {self.pid} ({self.command}), user {self.user} on {self.host}, since {self.started}"


class LockHeld(KataioError):
    """Someone holds the lock; .holder says who (None when the file named nobody readable)."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


def _read_holder(fd: int) -> Holder | None:
    try:
        first = os.pread(fd, _HOLDER_MAX, 0).split(b"\n", 1)[0]
        data = json.loads(first)
        return Holder(**{k: data[k] for k in Holder.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _same_file(fd: int, path: Path) -> bool:
    try:
        now = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    st = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino)


class FileLock:
    """A held lock. Use acquire() (or take_over() for a dead holder's file) and release()."""

    def __init__(self, path: Path, fd: int, holder: Holder) -> None:
        self.path = path
        self.fd = fd
        self.holder = holder

    @classmethod
    def acquire(cls, path: str | Path, what: str, command: str | None = None) -> FileLock:
        """Take the lock at path for a new holder (the file's content becomes the holder line);
        raises LockHeld naming the holder when someone has it. The directory must be one only root
        and the user can change (trust.py): nobody else can plant a link or a file there."""
        path = Path(path)
        while True:
            try:
                with open_trusted_dir(path.parent) as parent:
                    fd = os.open(path.name, _OPEN | os.O_CREAT, 0o600, dir_fd=parent.fd)
            except OSError as exc:
                raise KataioError(f"{path}: cannot open the lock file: {exc.strerror}") from None
            cls._lock_or_raise(fd, path, what)
            if _same_file(fd, path):
                break
            os.close(fd)  # released and unlinked meanwhile: take the new file
        holder = Holder.me(command)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(asdict(holder)).encode() + b"\n", 0)
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            raise KataioError(f"{path}: cannot write the lock file: {exc.strerror}") from None
        return cls(path, fd, holder)

    @classmethod
    def take_over(cls, path: str | Path, what: str) -> FileLock | None:
        """Lock an existing file whose holder is gone, keeping its content; None if it no longer
        exists; LockHeld if its holder (or its watchdog) is alive."""
        path = Path(path)
        try:
            fd = os.open(path, _OPEN)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KataioError(f"{path}: cannot open the lock file: {exc.strerror}") from None
        cls._lock_or_raise(fd, path, what)
        if not _same_file(fd, path):
            os.close(fd)
            return None
        return cls(path, fd, _read_holder(fd) or Holder.me())

    @staticmethod
    def _lock_or_raise(fd: int, path: Path, what: str) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            who = holder.describe() if holder else "a process that has not said who it is yet"
            raise LockHeld(f"{what} is in use by {who} (lock {path})", holder) from None
        except OSError as exc:
            os.close(fd)
            raise KataioError(f"{path}: cannot lock: {exc.strerror}") from None

    def release(self, unlink: bool = True) -> None:
        if self.fd < 0:
            return
        if unlink:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        os.close(self.fd)
        self.fd = -1

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder_of(path: str | Path) -> Holder | None:
    """Who holds the lock at path, or None when nobody alive does (or there is no such file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        return holder or Holder(0, -1, "?", "?", "?", "?")
    os.close(fd)  # closing drops our shared lock
    return None
