"""Every way a run ends leaves nothing: real `kataio run --headless` processes (bare, runC,
gVisor) get real signals at probe, layout, measurement and save time; SIGKILL leaves the clean-up
to the watchdog; SIGKILL of kataio and its watchdog leaves it to `kataio cleanup`."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safety_procs import REPO, alive, plan_toml, wait_gone

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="runc and runsc need root")]

OCI = {"runc": ["runc"], "gvisor": ["runsc", "--network=none", "--platform=ptrace"]}


def cmdlines(with_pid: bool = False) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            found.append(f"{entry.name} {cmd}" if with_pid else cmd)
    return found


def containers(runtime: str) -> list[dict]:
    out = subprocess.run([*OCI[runtime], "list", "--format", "json"], capture_output=True, text=True).stdout
    return json.loads(out or "null") or []


class Run:
    """A `kataio run --headless` of one scenario into tmp_path (started here unless start=False)."""

    def __init__(self, tmp_path: Path, runtime: str, filesize: str = "32m", start: bool = True) -> None:
        self.tmp, self.runtime = tmp_path, runtime
        self._run_id: str | None = None
        self.scratch = tmp_path / "scratch"
        self.state = tmp_path / "state"
        plan = tmp_path / "plan.toml"
        plan.write_text(plan_toml("sig", runtime, self.scratch, filesize))
        self.env = {**os.environ, "KATAIO_STATE_DIR": str(self.state), "PYTHONPATH": str(REPO)}
        self.argv = [sys.executable, "-m", "kataio_tui", "run", "--headless", str(plan), "--out", str(tmp_path / "out")]
        if start:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=REPO, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                         start_new_session=True)

    @property
    def run_id(self) -> str | None:
        if self._run_id is None:  # from the run's data directory, once it exists
            found = list(self.scratch.glob("kataio-*")) if self.scratch.is_dir() else []
            self._run_id = found[0].name.removeprefix("kataio-") if found else None
        return self._run_id

    def ours(self, cmd: str) -> bool:
        return bool(self.run_id and self.run_id in cmd) or str(self.tmp) in cmd

    def at(self, moment: str) -> None:
        """Wait until the run is at moment (probe, layout, measure, save)."""
        measured_since = None
        for _ in range(12000):
            assert self.proc.poll() is None, self.proc.stderr.read()
            cmds = cmdlines()
            if moment == "probe" and any("kataio-probe-" in c and " run " in c and str(self.state) in c for c in cmds):
                return
            if moment == "layout" and any("--create_only=1" in c for c in cmds) and self.run_id:
                return
            measuring = any("--status-interval=1" in c and self.ours(c) for c in cmds) if self.runtime == "bare" \
                else any(self.run_id and self.run_id in c["id"] and c["status"] == "running"
                         for c in (containers(self.runtime) if self.runtime in OCI else []))
            if measuring and measured_since is None:
                measured_since = time.monotonic()
            if moment == "measure" and measured_since and time.monotonic() - measured_since > 1.0:
                return
            if moment == "save" and measured_since and not measuring:
                return
            time.sleep(0.01)
        raise AssertionError(f"the run never reached {moment}")

    def watchdogs(self) -> list[int]:
        return [int(c.split(None, 1)[0]) for c in cmdlines(with_pid=True)
                if "kataio_tui.safety.watchdog" in c and str(self.state) in c]

    def left(self) -> dict[str, list]:
        rid = self.run_id or "no-run-id"
        procs = [c for c in cmdlines() if self.ours(c) and "pytest" not in c]
        boxes = [c["id"] for rt in OCI for c in containers(rt) if rid in c["id"] or str(self.state) in c["bundle"]]
        runs = self.state / "runs"  # the private state directory itself stays (and the watchdog's log)
        state = [str(p) for p in runs.iterdir() if p.name != "watchdog.log"] if runs.exists() else []
        data = [str(p) for p in self.scratch.rglob("*")] if self.scratch.exists() else []
        return {"processes": procs, "containers": boxes, "state": state, "data": data}


NOTHING = {"processes": [], "containers": [], "state": [], "data": []}
CASES = [("bare", "layout", "SIGTERM"), ("bare", "measure", "SIGHUP"), ("bare", "save", "SIGTERM"),
         ("runc", "probe", "SIGTERM"), ("runc", "measure", "SIGTERM"), ("runc", "layout", "SIGHUP"),
         ("gvisor", "probe", "SIGHUP"), ("gvisor", "measure", "SIGTERM")]


@pytest.mark.parametrize("runtime,moment,name", CASES)
def test_a_signal_ends_the_run_like_ctrl_c(tmp_path, runtime, moment, name):
    run = Run(tmp_path, runtime, filesize="512m" if moment == "layout" else "32m")
    run.at(moment)
    sig = signal.Signals[name]
    run.proc.send_signal(sig)
    _, err = run.proc.communicate(timeout=120)
    assert run.proc.returncode == 128 + sig, err
    assert f"stopped by {name}: clean-up took " in err or f"kataio: stopped by {name}" in err, err
    assert run.left() == NOTHING


@pytest.mark.parametrize("runtime", ["bare", "runc"])
def test_sigkill_during_measurement_leaves_it_to_the_watchdog(tmp_path, runtime):
    run = Run(tmp_path, runtime)
    run.at("measure")
    run.proc.send_signal(signal.SIGKILL)
    run.proc.wait()
    for _ in range(600):  # the watchdog removes the journal last
        if not list(run.state.glob("runs/*.journal")):
            break
        time.sleep(0.05)
    assert run.left() == NOTHING
    assert "kataio ended without cleaning up" in (run.state / "runs" / "watchdog.log").read_text()


def test_sigkill_of_kataio_and_its_watchdog_then_kataio_cleanup(tmp_path):
    run = Run(tmp_path, "runc")
    run.at("measure")
    watchdogs = run.watchdogs()
    assert len(watchdogs) == 1
    os.kill(watchdogs[0], signal.SIGKILL)
    run.proc.send_signal(signal.SIGKILL)
    run.proc.wait()
    assert wait_gone(watchdogs) == []
    left = run.left()
    assert left["containers"] and left["data"]  # nobody cleaned up: the journal says what
    dry = subprocess.run([sys.executable, "-m", "kataio_tui", "cleanup", "--local", "--dry-run"], env=run.env,
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0 and f"would remove (run {run.run_id}, run): " in dry.stdout
    assert run.left()["containers"] == left["containers"]  # a dry run removes nothing
    clean = subprocess.run([sys.executable, "-m", "kataio_tui", "cleanup", "--local"], env=run.env, cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr
    assert f"removed (run {run.run_id}): " in clean.stdout and "dead run(s) cleaned in" in clean.stdout
    assert run.left() == NOTHING
    again = subprocess.run([sys.executable, "-m", "kataio_tui", "cleanup", "--local"], env=run.env, cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert again.stdout.strip() == "this host: nothing left by dead kataio runs of this user"


def test_resume_clears_what_a_dead_run_left_first(tmp_path):
    run = Run(tmp_path, "bare")
    run.at("measure")
    watchdogs = run.watchdogs()
    for pid in [*watchdogs, run.proc.pid]:
        os.kill(pid, signal.SIGKILL)
    run.proc.wait()
    assert wait_gone(watchdogs) == []
    [result_set] = list((tmp_path / "out").iterdir())
    assert run.left()["data"]
    resumed = subprocess.run([sys.executable, "-m", "kataio_tui", "run", "--headless", "--resume", str(result_set)],
                             env=run.env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"note: removed what the interrupted run {run.run_id} left: " in resumed.stderr
    assert run.left() == NOTHING


def test_sigterm_to_kataio_check_during_a_probe_leaves_no_probe(tmp_path):
    state = tmp_path / "state"
    env = {**os.environ, "KATAIO_STATE_DIR": str(state), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "kataio_tui", "check", "--host-only"], env=env, cwd=REPO,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(12000):
        if any("kataio-probe-" in c and " run " in c and str(state) in c for c in cmdlines()):
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "kataio: stopped by SIGTERM" in err
    assert [c["id"] for rt in OCI for c in containers(rt) if str(state) in c["bundle"]] == []
    assert list((state / "runs").iterdir()) == []


def test_a_terminal_that_hangs_up_under_a_headless_run(tmp_path):
    """An SSH session that drops: the terminal goes away (tmux kill-session: SIGHUP, then EIO on
    every write). The run is stopped and cleaned up, and no traceback is written on the way."""
    from tui.test_e2e_tmux import Terminal

    run = Run(tmp_path, "runc", start=False)
    err = tmp_path / "stderr"
    env = {k: v for k, v in run.env.items() if k in ("KATAIO_STATE_DIR", "PYTHONPATH", "PATH", "HOME")}
    term = Terminal(["sh", "-c", f"{shlex.join(run.argv)} 2> {err}"], env)
    try:
        for _ in range(12000):
            if run.run_id and any(run.run_id in c["id"] and c["status"] == "running" for c in containers("runc")):
                break
            time.sleep(0.01)
        else:
            raise AssertionError("the run in the terminal never measured")
    finally:
        term.close()  # the terminal hangs up
    for _ in range(1200):
        if run.left() == NOTHING:
            break
        time.sleep(0.05)
    assert run.left() == NOTHING
    assert "Traceback" not in err.read_text()
