"""The run journal: entries written before things exist, forget, a torn line after a crash,
dead runs of this user only (never a live run, never a file of another user)."""

from __future__ import annotations

import os
import signal

import pytest
from hostfaults import other_user  # noqa: F401
from safety_procs import python_child

from kataio_tui.errors import KataioError
from kataio_tui.safety.journal import RunJournal, check_run_id, dead_runs, list_journals, read_journal
from kataio_tui.safety.lockfile import LockHeld
from kataio_tui.safety.reaper import clear, dead_leftovers, leftovers, reap


@pytest.fixture
def runs(tmp_path):
    path = tmp_path / "runs"
    path.mkdir(mode=0o700)
    return path


def test_entries_forget_and_finish(runs, tmp_path):
    journal = RunJournal.begin("r1", directory=runs, result_set="/x/set")
    data = tmp_path / "data"
    first = journal.record("path", path=str(data), what="data files")
    journal.record("path", path=str(tmp_path / "bundle"), what="bundle")
    journal.forget(first)
    view = read_journal(runs / "r1.journal")
    assert view.alive and view.holder.pid == os.getpid() and view.meta == {"kind": "run", "result_set": "/x/set"}
    assert [e["what"] for e in view.entries] == ["bundle"]
    with pytest.raises(LockHeld, match="run r1 is in use by pid"):
        RunJournal.begin("r1", directory=runs)
    journal.finish()
    assert list(runs.iterdir()) == []


def test_a_dead_run_is_listed_with_what_it_left_and_a_torn_line_is_skipped(runs, tmp_path):
    data = tmp_path / "data"
    child = python_child(f"""
        import time
        from pathlib import Path
        from kataio_tui.safety.journal import RunJournal
        journal = RunJournal.begin("r2", directory=Path({str(runs)!r}))
        journal.record("path", path={str(data)!r}, what="data files")
        Path({str(data)!r}).mkdir()
        print("ready", flush=True)
        time.sleep(600)
    """)
    assert dead_runs(runs) == [] and [v.run_id for v in list_journals(runs)] == ["r2"]
    child.send_signal(signal.SIGKILL)
    child.wait()
    with open(runs / "r2.journal", "ab") as fh:
        fh.write(b'{"op": "add", "id": "e9", "kind": "pa')  # killed mid-write
    [dead] = dead_runs(runs)
    assert dead.run_id == "r2" and not dead.alive
    assert leftovers(dead) == [f"data files: {data}"]
    assert [(v.run_id, left) for v, left in dead_leftovers(runs)] == [("r2", [f"data files: {data}"])]
    result = reap(dead)
    assert result.removed == [f"data files: {data}"] and not data.exists()
    assert list(runs.iterdir()) == []  # the journal went with what it listed
    assert reap(dead) is None


def test_a_journal_file_of_another_user_is_never_listed(runs, other_user):  # noqa: F811
    RunJournal.begin("theirs", directory=runs).lock.release(unlink=False)
    os.chown(runs / "theirs.journal", other_user.uid, other_user.gid)
    (runs / "link.journal").symlink_to(runs / "theirs.journal")
    assert list_journals(runs) == []


def test_run_ids_are_plain_names():
    for bad in ("../x", "a/b", "", ".hidden", "x" * 200):
        with pytest.raises(KataioError, match="is not a run id"):
            check_run_id(bad)
    assert check_run_id("20261202-044938-9bc2") == "20261202-044938-9bc2"


def test_handlers_named_by_the_journal_are_loaded_and_others_refused(runs):
    journal = RunJournal.begin("r3", directory=runs, handlers=["kataio_tui.safety.room", "os", "kataio_tui.nope"])
    journal.record("path", path="/nonexistent/kataio-test-x", what="data files")
    journal.lock.release(unlink=False)
    [dead] = dead_runs(runs)
    result = clear(dead)
    assert result.problems == ["handler module 'os': not a kataio module; ignored",
                               "handler module kataio_tui.nope: No module named 'kataio_tui.nope'"]


def test_kataio_check_reports_what_dead_runs_left(tmp_path, monkeypatch, capsys):
    import json

    from kataio_tui.cli import main

    monkeypatch.setenv("KATAIO_STATE_DIR", str(tmp_path / "state"))
    data = tmp_path / "data"
    data.mkdir()
    journal = RunJournal.begin("20261202-000000-dead01")
    journal.record("path", path=str(data), what="data files")
    journal.lock.release(unlink=False)  # as a SIGKILL of the run and its watchdog leaves it
    assert main(["check", "--host-only", "--json", "--root", str(tmp_path)]) in (0, 1)
    document = json.loads(capsys.readouterr().out)
    assert document["leftovers"] == [{"run_id": "20261202-000000-dead01", "left": [f"data files: {data}"]}]
    main(["check", "--host-only", "--root", str(tmp_path)])
    out = capsys.readouterr().out
    assert "left behind by 1 dead kataio run(s) of this user; remove with `kataio cleanup`:" in out
    assert f"run 20261202-000000-dead01: data files: {data}" in out
    assert data.exists()  # check only reports
