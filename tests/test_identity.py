"""Scenario identity: runtime (or variant), pattern, block size, iodepth, numjobs, clients and other
options; the format 1 manifests of existing sets migrate; a real iodepth x numjobs sweep run keeps
every combination apart in the set, the tables and the exports."""

from __future__ import annotations

import csv
import io
import shutil
import threading
from pathlib import Path

import pytest
import tomli_w
import tomllib

from kataio_tui.model.identity import ScenarioId, ScenarioKey
from kataio_tui.model.manifest_format import MANIFEST_FORMAT, migrate
from kataio_tui.model.plan import FioParams, Plan
from kataio_tui.model.results import Manifest, ScenarioRecord
from kataio_tui.results import report
from kataio_tui.results.loader import load_set, summarize_set
from kataio_tui.results.manifest_view import manifest_view
from kataio_tui.results.store import MANIFEST, ResultSet, ResultSetError
from kataio_tui.results.tables import build_rows
from kataio_tui.runners.driver import run_plan
from kataio_tui.runners.local import LocalRunner

SAMPLES = Path(__file__).resolve().parent.parent / "sample_results"
SAMPLE_SETS = sorted(p.name for p in SAMPLES.iterdir() if (p / MANIFEST).is_file())


def test_variant_defaults_to_the_runtime_and_keys_compare_by_identity():
    assert ScenarioKey("kata-qemu", "read", 4096, 1).variant == "kata-qemu"
    assert ScenarioKey("kata-qemu", "read", 4096, 1) == ScenarioKey("kata-qemu", "read", 4096, 1, variant="kata-qemu")
    variant = ScenarioKey("kata-qemu", "read", 4096, 1, variant="kata-qemu-9p")
    assert variant != ScenarioKey("kata-qemu", "read", 4096, 1)
    assert variant.configuration == ScenarioKey("bare", "read", 4096, 1).configuration  # baseline matching
    assert ScenarioKey("bare", "read", 4096, 1, 1).scenario == ScenarioKey("bare", "read", 4096, 1, 0).scenario
    record = ScenarioRecord(runtime="kata-qemu", pattern="read", block_size=4096, clients=1, variant="kata-qemu")
    assert record.key == ScenarioKey("kata-qemu", "read", 4096, 1)
    again = ScenarioRecord.of(ScenarioKey("runc", "randrw", 4096, 2, 3, 16, 4, options=(("rwmixread", "70"),)))
    assert again.key == ScenarioKey("runc", "randrw", 4096, 2, 3, 16, 4, options=(("rwmixread", "70"),))
    assert again.variant is None and again.options == {"rwmixread": "70"}
    assert again.key.label() == "runc randrw 4k x2 qd16 j4 rwmixread=70 #4"


@pytest.mark.parametrize("name", SAMPLE_SETS)
def test_format_1_sample_sets_load_with_the_plans_iodepth_and_numjobs(name, tmp_path):
    source = SAMPLES / name
    data = tomllib.loads((source / MANIFEST).read_text())
    assert data["format"] == 1  # the sets as they were made, before scenario identities
    fio = data["plan"]["fio"]
    copy = tmp_path / name
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".cache"))
    loaded = ResultSet.load(copy)
    assert loaded.manifest.format == MANIFEST_FORMAT
    assert {(s.iodepth, s.numjobs) for s in loaded.manifest.scenarios} == {(fio["iodepth"], fio["numjobs"])}
    assert len({s.key for s in loaded.manifest.scenarios}) == len(data["scenarios"])
    view = manifest_view(copy)  # the report's pydantic-free path migrates the same way
    assert view is not None and [r.key for r in view.scenarios] == [s.key for s in loaded.manifest.scenarios]
    # the manifest file itself is not rewritten by reading it
    assert tomllib.loads((copy / MANIFEST).read_text())["format"] == 1
    by_model = build_rows(load_set(copy), "bare", ("clat",))
    by_view = build_rows(summarize_set(copy), "bare", ("clat",))
    assert [(r.key, r.bw_mib_s, r.lat("clat") and r.lat("clat").p99_us) for r in by_model] == [
        (r.key, r.bw_mib_s, r.lat("clat") and r.lat("clat").p99_us) for r in by_view]
    assert all(r.key.iodepth == fio["iodepth"] and r.key.numjobs == fio["numjobs"] for r in by_model)


def test_format_1_import_without_a_plan_has_no_recorded_iodepth():
    old = {"format": 1, "name": "x", "created": "2026-11-25T19:17:11Z",
           "provenance": {"made_by": "kataio import loose", "kataio_version": "0.1.0"},
           "scenarios": [{"runtime": "unknown", "pattern": "randread", "block_size": 4096, "clients": 2}]}
    manifest = Manifest.model_validate(old)
    (record,) = manifest.scenarios
    assert manifest.format == MANIFEST_FORMAT and record.iodepth is None and record.numjobs is None
    assert record.key.label() == "unknown randread 4k x2"
    assert migrate(old) is not old and old["format"] == 1  # the input is left as it was
    assert migrate({**old, "format": MANIFEST_FORMAT}) == {**old, "format": MANIFEST_FORMAT}


def test_a_manifest_of_a_newer_format_is_refused_naming_the_field(tmp_path):
    source = SAMPLES / SAMPLE_SETS[0]
    copy = tmp_path / "newer"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".cache"))
    data = tomllib.loads((copy / MANIFEST).read_text())
    data["format"] = MANIFEST_FORMAT + 1
    (copy / MANIFEST).write_text(tomli_w.dumps(data))
    assert manifest_view(copy) is None  # not plainly valid: the model says why
    with pytest.raises(ResultSetError, match=r"manifest.toml: format: .*format 3 is not one this kataio reads"):
        summarize_set(copy)


@pytest.mark.parametrize("field, value, message", [
    ("iodepth", 0, "iodepth"), ("numjobs", -1, "numjobs"), ("options", {"rate": 5}, "options.rate"),
    ("variant", 3, "variant"), ("logs", "a.log", "logs"),
])
def test_bad_identity_fields_are_refused_by_both_paths(tmp_path, field, value, message):
    source = SAMPLES / SAMPLE_SETS[0]
    copy = tmp_path / "bad"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".cache"))
    data = tomllib.loads((copy / MANIFEST).read_text())
    data["format"] = MANIFEST_FORMAT
    data["scenarios"][0][field] = value
    (copy / MANIFEST).write_text(tomli_w.dumps(data))
    assert manifest_view(copy) is None
    with pytest.raises(ResultSetError, match=f"scenarios.0.{message}"):
        ResultSet.load(copy)


def test_a_real_iodepth_by_numjobs_sweep(tmp_path):
    """A real local run of a 2 x 2 sweep: four scenarios, each with its own job file, directory, row
    and CSV line; the table has iodepth and numjobs columns; baselines match within a configuration."""
    plan = Plan(name="sweep", runtimes=["bare"], patterns=["randread"], block_sizes=[4096], clients=[1],
                directory=str(tmp_path / "data"),
                fio=FioParams(iodepth=[1, 8], numjobs=[1, 2], filesize="4m", runtime=1, ramp_time=0))
    result = run_plan(plan, LocalRunner(state_root=tmp_path / "state", probe=False), lambda e: None,
                      threading.Event(), out_dir=tmp_path / "out")
    assert result.status == "completed" and result.completed == 4
    records = result.result_set.manifest.scenarios
    assert sorted((r.iodepth, r.numjobs) for r in records) == [(1, 1), (1, 2), (8, 1), (8, 2)]
    assert len({r.files[0].rsplit("/", 1)[0] for r in records}) == 4
    for r in records:
        job = result.result_set.read_raw(r.jobfile).decode()
        assert f"\niodepth={r.iodepth}\n" in job and f"\nnumjobs={r.numjobs}\n" in job
        assert f"/qd{r.iodepth}-j{r.numjobs}/" in r.files[0]
    rows = build_rows(summarize_set(result.result_set.path), "bare", ("clat",))
    assert len(rows) == 4 and {r.key for r in rows} == {
        ScenarioId("bare", "randread", 4096, 1, d, j) for d in (1, 8) for j in (1, 2)}
    assert all(r.pct_of_baseline == pytest.approx(100.0) and r.baseline == "bare" for r in rows)
    assert all(len(r.samples) == 1 and r.samples[0].bw_bytes > 0 for r in rows)
    assert all(r.facts is not None and r.facts.direct and r.facts.file_size == 4 << 20 and r.facts.reads
               for r in rows)
    (table,) = report.bandwidth_tables(rows, "bare")
    assert table.headers == ["pattern", "iodepth", "numjobs", "clients", "bare"]
    assert [[c.text for c in line[:4]] for line in table.rows] == [
        ["randread", "1", "1", "1"], ["randread", "1", "2", "1"], ["randread", "8", "1", "1"],
        ["randread", "8", "2", "1"]]
    lines = list(csv.DictReader(io.StringIO(report.to_csv(rows, "clat"))))
    assert [(d["iodepth"], d["numjobs"], d["baseline"]) for d in lines] == [
        ("1", "1", "bare"), ("1", "2", "bare"), ("8", "1", "bare"), ("8", "2", "bare")]


def test_replacing_a_scenario_of_an_old_set_moves_it_to_the_new_layout(tmp_path):
    copy = tmp_path / "old"
    shutil.copytree(SAMPLES / SAMPLE_SETS[-1], copy, ignore=shutil.ignore_patterns(".cache"))
    rs = ResultSet.load(copy)
    old = rs.manifest.scenarios[0]
    old_dir = copy / Path(old.files[0]).parent
    others = {p for s in rs.manifest.scenarios[1:] for p in s.files}
    raw = rs.read_raw(old.files[0])
    rs.add_scenario(ScenarioRecord.of(old.key), [("client-0.json", raw)], "[global]\n")
    again = ResultSet.load(copy)
    (new,) = [s for s in again.manifest.scenarios if s.key == old.key]
    assert f"/qd{old.iodepth}-j{old.numjobs}/" in new.files[0] and again.read_raw(new.files[0]) == raw
    assert not old_dir.exists()
    assert all((copy / p).is_file() for p in others)
    assert tomllib.loads((copy / MANIFEST).read_text())["format"] == MANIFEST_FORMAT
