"""Output onto a full or read-only disk (a real full tmpfs, a real read-only bind mount): `kataio
report`, `compare` and `import` end in one line naming the file and the free space, never a
traceback, and leave nothing half-written; a set on a read-only file system is still reported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostfaults import full_tmpfs, read_only, small_tmpfs  # noqa: F401

from kataio_tui.paths import sample_results_dir

SAMPLE = sample_results_dir() / "quick-20261125-191710-d9ef"


@pytest.fixture
def sample(tmp_path) -> Path:
    """A copy of a bundled set (a report writes the set's summary cache: not into the checkout)."""
    return Path(shutil.copytree(SAMPLE, tmp_path / "sample"))


def kataio(*args: str | Path, stdout: Path | None = None) -> subprocess.CompletedProcess:
    with open(stdout, "w") if stdout else open(os.devnull, "w") as out:
        proc = subprocess.run([sys.executable, "-m", "kataio_tui", *map(str, args)], stdout=out,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    return proc


def one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    (line,) = proc.stderr.splitlines()
    return line


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "markdown"])
def test_a_report_into_a_file_on_a_full_disk(full_tmpfs, sample, fmt):  # noqa: F811
    out = full_tmpfs / f"report.{fmt}"
    line = one_line(kataio("report", sample, "--format", fmt, stdout=out))
    assert line == f"kataio: error: standard output ({out}): no space left on the device (0 B free)"


def test_compare_into_a_full_disk_and_onto_dev_full(full_tmpfs, sample):  # noqa: F811
    line = one_line(kataio("compare", sample, sample, "--format", "csv", stdout=full_tmpfs / "changes.csv"))
    assert line.endswith("changes.csv): no space left on the device (0 B free)")
    line = one_line(kataio("report", sample, stdout=Path("/dev/full")))
    assert line == "kataio: error: standard output (/dev/full): No space left on device"


def test_import_into_a_full_disk_leaves_nothing(full_tmpfs, sample):  # noqa: F811
    before = sorted(p.name for p in full_tmpfs.iterdir())
    line = one_line(kataio("import", sample / "raw", full_tmpfs / "imported"))
    assert line.startswith(f"kataio: error: {full_tmpfs}/") and line.endswith(
        ": no space left on the device (0 B free)"), line
    assert sorted(p.name for p in full_tmpfs.iterdir()) == before  # no set, no staging directory


def test_import_into_a_read_only_file_system(read_only, sample, tmp_path):  # noqa: F811
    target = tmp_path / "sets"
    target.mkdir()
    ro = read_only(target)
    line = one_line(kataio("import", sample / "raw", ro / "imported"))
    assert line == f"kataio: error: {ro / 'imported'}: cannot create: the file system is read-only"
    assert not any(target.iterdir())


def test_a_set_on_a_read_only_file_system_is_reported_as_a_writable_one_is(read_only, tmp_path):  # noqa: F811
    copy = tmp_path / "set"
    shutil.copytree(SAMPLE, copy)
    ro = read_only(copy)
    report_ro, report_rw = tmp_path / "ro.csv", tmp_path / "rw.csv"
    assert kataio("report", ro, "--format", "csv", stdout=report_ro).returncode == 0
    assert not (copy / ".cache").exists()  # nothing could be written, nothing was
    assert kataio("report", copy, "--format", "csv", stdout=report_rw).returncode == 0
    assert report_ro.read_text() == report_rw.read_text()
