"""virtiofsd's thread pool, read from ``virtio_fs_extra_args`` (a first-order I/O setting).

Defaults in the templates: Go ``["--thread-pool-size=1", "--announce-submounts"]``, runtime-rs
``["--thread-pool-size=1", "-o", "announce_submounts"]`` (src/runtime-rs/Makefile
DEFVIRTIOFSEXTRAARGS); Cloud Hypervisor and Red Hat's benchmark tooling raise it to 16 (kata.md).
"""

from __future__ import annotations

from collections.abc import Sequence

FLAG = "--thread-pool-size"
TEMPLATE_SIZE = 1
RAISED_SIZE = 16


def thread_pool_size(args: Sequence[str]) -> int | None:
    """The last --thread-pool-size given (``=N`` or a separate N); None when absent or not a number."""
    size: int | None = None
    for i, arg in enumerate(args):
        if arg.startswith(FLAG + "="):
            value = arg.split("=", 1)[1]
        elif arg == FLAG and i + 1 < len(args):
            value = args[i + 1]
        else:
            continue
        size = int(value) if value.strip().isdigit() else None
    return size


def describe_thread_pool(args: Sequence[str]) -> str:
    size = thread_pool_size(args)
    if size is None:
        given = [a for a in args if a.startswith(FLAG)]
        if given:
            return f"virtiofsd thread pool: {given[-1]!r} is not a number"
        return "virtiofsd thread pool: not set (virtiofsd's own default applies)"
    note = (" (the template default; Cloud Hypervisor and Red Hat's benchmark tooling use 16)"
            if size == TEMPLATE_SIZE else "")
    return f"virtiofsd thread pool: {size}{note}"
