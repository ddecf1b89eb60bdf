"""Helpers for tests with real processes: a Python child that runs a snippet and says 'ready',
and waiting for processes to be gone (bounded by a generous limit: never a timing assertion)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def python_child(code: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    """Start `python -c code args` (code dedented); returns once it printed its first line ('ready ...')."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}, cwd=REPO)
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        proc.kill()
        raise AssertionError(f"child did not start: {line!r} {proc.stderr.read()[-3000:]}")
    proc.ready_line = line.strip()
    return proc


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def wait_gone(pids, limit: float = 60.0) -> list[int]:
    """Wait until none of pids is alive (at most limit seconds); the ones still alive."""
    deadline = time.monotonic() + limit
    left = [p for p in pids if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    return left


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def fio_job(directory: Path, runtime: int = 60, numjobs: int = 2) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    job = directory / "job.fio"
    job.write_text(f"[global]\nioengine=psync\nfilesize=4m\nsize=4m\ntime_based=1\nruntime={runtime}\n"
                   f"numjobs={numjobs}\nrw=randread\nbs=4k\n[kataio]\n")
    return job


def plan_toml(name: str, runtime: str, directory: Path, filesize: str = "32m", clients: int = 2,
              seconds: int = 4) -> str:
    """A one-scenario local plan (randread 64k, 2 jobs per client) for runs ended by signals."""
    return (f'format = 1\nname = "{name}"\ntarget = "local"\nruntimes = ["{runtime}"]\npatterns = ["randread"]\n'
            f'block_sizes = ["64k"]\nclients = [{clients}]\ndirectory = "{directory}"\n[fio]\nioengine = "libaio"\n'
            f'iodepth = 4\nnumjobs = 2\ndirect = true\nfilesize = "{filesize}"\nruntime = {seconds}\nramp_time = 0\n')
