"""Writing kataio's own files (job files, plans, settings, journals) so that nobody else can
redirect or replace them: the directory is checked (trust.py) and held open, the file is created
exclusively without following links, or written to a fresh temporary name and renamed over the
target (readers see the old file or the new one, never a mix). Write errors name the file and,
for a full disk, the free space."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kataio_tui.errors import KataioError
from kataio_tui.safety.room import describe_os_error
from kataio_tui.safety.trust import OpenDir, open_trusted_dir

_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class WriteError(KataioError, OSError):
    """A file kataio could not write, or would not (its directory is not safe); one line naming
    it. Also an OSError, so callers that handle write errors as OSError keep working."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.fsync(fd)


def _create(parent: OpenDir, name: str, data: bytes, mode: int, shown: str | None = None) -> None:
    """shown: the name errors give (a temporary file's is the file it is to replace)."""
    where = parent.path / (shown or name)
    try:
        fd = os.open(name, _NEW, 0o600, dir_fd=parent.fd)
    except FileExistsError:
        raise WriteError(f"{where}: already exists; kataio does not overwrite it") from None
    except OSError as exc:
        raise WriteError(describe_os_error(where, exc)) from None
    try:
        _write_all(fd, data)
        os.fchmod(fd, mode)
    except OSError as exc:
        os.close(fd)
        os.unlink(name, dir_fd=parent.fd)
        raise WriteError(describe_os_error(where, exc)) from None
    os.close(fd)


def write_new(path: str | Path, data: bytes, mode: int = 0o600, shared_dir_ok: bool = False) -> Path:
    """Create path with data; refuses an existing file or link. The directory must exist and be
    one only root and the user can write to (shared_dir_ok: or a sticky one such as /tmp).
    Raises WriteError."""
    path = Path(path)
    try:
        with open_trusted_dir(path.parent, final_shared_ok=shared_dir_ok) as parent:
            _create(parent, path.name, data, mode)
            return parent.path / path.name
    except WriteError:
        raise
    except KataioError as exc:
        raise WriteError(str(exc)) from None


def replace_file(path: str | Path, data: bytes, mode: int | None = None, shared_dir_ok: bool = False) -> Path:
    """Replace (or create) path atomically with data. mode: the existing file's, else 0666 less
    the umask. The directory is checked as for write_new; the target, if a link, is replaced
    by the new file (the link's target is never written). Raises WriteError."""
    try:
        return _replace(Path(path), data, mode, shared_dir_ok)
    except WriteError:
        raise
    except KataioError as exc:
        raise WriteError(str(exc)) from None


def _replace(path: Path, data: bytes, mode: int | None, shared_dir_ok: bool) -> Path:
    with open_trusted_dir(path.parent, final_shared_ok=shared_dir_ok) as parent:
        where = parent.path / path.name
        if mode is None:
            try:
                mode = os.stat(path.name, dir_fd=parent.fd, follow_symlinks=False).st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o666 & ~_umask()
            except OSError as exc:
                raise WriteError(describe_os_error(where, exc)) from None
        tmp = f".{path.name}.{secrets.token_hex(4)}.tmp"
        _create(parent, tmp, data, mode, shown=path.name)
        try:
            os.replace(tmp, path.name, src_dir_fd=parent.fd, dst_dir_fd=parent.fd)
        except OSError as exc:
            os.unlink(tmp, dir_fd=parent.fd)
            raise WriteError(describe_os_error(where, exc)) from None
        _fsync_dir(parent)
        return where


def _fsync_dir(parent: OpenDir) -> None:
    try:
        fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=parent.fd)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
