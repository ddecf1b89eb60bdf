"""`kataio import` of loose folders of real fio output made here: a bench-fio style iodepth x numjobs
sweep with fio's log files beside it, repeats at different times, concurrent clients whose run
windows overlap, client/server output, several configurations in one folder, unreadable files
summarised by reason. Runtime names are labels: bare fio on this machine made every file."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fiogen import BASE_OPTIONS, FioServers, run_local

from kataio_tui.fio.jobconfig import JobConfig, differing_options, job_config
from kataio_tui.fio.logfiles import log_name, per_second, read_log
from kataio_tui.results import report
from kataio_tui.results.grouping import Window
from kataio_tui.results.importers import import_any
from kataio_tui.results.loader import summarize_set
from kataio_tui.results.store import ResultSet
from kataio_tui.results.tables import build_rows

LOGS = {"write_bw_log": "{p}", "write_lat_log": "{p}", "write_iops_log": "{p}", "write_hist_log": "{p}",
        "log_avg_msec": "250", "log_hist_msec": "250"}
# per job: _bw, _iops, _lat, _clat, _slat and _clat_hist
LOG_KINDS = 6


def options(**overrides: object) -> dict[str, str]:
    merged = {**BASE_OPTIONS, "rw": "randread"}
    merged.update({k: str(v) for k, v in overrides.items()})
    return merged


def fio(work: Path, opts: dict[str, str], fmt: str = "json+") -> bytes:
    """One real fio run in its own directory (its relative log prefixes land there too)."""
    return run_local(work, opts, fmt)


def at_once(work: Path, runs: list[dict[str, str]], fmt: str = "json+") -> list[bytes]:
    """Several real fio runs started together: concurrent clients of one scenario."""
    out: list[bytes | None] = [None] * len(runs)

    def one(i: int) -> None:
        out[i] = fio(work / f"c{i}", runs[i], fmt)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(runs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o is not None for o in out)
    return [o for o in out if o is not None]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """bench-fio's layout: randread-<iodepth>-<numjobs>.json (plain json, one run per file, one
    after the other) with fio's bw/lat/iops/histogram logs beside them; one configuration run a
    second time later (a repeat); other files that are not fio output."""
    base = tmp_path_factory.mktemp("sweep")
    src, work = base / "src", base / "work"
    src.mkdir()
    for iodepth in (1, 4):
        for numjobs in (1, 2):
            name = f"randread-{iodepth}-{numjobs}"
            logs = {k: v.format(p=name) for k, v in LOGS.items()}
            data = fio(work / name, options(iodepth=iodepth, numjobs=numjobs, **logs), fmt="json")
            (src / f"{name}.json").write_bytes(data)
            for log in (work / name).glob(f"{name}_*.log"):
                shutil.copy(log, src / log.name)
    again = src / "again"
    again.mkdir()
    logs = {k: v.format(p="randread-1-1") for k, v in LOGS.items()}
    (again / "randread-1-1.json").write_bytes(fio(work / "again", options(iodepth=1, numjobs=1, **logs), fmt="json"))
    for log in (work / "again").glob("randread-1-1_*.log"):
        shutil.copy(log, again / log.name)
    for i in range(7):
        (src / f"notes-{i}.txt").write_text("not fio output")
    (src / "broken.json").write_text('{"jobs": [')
    (src / "orphan_bw.1.log").write_text("0, 100, 0, 4096, 0\n")  # a log no run asked for
    return src


def test_a_bench_fio_sweep_is_one_scenario_per_file(sweep, tmp_path):
    """The issue's case: files of a sweep are never summed as clients of one scenario."""
    result = import_any(sweep, tmp_path / "set", runtime="sata-ssd")
    assert result.imported == 5
    records = result.result_set.manifest.scenarios
    assert sorted((r.iodepth, r.numjobs, r.clients, r.repeat) for r in records) == [
        (1, 1, 1, 0), (1, 1, 1, 1), (1, 2, 1, 0), (4, 1, 1, 0), (4, 2, 1, 0)]
    assert all(r.pattern == "randread" and r.block_size == 4096 and r.options == {} for r in records)
    # repeats in run order, with their windows
    first, second = sorted((r for r in records if (r.iodepth, r.numjobs) == (1, 1)), key=lambda r: r.repeat)
    assert first.started is not None and second.started is not None and first.finished <= second.started
    # every fio log file is attached to the run that wrote it, none is reported as unreadable
    for r in records:
        assert len(r.logs) == LOG_KINDS * r.numjobs, r.logs
        assert all(log_name(Path(f).name) is not None for f in r.logs)
    assert result.logs_attached == LOG_KINDS * (1 + 2 + 1 + 2 + 1) and result.logs_unmatched == 1
    assert result.skipped.by_reason.keys() == {"not fio output", "truncated"}
    assert len(result.skipped) == 8
    rows = build_rows(summarize_set(result.result_set.path), "sata-ssd", ("clat",))
    assert len(rows) == 4
    for row in rows:
        assert row.clients_reported == row.repeats and len(row.samples) == row.repeats
        # plain json, one client: fio's own percentiles; two jobs without group_reporting: fio's
        # percentiles of each job, and no merged value can be computed from them
        assert row.lat("clat").source == ("fio" if row.key.numjobs == 1 else "client-range")


def test_the_report_header_summarises_skipped_files(sweep, tmp_path):
    import_any(sweep, tmp_path / "set", runtime="sata-ssd")
    out = subprocess.run([sys.executable, "-m", "kataio_tui", "report", str(tmp_path / "set")],
                         capture_output=True, text=True, check=True).stdout
    header = out.split("Aggregate bandwidth")[0]
    assert "7 not fio output: notes-0.txt, notes-1.txt, notes-2.txt and 4 more" in header
    assert "notes-3.txt" not in header and "_bw.1.log" not in header
    assert "fio log files: 42 attached to their runs, 1 matching no run left out" in header
    prov = ResultSet.load(tmp_path / "set").manifest.provenance
    assert prov.import_skipped["not fio output"]["files"] == 7  # type: ignore[attr-defined]


def test_attached_logs_read_as_time_series(sweep, tmp_path):
    result = import_any(sweep, tmp_path / "set")
    rs = result.result_set
    record = next(r for r in rs.manifest.scenarios if (r.iodepth, r.numjobs) == (4, 2))
    bw_logs = [f for f in record.logs if "_bw." in f]
    assert len(bw_logs) == 2  # one per job
    series = per_second([read_log(rs.read_raw(f)) for f in bw_logs])
    assert series and all(v >= 0 for v in series)
    # the per-second bandwidth (KiB/s) is of the order of what fio reported for the whole run
    doc = json.loads(rs.read_raw(record.files[0]))
    fio_kib = sum(j["read"]["bw"] for j in doc["jobs"])
    assert 0.2 * fio_kib < max(series) < 5 * fio_kib


def test_concurrent_clients_and_later_repeats(tmp_path):
    """Three clients started together are one run of one scenario (x3); the same three again later
    are its second repeat; two started together are another scenario (x2)."""
    src, work = tmp_path / "src", tmp_path / "work"
    src.mkdir()
    opts = options(description="client")
    for run_no in range(2):
        for i, data in enumerate(at_once(work / f"trio{run_no}", [opts] * 3)):
            (src / f"run{run_no}-client{i}.json").write_bytes(data)
    for i, data in enumerate(at_once(work / "pair", [opts] * 2)):
        (src / f"pair-client{i}.json").write_bytes(data)
    result = import_any(src, tmp_path / "set", runtime="runc")
    records = result.result_set.manifest.scenarios
    assert sorted((r.clients, r.repeat, len(r.files)) for r in records) == [(2, 0, 2), (3, 0, 3), (3, 1, 3)]
    trio = sorted((r for r in records if r.clients == 3), key=lambda r: r.repeat)
    assert {Path(f).name.split("-")[0] for f in trio[0].files} == {"run0"}
    assert {Path(f).name.split("-")[0] for f in trio[1].files} == {"run1"}
    rows = build_rows(summarize_set(result.result_set.path), "runc", ("clat",))
    (three,) = [r for r in rows if r.key.clients == 3]
    assert three.repeats == 2 and [s.clients_reported for s in three.samples] == [3, 3]
    # bandwidth: the clients of a run summed, the median over its repeats
    sums = sorted(s.bw_bytes for s in three.samples)
    assert three.bw_mib_s == pytest.approx((sums[0] + sums[1]) / 2 / 1048576)


def test_client_server_output_keeps_its_hosts_as_clients(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    with FioServers(tmp_path / "servers", 2) as fleet:
        (src / "cs.json").write_bytes(fleet.run(options(numjobs=2)))
    result = import_any(src, tmp_path / "set")
    (record,) = result.result_set.manifest.scenarios
    assert record.clients == 2 and record.numjobs == 2 and len(record.files) == 1
    (row,) = build_rows(summarize_set(result.result_set.path), "unknown", ("clat",))
    assert row.clients_reported == 2 and row.lat("clat").source == "bins"
    assert result.result_set.manifest.provenance.hosts == ["127.0.0.1"]


def test_several_configurations_in_one_folder(tmp_path):
    """Configurations that differ in an option beyond the fields are scenarios of their own, with
    that option as a column; options that only name things or place files do not split them."""
    src, work = tmp_path / "src", tmp_path / "work"
    src.mkdir()
    made = {
        "mix70": options(rw="randrw", rwmixread=70, description="one"),
        "mix50": options(rw="randrw", rwmixread=50, description="two"),
        "bs16k": options(rw="randrw", rwmixread=70, bs="16k", lat_percentiles=1),
    }
    for name, opts in made.items():
        (src / f"{name}.json").write_bytes(fio(work / name, opts))
    result = import_any(src, tmp_path / "set", runtime="kata-qemu")
    records = result.result_set.manifest.scenarios
    assert sorted((r.block_size, r.options.get("rwmixread")) for r in records) == [
        (4096, "50"), (4096, "70"), (16384, "70")]
    rows = build_rows(summarize_set(result.result_set.path), "kata-qemu", ("clat",))
    lines = list(csv.DictReader(io.StringIO(report.to_csv(rows, "clat", "kata-qemu"))))
    assert sorted(line["fio.rwmixread"] for line in lines) == ["50", "70", "70"]
    tables = report.bandwidth_tables(rows, "kata-qemu")
    four_k = next(t for t in tables if "block size 4k" in t.title)
    assert four_k.headers == ["pattern", "clients", "rwmixread", "kata-qemu"]


def test_identity_options_exclude_names_paths_logs_and_reporting():
    a = job_config({"rw": "randread", "bs": "4k", "filename": "/dev/sda", "directory": "/a", "name": "x",
                    "write_bw_log": "a", "lat_percentiles": "1", "direct": "1", "rate": "10m"})
    b = job_config({"readwrite": "randread", "blocksize": "4096", "filename": "/dev/sdb", "directory": "/b",
                    "name": "y", "write_bw_log": "b", "description": "other", "direct": "1", "rate": "10m"})
    assert a == b == JobConfig("randread", 4096, 1, 1, (("direct", "1"), ("rate", "10m")))
    assert job_config({"rw": "read", "bs": "4k", "direct": "0"}) == job_config({"rw": "read", "bs": "4k"})
    c = job_config({"rw": "randread", "bs": "4k", "direct": "1", "iodepth": "32", "numjobs": "4"})
    assert (c.iodepth, c.numjobs) == (32, 4)
    assert differing_options([a, c]) == ["rate"]


def test_windows_decide_concurrency():
    one = Window(0, 10_000)
    assert one.concurrent(Window(500, 10_400))  # a client started half a second late
    assert not one.concurrent(Window(10_050, 20_000))  # the next run, after this one ended
    assert not one.concurrent(Window(9_000, 19_000))  # overlapping by a clock's error only
