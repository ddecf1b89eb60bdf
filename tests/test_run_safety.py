"""`kataio run` on a shared host: the plan directory attack refused, one writer per result set,
runs into one --out never collide, room checked up front, full and read-only disks during layout
and save, layouts that are not fully written never measured. Real fio, a real second user, real
small file systems."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hostfaults import other_user, shared_tmp, small_ext4, small_tmpfs  # noqa: F401
from safety_procs import python_child
from test_local_runner import Recorder, small_plan

from kataio_tui.errors import KataioError
from kataio_tui.model.plan import save_plan
from kataio_tui.results.store import ResultSet
from kataio_tui.runners import events as ev
from kataio_tui.runners.driver import run_plan
from kataio_tui.runners.local import LocalRunner
from kataio_tui.safety.lockfile import LockHeld

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="a second user and mounts need root")


def bare_plan(tmp_path: Path, directory: Path, **fio) -> object:
    plan = small_plan(tmp_path, runtimes=["bare"], clients=[1], directory=str(directory))
    plan.fio = plan.fio.model_copy(update={"runtime": 1, **fio})
    return plan


def run(plan, tmp_path, recorder=None, **kw):
    return run_plan(plan, LocalRunner(state_root=tmp_path / "state"), recorder or Recorder(), threading.Event(),
                    out_dir=kw.pop("out_dir", tmp_path / "out"), **kw)


@root_only
def test_the_issue_attack_on_the_plan_directory_is_refused(tmp_path, other_user, shared_tmp):  # noqa: F811
    """Another user makes the plan directory first and plants a link where a run's directory goes
    (the issue: root's fio then overwrote 16 MiB of a 0600 root-owned file). Refused, nothing written."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "secret").write_bytes(os.urandom(1 << 20))
    os.chmod(victim / "secret", 0o600)
    before = hashlib.sha256((victim / "secret").read_bytes()).hexdigest()
    base = shared_tmp / "kataio"
    other_user.run("mkdir", "-m", "0777", str(base))
    plan = bare_plan(tmp_path, base)
    with pytest.raises(KataioError, match=rf"plan directory {base}: owned by {other_user.name}"):
        run(plan, tmp_path)
    assert hashlib.sha256((victim / "secret").read_bytes()).hexdigest() == before
    assert os.listdir(base) == [] and not (tmp_path / "out").exists()
    assert list((tmp_path / "state").iterdir()) == []  # the run's journal went with it


def test_one_writer_per_result_set_and_runs_into_one_out_never_collide(tmp_path):
    plan = bare_plan(tmp_path, tmp_path / "scratch")
    first, second = [], []
    threads = [threading.Thread(target=lambda r=r: r.append(run(plan, tmp_path))) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert first[0].status == second[0].status == "completed"
    assert first[0].result_set.path != second[0].result_set.path
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [first[0].result_set.path.name, second[0].result_set.path.name])
    # a second writer while one resumes the set: refused, naming the holder
    target = first[0].result_set.path
    holder = python_child(f"""
        from kataio_tui.runners.driver import lock_set
        lock = lock_set({str(target)!r})
        print("ready", flush=True)
        import time; time.sleep(600)
    """)
    try:
        with pytest.raises(LockHeld, match=rf"result set {target} is in use by pid {holder.pid} "):
            run(plan, tmp_path, resume=target)
    finally:
        holder.kill()
        holder.wait()
    assert ResultSet.load(target).manifest.scenarios[0].status == "ok"  # untouched


def test_two_resumes_of_one_set_from_the_command_line(tmp_path):
    plan = bare_plan(tmp_path, tmp_path / "scratch", runtime=3)
    cancel = threading.Event()
    first = run_plan(plan, LocalRunner(state_root=tmp_path / "state"),
                     Recorder(cancel, lambda e, r: isinstance(e, ev.ClientProgress)), cancel, out_dir=tmp_path / "out")
    assert first.status == "cancelled"
    env = {**os.environ, "KATAIO_STATE_DIR": str(tmp_path / "kstate")}
    argv = [sys.executable, "-m", "kataio_tui", "run", "--headless", "--resume", str(first.result_set.path)]
    one = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # until the first one holds the set
            if (first.result_set.path / ".kataio-writer.lock").exists():
                break
            threading.Event().wait(0.05)
        two = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    finally:
        _, err = one.communicate(timeout=120)
    assert one.returncode == 0, err
    assert two.returncode == 2
    last = two.stderr.strip().splitlines()[-1]
    assert last.startswith(f"kataio: error: result set {first.result_set.path} is in use by pid {one.pid} "
                           "(kataio run --headless --resume ")


@root_only
def test_a_plan_that_cannot_fit_is_refused_up_front(tmp_path, small_ext4):  # noqa: F811
    plan = bare_plan(tmp_path, small_ext4 / "scratch", filesize=64 << 20)  # 2 jobs x 64 MiB > 48 MiB
    with pytest.raises(KataioError, match=rf"{small_ext4}/scratch: the plan needs 128.0 MiB for its data files, "
                                          r"the file system has .* free"):
        run(plan, tmp_path)
    assert os.listdir(small_ext4) == ["lost+found"]


@root_only
def test_a_disk_that_fills_during_layout_fails_that_scenario_and_nothing_partial_is_measured(
        tmp_path, small_ext4):  # noqa: F811
    plan = bare_plan(tmp_path, small_ext4 / "scratch", filesize=16 << 20)
    plan = plan.model_copy(update={"patterns": ["randread", "read"]})
    filler = small_ext4 / "filler"

    def fill(event, recorder):
        if isinstance(event, ev.ScenarioStarted) and event.index == 0:  # someone else fills the disk
            free = os.statvfs(small_ext4).f_bavail * os.statvfs(small_ext4).f_frsize
            with open(filler, "wb") as fh:
                fh.write(b"\1" * (free - 8 * 1024 * 1024))
        if isinstance(event, ev.ScenarioFinished) and event.key.pattern == "randread":
            filler.unlink()  # and frees it again before the next scenario
        return False

    result = run(plan, tmp_path, Recorder(threading.Event(), fill))
    records = {s.pattern: s for s in ResultSet.load(result.result_set.path).manifest.scenarios}
    assert records["randread"].status == "failed" and records["randread"].files == []
    assert records["randread"].failure.startswith(f"laying out the data files: {small_ext4}/scratch/kataio-")
    assert "/client-0: no space left on the device (" in records["randread"].failure
    assert records["read"].status == "ok"  # the cut-short files were laid out again, fully


@root_only
def test_a_read_only_target_and_a_full_output_disk_are_named(tmp_path, small_ext4, small_tmpfs):  # noqa: F811
    plan = bare_plan(tmp_path, small_ext4 / "scratch", filesize=4 << 20)
    subprocess.run(["mount", "-o", "remount,ro", str(small_ext4)], check=True)
    try:
        with pytest.raises(KataioError, match=rf"plan directory {small_ext4}/scratch: the file system is read-only "
                                              r"\(creating the directory\)"):
            run(plan, tmp_path)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_ext4)], check=True)

    def fill_out(event, recorder):  # the output disk fills while fio runs
        if isinstance(event, ev.ClientResult):
            free = os.statvfs(small_tmpfs).f_bavail * os.statvfs(small_tmpfs).f_frsize
            with open(small_tmpfs / "filler", "wb") as fh:
                fh.write(b"\1" * free)
        return False

    recorder = Recorder(threading.Event(), fill_out)
    with pytest.raises(KataioError, match=r"saving bare randread 64k x1 qd4 j2: .*: no space left on the device \("
                                          r".* free\); this scenario was not recorded"):
        run(plan, tmp_path, recorder, out_dir=small_tmpfs / "out")
    [finished] = recorder.of(ev.RunFinished)
    assert finished.status == "failed"
    assert not (small_ext4 / "scratch" / f"kataio-{finished.result_set.name.split('-', 1)[1]}").exists()


def test_a_write_scenario_then_a_read_one_reads_written_data(tmp_path):
    """fio lays files out for a write job with fallocate (allocated, never written): a read
    scenario after it must not measure reads the file system answers with zeros."""
    plan = bare_plan(tmp_path, tmp_path / "scratch")
    plan = plan.model_copy(update={"patterns": ["randwrite", "randread"]})
    result = run(plan, tmp_path)
    assert result.status == "completed" and result.completed == 2


def test_plan_files_saved_into_place(tmp_path):
    plan = bare_plan(tmp_path, tmp_path / "scratch")
    save_plan(plan, tmp_path / "p.toml")
    assert (tmp_path / "p.toml").read_text().startswith("format = 1")


@root_only
def test_a_non_root_run_keeps_its_job_files_private(other_user, tmp_path):  # noqa: F811
    """The issue: a non-root run's state went to the guessable /tmp/kataio-<uid>, where another user
    replaced job.fio and fio's exec_prerun ran a command as the victim. Now an attacker's directory
    there is never used: the job files go into the user's private state directory."""
    planted = Path(f"/tmp/kataio-{other_user.uid}")
    planted.mkdir(mode=0o777)
    try:
        os.chmod(planted, 0o777)
        home = other_user.home
        plan = bare_plan(tmp_path, home / "scratch").model_copy(update={"name": "victim"})
        plan_file = home / "plan.toml"
        plan_file.write_text(plan.to_toml())
        os.chown(plan_file, other_user.uid, other_user.gid)
        code = ("import sys; from kataio_tui.cli import main; "
                f"sys.exit(main(['run', '--headless', {str(plan_file)!r}, '--out', {str(home / 'out')!r}]))")
        proc = other_user.python(code, check=False, env={"HOME": str(home)})
        assert proc.returncode == 0, proc.stderr
        assert os.listdir(planted) == []  # never looked at
        state = home / ".local" / "state" / "kataio" / "runs"
        st = os.lstat(state)
        assert st.st_uid == other_user.uid and st.st_mode & 0o077 == 0
        assert [p.name for p in state.iterdir()] == []  # the run's journal and job files went with it
        [made] = list((home / "out").iterdir())
        assert ResultSet.load(made).manifest.scenarios[0].status == "ok"
    finally:
        subprocess.run(["rm", "-rf", str(planted)], check=False)
