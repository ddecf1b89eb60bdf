"""Names from files never put escape sequences on the terminal: a set whose name, runtime and notes
carry a window-title (OSC) sequence, a screen clear, a C1 CSI and a bidi override, browsed in the
real TUI in tmux. The pane's title stays, the names are shown with their escapes as text."""

from __future__ import annotations

import shutil

import tomli_w

from kataio_tui.tomlfile import read_toml
from tui.test_e2e_tmux import kataio_command, open_terminal, tmux, user_env  # noqa: F401
from tui.tui_support import SAMPLE_SET

ESCAPES = "\x1b]2;PWNED\x07\x1b[2J\x9b7m\u202e"


def test_escapes_in_names_stay_text(tmp_path, open_terminal):  # noqa: F811
    env = user_env(tmp_path)
    hostile = tmp_path / "data" / "results" / "hostile"
    shutil.copytree(SAMPLE_SET, hostile)
    manifest = read_toml(hostile / "manifest.toml", RuntimeError)
    manifest["name"] = f"zz{ESCAPES}set"
    manifest["provenance"]["notes"] = f"notes{ESCAPES}"
    for record in manifest["scenarios"]:
        record["runtime"] = f"{record['runtime']}{ESCAPES}"
    (hostile / "manifest.toml").write_text(tomli_w.dumps(manifest))
    term = open_terminal([kataio_command()], env, 160, 40)
    title = tmux("display", "-p", "-t", term.name, "#{pane_title}")
    home = term.wait_for("Recent result sets", "zz\\x1b]2;PWNED\\x07\\x1b[2J\\x9b7m\\u202eset")
    term.keys("2")
    term.wait_for("Browse result sets", "zz\\x1b]2;PWNED")
    term.keys("/", "z", "z", "Enter", "Enter")  # filter to the set, open it
    tables = term.wait_for("Aggregate bandwidth", "\\x1b]2;PWN")
    assert tmux("display", "-p", "-t", term.name, "#{pane_title}") == title != "PWNED\n"
    assert "Recent result sets" in home and "Aggregate bandwidth" in tables  # nothing cleared the screen
    term.keys("q", "q", "q")
    term.wait_for("KATAIO-EXIT=0", timeout=10)
