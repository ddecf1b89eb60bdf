"""Per-scenario aggregates, anomaly flags, report tables and exports on a result set made of real
fio output from this test run. Expected values are computed here from the raw JSON, independently."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from fiogen import LOCAL_JSON, TRIM_FAILS, fiogen, first_document, local_spec  # noqa: F401

from kataio_tui.model.results import Provenance, ScenarioRecord
from kataio_tui.results import report, summary_cache
from kataio_tui.results.compare import compare_rows
from kataio_tui.results.loader import load_set, quick_load, summarize_set
from kataio_tui.results.store import ResultSet
from kataio_tui.results.tables import build_rows

PROV = Provenance(made_by="test (bare fio on this machine; runtime names are labels)", kataio_version="0.1.0")
SHORT = {"runtime": None, "time_based": None}


def timed(tag: str, rw: str = "randread") -> object:
    return local_spec(rw=rw, description=tag)


SCENARIOS: dict[tuple[str, str, int], list] = {
    # (runtime, pattern, planned clients): the real runs that are its client files
    ("bare", "randread", 2): [timed("b0"), timed("b1")],
    ("runc", "randread", 2): [timed("r0"), timed("r1")],
    # one client ran 1 s, the other a few milliseconds; and only 2 of 3 planned client files
    ("kata", "randread", 3): [timed("k0"), local_spec(rw="randread", size="256k", **SHORT, description="k1")],
    # the null engine answers in tens of ns, direct I/O in tens of us: p99 is far above 100 x p50
    ("gvisor", "randread", 2): [local_spec(rw="randread", ioengine="null", direct=None, size="4m", **SHORT),
                                local_spec(rw="randread", size="256k", **SHORT, description="g1")],
    ("bare", "randtrim", 1): [TRIM_FAILS],
}


@pytest.fixture(scope="module")
def made(fiogen, tmp_path_factory) -> tuple[Path, dict]:  # noqa: F811
    fiogen.prefetch([s for specs in SCENARIOS.values() for s in specs])
    raw: dict[tuple[str, str, int], list[bytes]] = {}
    scenarios = []
    for key, specs in SCENARIOS.items():
        raw[key] = [fiogen.get(s) for s in specs]
        files = [(f"c{i}.json", data) for i, data in enumerate(raw[key])]
        if key == ("runc", "randread", 2):
            files.append(("broken.json", raw[key][0][:3000]))  # an unreadable third file
        scenarios.append((ScenarioRecord(runtime=key[0], pattern=key[1], block_size=4096, clients=key[2]),
                          files, None))
    path = tmp_path_factory.mktemp("report") / "set"
    ResultSet.create(path, "report test", PROV, scenarios=scenarios)
    return path, raw


def _bw_bytes(data: bytes) -> float:
    doc = first_document(data)
    return sum(j[d]["bw_bytes"] for j in doc["jobs"] for d in ("read", "write", "trim"))


def _expanded(datas: list[bytes], kind: str) -> list[int]:
    values = []
    for data in datas:
        for job in first_document(data)["jobs"]:
            for ddir in ("read", "write", "trim"):
                for ns, n in job[ddir][f"{kind}_ns"].get("bins", {}).items():
                    values += [int(ns)] * n
    return sorted(values)


def _pct(values: list[int], p: float) -> int:
    return values[math.ceil(Fraction(p) * len(values) / 100) - 1]


@pytest.fixture(scope="module")
def rows(made):
    path, _ = made
    loaded = load_set(path)
    return loaded, {(r.key.runtime, r.key.pattern, r.key.clients): r for r in build_rows(loaded, "bare", ("clat",))}


def test_bandwidth_summed_and_percent_of_baseline(rows, made):
    _, raw = made
    _, by_key = rows
    for key, datas in raw.items():
        row = by_key[key]
        assert row.bw_mib_s == pytest.approx(sum(_bw_bytes(d) for d in datas) / 1048576, rel=1e-12)
        assert row.client_bw_min == pytest.approx(min(_bw_bytes(d) for d in datas) / 1048576)
        assert row.client_bw_max == pytest.approx(max(_bw_bytes(d) for d in datas) / 1048576)
    bare, runc = by_key[("bare", "randread", 2)], by_key[("runc", "randread", 2)]
    assert runc.pct_of_baseline == pytest.approx(100 * runc.bw_mib_s / bare.bw_mib_s)
    assert bare.pct_of_baseline == pytest.approx(100.0)
    assert by_key[("kata", "randread", 3)].pct_of_baseline is None  # no bare scenario with 3 clients


def test_latency_from_the_merged_histogram(rows, made):
    _, raw = made
    _, by_key = rows
    for key in [("bare", "randread", 2), ("runc", "randread", 2), ("gvisor", "randread", 2)]:
        values = _expanded(raw[key], "clat")
        lat = by_key[key].lat("clat")
        assert lat.source == "bins" and lat.samples == len(values)
        assert lat.p50_us == _pct(values, 50) / 1000 and lat.p99_us == _pct(values, 99) / 1000
        assert lat.mean_us == pytest.approx(sum(
            j["read"]["clat_ns"]["mean"] * j["read"]["clat_ns"]["N"]
            for d in raw[key] for j in first_document(d)["jobs"]) / len(values) / 1000)


def test_anomaly_flags(rows):
    loaded, by_key = rows
    assert by_key[("bare", "randread", 2)].flags == []
    kata = by_key[("kata", "randread", 3)]
    assert "only 2 of 3 client results" in kata.flags
    assert any(f.startswith("client runtimes differ:") for f in kata.flags)
    gvisor = by_key[("gvisor", "randread", 2)]
    lat = gvisor.lat("clat")
    assert lat.p99_us > 100 * lat.p50_us
    assert any(f.startswith("clat p99 is ") and f.endswith("x p50") for f in gvisor.flags)
    runc = by_key[("runc", "randread", 2)]
    assert "1 unreadable file(s)" in runc.flags and runc.clients_reported == 2
    assert [str(p) for p in loaded.problems][0].startswith("raw/runc/randread/bs4096/qdx-jx/c2/r0/broken.json: truncated")
    assert "fio error code(s) 25" in by_key[("bare", "randtrim", 1)].flags


def test_csv_one_row_per_scenario(rows):
    _, by_key = rows
    text = report.to_csv(list(by_key.values()), "clat")
    records = list(csv.DictReader(io.StringIO(text)))
    required = ["runtime", "pattern", "block_size", "clients", "bw_mib_s", "iops", "pct_of_baseline", "p50_us", "p99_us"]
    assert all(c in records[0] for c in required) and len(records) == len(by_key)
    runc = next(r for r in records if r["runtime"] == "runc")
    row = by_key[("runc", "randread", 2)]
    assert runc["block_size"] == "4096" and runc["clients"] == "2"
    assert float(runc["bw_mib_s"]) == pytest.approx(row.bw_mib_s, abs=0.001)
    assert float(runc["pct_of_baseline"]) == pytest.approx(row.pct_of_baseline, abs=0.05)
    assert float(runc["p99_us"]) == pytest.approx(row.lat("clat").p99_us, abs=0.001)
    kata = next(r for r in records if r["runtime"] == "kata")
    assert kata["pct_of_baseline"] == "" and "only 2 of 3" in kata["flags"]


def test_json_and_markdown(rows):
    _, by_key = rows
    all_rows = list(by_key.values())
    doc = json.loads(report.to_json(all_rows, "clat", {"name": "x"}))
    assert doc["name"] == "x" and len(doc["scenarios"]) == len(all_rows)
    assert {s["latency_source"] for s in doc["scenarios"]} >= {"bins"}
    tables = report.bandwidth_tables(all_rows, "bare") + report.latency_tables(all_rows, "bare", "clat")
    md = "\n".join(report.table_to_markdown(t) for t in tables)
    header = next(line for line in md.splitlines() if line.startswith("| pattern | clients | "))
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns[:3] == ["pattern", "clients", "bare"] and sorted(columns[3:]) == ["gvisor", "kata", "runc"]
    assert "### Aggregate bandwidth, MiB/s, block size 4k (% of bare)" in md
    assert "### clat latency p50 / p99, microseconds, block size 4k" in md


def test_bandwidth_table_cells(rows):
    _, by_key = rows
    (table,) = report.bandwidth_tables(list(by_key.values()), "bare")
    line = next(r for r in table.rows if r[0].text == "randread" and r[1].text == "2")
    runc = by_key[("runc", "randread", 2)]
    cell = line[table.headers.index("runc")]
    assert f"{runc.pct_of_baseline:.0f}%" in cell.text and cell.trend == report.trend_of(runc.pct_of_baseline)
    assert cell.text.endswith(" !")  # flagged (an unreadable file)


def test_compare_rows_detects_worse(rows):
    _, by_key = rows
    base = [by_key[("bare", "randread", 2)]]
    other = [by_key[("runc", "randread", 2)]]
    # pretend the runc numbers came from a later run of the same scenario key
    renamed = [type(other[0])(**{**{f: getattr(other[0], f) for f in other[0].__slots__}, "key": base[0].key})]
    (change,) = compare_rows(base, renamed, "clat")
    bw_pct = 100 * (renamed[0].bw_mib_s - base[0].bw_mib_s) / base[0].bw_mib_s
    assert change.bw_pct == pytest.approx(bw_pct)
    p99 = 100 * (renamed[0].lat("clat").p99_us - base[0].lat("clat").p99_us) / base[0].lat("clat").p99_us
    assert change.p99_pct == pytest.approx(p99)
    assert change.worse_by == pytest.approx(max(-bw_pct, change.p50_pct, p99, 0.0))
    (same,) = compare_rows(base, base, "clat")
    assert same.worse_by == 0.0 and same.bw_pct == 0.0


# ---- the derived summary cache (.cache/ inside the set) -----------------------------------------


def _age(root: Path, seconds: float = 3600) -> None:
    """Make every file look written an hour ago: the cache does not trust files modified within
    seconds of its own writing (coarse file times)."""
    old = time.time() - seconds
    for p in root.rglob("*"):
        if p.is_file() and ".cache" not in p.parts:
            os.utime(p, (old, old))


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".cache" not in p.parts}


@pytest.fixture
def aged_copy(made, tmp_path) -> Path:
    path, _ = made
    copy = tmp_path / "set"
    shutil.copytree(path, copy, ignore=shutil.ignore_patterns(".cache"))
    _age(copy)
    return copy


def _csv(source) -> str:
    return report.to_csv(build_rows(source, "bare", ("clat", "lat")), "clat")


def test_warm_report_equals_cold_and_raw_files_are_untouched(aged_copy):
    before = _digest(aged_copy)
    assert quick_load(aged_copy) is None  # no cache yet
    load_set(aged_copy)
    assert not (aged_copy / ".cache").exists()  # looking at a set writes nothing
    cold = _csv(summarize_set(aged_copy))
    assert (aged_copy / ".cache" / "summaries.json").is_file()
    quick = quick_load(aged_copy)
    assert quick is not None and quick.name == "report test"
    assert _csv(quick) == cold
    assert [str(p) for p in quick.problems] == [str(p) for p in load_set(aged_copy).problems]
    assert _digest(aged_copy) == before  # raw files and manifest byte for byte


def test_changed_raw_file_is_read_again(aged_copy, fiogen):  # noqa: F811
    summarize_set(aged_copy)
    victim = next(p for p in (aged_copy / "raw" / "bare").rglob("c0.json"))
    victim.write_bytes(b"x" * victim.stat().st_size)  # same size, new content
    _age(aged_copy, 7200)  # and an old modification time, different from the cached one
    assert quick_load(aged_copy) is None
    summary = summarize_set(aged_copy)
    assert any(str(p).startswith(str(victim.relative_to(aged_copy))) for p in summary.problems)


def test_corrupt_or_foreign_cache_is_ignored(aged_copy):
    cold = _csv(summarize_set(aged_copy))
    cache_file = aged_copy / ".cache" / "summaries.json"
    for junk in (b"{not json", b"[]", b'{"format": 999}', b""):
        cache_file.write_bytes(junk)
        assert quick_load(aged_copy) is None
        assert _csv(summarize_set(aged_copy)) == cold  # re-read and rewritten
    assert quick_load(aged_copy) is not None


def test_unwritable_cache_is_not_an_error(aged_copy, monkeypatch):
    """Simulated: a read-only set (root ignores file modes here, so the write itself is made to fail)."""
    def read_only(path, data):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(summary_cache, "write_atomic", read_only)
    cold = _csv(summarize_set(aged_copy))
    assert not (aged_copy / ".cache" / "summaries.json").exists()
    assert quick_load(aged_copy) is None and _csv(summarize_set(aged_copy)) == cold


def test_cache_keeps_only_current_files(aged_copy):
    summarize_set(aged_copy)
    data = json.loads((aged_copy / ".cache" / "summaries.json").read_bytes())
    rs = ResultSet.load(aged_copy)
    assert set(data["files"]) == {f for s in rs.manifest.scenarios for f in s.files}


def test_warm_report_does_not_import_pydantic(aged_copy):
    summarize_set(aged_copy)
    probe = ("import sys; from kataio_tui.results.loader import summarize_set; "
             f"s = summarize_set({str(aged_copy)!r}); "
             "print(type(s.scenarios[0].record).__name__, 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["RecordView", "False"]


def test_plain_json_several_clients_give_the_per_client_range_and_say_why(fiogen, tmp_path):  # noqa: F811
    specs = [LOCAL_JSON, local_spec(fmt="json", rw="randread", description="second")]
    fiogen.prefetch(specs)
    datas = [fiogen.get(s) for s in specs]
    path = tmp_path / "plain"
    ResultSet.create(path, "plain json", PROV, scenarios=[(
        ScenarioRecord(runtime="bare", pattern="randread", block_size=4096, clients=2),
        [(f"c{i}.json", d) for i, d in enumerate(datas)], None)])
    (row,) = build_rows(load_set(path), "bare", ("clat",))
    lat = row.lat("clat")
    assert lat.source == "client-range" and lat.histogram is None
    assert lat.p50_us is None and lat.p99_us is None  # no cluster-wide percentile can be computed
    # the lowest and highest per-job fio p50/p99 (LOCAL_JSON has two jobs without group_reporting)
    jobs = [j for d in datas for j in first_document(d)["jobs"]]
    p50s = [j["read"]["clat_ns"]["percentile"]["50.000000"] / 1000 for j in jobs]
    p99s = [j["read"]["clat_ns"]["percentile"]["99.000000"] / 1000 for j in jobs]
    assert lat.p50_range_us == (min(p50s), max(p50s)) and lat.p99_range_us == (min(p99s), max(p99s))
    record = next(csv.DictReader(io.StringIO(report.to_csv([row], "clat"))))
    assert record["latency_source"] == "client-range" and record["p99_us"] == ""
    assert float(record["p99_client_min_us"]) == pytest.approx(min(p99s), abs=0.001)
    assert float(record["p99_client_max_us"]) == pytest.approx(max(p99s), abs=0.001)
    (table,) = report.latency_tables([row], "bare", "clat")
    assert "cannot be computed" in table.note
    def shown(values: list[float]) -> str:  # one value when every client had the same
        low, high = f"{min(values):,.1f}", f"{max(values):,.1f}"
        return low if low == high else f"{low}–{high}"

    assert table.rows[0][-1].text == f"{shown(p50s)} / {shown(p99s)}"


def test_plain_json_of_one_client_is_fios_own_percentile(fiogen, tmp_path):  # noqa: F811
    data = fiogen.get(local_spec(fmt="json", rw="randread", numjobs=2, group_reporting=1))
    path = tmp_path / "one"
    ResultSet.create(path, "one client", PROV, scenarios=[(
        ScenarioRecord(runtime="bare", pattern="randread", block_size=4096, clients=1), [("c0.json", data)], None)])
    (row,) = build_rows(load_set(path), "bare", ("clat",))
    lat = row.lat("clat")
    (job,) = first_document(data)["jobs"]
    assert lat.source == "fio" and lat.p99_us == job["read"]["clat_ns"]["percentile"]["99.000000"] / 1000
    assert lat.p50_us == job["read"]["clat_ns"]["percentile"]["50.000000"] / 1000
    (table,) = report.latency_tables([row], "bare", "clat")
    assert "(exact)" in table.note
