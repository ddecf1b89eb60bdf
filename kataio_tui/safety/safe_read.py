"""Reading the files of a tree (a result set, an import directory) so that no file can hang
kataio, exhaust its memory or lead it outside the tree.

Every component below the tree's root is opened relative to its parent's descriptor with
O_NOFOLLOW (a symlink anywhere inside the tree is refused), the file itself with O_NONBLOCK (a
FIFO cannot block the open) and must then be a regular file (not a FIFO, device node or
socket), no larger than the read limit. The limit is generous: 256 MiB by default (fio's json+
output of one client is a few MiB even with every latency bucket), and can be set in bytes with
$KATAIO_READ_LIMIT or per reader.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from kataio_tui.errors import KataioError

DEFAULT_READ_LIMIT = 256 * 1024 * 1024
LIMIT_ENV = "KATAIO_READ_LIMIT"
_DIR = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class UnsafeFileError(KataioError):
    """A file of a tree that kataio will not read: ``where`` (its path), ``reason`` (why) and
    ``errno`` when the system refused (ENOENT: missing); the message is "where: reason"."""

    def __init__(self, where: str | Path, reason: str, errno: int | None = None) -> None:
        super().__init__(f"{where}: {reason}")
        self.where, self.reason, self.errno = str(where), reason, errno


def read_limit() -> int:
    value = os.environ.get(LIMIT_ENV, "").strip()
    if not value:
        return DEFAULT_READ_LIMIT
    if not value.isdigit() or int(value) <= 0:
        raise KataioError(f"${LIMIT_ENV}={value!r}: give the largest file kataio reads, in bytes (e.g. 268435456)")
    return int(value)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


class TreeReader:
    """Reads files by their path relative to root. The root itself is the one the user named
    (followed if it is a link); nothing inside it is followed."""

    def __init__(self, root: str | Path, limit: int | None = None) -> None:
        self.root = Path(root)
        self.limit = read_limit() if limit is None else limit
        try:
            self._fd = os.open(self.root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise KataioError(f"{self.root}: cannot open the directory: {exc.strerror}") from None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> TreeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _parts(self, rel: str | PurePosixPath) -> tuple[str, ...]:
        text = str(rel)
        parts = PurePosixPath(text).parts
        if not text or "\x00" in text or PurePosixPath(text).is_absolute() or any(p == ".." for p in parts) \
                or not parts:
            raise UnsafeFileError(self.root / text.replace(chr(0), '?'), f"not a path inside {self.root}")
        return tuple(p for p in parts if p != ".")

    def _why(self, dir_fd: int, name: str, where: Path, exc: OSError) -> UnsafeFileError:
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            return UnsafeFileError(where, f"cannot open: {exc.strerror}", exc.errno)
        if stat.S_ISLNK(st.st_mode):
            return UnsafeFileError(where, f"a symbolic link; kataio reads only regular files inside {self.root}")
        return UnsafeFileError(where, f"cannot open: {exc.strerror}", exc.errno)

    def open(self, rel: str | PurePosixPath) -> tuple[int, os.stat_result]:
        """A read-only descriptor of the regular file rel and its stat (the caller closes it)."""
        parts = self._parts(rel)
        where = self.root.joinpath(*parts)
        dir_fd = self._fd
        opened: list[int] = []
        try:
            for name in parts[:-1]:
                try:
                    dir_fd = os.open(name, _DIR, dir_fd=dir_fd)
                except OSError as exc:
                    raise self._why(dir_fd, name, where, exc) from None
                opened.append(dir_fd)
            try:
                fd = os.open(parts[-1], _FILE, dir_fd=dir_fd)
            except OSError as exc:
                raise self._why(dir_fd, parts[-1], where, exc) from None
        finally:
            for d in opened:
                os.close(d)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise UnsafeFileError(where, f"{_kind(st.st_mode)}, not a regular file; kataio does not read it")
        if st.st_size > self.limit:
            os.close(fd)
            raise UnsafeFileError(where, f"{st.st_size} bytes, more than the read limit of {self.limit} bytes "
                                  f"(raise ${LIMIT_ENV} if the file is genuine)")
        return fd, st

    def read(self, rel: str | PurePosixPath) -> bytes:
        """The bytes of the regular file rel (at most the read limit, also if it grows meanwhile)."""
        fd, _ = self.open(rel)
        return self.read_open(fd, rel)

    def read_open(self, fd: int, rel: str | PurePosixPath) -> bytes:
        """The bytes of a descriptor from open(rel), which this closes (as read does)."""
        try:
            chunks, total = [], 0
            while chunk := os.read(fd, min(1 << 20, self.limit + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
                if total > self.limit:
                    raise UnsafeFileError(self.root / str(rel), f"grew past the read limit of {self.limit} bytes "
                                          "while kataio read it")
            return b"".join(chunks)
        except OSError as exc:
            raise UnsafeFileError(self.root / str(rel), f"cannot read: {exc.strerror}") from None
        finally:
            os.close(fd)

    def read_text(self, rel: str | PurePosixPath) -> str:
        data = self.read(rel)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsafeFileError(self.root / str(rel), f"not UTF-8 text ({exc.reason} at byte {exc.start})") \
                from None

    def walk(self, suffix: str = "") -> Iterator[tuple[str, str | None]]:
        """(relative path, None) for every regular file under root whose name ends with suffix,
        (relative path, why) for each entry skipped (links, FIFOs, devices); never follows links."""
        stack: list[tuple[int, PurePosixPath]] = [(os.dup(self._fd), PurePosixPath())]
        while stack:
            fd, rel = stack.pop()
            try:
                listing = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
                try:
                    with os.scandir(listing) as entries:  # scandir works on a duplicate of listing
                        items = sorted((e.name, e.stat(follow_symlinks=False).st_mode) for e in entries)
                finally:
                    os.close(listing)
            except OSError as exc:
                yield str(rel) or ".", f"cannot list: {exc.strerror}"
                os.close(fd)
                continue
            for name, mode in items:
                path = rel / name
                if stat.S_ISDIR(mode):
                    try:
                        stack.append((os.open(name, _DIR, dir_fd=fd), path))
                    except OSError as exc:
                        yield str(path), f"cannot open: {exc.strerror}"
                elif name.endswith(suffix):
                    yield str(path), None if stat.S_ISREG(mode) else f"{_kind(mode)}, not a regular file"
            os.close(fd)


def read_regular_file(path: str | Path, limit: int | None = None) -> bytes:
    """One file named by the user: read without blocking, regular files only, with the size limit.
    (Its directory is the tree; the file itself is not followed if it is a link.)"""
    path = Path(path)
    with TreeReader(path.parent, limit) as reader:
        return reader.read(path.name)
