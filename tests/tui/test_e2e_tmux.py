"""End to end: the installed `kataio` in a real terminal (tmux, 80x24): home, browse, open a set,
read its tables, switch to the CDF, quit."""

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


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


class Terminal:
    def __init__(self, command: list[str], env: dict[str, str], width: int = 80, height: int = 24) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is not installed (Debian: apt-get install tmux); the end-to-end test needs it")
        self.name = f"kataio-e2e-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # after kataio exits the shell prints its exit code, so the test can see how it ended
        shell = f"env {exports} {shlex.join(command)}; echo KATAIO-EXIT=$?; sleep 30"
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


@pytest.fixture
def terminal(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_SET, data / "results" / "tui-sample")
    env = {"KATAIO_DATA_DIR": str(data), "KATAIO_CONFIG_DIR": str(tmp_path / "config"),
           "HOME": str(tmp_path), "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    kataio = Path(sys.executable).with_name("kataio")
    assert kataio.exists(), "the package is installed with its kataio command"
    term = Terminal([str(kataio)], env)
    yield term
    term.close()


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
