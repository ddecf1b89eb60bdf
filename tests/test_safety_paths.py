"""Paths nobody else controls: per-run directories made exclusively (0700), parents checked for
owner, mode and symlinks, the per-user state directory; attacks by a real second user."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from hostfaults import other_user, shared_tmp  # noqa: F401

from kataio_tui.errors import KataioError
from kataio_tui.safety import state_dir as state_mod
from kataio_tui.safety.private_dirs import ensure_private_dir, make_private_dir
from kataio_tui.safety.trust import UnsafePathError, open_trusted_dir

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown and a second user need root")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_directory_is_made_exclusively_and_private(tmp_path):
    made = make_private_dir(tmp_path / "plan-dir", "kataio-run1")
    st = os.lstat(made)
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.geteuid()
    assert stat.S_IMODE(os.stat(tmp_path / "plan-dir").st_mode) == 0o700  # the missing base, made private
    with pytest.raises(UnsafePathError, match="already exists; kataio creates its run directories itself"):
        make_private_dir(tmp_path / "plan-dir", "kataio-run1")


def test_a_directory_others_may_write_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with pytest.raises(UnsafePathError, match=r"shared: writable by other users \(mode 0777\) and not sticky"):
        make_private_dir(shared / "below", "kataio-run")
    assert list(shared.iterdir()) == []  # nothing written
    os.chmod(shared, 0o775)  # group-writable is shared too
    with pytest.raises(UnsafePathError, match="mode 0775"):
        make_private_dir(shared, "kataio-run")


def test_a_sticky_shared_directory_gets_only_a_private_child(tmp_path):
    sticky = tmp_path / "vartmp"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    made = make_private_dir(sticky, "kataio-run")
    assert stat.S_IMODE(os.stat(made).st_mode) == 0o700
    with pytest.raises(UnsafePathError, match="kataio only makes a private directory there"):
        open_trusted_dir(sticky)  # writing files straight into it is refused


def test_symlinks_of_root_or_the_user_are_followed_and_walked_as_their_target(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to("real")
    with open_trusted_dir(tmp_path / "link") as opened:
        assert opened.path == real


def test_missing_path_without_create_names_it(tmp_path):
    with pytest.raises(KataioError, match=f"{tmp_path}/nope: does not exist"):
        open_trusted_dir(tmp_path / "nope" / "deeper")


def test_ensure_private_dir_tightens_our_own_and_refuses_a_link(tmp_path):
    own = tmp_path / "own"
    own.mkdir(mode=0o755)
    assert ensure_private_dir(own) == own and stat.S_IMODE(os.stat(own).st_mode) == 0o700
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / "state").symlink_to(target)
    with pytest.raises(UnsafePathError, match="state: a symbolic link"):
        ensure_private_dir(tmp_path / "state")
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o777)
    with pytest.raises(UnsafePathError, match="mode 0777"):
        ensure_private_dir(loose)


@needs_root
def test_attack_another_user_made_the_plan_directory_first(other_user, shared_tmp, tmp_path):  # noqa: F811
    """The issue's attack: a user creates the plan directory first and swaps a run's directory for a
    symlink to a root-owned file or directory. kataio refuses and writes nothing."""
    victim = tmp_path / "victim"
    victim.mkdir()
    secret = victim / "secret"
    secret.write_bytes(b"root only\n" * 1000)
    os.chmod(secret, 0o600)
    before = digest(secret)
    base = shared_tmp / "kataio"
    other_user.run("mkdir", "-m", "0755", str(base))
    other_user.run("ln", "-s", str(victim), str(base / "kataio-run42"))
    with pytest.raises(UnsafePathError, match=rf"{base}: owned by {other_user.name} \(uid {other_user.uid}\)"):
        make_private_dir(base, "kataio-run42")
    with pytest.raises(UnsafePathError, match="owned by"):
        ensure_private_dir(base / "kataio-run42")
    assert digest(secret) == before and sorted(os.listdir(victim)) == ["secret"]
    assert os.listdir(base) == ["kataio-run42"]  # nothing written by kataio


@needs_root
def test_attack_a_symlink_planted_in_a_sticky_directory(other_user, shared_tmp, tmp_path):  # noqa: F811
    """In /var/tmp itself (sticky) another user plants the per-user directory or the run's name as a
    link: refused, since kataio follows only links made by root or the invoking user."""
    victim = tmp_path / "victim"
    victim.mkdir()
    other_user.run("ln", "-s", str(victim), str(shared_tmp / "kataio-0"))
    other_user.run("ln", "-s", str(victim), str(shared_tmp / "kataio-run7"))
    with pytest.raises(UnsafePathError, match=f"kataio-0: a symbolic link made by {other_user.name}"):
        make_private_dir(shared_tmp / "kataio-0", "kataio-run7")
    with pytest.raises(UnsafePathError, match="kataio-run7: already exists"):
        make_private_dir(shared_tmp, "kataio-run7")
    with pytest.raises(UnsafePathError, match="kataio-0: a symbolic link"):
        ensure_private_dir(shared_tmp / "kataio-0")
    assert os.listdir(victim) == []


@needs_root
def test_a_directory_of_another_user_even_below_a_good_parent(other_user, shared_tmp):  # noqa: F811
    theirs = shared_tmp / "theirs"
    other_user.run("mkdir", "-m", "0700", str(theirs))
    with pytest.raises(UnsafePathError, match="theirs: owned by"):
        ensure_private_dir(theirs)


def test_state_dir_from_the_environment_is_verified(tmp_path, monkeypatch):
    monkeypatch.setenv(state_mod.ENV, str(tmp_path / "state"))
    assert state_mod.state_dir() == tmp_path / "state"
    assert state_mod.runs_dir() == tmp_path / "state" / "runs"
    assert stat.S_IMODE(os.stat(tmp_path / "state" / "runs").st_mode) == 0o700
    os.chmod(tmp_path / "state", 0o777)
    with pytest.raises(UnsafePathError):
        state_mod.state_dir()


@needs_root
def test_state_dir_of_a_non_root_user_is_private_and_never_guessable(other_user, shared_tmp):  # noqa: F811
    """Another user (the attacker) pre-creates /tmp-style names: the victim's state directory is
    XDG_RUNTIME_DIR/kataio when that is private, else in the victim's home, never a shared path."""
    code = "from kataio_tui.safety.state_dir import state_dir; print(state_dir())"
    home_state = other_user.python(code).stdout.strip()
    assert home_state == f"{other_user.home}/.local/state/kataio"
    st = os.lstat(home_state)
    assert st.st_uid == other_user.uid and stat.S_IMODE(st.st_mode) == 0o700
    runtime = shared_tmp / "runtime"
    other_user.run("mkdir", "-m", "0700", str(runtime))
    assert other_user.python(code, env={"XDG_RUNTIME_DIR": str(runtime)}).stdout.strip() == f"{runtime}/kataio"
    # a runtime directory that is not private (here: root's, or world-writable) is not used
    assert other_user.python(code, env={"XDG_RUNTIME_DIR": str(shared_tmp)}).stdout.strip() == home_state


def test_state_dir_of_root_is_private(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("root's state directory")
    monkeypatch.delenv(state_mod.ENV, raising=False)
    path = state_mod.state_dir()
    assert path == Path("/run/kataio")
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700
