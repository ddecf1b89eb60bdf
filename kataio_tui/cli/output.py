"""Standard output that fails as one line: a report, an export or a plan printed into a file on a
full or read-only file system ends in "standard output (<file>): no space left on the device (0 B
free)" instead of a traceback (or, at exit, Python's "Exception ignored" and status 120).

``guarded()`` wraps sys.stdout for a command: every write and flush that fails (except a closed
pipe, which the CLI ends quietly) raises OutputError, a KataioError; the final flush is inside.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from kataio_tui.errors import KataioError
from kataio_tui.safety.room import describe_os_error


class OutputError(KataioError):
    """Standard output could not be written."""


def _target(stream: TextIO) -> str | None:
    """The file standard output goes to (None for a pipe, a socket or when unknown)."""
    try:
        target = os.readlink(f"/proc/self/fd/{stream.fileno()}")
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return target if target.startswith("/") else None


class _Guarded(io.TextIOBase):
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def _failed(self, exc: OSError) -> OutputError:
        target = _target(self._stream)
        if target is None:
            return OutputError(f"standard output: {exc.strerror or exc}")
        # for a file, with its file system's free space
        words = describe_os_error(target, exc).removeprefix(f"{target}: ") if os.path.isfile(target) else \
            exc.strerror or str(exc)
        return OutputError(f"standard output ({target}): {words}")

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._failed(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._failed(exc) from None

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:  # encoding, errors, buffer, ...: as the real stream has them
        return getattr(self._stream, name)


@contextmanager
def guarded() -> Iterator[None]:
    real = sys.stdout
    sys.stdout = _Guarded(real)
    try:
        yield
        sys.stdout.flush()
    except (OSError, OutputError):
        _drop_pending(real)
        raise
    finally:
        sys.stdout = real


def _drop_pending(stream: TextIO) -> None:
    """After a failed write (a full disk, a closed pipe), what is still buffered would fail again at
    exit (Python then prints "Exception ignored ... OSError"): the descriptor goes to /dev/null."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
