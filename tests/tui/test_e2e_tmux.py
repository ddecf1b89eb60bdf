"""End to end: the installed `kataio` in a real terminal (tmux at 80x24, 100x30 and 120x40, with
TERM=screen's 16 colours and NO_COLOR too): home, browse, open a set, read its tables, switch to the
CDF, quit; a live run's phases, clients and failure; an error before a run starts."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from tui.tui_support import SAMPLE_SET

from kataio_tui.results.store import ResultSet


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


class Terminal:
    def __init__(self, command: list[str], env: dict[str, str], width: int = 80, height: int = 24) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is not installed (Debian: apt-get install tmux); the end-to-end test needs it")
        self.name = f"kataio-e2e-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # after kataio exits the shell prints its exit code, so the test can see how it ended
        shell = (f"env {exports} {shlex.join(command)}; echo KATAIO-EXIT=$?; "
                 "echo TTY-MODE $(stty -a | grep -o -w -e '-\\?icanon' -e '-\\?echo'); sleep 30")
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), shell],
                       check=True, timeout=10)

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, *texts: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if all(t in text for t in texts):
                return text
            if time.monotonic() > deadline:
                pytest.fail(f"{texts} not on screen after {timeout} s; the screen:\n{text}")
            time.sleep(0.05)

    def keys(self, *keys: str) -> None:
        for key in keys:  # one at a time, as a person types
            tmux("send-keys", "-t", self.name, key)
            time.sleep(0.1)

    def close(self) -> None:
        tmux("kill-session", "-t", self.name)


TERMINALS = [  # (columns, rows, extra environment)
    (80, 24, {"TERM": "xterm-256color"}),
    (100, 30, {"TERM": "screen"}),
    (120, 40, {"TERM": "xterm-256color", "NO_COLOR": "1"}),
]


def user_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    data = tmp_path / "data"
    if not (data / "results" / "tui-sample").exists():
        shutil.copytree(SAMPLE_SET, data / "results" / "tui-sample")
    return {"KATAIO_DATA_DIR": str(data), "KATAIO_CONFIG_DIR": str(tmp_path / "config"), "HOME": str(tmp_path),
            "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), **extra}


def kataio_command() -> str:
    kataio = Path(sys.executable).with_name("kataio")
    assert kataio.exists(), "the package is installed with its kataio command"
    return str(kataio)


@pytest.fixture
def open_terminal():
    opened: list[Terminal] = []

    def open_(command: list[str], env: dict[str, str], width: int = 80, height: int = 24) -> Terminal:
        opened.append(Terminal(command, env, width, height))
        return opened[-1]

    yield open_
    for term in opened:
        term.close()


@pytest.fixture
def terminal(tmp_path, open_terminal):
    return open_terminal([kataio_command()], user_env(tmp_path))


def footer(screen: str) -> str:
    """The last line, without the scrollbar a screen taller than the terminal has beside it."""
    return screen.rstrip("\n").splitlines()[-1].rstrip(" ▇▆▅▄▃▂▁")


def test_browse_open_tables_cdf_and_quit(terminal):
    # next steps come with the host facts, gathered in a worker after the first paint
    terminal.wait_for("Home", "Recent result sets", "tui-sample", "q Back/Quit", "Next steps")
    terminal.keys("2")
    browse = terminal.wait_for("Browse result sets", "tui-sample", "bare,gvisor")
    assert "user" in browse
    terminal.keys("/", "t", "u", "i", "-", "s")
    terminal.wait_for("1 of ")
    terminal.keys("Enter")  # applies the filter (back in the list) ...
    terminal.wait_for("filter: 'tui-s'", "Browse result sets")
    terminal.keys("Enter")  # ... and opens the set under the cursor
    tables = terminal.wait_for("Aggregate bandwidth, MiB/s, block size 64k (% of bare)", "clat latency p50 / p99")
    # better/worse by symbol (this set's gVisor reads beat bare: page cache, flagged with !)
    assert "▲" in tables and "▼" in tables and "!" in tables
    terminal.keys("v")
    cdf = terminal.wait_for("clat CDF, read 64k x1", "* bare", "+ gvisor")
    assert "100%" in cdf and "1ms" in cdf and "Aggregate bandwidth" not in cdf
    terminal.keys("l")
    terminal.wait_for("lat CDF, read 64k x1")
    terminal.keys("q", "q", "q")
    terminal.wait_for("KATAIO-EXIT=0", timeout=10)


@pytest.mark.parametrize(("width", "height", "extra"), TERMINALS)
def test_footer_and_tables_fit_every_terminal(tmp_path, open_terminal, width, height, extra):
    """The footer ends with the palette key (no '^p palettet'); the Results tables of four runtimes are
    whole from 100 columns on. --theme works without the `tui` command and is kept."""
    lab = "lab-k8s-20261125-194812-b775"  # bundled with kataio
    env = user_env(tmp_path, **extra)
    term = open_terminal([kataio_command(), "--theme", "kataio-light"], env, width, height)
    home = term.wait_for("Recent result sets", "Next steps")
    assert footer(home).endswith("▏^p palette"), footer(home)
    term.keys("2")
    browse = term.wait_for("Browse result sets", lab)
    assert footer(browse).endswith("▏^p palette") and "? Help" in footer(browse), footer(browse)
    term.keys("/", "l", "a", "b")
    term.wait_for("filter: 'lab'", "1 of 3 set(s)")
    term.keys("Enter")
    term.wait_for("Browse result sets", "? Help")  # applied: back in the list
    term.keys("Enter")
    tables = term.wait_for("Aggregate bandwidth, MiB/s, block size 64k, iodepth 8, numjobs 2 (% of bare)", "clat latency p50 / p99",
                           "l Latency kind")  # the footer follows the screen a moment later
    assert footer(tables).endswith("▏^p palette"), footer(tables)
    if width >= 100:
        # the last column's cells are whole (a frame can be caught half drawn: wait for the cell)
        tables = term.wait_for("2,973.1 121% ▲", "2,466.6   1,649.5 67% ▼ !     FAILED")
        header = next(line for line in tables.splitlines() if line.lstrip().startswith("pattern"))
        assert header.split()[-4:] == ["bare", "gvisor", "kata-qemu", "runc"], header
    term.keys("q", "q", "q")
    term.wait_for("KATAIO-EXIT=0", timeout=10)
    assert 'theme = "kataio-light"' in (tmp_path / "config" / "config.toml").read_text()


PLAN = """format = 1
name = "e2e"
target = "local"
runtimes = ["bare", "kata"]
patterns = ["read"]
block_sizes = ["64k"]
clients = [8]
directory = "{directory}"

[fio]
iodepth = 4
numjobs = 1
filesize = "8m"
runtime = 3
ramp_time = 1
"""


@pytest.mark.parametrize(("width", "height", "extra"), TERMINALS)
def test_live_run_shows_phase_every_client_and_the_failure(tmp_path, open_terminal, width, height, extra):
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(directory=tmp_path / "fio"))
    term = open_terminal([kataio_command(), "run", str(plan)], user_env(tmp_path, **extra), width, height)
    live = term.wait_for("scenario 1/2 bare read 64k x8 qd4 j1: measuring", "MiB/s from 8/8 clients", timeout=60)
    rows = [line.split() for line in live.splitlines()]
    assert [r[0] for r in rows if len(r) == 5 and r[0].isdigit() and r[-1] == "running"] == [str(i) for i in range(8)]
    done = term.wait_for("[completed]", timeout=60)
    # without pressing anything: the failure, why, and what to do
    assert "✘ kata read 64k x8 qd4 j1: runtime kata is unavailable on this host" in done
    assert "remedy: install or fix the runtime" in done
    assert footer(done).endswith("▏^p palette")
    term.keys("q", "q")
    term.wait_for("KATAIO-EXIT=0", timeout=15)


def test_an_error_before_the_start_stays_after_its_toast(tmp_path, open_terminal):
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(directory=tmp_path / "fio").replace('target = "local"', 'target = "kubernetes"')
                    .replace('["bare", "kata"]', '["runc"]').replace("[8]", "[1]"))
    term = open_terminal([kataio_command(), "run", str(plan)], user_env(tmp_path))
    term.wait_for("✘ run: no kubeconfig:", timeout=30)
    time.sleep(11)  # longer than the toast (10 s): what stays is the screen's own
    screen = term.screen()
    assert "✘ run: no kubeconfig:" in screen and "remedy: start kataio with KUBECONFIG=FILE" in screen, screen
    assert "--kubeconfig" not in screen
    assert "the run failed before its first scenario" in screen
    term.keys("q", "q")
    term.wait_for("KATAIO-EXIT=0", timeout=15)


def test_a_run_is_never_lost(tmp_path, open_terminal):
    """q on Run leaves it running (shown on Home), quitting asks first and then stops and cleans up;
    Browse marks the stopped set and resumes it."""
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(directory=tmp_path / "fio").replace('["bare", "kata"]', '["bare"]')
                    .replace('["read"]', '["read", "write"]').replace("[8]", "[2]").replace("runtime = 3", "runtime = 8"))
    env = user_env(tmp_path)
    term = open_terminal([kataio_command(), "run", str(plan)], env)
    term.wait_for("scenario 1/2 bare read 64k x2 qd4 j1: measuring", timeout=60)
    term.keys("q")
    term.wait_for("Home", "● run (5) 1/2 bare read 64k x2 qd4 j1 · measure", "The run goes on")
    term.keys("q")
    term.wait_for("A run is in progress. Stop it, clean up and quit?")
    term.keys("y")
    term.wait_for("KATAIO-EXIT=0", timeout=60)
    (stopped,) = (tmp_path / "data" / "results").glob("e2e-*")
    assert [s.status for s in ResultSet.load(stopped).manifest.scenarios] == ["interrupted"]
    assert not any((tmp_path / "fio").glob("kataio-*/client-*"))
    term = open_terminal([kataio_command()], env)
    term.wait_for("Recent result sets")
    term.keys("2", "/", "e", "2", "e", "-")
    term.wait_for("0/2■", "cancelled: 2 of 2 scenarios to run")
    term.keys("Enter", "R")
    term.wait_for("Resume e2e-", "2 of 2 scenarios still to run")
    term.keys("y")
    term.wait_for("[completed]", timeout=90)
    assert [s.status for s in ResultSet.load(stopped).manifest.scenarios] == ["ok", "ok"]
    term.keys("q", "q")
    term.wait_for("KATAIO-EXIT=0", timeout=15)
