"""Exclusive and atomic writes in directories the user owns; full and read-only file systems
give one line naming the file and the free space; room checks and laid-out data files."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest
from hostfaults import small_ext4, small_tmpfs  # noqa: F401

from kataio_tui.errors import KataioError
from kataio_tui.safety.room import NotEnoughRoom, check_room, describe_os_error, unwritten
from kataio_tui.safety.safe_write import WriteError, replace_file, write_new
from kataio_tui.tomlfile import write_atomic


def test_write_new_is_exclusive_and_never_follows_a_link(tmp_path):
    path = write_new(tmp_path / "job.fio", b"[global]\n")
    assert path.read_bytes() == b"[global]\n" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(KataioError, match="job.fio: already exists; kataio does not overwrite it"):
        write_new(tmp_path / "job.fio", b"other")
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "planted").symlink_to(victim)
    with pytest.raises(KataioError, match="planted: already exists"):
        write_new(tmp_path / "planted", b"exec_prerun=evil\n")
    assert victim.read_text() == "keep"


def test_replace_file_is_atomic_keeps_the_mode_and_replaces_a_link_not_its_target(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text("old")
    os.chmod(plan, 0o640)
    replace_file(plan, b"new")
    assert plan.read_text() == "new" and stat.S_IMODE(os.stat(plan).st_mode) == 0o640
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "settings.toml").symlink_to(victim)
    replace_file(tmp_path / "settings.toml", b"x = 1\n")
    assert victim.read_text() == "keep" and not (tmp_path / "settings.toml").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml", "settings.toml", "victim"]  # no temp left


def test_writes_into_a_directory_others_may_write_are_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with pytest.raises(WriteError, match="a directory other users can write to"):
        replace_file(shared / "plan.toml", b"x")
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o777)
    with pytest.raises(OSError, match=r"loose: writable by other users \(mode 0777\) and not sticky"):
        write_atomic(loose / "config.toml", b"theme = 'x'\n")  # what plans, settings and manifests use
    assert os.listdir(loose) == []
    write_new(shared / "plan.toml", b"x", shared_dir_ok=True)  # exclusive create there is safe: asked for


def test_a_full_file_system_names_the_file_and_the_free_space(small_tmpfs):  # noqa: F811
    with pytest.raises(KataioError) as caught:
        write_new(small_tmpfs / "big", b"\0" * (8 * 1024 * 1024))
    assert str(caught.value).startswith(f"{small_tmpfs}/big: no space left on the device (")
    assert str(caught.value).endswith(" free)")
    assert not (small_tmpfs / "big").exists()  # nothing half-written is left
    with pytest.raises(KataioError, match="no space left on the device"):
        replace_file(small_tmpfs / "plan.toml", b"\0" * (8 * 1024 * 1024))
    assert os.listdir(small_tmpfs) == []


def test_a_read_only_file_system_is_said(small_tmpfs):  # noqa: F811
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    with pytest.raises(KataioError, match=f"{small_tmpfs}/x: the file system is read-only"):
        write_new(small_tmpfs / "x", b"1")
    assert describe_os_error("/p", OSError(2, "No such file or directory")) == "/p: No such file or directory"


def test_check_room_adds_up_directories_of_one_file_system(small_ext4):  # noqa: F811
    free = os.statvfs(small_ext4).f_bavail * os.statvfs(small_ext4).f_frsize
    check_room({small_ext4 / "a": free // 3, small_ext4 / "b" / "deeper": free // 3})
    with pytest.raises(NotEnoughRoom, match=rf"{small_ext4}/a, {small_ext4}/b: the plan needs .* for its data "
                                            r"files, the file system has .* free"):
        check_room({small_ext4 / "a": free // 2 + 1, small_ext4 / "b": free // 2 + 1})


def test_unwritten_finds_short_sparse_and_unwritten_files(small_ext4, fio):  # noqa: F811
    size = 4 * 1024 * 1024
    short = small_ext4 / "short"
    short.write_bytes(b"x" * 100)
    assert unwritten(short, size) == f"{short}: 100 bytes of {size} laid out"
    sparse = small_ext4 / "sparse"
    with open(sparse, "wb") as fh:
        fh.write(b"x" * 4096)
        fh.truncate(size)
    assert unwritten(sparse, size) == f"{sparse}: not written from byte 4096 on (a sparse or unwritten region)"
    allocated = small_ext4 / "allocated"
    fd = os.open(allocated, os.O_CREAT | os.O_WRONLY, 0o600)
    os.posix_fallocate(fd, 0, size)  # blocks reserved, never written: reads as zeros, not data
    os.close(fd)
    assert unwritten(allocated, size) == f"{allocated}: not written from byte 0 on (a sparse or unwritten region)"
    job = small_ext4 / "job.fio"
    job.write_text("[kataio]\nfilesize=4m\nsize=4m\nrw=read\nbs=64k\n")
    subprocess.run([fio, "--create_only=1", str(job)], cwd=small_ext4, check=True, capture_output=True)
    assert unwritten(small_ext4 / "kataio.0.0", size) is None  # fio's own layout is complete
