"""Reading files of a tree (result set, import directory) can neither hang nor exhaust memory nor
leave the tree: real FIFOs, device nodes, symlinks to /dev/zero and outside, oversized files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kataio_tui.errors import KataioError
from kataio_tui.safety.safe_read import LIMIT_ENV, TreeReader, UnsafeFileError, read_limit, read_regular_file


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "set"
    (root / "raw" / "bare").mkdir(parents=True)
    (root / "manifest.toml").write_text('name = "x"\n')
    (root / "raw" / "bare" / "client-0.json").write_bytes(b'{"fio version": "fio-3.33"}')
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text("{}")
    return root


def read_in_child(root: Path, rel: str) -> subprocess.CompletedProcess:
    """Read in a separate process, so that a reader that blocks fails this test (by the generous
    timeout) instead of hanging the whole suite."""
    code = textwrap.dedent(f"""
        from kataio_tui.safety.safe_read import TreeReader
        from kataio_tui.errors import KataioError
        try:
            print(len(TreeReader({str(root)!r}).read({rel!r})))
        except KataioError as exc:
            print("error:", exc)
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_regular_files_are_read(tree):
    with TreeReader(tree) as reader:
        assert reader.read("raw/bare/client-0.json") == b'{"fio version": "fio-3.33"}'
        assert reader.read_text("manifest.toml") == 'name = "x"\n'


def test_a_fifo_is_refused_without_blocking(tree):
    os.mkfifo(tree / "raw" / "bare" / "client-1.json")
    os.mkfifo(tree / "manifest.fifo")
    proc = read_in_child(tree, "raw/bare/client-1.json")
    assert proc.stdout.strip() == (f"error: {tree}/raw/bare/client-1.json: a FIFO, not a regular file; "
                                   "kataio does not read it")
    with pytest.raises(UnsafeFileError, match="a FIFO"):
        read_regular_file(tree / "manifest.fifo")


def test_device_nodes_and_links_to_dev_zero_are_refused(tree):
    if os.geteuid() == 0:
        os.mknod(tree / "zero.json", 0o600 | 0o020000, os.makedev(1, 5))  # a character device: /dev/zero's numbers
        proc = read_in_child(tree, "zero.json")
        assert proc.stdout.strip().endswith("zero.json: a character device, not a regular file; kataio does not "
                                            "read it")
    (tree / "raw" / "bare" / "client-2.json").symlink_to("/dev/zero")
    proc = read_in_child(tree, "raw/bare/client-2.json")
    assert "client-2.json: a symbolic link; kataio reads only regular files inside" in proc.stdout


def test_symlinks_leading_outside_are_refused_at_any_depth(tree):
    (tree / "raw" / "kata").symlink_to(tree.parent / "outside")
    (tree / "manifest.link").symlink_to(tree.parent / "outside" / "secret.json")
    with TreeReader(tree) as reader:
        with pytest.raises(UnsafeFileError, match="raw/kata/secret.json: a symbolic link"):
            reader.read("raw/kata/secret.json")
        with pytest.raises(UnsafeFileError, match="manifest.link: a symbolic link"):
            reader.read("manifest.link")
        for bad in ("../outside/secret.json", "/etc/passwd", "", "raw/\x00x"):
            with pytest.raises(UnsafeFileError, match="not a path inside"):
                reader.read(bad)


def test_the_size_cap_refuses_oversized_files_without_reading_them(tree, monkeypatch):
    big = tree / "raw" / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(64 * 1024 * 1024 * 1024)  # 64 GiB, sparse: reading it would exhaust memory
    with TreeReader(tree) as reader:
        with pytest.raises(UnsafeFileError, match=rf"big.json: 68719476736 bytes, more than the read limit of "
                                                  rf"268435456 bytes \(raise \${LIMIT_ENV}"):
            reader.read("raw/big.json")
    monkeypatch.setenv(LIMIT_ENV, "10")
    assert read_limit() == 10
    with pytest.raises(UnsafeFileError, match="more than the read limit of 10 bytes"):
        TreeReader(tree).read("raw/bare/client-0.json")
    monkeypatch.setenv(LIMIT_ENV, "lots")
    with pytest.raises(KataioError, match=rf"\${LIMIT_ENV}='lots': give the largest file"):
        read_limit()


def test_walk_lists_regular_files_and_says_why_others_are_skipped(tree):
    os.mkfifo(tree / "raw" / "bare" / "pipe.json")
    (tree / "raw" / "bare" / "zero.json").symlink_to("/dev/zero")
    (tree / "raw" / "out").symlink_to(tree.parent / "outside")
    with TreeReader(tree) as reader:
        found = dict(reader.walk(".json"))
    assert found == {"raw/bare/client-0.json": None, "raw/bare/pipe.json": "a FIFO, not a regular file",
                     "raw/bare/zero.json": "a symbolic link, not a regular file"}  # raw/out is not entered


def test_a_missing_root_is_one_line(tmp_path):
    with pytest.raises(KataioError, match=f"{tmp_path}/none: cannot open the directory: No such file"):
        TreeReader(tmp_path / "none")
