"""Plans: presets, TOML round trip, validation messages and injection attempts."""

from __future__ import annotations

import tomllib

import pytest

from kataio_tui.fio.jobfile import render_jobfile
from kataio_tui.model.plan import (
    EXTRA_OPTIONS,
    FioParams,
    Plan,
    PlanError,
    load_plan,
    plan_from_dict,
    preset,
    save_plan,
)
from kataio_tui.model.results import ScenarioKey


def test_stackhpc_preset_is_the_study():
    plan = preset("stackhpc-2019")
    assert plan.runtimes == ["bare", "runc", "kata-qemu"]
    assert plan.patterns == ["read", "write", "randread", "randwrite"]
    assert plan.block_sizes == [65536]
    assert plan.clients == [1, 8, 64]
    f = plan.fio
    assert (f.ioengine, f.iodepth, f.numjobs, f.direct, f.filesize, f.runtime) == (
        "libaio", [8], [4], True, 32 << 30, 30)
    assert len(plan.scenarios()) == 36


def test_quick_preset_takes_a_few_minutes():
    plan = preset("quick")
    assert set(plan.runtimes) == {"bare", "runc", "gvisor"}
    assert 60 <= plan.estimate_seconds() <= 300


def test_unknown_preset_names_the_presets():
    with pytest.raises(PlanError, match="stackhpc-2019, quick"):
        preset("slow")


def test_toml_round_trip_keeps_every_field(tmp_path):
    plan = preset("quick").model_copy(update={"repeats": 2})
    plan.fio = FioParams.model_validate({**plan.fio.model_dump(), "extra": {"fallocate": "none",
                                                                             "lat_percentiles": "1"}})
    path = tmp_path / "p.toml"
    save_plan(plan, path)
    text = path.read_text()
    assert 'filesize = "64m"' in text and 'block_sizes = [\n    "64k",' in text
    assert load_plan(path) == plan


def test_kubernetes_target_round_trip(tmp_path):
    plan = plan_from_dict({
        "target": "kubernetes", "runtimes": ["runc", "gvisor", "kata-qemu"],
        "kubernetes": {"context": "lab", "namespace": "io-test", "create_namespace": True,
                       "storage": {"kind": "hostPath", "path": "/mnt/beegfs"},
                       "node_selector": {"kubernetes.io/hostname": "node-1"},
                       "image_pull_policy": "Never"},
    })
    path = tmp_path / "k.toml"
    save_plan(plan, path)
    again = load_plan(path)
    assert again.kubernetes.storage.path == "/mnt/beegfs"
    assert again == plan


def test_scenarios_alternate_runtimes_innermost():
    plan = Plan(runtimes=["bare", "runc"], patterns=["read", "write"], clients=[1, 2], repeats=2)
    keys = plan.scenarios()
    assert len(keys) == 2 * 2 * 2 * 2
    assert keys[:3] == [ScenarioKey("bare", "read", 65536, 1, 0, 8, 4), ScenarioKey("runc", "read", 65536, 1, 0, 8, 4),
                        ScenarioKey("bare", "write", 65536, 1, 0, 8, 4)]
    assert keys[-1] == ScenarioKey("runc", "write", 65536, 2, 1, 8, 4)


def test_sweeps_of_iodepth_and_numjobs(tmp_path):
    """[fio] iodepth and numjobs take a list: the scenarios are the product, runtimes innermost, then
    iodepth, numjobs, pattern, block size, clients and repeats; a number stays a number in TOML."""
    plan = plan_from_dict({"runtimes": ["bare", "runc"], "patterns": ["randread"], "clients": [1, 2],
                           "fio": {"iodepth": [1, 4, 16], "numjobs": [1, 2], "runtime": 10, "ramp_time": 0,
                                   "filesize": "1g"}})
    keys = plan.scenarios()
    assert len(keys) == 2 * 3 * 2 * 2
    assert [(k.runtime, k.iodepth, k.numjobs, k.clients) for k in keys[:8]] == [
        ("bare", 1, 1, 1), ("runc", 1, 1, 1), ("bare", 4, 1, 1), ("runc", 4, 1, 1), ("bare", 16, 1, 1),
        ("runc", 16, 1, 1), ("bare", 1, 2, 1), ("runc", 1, 2, 1)]
    assert keys[-1] == ScenarioKey("runc", "randread", 65536, 2, 0, 16, 2)
    assert len(set(keys)) == len(keys)
    assert plan.estimate_seconds() == 10 * len(keys)
    assert plan.data_bytes() == 2 * 2 * (1 << 30)  # the largest clients x the largest numjobs x filesize
    assert plan.results_bytes() == sum(k.clients for k in keys) * 32 * 1024
    assert plan.sweeps() == {"runtimes": ["bare", "runc"], "iodepths": ["1", "4", "16"],
                             "numjobs values": ["1", "2"], "client counts": ["1", "2"]}
    path = tmp_path / "sweep.toml"
    save_plan(plan, path)
    fio = tomllib.loads(path.read_text())["fio"]
    assert fio["iodepth"] == [1, 4, 16] and fio["numjobs"] == [1, 2]
    assert load_plan(path) == plan
    single = tomllib.loads(preset("quick").to_toml())["fio"]
    assert single["iodepth"] == 8 and single["numjobs"] == 4  # a plan without a sweep keeps numbers
    for key in keys[:4]:
        text = render_jobfile(plan, key)
        assert f"iodepth={key.iodepth}\n" in text and f"numjobs={key.numjobs}\n" in text


def test_estimate_adds_overhead_and_layout():
    plan = Plan(runtimes=["bare", "runc"], patterns=["read"], clients=[2])
    plan.fio = plan.fio.model_copy(update={"runtime": 10, "ramp_time": 2, "numjobs": [1], "filesize": 1 << 30})
    assert plan.estimate_seconds() == 24
    assert plan.estimate_seconds({"runc": 1.5}, layout_bytes_per_s=1 << 30) == 24 + 1.5 + 2


@pytest.mark.parametrize("data, field, allowed", [
    ({"patterns": ["read", "readx"]}, "patterns.1", "'randread'"),
    ({"fio": {"ioengine": "mmap"}}, "fio.ioengine", "'libaio'"),
    ({"on_failure": "retry"}, "on_failure", "'continue' or 'stop'"),
    ({"runtimes": ["runsc"]}, "runtimes", "bare, runc, crun, gvisor, kata"),
    ({"fio": {"extra": {"gtod_reduce": 1}}}, "fio.extra", "fallocate"),
    ({"fio": {"extra": {"fallocate": "sometimes"}}}, "fio.extra", "none, native, posix"),
    ({"block_sizes": ["64q"]}, "block_sizes", "64k"),
    ({"clients": [0]}, "clients", "1 to 1024"),
    ({"fio": {"iodepth": 0}}, "fio.iodepth", "1 to 4096"),
    ({"fio": {"numjobs": [1, 300]}}, "fio.numjobs", "1 to 256"),
    ({"fio": {"iodepth": [4, 4]}}, "fio.iodepth", "listed twice"),
    ({"fio": {"iodepth": []}}, "fio.iodepth", "non-empty list"),
    ({"fio": {"numjobs": 2.5}}, "fio.numjobs", "whole number"),
    ({"fio": {"iodepth": True}}, "fio.iodepth", "whole number"),
    ({"color": "red"}, "color", "unknown field"),
    ({"target": "kubernetes", "kubernetes": {"storage": {"kind": "pvc"}}}, "kubernetes.storage", "storage.claim"),
    ({"target": "kubernetes", "kubernetes": {"image_pull_policy": "Sometimes"}},
     "kubernetes.image_pull_policy", "'IfNotPresent'"),
])
def test_validation_names_field_and_allowed_values(data, field, allowed):
    with pytest.raises(PlanError) as info:
        plan_from_dict(data, "my.toml")
    message = str(info.value)
    assert message.startswith("my.toml: ")
    assert field in message and allowed in message


@pytest.mark.parametrize("data", [
    {"name": "x\n[evil]\nexec_prerun=touch /tmp/pwned"},
    {"name": "${HOME}"},
    {"name": "a; rm -rf /"},
    {"name": "$(reboot)"},
    {"name": "`id`"},
    {"description": "two\nlines"},
    {"runtimes": ["bare;id"]},
    {"runtimes": ["../runc"]},
    {"directory": "/var/tmp/../../etc"},
    {"directory": "relative/dir"},
    {"directory": "/tmp/a b"},
    {"directory": "/tmp/${X}"},
    {"directory": "/"},
    {"fio": {"extra": {"fallocate": "none\nfilename=/etc/passwd"}}},
    {"fio": {"extra": {"rate": "1m;exec_prerun=id"}}},
    {"fio": {"extra": {"percentile_list": "${P}"}}},
    {"fio": {"extra": {"filename": "/etc/passwd"}}},
    {"fio": {"extra": {"directory": "/etc"}}},
    {"fio": {"extra": {"exec_prerun": "id"}}},
    {"fio": {"extra": {"write_bw_log": "/etc/x"}}},
    {"fio": {"filesize": "1g\nrw=write"}},
    {"target": "kubernetes", "kubernetes": {"namespace": "a;b"}},
    {"target": "kubernetes", "kubernetes": {"image": "busybox; rm -rf /"}},
    {"target": "kubernetes", "kubernetes": {"storage": {"kind": "hostPath", "path": "/mnt/../etc"}}},
    {"target": "kubernetes", "kubernetes": {"context": "lab$(id)"}},
    {"target": "kubernetes", "kubernetes": {"node_selector": {"a": "b\nc"}}},
])
def test_injection_attempts_are_refused(data):
    with pytest.raises(PlanError):
        plan_from_dict(data)


def test_every_allowed_extra_option_refuses_metacharacters():
    for name in EXTRA_OPTIONS:
        for bad in ("1\n", "1;2", "${X}", "1 #c", "`1`"):
            with pytest.raises(PlanError):
                plan_from_dict({"fio": {"extra": {name: bad}}})


def test_load_reports_file_problems(tmp_path):
    with pytest.raises(PlanError, match="no such plan file"):
        load_plan(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("runtimes = [bare\n")
    with pytest.raises(PlanError, match=r"broken.toml: not valid TOML"):
        load_plan(broken)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('repeats = "many"\n')
    with pytest.raises(PlanError, match=r"wrong.toml: repeats: "):
        load_plan(wrong)


def test_saved_toml_is_plain_toml(tmp_path):
    path = tmp_path / "p.toml"
    save_plan(preset("stackhpc-2019"), path)
    data = tomllib.loads(path.read_text())
    assert data["fio"]["filesize"] == "32g" and data["clients"] == [1, 8, 64]


# ---- the job file rendered from a plan ---------------------------------------------------------

def test_job_file_is_the_study_and_fio_accepts_it(tmp_path, fio):
    import subprocess

    from kataio_tui.fio.jobfile import render_jobfile

    plan = preset("stackhpc-2019")
    plan.fio = FioParams.model_validate({**plan.fio.model_dump(), "extra": {"fallocate": "none",
                                                                             "lat_percentiles": True}})
    text = render_jobfile(plan, ScenarioKey("runc", "randwrite", 65536, 64))
    for line in ("ioengine=libaio", "iodepth=8", "direct=1", "numjobs=4", "filesize=32g", "runtime=30",
                 "time_based=1", "group_reporting=1", "bs=64k", "rw=randwrite", "fallocate=none",
                 "lat_percentiles=1"):
        assert f"\n{line}\n" in text
    assert "${" not in text and "$" not in text
    job = tmp_path / "job.fio"
    job.write_text(text)
    proc = subprocess.run([fio, "--parse-only", str(job)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_job_file_refuses_values_that_bypassed_validation():
    from kataio_tui.fio.jobfile import JobFileError, render_jobfile

    plan = preset("quick")
    # model_construct skips validation, as a careless caller might
    plan.fio = plan.fio.model_construct(**{**plan.fio.__dict__, "extra": {"rate": "1m\nexec_prerun=id"}})
    with pytest.raises(JobFileError):
        render_jobfile(plan, plan.scenarios()[0])
    plan = Plan.model_construct(**{**preset("quick").__dict__, "name": "${HOME}"})
    with pytest.raises(JobFileError, match=r"\$\{"):
        render_jobfile(plan, ScenarioKey("bare", "read", 65536, 1))
