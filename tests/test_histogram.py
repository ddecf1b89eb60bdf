"""Latency histograms: percentiles from json+ bins equal fio's own printed percentiles exactly, on
real fio output made during the test run; merged (cluster-wide) percentiles against an independent
computation; CDFs."""

from __future__ import annotations

import math
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from fiogen import (
    COMMON_RUNS, CS_CLONES, CS_GROUP, LOCAL_CLONES, LOCAL_GROUP, PCT_LIST, STREAM_JSONPLUS, TRIMWRITE,
    fiogen,  # noqa: F401
)

from kataio_tui.fio.histogram import (
    FIO_DEFAULT_PERCENTILES, Histogram, fio_threshold,
)
from kataio_tui.fio.reader import iter_documents
from kataio_tui.fio.summary import client_summaries
from kataio_tui.fio.reader import read_fio_output


@pytest.fixture(scope="module", autouse=True)
def _runs(fiogen):  # noqa: F811
    fiogen.prefetch((*COMMON_RUNS, PCT_LIST))


def _latency_objects(doc: dict):
    """(entry, direction, kind, object) for every latency object of a raw document that has bins."""
    entries = doc.get("jobs") or doc.get("client_stats")
    for entry in entries:
        for ddir in ("read", "write", "trim"):
            for kind in ("slat", "clat", "lat"):
                obj = entry[ddir][f"{kind}_ns"]
                if "bins" in obj:
                    yield entry, ddir, kind, obj


@pytest.mark.parametrize("spec", [LOCAL_CLONES, LOCAL_GROUP, PCT_LIST, TRIMWRITE, STREAM_JSONPLUS, CS_CLONES, CS_GROUP],
                         ids=["local-clones", "local-group", "percentile_list", "trimwrite", "stream",
                              "client-server-clones", "client-server-group"])
def test_percentiles_from_bins_equal_fios_own(fiogen, spec):  # noqa: F811
    data = fiogen.get(spec)
    kinds: set[str] = set()
    compared = 0
    docs = list(iter_documents(data))
    for i, doc in enumerate(docs):  # every document of a stream, not only the last
        for entry, ddir, kind, obj in _latency_objects(doc):
            printed = {float(k): v for k, v in obj["percentile"].items()}
            hist = Histogram.from_json_bins(obj["bins"])
            if i == len(docs) - 1:
                # (an interim --status-interval snapshot can be taken between fio counting a sample
                # in the bins and in N: seen for real, off by one)
                assert hist.total == obj["N"]
            assert hist.percentiles(printed, obj["N"]) == printed, (entry.get("port"), ddir, kind)
            kinds.add(kind)
            compared += 1
    assert compared >= 2
    want = {"clat", "lat"} if spec in (CS_GROUP, TRIMWRITE) else {"clat"}
    if spec in (LOCAL_CLONES, LOCAL_GROUP, PCT_LIST, CS_CLONES):
        want = {"slat", "clat", "lat"}
    assert want <= kinds


def test_client_server_percentiles_per_client_entry(fiogen):  # noqa: F811
    """Each server's entry carries its own bins; the "All clients" entry has none."""
    doc = next(iter_documents(fiogen.get(CS_CLONES)))
    ports = set()
    for entry, _ddir, _kind, obj in _latency_objects(doc):
        assert entry["jobname"] != "All clients"
        ports.add(entry["port"])
        printed = {float(k): v for k, v in obj["percentile"].items()}
        assert Histogram.from_json_bins(obj["bins"]).percentiles(printed, obj["N"]) == printed
    assert len(ports) == 2


def _expanded_percentile(values: list[int], p: float) -> int:
    """Independent: the sorted list of every sample's bucket value, indexed at the rank fio uses
    (the first sample whose rank reaches p/100 x N, exact arithmetic)."""
    rank = math.ceil(Fraction(p) * len(values) / 100)
    return values[max(rank, 1) - 1]


def test_merged_percentiles_across_real_outputs(fiogen):  # noqa: F811
    runs = [read_fio_output(fiogen.get(s), str(i)) for i, s in enumerate((CS_CLONES, LOCAL_CLONES, LOCAL_GROUP))]
    clients = [c for i, run in enumerate(runs) for c in client_summaries(run, f"r{i}")]
    assert len(clients) == 4
    for kind in ("clat", "lat", "slat"):
        hists = [c.latency[kind].histogram for c in clients]
        merged = Histogram.merged(hists)
        values = sorted(v for h in hists for ns, n in h.counts.items() for v in [ns] * n)
        assert merged.total == len(values) == sum(c.latency[kind].samples for c in clients)
        wanted = (50.0, 90.0, 99.0, 99.9)  # fio's rounding of p/100 x N is exact for these
        got = merged.percentiles(wanted)
        assert got == {p: _expanded_percentile(values, p) for p in wanted}
        averaged = {p: sum(h.percentiles((p,))[p] for h in hists) / len(hists) for p in wanted}
        # averaging per-client percentiles is not the cluster-wide percentile
        assert any(averaged[p] != got[p] for p in wanted), kind


def test_merged_histogram_adds_counts():
    a = Histogram.from_json_bins({"100": 2, "200": 0, "300": 1})
    b = Histogram.from_json_bins({"100": 1, "400": 5})
    assert a.counts == {100: 2, 300: 1}  # empty buckets are dropped
    assert Histogram.merged([a, b]).counts == {100: 3, 300: 1, 400: 5}
    assert a.counts == {100: 2, 300: 1}  # inputs unchanged


def test_a_running_count_equal_to_the_threshold_reaches_it():
    """A tie seen in a real fio 3.33 run (slat, N=2635, p=60: the running count reaches exactly 1581 =
    0.6 x 2635 at the 3792 ns bucket, and fio printed 3792). Evaluating fio's source expression in
    plain long double would give 1581.0000000000000001 and the next bucket; fio's -ffast-math build
    multiplies by 0.01L first and lands just below 1581. The bucket counts around the tie are the
    real ones; the rest of that histogram is left out."""
    hist = Histogram({3760: 1557, 3792: 24, 3824: 2635 - 1581})
    assert 1580 < fio_threshold(60.0, 2635) <= 1581
    assert hist.percentiles((60.0,)) == {60.0: 3792}


PERCENTILES_TO_CHECK = (*FIO_DEFAULT_PERCENTILES, 7.0, 57.0, 33.333, 66.6, 99.999)


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler to ask the FPU itself")
def test_threshold_matches_fios_expression_compiled_like_fio(tmp_path: Path):
    """stat.c's comparison compiled with fio's own flags (-O3 -ffast-math; fio's Makefile) on this
    machine's FPU, for every N up to 3000: the smallest running count that reaches the threshold."""
    source = tmp_path / "t.c"
    source.write_text(
        "#include <stdio.h>\n#include <stdlib.h>\n"
        "__attribute__((noinline)) int reached(unsigned long long sum, double p, unsigned long long nr)\n"
        "{ return sum >= ((long double) p / 100.0 * nr); }\n"  # as fio's calc_clat_percentiles
        "int main(int argc, char **argv) {\n"
        "  for (unsigned long long nr = 1; nr <= 3000; nr++)\n"
        "    for (int j = 1; j < argc; j++) {\n"
        "      double p = strtod(argv[j], 0);\n"
        "      double guess = p * nr / 100 - 2;\n"
        "      unsigned long long c = guess > 0 ? (unsigned long long) guess : 0;\n"
        "      while (!reached(c, p, nr)) c++;\n"
        "      printf(\"%llu %d %llu\\n\", nr, j - 1, c);\n"
        "    }\n"
        "  return 0;\n"
        "}\n"
    )
    subprocess.run(["cc", "-O3", "-ffast-math", "-o", str(tmp_path / "t"), str(source)], check=True)
    out = subprocess.run([str(tmp_path / "t"), *map(repr, PERCENTILES_TO_CHECK)], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    assert len(out) == 3000 * len(PERCENTILES_TO_CHECK)
    mismatches = []
    for line in out:
        nr, j, need = map(int, line.split())
        if math.ceil(fio_threshold(PERCENTILES_TO_CHECK[j], nr)) != need:
            mismatches.append(line)
    assert not mismatches


def test_cdf_of_real_histogram(fiogen):  # noqa: F811
    run = read_fio_output(fiogen.get(LOCAL_CLONES), "x")
    (client,) = client_summaries(run, "x")
    hist = client.latency["clat"].histogram
    xs, ys = hist.cdf()
    assert xs == sorted(xs) and len(set(xs)) == len(xs) == len(hist.counts)
    assert xs[0] == min(hist.counts) / 1000 and ys[-1] == 1.0
    assert all(0 < a < b for a, b in zip(ys, ys[1:]))
    # the CDF at p50's bucket is the first to reach one half
    p50 = hist.percentile(50.0)
    i = xs.index(p50 / 1000)
    assert ys[i] >= 0.5 and (i == 0 or ys[i - 1] < 0.5)


def test_empty_histogram():
    hist = Histogram({})
    assert hist.percentiles() == {} and hist.cdf() == ([], []) and hist.percentile(50) is None
