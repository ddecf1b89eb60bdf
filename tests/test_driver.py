"""The runner-independent driver: saving each scenario at once, event order, on_failure, runner
faults, resume bookkeeping and the job file stored with each scenario.

A scripted ScenarioRunner stands in for a real one here, because the faults under test (a runner
that raises, a platform failure on a chosen scenario) cannot be produced on demand with real
runtimes. Its raw files are real fio output made in the fixture below. The real runners are
exercised in test_local_runner.py.
"""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from conftest import run_fio
from kataio_tui.errors import KataioError
from kataio_tui.fio.jobfile import FIO_ARGS, render_jobfile
from kataio_tui.model.plan import FioParams, Plan
from kataio_tui.model.results import Provenance
from kataio_tui.results.loader import quick_load
from kataio_tui.results.store import ResultSet
from kataio_tui.runners import events as ev
from kataio_tui.runners.driver import ScenarioOutcome, plan_of_set, run_plan
from kataio_tui.runners.fio_stream import ClientStream


@pytest.fixture(scope="module")
def fio_result(tmp_path_factory) -> bytes:
    tmp = tmp_path_factory.mktemp("fio")
    plan = Plan(fio=FioParams(filesize="4m", runtime=1, numjobs=1))
    key = plan.scenarios()[0]
    (tmp / "job.fio").write_text(render_jobfile(plan, key))
    stream = ClientStream(key, 0, 1.0, lambda e: None)
    stream.feed(run_fio([*FIO_ARGS, str(tmp / "job.fio")], cwd=tmp))
    return stream.result_bytes()


class ScriptedRunner:
    """Returns prepared outcomes; checks that earlier scenarios are already on disk."""

    def __init__(self, fio_result: bytes, fail=(), raise_on=(), cancel_on=()) -> None:
        self.fio_result = fio_result
        self.fail, self.raise_on, self.cancel_on = set(fail), set(raise_on), set(cancel_on)
        self.seen: list = []
        self.closed_with: list[bool] = []
        self.result_dir = None

    def prepare(self, plan, run_id):
        return Provenance(made_by="test runner", kataio_version="test")

    def run_scenario(self, plan, key, jobfile, emit, cancel):
        assert jobfile == render_jobfile(plan, key)
        if self.seen and self.result_dir is not None:
            on_disk = {s.key for s in ResultSet.load(self.result_dir).manifest.scenarios}
            assert self.seen[-1] in on_disk, "the previous scenario was not saved before the next one began"
        self.seen.append(key)
        if key.pattern in self.raise_on:
            raise RuntimeError("runner bug")
        if key.pattern in self.cancel_on:
            cancel.set()
            return ScenarioOutcome("interrupted")
        if key.pattern in self.fail:
            return ScenarioOutcome("failed", failure="fio: boom", diagnosis="d", remedy="r")
        emit(ev.ClientProgress(key, 0, 1.0, 0.0, 1.0, 1.0, 1))
        return ScenarioOutcome("ok", [(f"client-{i}.json", self.fio_result) for i in range(key.clients)], 0.001)

    def close(self, keep_files):
        self.closed_with.append(keep_files)
        return ["closed"]


def _plan(**changes) -> Plan:
    return Plan(name="drv", runtimes=["bare", "runc"], patterns=["read", "write", "randread"], **changes)


def _run(plan, runner, tmp_path, cancel=None, **kwargs):
    events = []
    def emit(e):
        events.append(e)
        if isinstance(e, ev.RunStarted):
            runner.result_dir = e.result_set
    result = run_plan(plan, runner, emit, cancel or threading.Event(), **({"out_dir": tmp_path} | kwargs))
    return result, events


def test_every_scenario_is_saved_with_its_job_file(tmp_path, fio_result):
    plan = _plan(clients=[1, 2])
    runner = ScriptedRunner(fio_result)
    result, events = _run(plan, runner, tmp_path)
    assert result.status == "completed" and result.completed == len(plan.scenarios())
    loaded = ResultSet.load(result.result_set.path)
    assert [s.key for s in loaded.manifest.scenarios] == plan.scenarios()
    for record in loaded.manifest.scenarios:
        assert loaded.read_raw(record.jobfile).decode() == render_jobfile(plan, record.key)
        assert [loaded.read_raw(f) for f in record.files] == [fio_result] * record.clients
    assert plan_of_set(loaded) == plan
    warm = quick_load(loaded.path)  # the driver, as the set's writer, warmed its summary cache
    assert warm is not None and [len(s.clients) for s in warm.scenarios] == [k.clients for k in plan.scenarios()]
    assert runner.closed_with == [False] and result.notes == ["closed"]
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    # the driver's own phase: saving, after the runner's events and before the scenario is finished
    assert kinds[1:5] == ["ScenarioStarted", "ClientProgress", "ScenarioPhase", "ScenarioFinished"]
    assert {e.phase for e in events if isinstance(e, ev.ScenarioPhase)} == {"save"}
    finished = [e for e in events if isinstance(e, ev.ScenarioFinished)]
    assert all(f.bw_bytes > 0 for f in finished)
    two = [f for f in finished if f.key.clients == 2]
    one = [f for f in finished if f.key.clients == 1 and f.key.pattern == two[0].key.pattern
           and f.key.runtime == two[0].key.runtime]
    assert two[0].bw_bytes == pytest.approx(2 * one[0].bw_bytes)


def test_failures_go_on_or_stop(tmp_path, fio_result):
    result, events = _run(_plan(), ScriptedRunner(fio_result, fail={"write"}), tmp_path / "a")
    assert result.status == "completed" and result.failed == 2 and result.completed == 4
    failures = [e for e in events if isinstance(e, ev.Failure)]
    assert [(f.key.pattern, f.message, f.diagnosis, f.remedy) for f in failures] == [("write", "fio: boom", "d", "r")] * 2

    result, _ = _run(_plan(on_failure="stop"), ScriptedRunner(fio_result, fail={"write"}), tmp_path / "b")
    assert result.status == "failed" and result.failed == 1 and result.completed == 2
    assert [s.status for s in result.result_set.manifest.scenarios] == ["ok", "ok", "failed"]


def test_a_runner_exception_fails_only_that_scenario(tmp_path, fio_result):
    result, _ = _run(_plan(), ScriptedRunner(fio_result, raise_on={"read"}), tmp_path)
    statuses = {(s.runtime, s.pattern): s for s in result.result_set.manifest.scenarios}
    assert statuses[("bare", "read")].status == "failed"
    assert "internal error in the runner: RuntimeError: runner bug" in statuses[("bare", "read")].failure
    assert statuses[("bare", "write")].status == "ok"


def test_cancel_marks_the_interrupted_scenario_and_resume_finishes(tmp_path, fio_result):
    plan = _plan()
    cancel = threading.Event()
    first, events = _run(plan, ScriptedRunner(fio_result, cancel_on={"write"}), tmp_path, cancel)
    assert first.status == "cancelled"
    assert [s.status for s in first.result_set.manifest.scenarios] == ["ok", "ok", "interrupted"]
    assert events[-1].status == "cancelled"

    runner = ScriptedRunner(fio_result)
    second, _ = _run(plan_of_set(first.result_set), runner, tmp_path, resume=first.result_set.path)
    assert second.skipped == 2 and second.completed == 4
    assert [k.pattern for k in runner.seen] == ["write", "write", "randread", "randread"]
    assert all(s.status == "ok" for s in ResultSet.load(first.result_set.path).manifest.scenarios)


def test_prepare_error_still_closes_and_reports(tmp_path, fio_result):
    class Broken(ScriptedRunner):
        def prepare(self, plan, run_id):
            raise KataioError("cluster unreachable")

    runner = Broken(fio_result)
    events = []
    with pytest.raises(KataioError, match="cluster unreachable"):
        run_plan(_plan(), runner, events.append, threading.Event(), out_dir=tmp_path)
    assert runner.closed_with == [False]
    assert isinstance(events[0], ev.Failure) and events[0].key is None
    assert events[-1].status == "failed" and events[-1].result_set is None


def test_resume_of_an_imported_set_is_refused(tmp_path):
    rs = ResultSet.create(tmp_path / "imp", "imp", Provenance(made_by="import", kataio_version="x"))
    with pytest.raises(KataioError, match="has no plan"):
        plan_of_set(rs)


def test_cli_plan_and_run(tmp_path):
    """`kataio plan` writes and shows plans; `kataio run --headless` makes a set and prints the report."""
    kataio = [sys.executable, "-m", "kataio_tui"]
    plan_file = tmp_path / "quick.toml"
    out = subprocess.run([*kataio, "plan", "--preset", "quick", "-o", str(plan_file)], capture_output=True, text=True)
    assert out.returncode == 0 and "24 scenarios" in out.stdout
    shown = subprocess.run([*kataio, "plan", "--show", str(plan_file)], capture_output=True, text=True)
    assert shown.returncode == 0 and "\nrw=randwrite\n" in shown.stdout and "${" not in shown.stdout
    text = plan_file.read_text().replace('"gvisor",', "").replace('"runc",', "")
    text = text.replace('runtime = 5', 'runtime = 1').replace('filesize = "64m"', 'filesize = "4m"')
    text = text.replace('directory = "/var/tmp/kataio"', f'directory = "{tmp_path / "scratch"}"')
    text = text.replace('"write",\n    "randread",\n    "randwrite",\n', "").replace("    2,\n", "")
    plan_file.write_text(text)
    run = subprocess.run([*kataio, "run", str(plan_file), "--headless", "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Aggregate bandwidth" in run.stdout and "result set: " in run.stdout
    assert "ok bare read 64k x1" in run.stderr
    bad = subprocess.run([*kataio, "run", str(tmp_path / "missing.toml")], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("kataio: error: ") and "Traceback" not in bad.stderr
