"""The attacks of issue 14 on kataio's readers, each as it was reproduced: real FIFOs, device nodes
(mknod), symlinks (to /dev/zero and out of the set) and names with terminal escapes, against the
`kataio` command in a subprocess (a reader that blocks fails by the timeout instead of hanging the
suite)."""

from __future__ import annotations

import os
import pty
import select
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w

from kataio_tui.paths import sample_results_dir
from kataio_tui.results.setfiles import MANIFEST, FileUnreadable
from kataio_tui.results.store import ResultSet, find_result_sets
from kataio_tui.safety.safe_read import LIMIT_ENV
from kataio_tui.tomlfile import read_toml

SAMPLE = sample_results_dir() / "quick-20261125-191710-d9ef"
ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\u202e"  # retitle the window, clear the screen, C1 CSI, reverse text
SHOWN = "\\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\u202e"
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")


def kataio(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kataio_tui", *map(str, args)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def one_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kataio: error: "), proc.stderr
    return lines[0].removeprefix("kataio: error: ")


@pytest.fixture
def result_set(tmp_path) -> Path:
    root = tmp_path / "sets" / "quick"
    shutil.copytree(SAMPLE, root)
    return root


@pytest.fixture
def outside(tmp_path) -> Path:
    """A valid manifest outside the set: what a link would lead kataio to read."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / MANIFEST).write_text((SAMPLE / MANIFEST).read_text().replace('name = "quick-', 'name = "forged-'))
    return elsewhere / MANIFEST


# ---- manifest.toml ---------------------------------------------------------------------------------


def test_a_fifo_as_the_manifest_is_refused_at_once(result_set):
    (result_set / MANIFEST).unlink()
    os.mkfifo(result_set / MANIFEST)
    assert one_error(kataio("report", result_set)) == (f"{result_set / MANIFEST}: a FIFO, not a regular file; "
                                                        "kataio does not read it")


def test_a_manifest_linked_from_outside_the_set_is_not_read(result_set, outside):
    (result_set / MANIFEST).unlink()
    (result_set / MANIFEST).symlink_to(outside)
    error = one_error(kataio("report", result_set))
    assert error == (f"{result_set / MANIFEST}: a symbolic link; kataio reads only regular files inside "
                     f"{result_set}")
    (result_set / MANIFEST).unlink()
    (result_set / MANIFEST).symlink_to("/dev/zero")
    assert "a symbolic link" in one_error(kataio("report", result_set))


@needs_root
def test_a_device_node_as_the_manifest_is_refused(result_set):
    (result_set / MANIFEST).unlink()
    os.mknod(result_set / MANIFEST, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers
    assert one_error(kataio("report", result_set)) == (f"{result_set / MANIFEST}: a character device, not a "
                                                        "regular file; kataio does not read it")


def test_the_size_cap_and_how_to_raise_it(result_set):
    size = (result_set / MANIFEST).stat().st_size
    error = one_error(kataio("report", result_set, env={LIMIT_ENV: "1000"}))
    assert error == (f"{result_set / MANIFEST}: {size} bytes, more than the read limit of 1000 bytes "
                     f"(raise ${LIMIT_ENV} if the file is genuine)")
    assert kataio("report", result_set, env={LIMIT_ENV: str(size)}).returncode == 0


def test_browse_lists_unreadable_sets_with_the_reason_and_follows_no_link(tmp_path, result_set, outside):
    sets = result_set.parent
    fifo_set = sets / "fifo"
    fifo_set.mkdir()
    os.mkfifo(fifo_set / MANIFEST)
    (sets / "linked").symlink_to(outside.parent)  # a set directory planted as a link
    started = time.monotonic()
    found = {path.name: entry for path, entry in find_result_sets([sets])}
    assert time.monotonic() - started < 30  # listing never blocked on the FIFO (generous: a busy host)
    assert isinstance(found["quick"], ResultSet)
    assert str(found["fifo"]) == f"{fifo_set / MANIFEST}: a FIFO, not a regular file; kataio does not read it"
    assert str(found["linked"]).startswith(f"{sets / 'linked'}: a symbolic link")


# ---- a set's other files -------------------------------------------------------------------------


def test_job_files_that_are_fifos_or_links_are_refused(result_set, tmp_path):
    rs = ResultSet.load(result_set)
    jobfile = rs.manifest.scenarios[0].jobfile
    (result_set / jobfile).unlink()
    os.mkfifo(result_set / jobfile)
    with pytest.raises(FileUnreadable, match="a FIFO, not a regular file"):
        rs.read_raw(jobfile)
    (result_set / jobfile).unlink()
    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0")
    (result_set / jobfile).symlink_to(secret)
    with pytest.raises(FileUnreadable, match="a symbolic link"):
        ResultSet(result_set, rs.manifest).read_raw(jobfile)


# ---- names shown as text ------------------------------------------------------------------------


@pytest.fixture
def hostile_set(result_set) -> Path:
    """The sample set with escapes in its name, a runtime's name and its notes."""
    data = read_toml(result_set / MANIFEST, RuntimeError)
    data["name"] = f"quick{ESCAPES}"
    data["provenance"]["notes"] = f"notes{ESCAPES}"
    for record in data["scenarios"]:
        if record["runtime"] == "runc":
            record["runtime"] = f"runc{ESCAPES}"
    (result_set / MANIFEST).write_text(tomli_w.dumps(data))
    return result_set


def test_names_with_escapes_in_every_report_format(hostile_set):
    for fmt in ("table", "markdown", "json"):
        proc = kataio("report", hostile_set, "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        assert "\x1b" not in proc.stdout and "\x9b" not in proc.stdout and "\u202e" not in proc.stdout, fmt
        if fmt in ("table", "markdown"):
            assert "runc\\x1b]0;PWNE" in proc.stdout, proc.stdout  # (the table's header cell may be cut)
    # CSV into a file or a pipe is data: the names as they are (on a terminal: escaped, below)
    assert f"runc{ESCAPES}," in kataio("report", hostile_set, "--format", "csv").stdout
    compare = kataio("compare", hostile_set, hostile_set, env={"COLUMNS": "200"})
    assert compare.returncode == 0 and "\x1b" not in compare.stdout and f"runc{SHOWN}"[:20] in compare.stdout


def _on_a_terminal(*args: str | Path) -> bytes:
    """What kataio writes to a real terminal (a pseudo-terminal, 200 columns)."""
    main, child = pty.openpty()
    os.set_blocking(main, False)
    proc = subprocess.Popen([sys.executable, "-m", "kataio_tui", *map(str, args)], stdout=child, stderr=child,
                            env={**os.environ, "COLUMNS": "200", "TERM": "xterm-256color"})
    os.close(child)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(main)
    return out


def test_csv_to_a_terminal_and_error_lines_show_escapes_as_text(hostile_set):
    out = _on_a_terminal("report", hostile_set, "--format", "csv")
    assert b"\x1b]0;PWNED" not in out and SHOWN.encode() in out
    table = _on_a_terminal("report", hostile_set)  # rich colours its table: only its own SGR codes
    assert b"\x1b]0;PWNED" not in table and b"\x1b[2J" not in table and SHOWN.encode() in table
    (hostile_set / MANIFEST).rename(hostile_set / f"gone{ESCAPES}")
    error = _on_a_terminal("report", hostile_set / f"sub{ESCAPES}")
    assert b"\x1b]0;PWNED" not in error and b"kataio: error: " in error and b"sub\\x1b]0;PWNED" in error
