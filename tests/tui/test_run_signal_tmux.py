"""`kataio run PLAN` in a real terminal (tmux) ended by SIGTERM or SIGHUP: the run is stopped and
cleaned up, the terminal leaves raw mode and the alternate screen, the exit status says which."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from safety_procs import plan_toml

from tui.test_e2e_tmux import Terminal, tmux

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="runc needs root")]



def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except OSError:  # gone meanwhile
            continue
    return found


@pytest.mark.parametrize("runtime,name", [("bare", "SIGTERM"), ("runc", "SIGHUP")])
def test_a_signal_to_the_tui_stops_the_run_and_restores_the_terminal(tmp_path, runtime, name):
    scratch = tmp_path / "scratch"
    plan = tmp_path / "plan.toml"
    plan.write_text(plan_toml("tui-sig", runtime, scratch, "16m", clients=1, seconds=20))
    env = {"KATAIO_DATA_DIR": str(tmp_path / "data"), "KATAIO_CONFIG_DIR": str(tmp_path / "config"),
           "KATAIO_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path), "TERM": "xterm-256color",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    kataio = Path(sys.executable).with_name("kataio")
    term = Terminal([str(kataio), "run", str(plan)], env)
    try:
        # the shell of the pane runs kataio, then prints its exit status and the terminal's mode
        shell_pid = int(tmux("display", "-p", "-t", term.name, "#{pane_pid}").strip())
        term.wait_for("Run", timeout=30)
        for _ in range(1200):  # until the data files are laid out: fio measures next, for 20 s
            if list(scratch.glob("kataio-*/client-0/kataio.*")):
                break
            time.sleep(0.05)
        time.sleep(2)
        [kataio_pid] = [p for p in children(shell_pid) if b"kataio" in (Path(f"/proc/{p}/cmdline")).read_bytes()]
        os.kill(kataio_pid, signal.Signals[name])
        text = term.wait_for(f"KATAIO-EXIT={128 + signal.Signals[name]}", "TTY-MODE", timeout=90)
        assert "TTY-MODE icanon echo" in text  # cooked mode again: the TUI restored the terminal
        assert not scratch.exists() or list(scratch.iterdir()) == []
        assert [p.name for p in (tmp_path / "state" / "runs").iterdir()] in ([], ["watchdog.log"])
    finally:
        term.close()
