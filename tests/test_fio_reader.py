"""The fio output reader on real fio 3.33 output made during the test run (see fiogen.py).

Expected numbers are computed independently from the raw JSON with the standard json module, never
copied from the reader.
"""

from __future__ import annotations

import json
import random

import pytest
from fiogen import (
    COMMON_RUNS, CS_CLONES, CS_GROUP, CS_JSON, LOCAL_CLONES, LOCAL_GROUP, LOCAL_JSON, STREAM_JSON,
    STREAM_JSONPLUS, TRIM_FAILS, TRIMWRITE, as_fio31, fiogen, first_document, json_start,  # noqa: F401
)

from kataio_tui.fio.reader import (
    ALL_CLIENTS, DocumentStream, FioOutputError, iter_documents, iter_runs, parse_document,
    read_fio_output,
)
from kataio_tui.fio.summary import client_summaries


@pytest.fixture(scope="module", autouse=True)
def _runs(fiogen):  # noqa: F811
    fiogen.prefetch(COMMON_RUNS)


def _raw_entries(data: bytes, key: str = "jobs") -> list[dict]:
    return first_document(data)[key]


def _sum(entries: list[dict], ddir: str, field: str) -> float:
    return sum(e[ddir][field] for e in entries)


# ---- local runs --------------------------------------------------------------------------------


def test_local_clones_without_group_reporting_are_summed(fiogen):  # noqa: F811
    data = fiogen.get(LOCAL_CLONES)
    raw = _raw_entries(data)
    assert len(raw) == 2 and {e["jobname"] for e in raw} == {"job"}  # one entry per clone
    run = read_fio_output(data, "clones.json")
    assert not run.client_mode and len(run.jobs) == 2
    assert run.version == "fio-3.33" and run.version_tuple == (3, 33)
    (client,) = client_summaries(run, "clones")
    for ddir in ("read", "write"):
        assert client.direction_bw[ddir] == _sum(raw, ddir, "bw_bytes")
    assert "trim" not in client.direction_bw
    assert client.bw_bytes == _sum(raw, "read", "bw_bytes") + _sum(raw, "write", "bw_bytes")
    assert client.iops == pytest.approx(_sum(raw, "read", "iops") + _sum(raw, "write", "iops"))
    assert client.io_bytes == _sum(raw, "read", "io_bytes") + _sum(raw, "write", "io_bytes")
    # wall time: the longest direction runtime (each clone has its own entry here)
    assert client.runtime_ms == max(max(e["read"]["runtime"], e["write"]["runtime"]) for e in raw)
    for kind in ("slat", "clat", "lat"):
        lat = client.latency[kind]
        n = sum(e[d][f"{kind}_ns"]["N"] for e in raw for d in ("read", "write"))
        assert lat.samples == n == lat.histogram.total
        assert lat.min_ns == min(e[d][f"{kind}_ns"]["min"] for e in raw for d in ("read", "write"))
        assert lat.max_ns == max(e[d][f"{kind}_ns"]["max"] for e in raw for d in ("read", "write"))
        weighted = sum(e[d][f"{kind}_ns"]["mean"] * e[d][f"{kind}_ns"]["N"] for e in raw for d in ("read", "write"))
        assert lat.mean_ns == pytest.approx(weighted / n)
    assert client.options["numjobs"] == "2" and client.options["rw"] == "randrw"


def test_local_group_reporting_is_one_entry(fiogen):  # noqa: F811
    data = fiogen.get(LOCAL_GROUP)
    (raw,) = _raw_entries(data)
    run = read_fio_output(data, "group.json")
    (job,) = run.jobs
    for ddir in ("read", "write", "trim"):
        stats = job.directions[ddir]
        assert stats.bw_bytes == raw[ddir]["bw_bytes"]
        assert stats.io_bytes == raw[ddir]["io_bytes"]
        assert stats.total_ios == raw[ddir]["total_ios"]
        assert stats.runtime_ms == raw[ddir]["runtime"]
        assert stats.iops == raw[ddir]["iops"]
    assert not job.directions["trim"].active
    (client,) = client_summaries(run, "group")
    assert client.bw_bytes == raw["read"]["bw_bytes"] + raw["write"]["bw_bytes"]
    # group_reporting sums job_runtime over the 2 clones; the client's runtime is the wall time
    assert raw["job_runtime"] >= 1.8 * raw["read"]["runtime"]
    assert client.runtime_ms == max(raw["read"]["runtime"], raw["write"]["runtime"])
    # group_reporting adds the clones' histograms: one entry, N covering both clones
    assert client.latency["clat"].samples == raw["read"]["clat_ns"]["N"] + raw["write"]["clat_ns"]["N"]


def test_all_three_directions(fiogen):  # noqa: F811
    data = fiogen.get(TRIMWRITE)
    (raw,) = _raw_entries(data)
    run = read_fio_output(data, "trim.json")
    (client,) = client_summaries(run, "trim")
    assert raw["trim"]["io_bytes"] > 0 and raw["write"]["io_bytes"] > 0
    assert client.direction_bw == {"write": raw["write"]["bw_bytes"], "trim": raw["trim"]["bw_bytes"]}
    trim = run.jobs[0].directions["trim"]
    assert trim.total_ios == raw["trim"]["total_ios"] and trim.latency["lat"].histogram is not None
    assert trim.latency["lat"].histogram.total == raw["trim"]["lat_ns"]["N"]


def test_failed_job_keeps_its_error_code_and_the_warning_before_the_json(fiogen):  # noqa: F811
    data = fiogen.get(TRIM_FAILS)
    assert json_start(data) > 0  # fio printed "fio: pid=..., err=25/..." before the document
    run = read_fio_output(data, "trim-fails.json")
    (client,) = client_summaries(run, "t")
    assert client.errors == [first_document(data)["jobs"][0]["error"]] == [25]


def test_plain_json_has_percentiles_but_no_histogram(fiogen):  # noqa: F811
    data = fiogen.get(LOCAL_JSON)
    raw = _raw_entries(data)
    run = read_fio_output(data, "plain.json")
    for job, raw_job in zip(run.jobs, raw, strict=True):
        clat = job.directions["read"].latency["clat"]
        assert clat.histogram is None
        assert clat.percentiles == {float(k): v for k, v in raw_job["read"]["clat_ns"]["percentile"].items()}
    (client,) = client_summaries(run, "plain")
    lat = client.latency["clat"]
    assert lat.histogram is None
    # without bins the clones' lists cannot be merged: the larger value is kept (an upper bound)
    for pct, ns in lat.fio_percentiles.items():
        key = f"{pct:f}"
        assert ns == max(j["read"]["clat_ns"]["percentile"][key] for j in raw)


# ---- client/server ----------------------------------------------------------------------------


def test_client_server_two_servers_with_clones(fiogen):  # noqa: F811
    data = fiogen.get(CS_CLONES)
    assert not data.startswith(b"{") and b"<" in data[: json_start(data)]  # server banner lines first
    raw = _raw_entries(data, "client_stats")
    run = read_fio_output(data, "cs.json")
    assert run.client_mode
    clients_raw = [e for e in raw if e["jobname"] != ALL_CLIENTS]
    ports = sorted({e["port"] for e in clients_raw})
    assert len(ports) == 2 and len(clients_raw) == 4
    assert sorted(p for _, p in run.hosts()) == ports
    assert {h for h, _ in run.hosts()} == {"127.0.0.1"}
    assert run.all_clients is not None and run.all_clients.name == ALL_CLIENTS
    assert all(job.name != ALL_CLIENTS for job in run.jobs)
    summaries = client_summaries(run, "cs")
    assert sorted(s.name for s in summaries) == sorted(f"cs:127.0.0.1:{p}" for p in ports)
    for summary in summaries:
        port = int(summary.name.rsplit(":", 1)[1])
        mine = [e for e in clients_raw if e["port"] == port]
        assert summary.hostname == "127.0.0.1"
        assert summary.bw_bytes == _sum(mine, "read", "bw_bytes") + _sum(mine, "write", "bw_bytes")
        assert summary.latency["clat"].samples == sum(e[d]["clat_ns"]["N"] for e in mine for d in ("read", "write"))
    # fio's "All clients" entry sums bandwidth but carries no histogram
    all_raw = next(e for e in raw if e["jobname"] == ALL_CLIENTS)
    assert run.all_clients.directions["read"].bw_bytes == all_raw["read"]["bw_bytes"]
    assert run.all_clients.directions["read"].latency["clat"].histogram is None
    total = sum(s.direction_bw.get("read", 0) for s in summaries)
    assert total == pytest.approx(all_raw["read"]["bw_bytes"], rel=0.01)


def test_client_server_three_servers_group_reporting(fiogen):  # noqa: F811
    data = fiogen.get(CS_GROUP)
    run = read_fio_output(data, "cs3.json")
    assert len(run.jobs) == 3 and len(run.hosts()) == 3
    assert len(client_summaries(run, "x")) == 3
    assert run.all_clients is not None


def test_client_server_plain_json(fiogen):  # noqa: F811
    run = read_fio_output(fiogen.get(CS_JSON), "csj.json")
    assert len(run.hosts()) == 2
    for job in run.jobs:
        clat = job.directions["read"].latency["clat"]
        assert clat.histogram is None and clat.percentiles


def test_client_mode_global_options_with_duplicate_keys(fiogen):  # noqa: F811
    """fio repeats every client's global options in one object: real duplicate keys."""
    data = fiogen.get(CS_CLONES)
    text = data[json_start(data):].decode()
    head = text[: text.index('"client_stats"')]
    assert head.count('"ioengine"') == 2 and head.count('"directory"') == 2
    run = read_fio_output(data, "dup.json")
    # the last client's value wins, like Python's json
    assert run.global_options == json.loads(text)["global options"]
    assert run.option("ioengine") == "libaio" and run.option("rw") == "randrw"


# ---- status-interval streams ------------------------------------------------------------------


@pytest.mark.parametrize("spec", [STREAM_JSONPLUS, STREAM_JSON], ids=["json+", "json"])
def test_status_interval_stream_in_order_last_is_result(fiogen, spec):  # noqa: F811
    data = fiogen.get(spec)
    runs = list(iter_runs(data, "stream.json"))
    assert len(runs) >= 3  # 1 s at 250 ms intervals plus the final result
    assert data.count(b'"fio version"') == len(runs)
    stamps = [r.timestamp_ms for r in runs]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    ddir = "write" if spec is STREAM_JSONPLUS else "read"
    done = [r.jobs[0].directions[ddir].io_bytes for r in runs]
    assert done == sorted(done) and done[-1] > done[0]  # cumulative since start
    final = read_fio_output(data, "stream.json")
    assert final.timestamp_ms == stamps[-1]
    assert final.jobs[0].directions[ddir].io_bytes == done[-1]
    docs = list(iter_documents(data))
    assert [parse_document(d).timestamp_ms for d in docs] == stamps


@pytest.mark.parametrize("seed", range(6))
def test_document_stream_random_chunks(fiogen, seed):  # noqa: F811
    data = fiogen.get(STREAM_JSONPLUS)
    # text around the documents as fio and a shell would put it, and a multi-byte character in a
    # job option so that chunk boundaries also cut UTF-8 sequences
    data = b"fio: warning: something\n" + data.replace(b'"job"', '"jöb-µs"'.encode()) + b"trailing\n"
    expected = list(iter_documents(data))
    rng = random.Random(seed)
    stream = DocumentStream("live")
    got: list[dict] = []
    pos = 0
    sizes = (1, 7, 100, 4096, 65536)
    while pos < len(data):
        step = rng.randint(1, rng.choice(sizes))
        got.extend(stream.feed(data[pos:pos + step]))
        pos += step
    assert got == expected and len(got) >= 3
    assert got[0]["jobs"][0]["jobname"] == "jöb-µs"


def test_document_stream_yields_each_document_as_soon_as_it_is_complete(fiogen):  # noqa: F811
    data = fiogen.get(STREAM_JSON)
    ends = [i for i in range(len(data)) if data.startswith(b"\n}\n", i)]
    stream = DocumentStream()
    prev = 0
    for n, end in enumerate(ends):
        cut = end + 2  # through the closing brace, before its newline
        assert stream.feed(data[prev:cut - 1]) == []
        docs = stream.feed(data[cut - 1:cut])
        assert len(docs) == 1, n
        prev = cut
    assert stream.feed(data[prev:]) == []


def test_document_stream_crlf_and_bom(fiogen):  # noqa: F811
    data = fiogen.get(STREAM_JSON).replace(b"\n", b"\r\n")
    expected = list(iter_documents(data))
    stream = DocumentStream()
    assert stream.feed(b"\xef\xbb\xbf" + data) == expected


# ---- byte-order marks, UTF-16 ----------------------------------------------------------------


def test_utf8_bom_and_utf16_files(fiogen):  # noqa: F811
    data = fiogen.get(LOCAL_GROUP)
    doc_text = data[json_start(data):].decode()
    for encoded in (b"\xef\xbb\xbf" + data, doc_text.encode("utf-16"), ("\ufeff" + doc_text)):
        run = read_fio_output(encoded, "bom.json")
        assert run.jobs[0].directions["read"].bw_bytes == first_document(data)["jobs"][0]["read"]["bw_bytes"]


# ---- older fio versions: real 3.33 output transformed into their shapes ----------------------


def test_fio31_shape_without_lat_percentiles(fiogen):  # noqa: F811
    data = fiogen.get(LOCAL_GROUP)
    doc = first_document(data)
    text = as_fio31(doc)  # TRANSFORMED real output: see fiogen.as_fio31
    assert text.count('"0.00": 0') >= 4 and '"bw_bytes"' not in text and '"N"' not in text
    run = read_fio_output(text, "fio31.json")
    assert run.version_tuple == (3, 1)
    raw = doc["jobs"][0]
    for ddir in ("read", "write"):
        stats = run.jobs[0].directions[ddir]
        assert stats.bw_bytes == raw[ddir]["bw"] * 1024  # fio < 3.2: only KiB/s
        clat = stats.latency["clat"]
        assert clat.samples == raw[ddir]["clat_ns"]["N"]  # N from the bins when fio had no N
        assert 0.0 not in clat.percentiles
        assert clat.percentiles == {float(k): v for k, v in raw[ddir]["clat_ns"]["percentile"].items()}
        assert clat.histogram.total == raw[ddir]["clat_ns"]["N"]
        assert stats.latency["lat"].histogram is None


def test_fio31_single_histogram_is_total_latency_with_lat_percentiles(fiogen):  # noqa: F811
    data = fiogen.get(LOCAL_GROUP)
    doc = first_document(data)
    text = as_fio31(doc, lat_percentiles=True)  # TRANSFORMED: 3.33's lat histogram moved under clat_ns
    run = read_fio_output(text, "fio31-lat.json")
    raw = doc["jobs"][0]
    for ddir in ("read", "write"):
        stats = run.jobs[0].directions[ddir]
        assert stats.latency["clat"].histogram is None and stats.latency["clat"].percentiles == {}
        lat = stats.latency["lat"]
        assert lat.histogram.counts == {int(k): v for k, v in raw[ddir]["lat_ns"]["bins"].items()}
        assert lat.percentiles == {float(k): v for k, v in raw[ddir]["lat_ns"]["percentile"].items()}
    (client,) = client_summaries(run, "old")
    assert "lat" in client.latency and client.latency["lat"].histogram is not None
    assert client.latency["clat"].histogram is None


def test_fio31_client_server_shape(fiogen):  # noqa: F811
    data = fiogen.get(CS_CLONES)
    text = as_fio31(first_document(data), lat_percentiles=True)  # TRANSFORMED real client/server output
    run = read_fio_output("<vm> banner\n" + text, "cs31.json")
    assert run.client_mode and len(client_summaries(run, "c")) == 2


# ---- errors name the file and the reason ------------------------------------------------------


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "no JSON document"),
    (b"fio: failed to connect to 127.0.0.1:8765\n", "no JSON document"),
    (b"\x00\x01\x02\xff\xfe\xfa" * 10, "binary data"),
    (b"[1, 2, 3]\n", "no JSON document"),
    (b'{\n"a": 1\n}\n', "no 'jobs' or 'client_stats'"),
    (b'{\n"jobs": {}\n}\n', "jobs: expected a list"),
    (b'{\n"jobs": []\n}\n', "fio reported no jobs"),
    (b'{\n"jobs": [{"jobname": "x"}]\n}\n', "no read, write or trim"),
    (b'{\n"jobs": [{"read": {"bw_bytes": "fast"}}]\n}\n', "jobs[0].read.bw_bytes: expected a number, got str"),
    (b'{\n"jobs": [{"read": {"clat_ns": {"bins": {"x": 1}}}}]\n}\n', "jobs[0].read.clat_ns.bins"),
    (b'{\n"jobs": [{"read": {"clat_ns": {"bins": {"100": -1}}}}]\n}\n', "negative count"),
    (b'{\n"jobs": [{"read": {"clat_ns": {"percentile": {"p99": 1}}}}]\n}\n', "key 'p99' is not a number"),
    (b'{\n"fio version": 3,\n"jobs": [{"read": {}}]\n}\n', "fio version: expected a string"),
    (b'{\n"jobs": [{"read": {"io_bytes": 1e999}}]\n}\n', "jobs[0].read.io_bytes"),
])
def test_bad_input_one_clear_error(data, reason):
    with pytest.raises(FioOutputError) as info:
        read_fio_output(data, "runs/bad.json")
    assert str(info.value).startswith("runs/bad.json: ")
    assert reason in info.value.reason


def test_truncated_real_output_says_truncated(fiogen):  # noqa: F811
    data = fiogen.get(LOCAL_CLONES)
    start = json_start(data)
    rng = random.Random(1)
    for cut in sorted(rng.sample(range(start + 2, len(data) - 3), 60)):
        with pytest.raises(FioOutputError) as info:
            read_fio_output(data[:cut], "cut.json")
        assert "truncated" in info.value.reason, (cut, info.value.reason)


def test_truncated_stream_is_an_error_not_an_interim_document(fiogen):  # noqa: F811
    data = fiogen.get(STREAM_JSON)
    cut = len(data) - 200
    assert len(list(iter_documents(data[: data.rfind(b"\n{\n") + 1]))) >= 2
    with pytest.raises(FioOutputError, match="truncated"):
        read_fio_output(data[:cut], "stream-cut.json")
