"""Importing fio output made elsewhere: the stackhpc-io-tools layout and loose folders, built from
real fio json+ output made during the test run (runtime names are labels; bare fio made every file)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from fiogen import FioGen, fiogen, local_spec, stackhpc_tree  # noqa: F401

from kataio_tui.fio.jobconfig import block_size_of, pattern_of
from kataio_tui.results.importers import ImportFailed, detect_layout, import_any
from kataio_tui.results.loader import load_set, quick_load
from kataio_tui.results.store import ResultSet
from kataio_tui.results.tables import build_rows

RUNTIMES = ("bare", "kata")
PATTERNS = ("randread", "write")
CLIENTS = (1, 2)
BLOCKS = ("4k", "64k")


def head(key) -> tuple:
    """(runtime, pattern, block size, clients) of a scenario key."""
    return (key.runtime, key.pattern, key.block_size, key.clients)


@pytest.fixture(scope="module")
def tree(fiogen, tmp_path_factory) -> Path:  # noqa: F811
    root = tmp_path_factory.mktemp("stackhpc")
    # bare as fio 3.33 wrote it, kata rewritten into StackHPC's fio 3.1 shape (see fiogen.as_fio31)
    stackhpc_tree(fiogen, root, ("bare",), PATTERNS, CLIENTS, BLOCKS)
    stackhpc_tree(fiogen, root, ("kata",), PATTERNS, CLIENTS, BLOCKS, fio31=True)
    (root / "README.txt").write_text("not part of the layout")
    (root / "bare" / "ext4-randread" / "notes.json").write_text("{}")  # too shallow: ignored
    return root


def test_stackhpc_tree_import(tree, tmp_path):
    assert detect_layout(tree) == "stackhpc"
    report = import_any(tree, tmp_path / "set", "study")
    files = sorted(tree.glob("*/*/*/*/*.json"))
    assert report.imported == len(files) == 2 * 2 * (1 + 2) * 2 and not report.skipped
    rs = ResultSet.load(tmp_path / "set")
    keys = sorted(head(s.key) for s in rs.manifest.scenarios)
    assert keys == sorted((r, p, b, c) for r in RUNTIMES for p in PATTERNS for b in (4096, 65536) for c in CLIENTS)
    prov = rs.manifest.provenance
    assert prov.made_by == "kataio import stackhpc" and prov.fio_version == "fio-3.1, fio-3.33"
    # raw bytes kept exactly: every source file is in the set once
    kept = sorted(rs.read_raw(f) for s in rs.manifest.scenarios for f in s.files)
    assert kept == sorted(p.read_bytes() for p in files)
    scenario = next(s for s in rs.manifest.scenarios if head(s.key) == ("kata", "write", 65536, 2))
    assert sorted(Path(f).name for f in scenario.files) == ["client0-64k.json", "client1-64k.json"]


def test_imported_tree_loads_and_tabulates(tree, tmp_path):
    import_any(tree, tmp_path / "set", "study")
    warm = quick_load(tmp_path / "set")  # the importer, as the set's writer, warmed its summary cache
    assert warm is not None and sum(len(s.clients) for s in warm.scenarios) == 24
    loaded = load_set(tmp_path / "set")
    assert loaded.problems == [] and loaded.client_count == 24
    rows = build_rows(loaded, "bare", ("lat", "clat"))
    assert len(rows) == 16
    for row in rows:
        assert row.clients_reported == row.key.clients and row.bw_mib_s > 0
        assert row.pct_of_baseline is not None
        # lat_percentiles=1: fio 3.33 files have a lat histogram; the 3.1-shaped ones have it under clat_ns
        assert row.lat("lat").source == "bins"
        # ... and fio 3.1 kept only clat's mean, min and max then
        assert row.lat("clat").source == ("bins" if row.key.runtime == "bare" else "none")
        assert row.lat("clat").mean_us > 0


def test_bad_file_in_tree_is_skipped_and_listed(tree, tmp_path):
    copy = tmp_path / "tree"
    shutil.copytree(tree, copy)
    victim = copy / "kata" / "ext4-write" / "2" / "client1" / "64k.json"
    victim.write_bytes(victim.read_bytes()[:500])
    report = import_any(copy, tmp_path / "set")
    assert report.imported == 23 and len(report.skipped) == 1
    assert report.skipped.by_reason == {"truncated": ["kata/ext4-write/2/client1/64k.json"]}
    rs = ResultSet.load(tmp_path / "set")
    assert "skipped 1 file(s): 1 truncated: kata/ext4-write/2/client1/64k.json" in rs.manifest.provenance.notes
    row = next(r for r in build_rows(load_set(rs), "bare", ("clat",)) if head(r.key) == ("kata", "write", 65536, 2))
    assert row.clients_reported == 1 and row.clients_planned == 2
    assert "only 1 of 2 client results" in row.flags


def test_loose_files_without_rw_and_bs_need_the_flags(fiogen, tmp_path):  # noqa: F811
    # fio's defaults (rw=read, bs=4k) apply and the output's job options hold neither
    spec = local_spec(rw=None, bs=None, size="256k", runtime=None, time_based=None)
    src = tmp_path / "bare-defaults"
    src.mkdir()
    data = fiogen.get(spec)
    assert b'"rw"' not in data and b'"bs"' not in data
    (src / "a.json").write_bytes(data)
    with pytest.raises(ImportFailed, match="no pattern: the job options have no rw="):
        import_any(src, tmp_path / "nope")
    assert not (tmp_path / "nope").exists()
    report = import_any(src, tmp_path / "set", pattern="read", block_size=4096, runtime="gvisor")
    assert report.imported == 1
    (scenario,) = ResultSet.load(tmp_path / "set").manifest.scenarios
    assert head(scenario.key) == ("gvisor", "read", 4096, 1)
    # the pattern flag alone is not enough: the block size is still unknown
    with pytest.raises(ImportFailed, match="no block size: the job options have no bs="):
        import_any(src, tmp_path / "set2", pattern="read")


def test_nothing_importable(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "x.json").write_text('{"not": "fio"}')
    with pytest.raises(ImportFailed, match=r"no importable fio output found \(skipped 1 file\(s\): 1 wrong shape: x.json"):
        import_any(tmp_path / "src", tmp_path / "dest")
    assert not (tmp_path / "dest").exists()
    with pytest.raises(ImportFailed, match="not a directory"):
        import_any(tmp_path / "missing", tmp_path / "dest")


def test_import_refuses_existing_destination(tree, tmp_path):
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "keep.txt").write_text("mine")
    with pytest.raises(Exception, match="already exists"):
        import_any(tree, tmp_path / "dest")
    assert [p.name for p in (tmp_path / "dest").iterdir()] == ["keep.txt"]


def test_cancel_writes_nothing(tree, tmp_path):
    cancel = threading.Event()
    seen = []

    def progress(done, total):
        seen.append((done, total))
        if done == 5:
            cancel.set()

    with pytest.raises(ImportFailed, match="cancelled"):
        import_any(tree, tmp_path / "dest", progress=progress, cancel=cancel)
    assert not (tmp_path / "dest").exists() and seen[-1] == (5, 24)


@pytest.mark.parametrize(("rw", "want"), [("randread", "randread"), ("readwrite", "rw"), ("randrw:16", "randrw"),
                                          ("RW", "rw"), ("bogus", None), (None, None)])
def test_pattern_of(rw, want):
    assert pattern_of(rw) == want


@pytest.mark.parametrize(("bs", "want"), [("64k", 65536), ("4k,64k", 4096), ("4k-16k", 4096), ("1m", 1 << 20),
                                          ("huge", None), (None, None)])
def test_block_size_of(bs, want):
    assert block_size_of(bs) == want
