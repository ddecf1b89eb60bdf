"""Locks with holder info: a second taker is refused naming the holder; a holder killed with
SIGKILL no longer holds it (the kernel drops flocks); release and take-over."""

from __future__ import annotations

import os
import signal

import pytest
from safety_procs import python_child

from kataio_tui.safety.lockfile import FileLock, LockHeld, holder_of

HOLD = """
    import sys, time
    from kataio_tui.safety.lockfile import FileLock
    lock = FileLock.acquire(sys.argv[1] if len(sys.argv) > 1 else {path!r}, "result set x",
                            command="kataio run --resume x")
    print("ready", flush=True)
    time.sleep(600)
"""


def test_second_taker_is_refused_naming_the_holder_and_a_killed_holder_frees_it(tmp_path):
    path = tmp_path / ".kataio.lock"
    holder = python_child(HOLD.format(path=str(path)))
    try:
        with pytest.raises(LockHeld) as caught:
            FileLock.acquire(path, "result set x")
        message = str(caught.value)
        assert message.startswith(f"result set x is in use by pid {holder.pid} (kataio run --resume x), user ")
        assert f"(lock {path})" in message and "since 20" in message
        assert caught.value.holder.pid == holder.pid
        assert holder_of(path).pid == holder.pid
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert path.exists()  # the holder never released: its file stays, but nobody holds it
    assert holder_of(path) is None
    with FileLock.acquire(path, "result set x", command="second") as lock:
        assert holder_of(path).command == "second" and lock.holder.pid == os.getpid()
    assert not path.exists()


def test_take_over_keeps_the_dead_holders_content(tmp_path):
    path = tmp_path / "run.journal"
    holder = python_child(HOLD.format(path=str(path)))
    with open(path, "ab") as fh:
        fh.write(b'{"op": "add"}\n')
    with pytest.raises(LockHeld):
        FileLock.take_over(path, "run r")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    lock = FileLock.take_over(path, "run r")
    assert lock is not None and lock.holder.pid == holder.pid
    assert path.read_bytes().endswith(b'{"op": "add"}\n')
    lock.release()
    assert FileLock.take_over(path, "run r") is None  # gone


def test_a_symlink_as_lock_file_is_refused(tmp_path):
    (tmp_path / "target").write_text("keep")
    (tmp_path / "lock").symlink_to(tmp_path / "target")
    with pytest.raises(Exception, match="cannot open the lock file"):
        FileLock.acquire(tmp_path / "lock", "x")
    assert (tmp_path / "target").read_text() == "keep"
