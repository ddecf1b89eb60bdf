"""Home says when dead kataio runs of this user left something here (from their journals)."""

from __future__ import annotations

import signal

from safety_procs import python_child

from kataio_tui.tui import facts as facts_mod
from kataio_tui.tui.screens.home import next_steps


def test_home_names_what_a_dead_run_left_and_clears_dead_probes(tmp_path, monkeypatch):
    monkeypatch.setenv("KATAIO_STATE_DIR", str(tmp_path / "state"))
    data = tmp_path / "data"
    child = python_child(f"""
        import time
        from pathlib import Path
        from kataio_tui.safety.journal import RunJournal
        run = RunJournal.begin("20261202-000000-abcdef")
        run.record("path", path={str(data)!r}, what="data files")
        Path({str(data)!r}).mkdir()
        probe = RunJournal.begin("kataio-probe-dead", kind="probe")
        probe.record("path", path={str(tmp_path / "probe")!r}, what="probe bundle")
        Path({str(tmp_path / "probe")!r}).mkdir()
        print("ready", flush=True)
        time.sleep(600)
    """, env={"KATAIO_STATE_DIR": str(tmp_path / "state")})
    child.send_signal(signal.SIGKILL)
    child.wait()
    left = facts_mod.leftovers()
    assert left == [f"run 20261202-000000-abcdef: data files: {data}"]
    assert not (tmp_path / "probe").exists()  # the dead probe was cleared on the way
    facts = facts_mod.HostFacts("h", "6.1", None, False, "fio-3.33", leftovers=left)
    steps = next_steps(facts, 0).plain
    assert "dead kataio runs left 1 thing(s) here (run 20261202-000000-abcdef: data files: " in steps
    assert "remove them with `kataio cleanup`" in steps
    assert "kataio cleanup" not in next_steps(facts_mod.HostFacts("h", "6.1", None, False, "fio-3.33"), 0).plain
