"""`kataio report`, `kataio import`, `kataio compare` and `kataio --version` as a user runs them
(subprocesses), on result sets made of real fio output from this test run."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fiogen import fiogen, local_spec, stackhpc_tree  # noqa: F401

from kataio_tui import __version__

FAST = {"runtime": None, "time_based": None, "size": "1m"}


def kataio(*args: str | Path, check_rc: int | None = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kataio_tui", *map(str, args)], capture_output=True, text=True,
                          timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def tree(fiogen, tmp_path_factory) -> Path:  # noqa: F811
    root = tmp_path_factory.mktemp("tree")
    stackhpc_tree(fiogen, root, ("bare", "runc"), ("randread",), (1, 2), ("4k",))
    return root


@pytest.fixture(scope="module")
def imported(tree, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("sets") / "study"
    proc = kataio("import", tree, dest, "--name", "study")
    assert proc.stdout.startswith("imported 6 file(s) into 4 scenario(s): ")
    return dest


def test_version():
    proc = kataio("--version")
    assert proc.stdout.strip() == f"kataio {__version__}"
    script = Path(sys.executable).with_name("kataio")
    if script.exists():  # the console script of the installed package
        out = subprocess.run([script, "--version"], capture_output=True, text=True, check=True).stdout
        assert out.strip() == f"kataio {__version__}"


def test_report_csv(imported, tree):
    proc = kataio("report", imported, "--format", "csv")
    records = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(records) == 4
    for column in ("runtime", "pattern", "block_size", "clients", "bw_mib_s", "iops", "pct_of_baseline",
                   "p50_us", "p99_us"):
        assert column in records[0]
    assert {r["block_size"] for r in records} == {"4096"}
    for r in records:
        files = sorted(tree.glob(f"{r['runtime']}/ext4-randread/{r['clients']}/*/4k.json"))
        bw = sum(json.loads(p.read_bytes())["jobs"][0]["read"]["bw_bytes"] for p in files) / 1048576
        assert float(r["bw_mib_s"]) == pytest.approx(bw, abs=0.0006)
        assert float(r["p99_us"]) >= float(r["p50_us"]) > 0
        if r["runtime"] == "bare":
            assert float(r["pct_of_baseline"]) == 100.0
    proc = kataio("report", imported, "--format", "csv", "--baseline", "runc", "--latency", "lat")
    records = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert {r["latency_kind"] for r in records} == {"lat"}
    assert all(float(r["pct_of_baseline"]) == 100.0 for r in records if r["runtime"] == "runc")


def test_report_table_markdown_json(imported):
    table = kataio("report", imported).stdout
    assert "study" in table and "Aggregate bandwidth, MiB/s, block size 4k, iodepth 4, numjobs 1 (% of bare)" in table
    assert "clat latency p50 / p99, microseconds" in table
    md = kataio("report", imported, "--format", "markdown").stdout
    assert md.startswith("## study\n") and "| pattern | clients | bare | runc |" in md
    doc = json.loads(kataio("report", imported, "--format", "json").stdout)
    assert doc["name"] == "study" and doc["problems"] == [] and len(doc["scenarios"]) == 4
    assert doc["provenance"]["made_by"] == "kataio import stackhpc"


def test_report_lists_bad_files_on_stderr_and_exits_0(imported, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(imported, copy)
    victim = next((copy / "raw" / "runc").rglob("*.json"))
    victim.write_bytes(b"fio: something went wrong\n")  # raw files can rot after import
    proc = kataio("report", copy, "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(proc.stdout)))) == 4
    assert "kataio: 1 file(s) could not be read and were left out:" in proc.stderr
    assert f"{victim.relative_to(copy)}: not fio output" in proc.stderr


def test_errors_are_one_line_exit_2(tmp_path):
    proc = kataio("report", tmp_path / "nothing", check_rc=2)
    assert proc.stderr.startswith("kataio: error: ") and "not a directory" in proc.stderr
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "manifest.toml").write_text("name = [\n")
    proc = kataio("report", tmp_path / "set", check_rc=2)
    assert "manifest.toml: not valid TOML" in proc.stderr
    (tmp_path / "empty").mkdir()
    proc = kataio("import", tmp_path / "empty", tmp_path / "dest", check_rc=2)
    assert "no importable fio output found" in proc.stderr and not (tmp_path / "dest").exists()
    proc = kataio("import", tmp_path / "empty", tmp_path / "dest", "--block-size", "lots", check_rc=2)
    assert "--block-size" in proc.stderr


def test_import_existing_destination_is_refused(tree, imported):
    proc = kataio("import", tree, imported, check_rc=2)
    assert "already exists" in proc.stderr


def test_import_loose_with_flags(fiogen, tmp_path):  # noqa: F811
    src = tmp_path / "loose"
    src.mkdir()
    spec = local_spec(rw=None, bs=None, **FAST)  # fio's defaults: no rw= or bs= in the output
    (src / "one.json").write_bytes(fiogen.get(spec))
    kataio("import", src, tmp_path / "x", check_rc=2)
    proc = kataio("import", src, tmp_path / "set", "--pattern", "read", "--block-size", "4k", "--runtime", "runc")
    assert "into 1 scenario(s)" in proc.stdout
    records = list(csv.DictReader(io.StringIO(kataio("report", tmp_path / "set", "--format", "csv").stdout)))
    assert [(r["runtime"], r["pattern"], r["block_size"], r["clients"]) for r in records] == [("runc", "read", "4096", "1")]


def test_compare_exit_codes(fiogen, tmp_path):  # noqa: F811
    """Set B is the same scenario run with fio's rate limit (rate=2m): really slower."""
    fast = [local_spec(rw="randread", description=f"fast{i}") for i in range(2)]
    slow = [local_spec(rw="randread", rate="2m", description=f"slow{i}") for i in range(2)]
    fiogen.prefetch(fast + slow)
    for name, specs in (("a", fast), ("b", slow)):
        src = tmp_path / f"src-{name}"
        src.mkdir()
        for i, spec in enumerate(specs):
            (src / f"c{i}.json").write_bytes(fiogen.get(spec))
        kataio("import", src, tmp_path / name, "--runtime", "bare")
    a, b = tmp_path / "a", tmp_path / "b"
    out = kataio("compare", a, b).stdout
    assert "Change from A to B" in out
    proc = kataio("compare", a, b, "--fail-over", "10", "--format", "json", check_rc=1)
    doc = json.loads(proc.stdout)
    (scenario,) = doc["scenarios"]
    assert scenario["bw_change_pct"] < -50 and scenario["over_limit"] is True
    assert "1 scenario(s) got worse by more than 10%" in proc.stderr
    assert kataio("compare", a, a, "--fail-over", "0.001", "--format", "csv").returncode == 0
    assert kataio("compare", a, b, "--fail-over", "1000000").returncode == 0
