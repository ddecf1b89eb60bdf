"""Starting a run's client processes so that they die with kataio.

Each child gets a parent-death signal (prctl PR_SET_PDEATHSIG): the kernel signals it when its
parent goes, also when kataio is killed with SIGKILL. The kernel ties that signal to the parent
*thread* that forked the child, not to the process, so every child is forked by one long-lived
spawner thread (it lives as long as kataio): children forked by short-lived worker threads would
be killed as soon as the worker ends. The default signal is SIGTERM because fio, on SIGTERM,
stops its own forked job processes within a tenth of a second; they cannot be reached otherwise:
each calls setsid(), so they are in no process group of ours, and they do not notice their parent
going (SIGKILL of fio's main process leaves them running for the whole runtime).

For the same reason children ignore SIGPIPE: when kataio dies, the pipe fio writes its status
lines to breaks, and with the default SIGPIPE fio's main process would die at its next line,
before the death signal arrives, and orphan its job processes. Ignoring it, fio lives on until
the SIGTERM, then stops its jobs cleanly. The watchdog's SIGKILL of every marked process backs
this up.

Each child also carries the run's marker (journal.MARKER_ENV) in its environment.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_prctl.restype = ctypes.c_int

_jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
_spawner: threading.Thread | None = None
_start_lock = threading.Lock()


def _serve() -> None:
    while True:
        job, future = _jobs.get()
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(job())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            future.set_exception(exc)


def _spawner_thread() -> threading.Thread:
    global _spawner
    with _start_lock:
        if _spawner is None or not _spawner.is_alive():
            _spawner = threading.Thread(target=_serve, name="kataio-spawner", daemon=True)
            _spawner.start()
        return _spawner


def _death_signal(sig: int, parent: int) -> Callable[[], None]:
    def preexec() -> None:  # in the forked child, before exec: no allocation-heavy work here
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # inherited through exec (see the module's docstring)
        _prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)
    return preexec


def spawn(argv: list[str], marker: Mapping[str, str] | None = None, death_signal: int | None = signal.SIGTERM,
          env: Mapping[str, str] | None = None, **popen: Any) -> subprocess.Popen[bytes]:
    """subprocess.Popen(argv, **popen) forked by the spawner thread, with the parent-death signal
    and the marker in its environment (added to env, default os.environ)."""
    child_env = dict(os.environ if env is None else env)
    child_env.update(marker or {})
    preexec = _death_signal(death_signal, os.getpid()) if death_signal else None
    if threading.current_thread() is _spawner:
        return subprocess.Popen(argv, env=child_env, preexec_fn=preexec, **popen)
    future: Future[subprocess.Popen[bytes]] = Future()
    _spawner_thread()
    _jobs.put((lambda: subprocess.Popen(argv, env=child_env, preexec_fn=preexec, **popen), future))
    return future.result()
