"""Real faults for tests: a second Unix user (made with useradd, removed afterwards) to run
commands as, and small real file systems (a size-limited tmpfs; an ext4 image on a loop device)
that fill up. Both need root; tests that use them skip otherwise."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import site
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class OtherUser:
    name: str
    uid: int
    gid: int
    home: Path

    def argv(self, *argv: str) -> list[str]:
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--", *argv]

    def run(self, *argv: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.home), "USER": self.name,
               **kw.pop("env", {})}
        proc = subprocess.run(self.argv(*argv), capture_output=True, text=True, env=env, cwd="/", timeout=120,
                              **kw)
        if check and proc.returncode != 0:
            pytest.fail(f"as {self.name}: {argv} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        return proc

    def python(self, code: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        """Debian's Python as this user (the venv's interpreter lives under /root) with kataio and
        this venv's packages importable."""
        path = os.pathsep.join([str(REPO), *site.getsitepackages()])
        return self.run("/usr/bin/python3", "-c", code, check=check, env={"PYTHONPATH": path, **(env or {})})


@pytest.fixture(scope="session")
def other_user() -> Iterator[OtherUser]:
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("setpriv") is None:
        pytest.skip("a second user needs root, useradd and setpriv")
    name = f"kataio-t{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
                   check=True, capture_output=True)
    entry = pwd.getpwnam(name)
    try:
        yield OtherUser(name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir))
    finally:
        _remove_user(name)


def _remove_user(name: str) -> None:
    """userdel refuses a user whose processes are still exiting: kill them, then retry a while."""
    for _ in range(100):
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)  # this test user's processes only
        if subprocess.run(["userdel", "--remove", name], capture_output=True).returncode in (0, 6):  # 6: gone
            try:
                pwd.getpwnam(name)
            except KeyError:
                return
        time.sleep(0.1)
    raise AssertionError(f"test user {name} could not be removed (userdel)")


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A fresh directory in the real /var/tmp (sticky, world-writable) that other users can reach."""
    path = Path("/var/tmp") / f"kataio-test-{secrets.token_hex(4)}"
    path.mkdir(mode=0o755)
    os.chmod(path, 0o1777)  # like /var/tmp itself
    try:
        yield path
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=False)


@pytest.fixture
def small_tmpfs(tmp_path) -> Iterator[Path]:
    """A 4 MiB tmpfs (no O_DIRECT there: use it for buffered writes only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture
def small_ext4(tmp_path) -> Iterator[Path]:
    """A 48 MiB ext4 file system on a loop device (O_DIRECT works, as on a real disk)."""
    if os.geteuid() != 0 or shutil.which("mkfs.ext4") is None:
        pytest.skip("a loop-mounted ext4 needs root and mkfs.ext4")
    image = tmp_path / "fs.img"
    with open(image, "wb") as fh:
        fh.truncate(48 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", str(image)], check=True, capture_output=True)
    mnt = tmp_path / "ext4"
    mnt.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(mnt)], check=True, capture_output=True)
    os.chmod(mnt, 0o755)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def fill(mnt: Path) -> None:
    """Fill the file system of mnt to the last block (a file that grows until ENOSPC)."""
    with open(mnt / ".filler", "wb", buffering=0) as fh:
        for block in (1 << 20, 4096, 512, 1):
            try:
                while fh.write(b"\0" * block):
                    pass
            except OSError:
                pass


@pytest.fixture
def full_tmpfs(small_tmpfs) -> Path:
    """The 4 MiB tmpfs, full: every write there ends in ENOSPC."""
    os.chmod(small_tmpfs, 0o755)
    fill(small_tmpfs)
    return small_tmpfs


@pytest.fixture
def read_only(tmp_path) -> Iterator[callable]:
    """read_only(path): a read-only bind mount of the directory path (the original stays writable),
    returned as a new path; unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("a bind mount needs root")
    mounts: list[Path] = []

    def mount(path: Path) -> Path:
        target = tmp_path / f"ro-{len(mounts)}-{path.name}"
        target.mkdir()
        subprocess.run(["mount", "--bind", str(path), str(target)], check=True, capture_output=True)
        mounts.append(target)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], check=True, capture_output=True)
        return target

    try:
        yield mount
    finally:
        for target in reversed(mounts):
            subprocess.run(["umount", str(target)], check=False)
