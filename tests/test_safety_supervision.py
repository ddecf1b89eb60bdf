"""fio never outlives kataio: the parent-death signal of children spawned from the long-lived
spawner thread, and the watchdog that clears a run's journal (processes, containers, paths)
when kataio is killed with SIGKILL. Real fio, real runc, real signals."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import threading

import pytest
from safety_procs import alive, children_of, fio_job, python_child, wait_gone

from kataio_tui.safety import children
from kataio_tui.safety.journal import MARKER_ENV, dead_runs, list_journals
from kataio_tui.safety.reaper import clear, leftovers, marked_processes

FIO = shutil.which("fio") or "fio"


def fio_tree(pid: int) -> list[int]:
    """fio's main process and its forked job processes."""
    return [pid, *children_of(pid)]


def wait_for_workers(pid: int, count: int) -> list[int]:
    for _ in range(600):
        kids = children_of(pid)
        if len(kids) >= count:
            return kids
        threading.Event().wait(0.05)
    raise AssertionError(f"fio {pid} did not start {count} job processes")


def test_spawned_fio_dies_with_its_parent_even_by_sigkill(tmp_path):
    job = fio_job(tmp_path / "d", runtime=600)
    parent = python_child(f"""
        import subprocess, threading, time
        from kataio_tui.safety.children import spawn
        found = []
        def worker():  # a short-lived thread asks; the spawner thread forks
            found.append(spawn([{FIO!r}, "--status-interval=1", {str(job)!r}], cwd={str(job.parent)!r},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        print("ready", found[0].pid, flush=True)
        time.sleep(600)
    """)
    fio = int(parent.ready_line.split()[1])
    workers = wait_for_workers(fio, 2)
    assert alive(fio)  # the asking thread has ended and fio still runs: the death signal is the spawner's
    parent.send_signal(signal.SIGKILL)  # its pipes break too: fio's next status line gets EPIPE
    parent.wait()
    # fio's SIGTERM handler stopped its own job processes, which are in sessions of their own (setsid)
    assert wait_gone([fio, *workers]) == []  # within 60 s; left alone they would run for 600 s


def test_a_death_signal_set_from_a_short_lived_thread_fires_when_that_thread_ends(tmp_path):
    """Why the spawner thread exists: the kernel sends the parent-death signal when the forking
    *thread* ends, while the process lives on."""
    job = fio_job(tmp_path / "d", numjobs=1)
    found = []

    def worker():
        found.append(subprocess.Popen([FIO, str(job)], cwd=job.parent, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL,
                                      preexec_fn=children._death_signal(signal.SIGKILL, os.getpid())))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    proc = found[0]
    try:
        assert proc.wait(60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()


def test_spawn_adds_the_run_marker(tmp_path):
    proc = children.spawn(["sleep", "30"], marker={MARKER_ENV: "test-marker-1"})
    try:
        assert marked_processes("test-marker-1") == [proc.pid]
    finally:
        proc.kill()
        proc.wait()


def runc_bundle(tmp_path, job):
    from kataio_tui.local.oci import oci_config, write_bundle

    data = tmp_path / "cdata"
    data.mkdir()
    config = oci_config(["/usr/bin/fio", "/kataio/job.fio"], data, job.parent, "client-0")
    return write_bundle(tmp_path / "bundle", config)


RUN_WITH_WATCHDOG = """
    import subprocess, sys
    from pathlib import Path
    from kataio_tui.safety.journal import RunJournal
    from kataio_tui.safety.watchdog import Watchdog
    from kataio_tui.safety.children import spawn
    runs, rid, fio, job, runc, bundle, cid = sys.argv[1:8]
    journal = RunJournal.begin(rid, directory=Path(runs), result_set="/somewhere/set")
    watchdog = Watchdog.start(journal)
    data = Path(job).parent / "data"
    journal.record("path", path=str(data), what="data files")
    data.mkdir()
    # no parent-death signal here: the watchdog alone must end this fio
    proc = spawn([fio, job], marker=journal.marker, death_signal=None, cwd=str(data),
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if runc != "-":
        journal.record("container", tool=[runc], container=cid)
        subprocess.run([runc, "run", "--detach", "--bundle", bundle, cid], check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    print("ready", proc.pid, watchdog.proc.pid, flush=True)
    if sys.argv[8] == "stop":
        watchdog.stop()
        print("stopped", flush=True)
    import time; time.sleep(600)
"""


def start_run(tmp_path, with_container: bool, mode: str = "wait"):
    runs = tmp_path / "runs"
    runs.mkdir(mode=0o700)
    job = fio_job(tmp_path / "ctl")
    rid = f"t{secrets.token_hex(4)}"
    cid = f"kataio-{rid}-s1-c0"
    runc = shutil.which("runc") if with_container else None
    bundle = runc_bundle(tmp_path, job) if runc else tmp_path
    child = python_child(RUN_WITH_WATCHDOG, str(runs), rid, FIO, str(job), runc or "-", str(bundle), cid, mode)
    _, fio, watchdog = child.ready_line.split()
    return child, runs, rid, cid, int(fio), int(watchdog), job.parent / "data"


def container_ids() -> list[str]:
    out = subprocess.run(["runc", "list", "--format", "json"], capture_output=True, text=True).stdout
    return [c["id"] for c in json.loads(out or "null") or []]


def test_the_watchdog_clears_a_run_killed_with_sigkill(tmp_path):
    if os.geteuid() != 0 or shutil.which("runc") is None:
        pytest.skip("runc needs root")
    child, runs, rid, cid, fio, watchdog, data = start_run(tmp_path, with_container=True)
    workers = wait_for_workers(fio, 2)
    journal = runs / f"{rid}.journal"
    assert cid in container_ids() and data.is_dir() and journal.exists()
    [live] = list_journals(runs)
    assert live.alive and live.holder.pid == child.pid and dead_runs(runs) == []
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert wait_gone([watchdog]) == []
    assert wait_gone([fio, *workers]) == []
    assert cid not in container_ids()
    assert not data.exists() and not journal.exists()
    log = (runs / "watchdog.log").read_text()
    assert f"run {rid}: kataio ended without cleaning up; killed " in log
    assert "removed 2 of 2 entries" in log


def test_after_done_the_watchdog_touches_nothing(tmp_path):
    child, runs, rid, _, fio, watchdog, data = start_run(tmp_path, with_container=False, mode="stop")
    try:
        assert child.stdout.readline().strip() == "stopped"
        assert wait_gone([watchdog]) == []
        assert alive(fio) and data.is_dir()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # kataio died after the watchdog had left: the journal is a dead run's for `kataio cleanup`
    [dead] = dead_runs(runs)
    assert dead.run_id == rid and dead.meta["result_set"] == "/somewhere/set"
    found = leftovers(dead)
    assert any(item.startswith("process ") for item in found) and f"data files: {data}" in found
    result = clear(dead)
    assert result.processes_killed >= 1 and result.removed == [f"data files: {data}"] and not result.problems
    assert wait_gone([fio]) == [] and not data.exists()


def test_sigterm_to_the_watchdog_clears_too(tmp_path):
    child, _, _, _, fio, watchdog, data = start_run(tmp_path, with_container=False)
    try:
        os.kill(watchdog, signal.SIGTERM)
        assert wait_gone([watchdog]) == []
        assert wait_gone([fio]) == [] and not data.exists()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
