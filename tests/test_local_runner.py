"""The local runner with real fio under bare, runc and gVisor (runsc): results, live progress,
synchronised start, cancel without leftovers, resume, fio failures, unavailable runtimes."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import run_fio
from kataio_tui.fio.jobfile import FIO_ARGS, render_jobfile
from kataio_tui.fio.reader import iter_documents, read_fio_output
from kataio_tui.fio.summary import client_summaries
from kataio_tui.model.plan import FioParams, Plan
from kataio_tui.model.results import ScenarioKey
from kataio_tui.results.store import ResultSet
from kataio_tui.runners import events as ev
from kataio_tui.local.availability import hardware_virtualisation, local_runtime_status, oci_tool
from kataio_tui.runners.driver import plan_of_set, run_plan
from kataio_tui.runners.fio_stream import ClientStream
from kataio_tui.runners.local import LocalRunner
from kataio_tui.local.oci import list_containers

RUNTIMES = ("bare", "runc", "gvisor")


def small_plan(tmp_path: Path, **changes) -> Plan:
    fio = FioParams(filesize="8m", runtime=2, ramp_time=0, numjobs=2, iodepth=4)
    plan = Plan(name="test", runtimes=list(RUNTIMES), patterns=["randread"], clients=[1, 2],
                directory=str(tmp_path / "scratch"), fio=fio)
    return plan.model_copy(update=changes)


class Recorder:
    """Collects events; optionally sets cancel when a condition is met."""

    def __init__(self, cancel: threading.Event | None = None, cancel_when=None) -> None:
        self.events: list = []
        self.cancel = cancel
        self.cancel_when = cancel_when
        self.cancelled_at: float | None = None

    def __call__(self, event) -> None:
        self.events.append(event)
        if self.cancel_when and self.cancelled_at is None and self.cancel_when(event, self):
            self.cancelled_at = time.monotonic()
            self.cancel.set()

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]


def our_processes(marker: str) -> list[str]:
    """Command lines of live processes that mention marker (our tmp path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and "pytest" not in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


def assert_nothing_left(tmp_path: Path, run_id: str) -> None:
    assert our_processes(str(tmp_path)) == []
    for runtime in ("runc", "gvisor"):
        tool = oci_tool(runtime)
        assert [c for c in list_containers(tool) if run_id in c] == [], runtime
    scratch = tmp_path / "scratch"
    assert not scratch.exists() or list(scratch.iterdir()) == []


@pytest.fixture(scope="module")
def root_only():
    if os.geteuid() != 0:
        pytest.skip("runc and runsc need root (the test command runs as root)")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, root_only):
    tmp_path = tmp_path_factory.mktemp("quick")
    plan = small_plan(tmp_path)
    recorder = Recorder()
    result = run_plan(plan, LocalRunner(state_root=tmp_path / "state"), recorder, threading.Event(),
                      out_dir=tmp_path / "out")
    return tmp_path, plan, result, recorder


def test_availability_of_this_host():
    bare = local_runtime_status("bare")
    assert bare.available and bare.version.startswith("fio-3.")
    kata = local_runtime_status("kata-qemu")
    assert not kata.available and kata.reason  # no containerd/ctr and no vmx/svm on this machine
    crun = local_runtime_status("crun", probe=True)
    # crun 1.8 refuses this host's cgroup v1/v2 hybrid layout; either way the answer must say why
    assert crun.available or "crun" in crun.reason and len(crun.reason) > 30


def test_oci_runtimes_pass_the_probe(root_only):
    for name in ("runc", "gvisor"):
        status = local_runtime_status(name, probe=True)
        assert status.available, status.reason
        assert status.version


def test_hardware_virtualisation_flags():
    cpuinfo = Path("/proc/cpuinfo").read_text()
    assert hardware_virtualisation(cpuinfo) == bool({"vmx", "svm"} & set(cpuinfo.split()))
    assert hardware_virtualisation("processor\t: 0\nflags\t\t: fpu vme lm vmx sse4_1\n")
    assert not hardware_virtualisation("processor\t: 0\nflags\t\t: fpu vme lm sse4_1 hypervisor\n")


def test_quick_plan_every_runtime_one_and_two_clients(quick_run):
    tmp_path, plan, result, recorder = quick_run
    assert result.status == "completed", [e for e in recorder.of(ev.Failure)]
    records = {s.key: s for s in ResultSet.load(result.result_set.path).manifest.scenarios}
    assert set(records) == set(plan.scenarios())
    for key, record in records.items():
        assert record.status == "ok", (key, record.failure)
        assert len(record.files) == key.clients
        for rel in record.files:
            run = read_fio_output(result.result_set.read_raw(rel), rel)
            assert run.jobs[0].error == 0
            assert run.jobs[0].directions["read"].io_bytes > 0
            assert run.option("rw") == "randread"
        assert result.result_set.read_raw(record.jobfile).decode() == render_jobfile(plan, key)
        if key.clients == 2:  # measured (its size depends on the machine's load: bench/start_skew.py)
            assert record.start_skew_s is not None and record.start_skew_s >= 0, key
    assert result.result_set.manifest.provenance.runtimes["gvisor"]["available"] is True
    assert "not like-for-like" in result.result_set.manifest.provenance.notes


def test_live_progress_while_running(quick_run):
    """Every client reports progress before its result (how often fio's status documents arrive
    depends on the machine's load: bench/start_skew.py prints the intervals)."""
    _, plan, _, recorder = quick_run
    events = recorder.events
    for key in plan.scenarios():
        for client in range(key.clients):
            ticks = [p for p in events if isinstance(p, ev.ClientProgress) and p.key == key and p.client == client]
            result = next(i for i, e in enumerate(events)
                          if isinstance(e, ev.ClientResult) and e.key == key and e.client == client)
            assert ticks and events.index(ticks[0]) < result, (key, client)
            assert any(t.bw_bytes > 0 for t in ticks)
            assert ticks[-1].io_bytes >= ticks[0].io_bytes
    finished = recorder.of(ev.ScenarioFinished)
    assert [f.key for f in finished] == plan.scenarios()
    assert all(f.bw_bytes > 0 for f in finished)


def test_nothing_left_after_a_run(quick_run):
    tmp_path, _, result, _ = quick_run
    run_id = result.result_set.manifest.provenance.run_ids[0]
    assert_nothing_left(tmp_path, run_id)


def test_result_bytes_are_fios_own(tmp_path):
    """The stored file is the last document exactly as fio wrote it to its stream."""
    job = tmp_path / "job.fio"
    plan = small_plan(tmp_path)
    key = ScenarioKey("bare", "randread", 65536, 1)
    job.write_text(render_jobfile(plan, key))
    stream_bytes = run_fio([*FIO_ARGS, str(job)], cwd=tmp_path)
    stream = ClientStream(key, 0, 2.0, lambda e: None)
    for i in range(0, len(stream_bytes), 777):  # arbitrary chunking, as a pipe delivers it
        stream.feed(stream_bytes[i:i + 777])
    result = stream.result_bytes()
    assert stream.documents >= 3
    assert stream_bytes.endswith(result) and result.startswith(b"{\n") and result.endswith(b"}\n")
    assert json.loads(result) == list(iter_documents(stream_bytes))[-1]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_cancel_mid_run_leaves_nothing(tmp_path, runtime, root_only):
    plan = small_plan(tmp_path, runtimes=[runtime], patterns=["read", "write"], clients=[2])
    plan.fio = plan.fio.model_copy(update={"runtime": 60})
    cancel = threading.Event()
    recorder = Recorder(cancel, lambda e, r: isinstance(e, ev.ClientProgress))
    result = run_plan(plan, LocalRunner(state_root=tmp_path / "state"), recorder, cancel, out_dir=tmp_path / "out")
    stopped = time.monotonic() - recorder.cancelled_at
    assert stopped < 5.0, f"{runtime} took {stopped:.1f} s to stop"
    assert result.status == "cancelled"
    scenarios = ResultSet.load(result.result_set.path).manifest.scenarios
    assert [s.status for s in scenarios] == ["interrupted"]
    assert recorder.of(ev.RunFinished)[0].status == "cancelled"
    assert_nothing_left(tmp_path, result.result_set.manifest.provenance.run_ids[0])


def test_resume_runs_only_what_is_not_ok(tmp_path):
    plan = small_plan(tmp_path, runtimes=["bare"], patterns=["read", "write"], clients=[1])
    plan.fio = plan.fio.model_copy(update={"runtime": 1})
    cancel = threading.Event()
    recorder = Recorder(cancel, lambda e, r: isinstance(e, ev.ClientProgress) and e.key.pattern == "write")
    first = run_plan(plan, LocalRunner(state_root=tmp_path / "state"), recorder, cancel, out_dir=tmp_path / "out")
    assert first.status == "cancelled"
    saved = {s.pattern: s.status for s in ResultSet.load(first.result_set.path).manifest.scenarios}
    assert saved == {"read": "ok", "write": "interrupted"}
    read_file = ResultSet.load(first.result_set.path).manifest.scenarios[0].files[0]
    read_bytes = first.result_set.read_raw(read_file)

    stored = plan_of_set(ResultSet.load(first.result_set.path))
    assert stored == plan
    again = Recorder()
    second = run_plan(stored, LocalRunner(state_root=tmp_path / "state"), again, threading.Event(),
                      resume=first.result_set.path)
    assert second.status == "completed" and second.skipped == 1 and second.completed == 1
    assert [e.key.pattern for e in again.of(ev.ScenarioStarted)] == ["write"]
    final = ResultSet.load(first.result_set.path)
    assert sorted((s.pattern, s.status) for s in final.manifest.scenarios) == [("read", "ok"), ("write", "ok")]
    assert final.read_raw(read_file) == read_bytes  # the completed scenario was not touched
    assert len(final.manifest.provenance.run_ids) == 2


@pytest.fixture
def ramfs(tmp_path, root_only):
    """A ramfs mount: a real file system without O_DIRECT. (tmpfs has O_DIRECT since Linux 6.6, so
    the classic 'direct=1 on tmpfs' failure no longer happens on this kernel.)"""
    mount = tmp_path / "ramfs"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "ramfs", "ramfs", str(mount)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"cannot mount ramfs for the O_DIRECT failure test: {proc.stderr}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_failing_fio_fails_the_scenario_and_the_run_goes_on(tmp_path, ramfs):
    plan = small_plan(tmp_path, runtimes=["bare", "runc"], patterns=["read"], clients=[1],
                      directory=str(ramfs))
    recorder = Recorder()
    result = run_plan(plan, LocalRunner(state_root=tmp_path / "state"), recorder, threading.Event(),
                      out_dir=tmp_path / "out")
    assert result.status == "completed" and result.failed == 2
    for record in ResultSet.load(result.result_set.path).manifest.scenarios:
        assert record.status == "failed"
        assert "does not support direct=1" in record.failure  # fio's own words
        assert "O_DIRECT" in record.diagnosis and "fio.direct" in record.remedy
        assert record.files == []
    assert len(recorder.of(ev.Failure)) == 2


def test_on_failure_stop(tmp_path, ramfs):
    plan = small_plan(tmp_path, runtimes=["bare"], patterns=["read", "write"], clients=[1],
                      directory=str(ramfs), on_failure="stop")
    result = run_plan(plan, LocalRunner(state_root=tmp_path / "state"), Recorder(), threading.Event(),
                      out_dir=tmp_path / "out")
    assert result.status == "failed" and result.failed == 1
    assert len(result.result_set.manifest.scenarios) == 1
    assert "on_failure" in result.notes[0]


def test_unavailable_runtime_is_not_attempted(tmp_path):
    plan = small_plan(tmp_path, runtimes=["kata-qemu"], clients=[1])
    result = run_plan(plan, LocalRunner(state_root=tmp_path / "state"), Recorder(), threading.Event(),
                      out_dir=tmp_path / "out")
    (record,) = result.result_set.manifest.scenarios
    assert record.status == "failed"
    assert record.failure.startswith("runtime kata-qemu is unavailable on this host: ")
    assert record.diagnosis == local_runtime_status("kata-qemu").reason
    assert result.result_set.manifest.provenance.runtimes["kata-qemu"]["available"] is False


def test_kata_client_command_line(tmp_path):
    """Kata cannot run on this machine (no vmx/svm): the ctr command is checked as text."""
    from kataio_tui.runners.kubernetes.gate import READY
    from kataio_tui.runners.local_kata import ctr_run_command, kata_runtime_type

    assert kata_runtime_type("kata") == "io.containerd.kata.v2"
    assert kata_runtime_type("kata-qemu") == "io.containerd.kata-qemu.v2"
    # kata-deploy may install only the generic shim: the shim found decides
    assert kata_runtime_type("kata-qemu", "/opt/kata/bin/containerd-shim-kata-v2") == "io.containerd.kata.v2"
    argv = ctr_run_command("ctr", "io.containerd.kata-qemu.v2", tmp_path / "rootfs", "kataio-x-c0",
                           tmp_path / "ctl", tmp_path / "data")
    # ctr run [flags] RootFS ID COMMAND...: --rootfs is a flag; the rootfs path is the first argument
    i = argv.index(str(tmp_path / "rootfs"))
    assert argv[:4] == ["ctr", "run", "--rm", "--rootfs"] and argv[i + 1] == "kataio-x-c0"
    assert argv[i + 2:i + 4] == ["/bin/sh", "-c"] and READY in argv[i + 4]
    assert f"type=bind,src={tmp_path / 'data'},dst=/data,options=rbind:rw" in argv
    assert "type=bind,src=/usr,dst=/usr,options=rbind:ro" in argv


def test_measured_start_skips_the_ramp(tmp_path):
    """With ramp_time the first documents count from the job's start; the measured start is ~1 s later."""
    plan = small_plan(tmp_path)
    plan.fio = FioParams(filesize="8m", runtime=2, ramp_time=1, numjobs=1, iodepth=4)
    key = ScenarioKey("bare", "randread", 65536, 1)
    (tmp_path / "job.fio").write_text(render_jobfile(plan, key))
    data = run_fio([*FIO_ARGS, str(tmp_path / "job.fio")], cwd=tmp_path)
    stream = ClientStream(key, 0, 3.0, lambda e: None)
    stream.feed(data)
    first = read_fio_output(data.split(b"\n}\n")[0] + b"\n}\n")
    job_start = first.timestamp_ms - max(d.runtime_ms for d in first.jobs[0].directions.values())
    assert 700 <= stream.measured_start_ms() - job_start <= 1500


def test_phases_in_order_and_rates_never_negative(tmp_path):
    """A scenario reports where it is (layout, start, ramp, measure, stop, save); across the reset of
    fio's counters at the end of the ramp no rate goes negative; each client ends with its final
    numbers from its result file."""
    plan = small_plan(tmp_path, runtimes=["bare"], clients=[2])
    plan.fio = FioParams(filesize="8m", runtime=2, ramp_time=1, numjobs=2, iodepth=4)
    recorder = Recorder()
    result = run_plan(plan, LocalRunner(state_root=tmp_path / "state"), recorder, threading.Event(),
                      out_dir=tmp_path / "out")
    assert result.status == "completed"
    phases = [(p.phase, p.expected_s) for p in recorder.of(ev.ScenarioPhase)]
    assert phases == [("layout", None), ("start", None), ("ramp", 1), ("measure", 2), ("stop", None),
                      ("save", None)]
    progress = recorder.of(ev.ClientProgress)
    assert progress and all(p.iops >= 0 and p.bw_bytes >= 0 for p in progress)
    (record,) = ResultSet.load(result.result_set.path).manifest.scenarios
    for res in recorder.of(ev.ClientResult):
        assert res.ok
        name = f"client-{res.client}.json"
        rel = next(f for f in record.files if f.endswith(name))
        summaries = client_summaries(read_fio_output(result.result_set.read_raw(rel), name), name)
        assert res.iops == sum(s.iops for s in summaries) > 0
        assert res.bw_bytes == sum(s.bw_bytes for s in summaries) > 0
    # the events come in the order the run went through them
    kinds = [type(e).__name__ for e in recorder.events if not isinstance(e, ev.ClientProgress)]
    assert kinds.index("ScenarioStarted") < kinds.index("ScenarioPhase") < kinds.index("ClientResult")


def test_rates_start_afresh_when_fio_resets_its_counters(tmp_path):
    """At the end of ramp_time fio resets its counters; just after a short ramp the totals can be as
    large as before the reset, so only the measured start's jump tells. The first rate after the
    reset is that document's own totals over its own runtime, never a difference across the reset."""
    plan = small_plan(tmp_path)
    plan.fio = FioParams(filesize="8m", runtime=2, ramp_time=1, numjobs=1, iodepth=4)
    key = ScenarioKey("bare", "randread", 65536, 1)
    (tmp_path / "job.fio").write_text(render_jobfile(plan, key))
    data = run_fio([*FIO_ARGS, str(tmp_path / "job.fio")], cwd=tmp_path)
    events: list = []
    stream = ClientStream(key, 0, 3.0, events.append)
    stream.feed(data)
    runs = [read_fio_output(json.dumps(doc).encode()) for doc in iter_documents(data)]
    starts = [r.timestamp_ms - r.jobs[0].directions["read"].runtime_ms for r in runs]
    after = next(i for i in range(1, len(runs)) if starts[i] - starts[i - 1] > 500)  # the first after the reset
    read = runs[after].jobs[0].directions["read"]
    assert events[after].bw_bytes == read.io_bytes / (read.runtime_ms / 1000)
    assert events[after].iops == read.total_ios / (read.runtime_ms / 1000)
    assert all(e.iops >= 0 and e.bw_bytes >= 0 for e in events)
