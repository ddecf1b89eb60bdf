"""Property tests: truncated, garbled and wrongly-typed fio output (made from real fio output of
this test run) gives either a usable run or one FioOutputError naming the file, never another
exception, and whatever the reader accepts can be summarised without crashing."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fiogen import CS_CLONES, LOCAL_CLONES, LOCAL_JSON, STREAM_JSON, TRIMWRITE, fiogen, json_start  # noqa: F401
from fuzz_support import set_value, value_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kataio_tui.fio.reader import DocumentStream, FioOutputError, FioRun, iter_documents, read_fio_output
from kataio_tui.fio.summary import ClientSummary, client_summaries
from kataio_tui.printable import printable
from kataio_tui.results.summary_cache import client_from_json, client_to_json

SOURCE = "sets/x/raw/client-7.json"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SEEDS = {"local": LOCAL_CLONES, "plain": LOCAL_JSON, "cs": CS_CLONES, "trim": TRIMWRITE}


class Seeds(dict):
    def __repr__(self) -> str:  # hypothesis prints its arguments: not hundreds of kB of fio output
        return f"<real fio output: {', '.join(self)}>"


@pytest.fixture(scope="module")
def seeds(fiogen) -> dict[str, bytes]:  # noqa: F811
    fiogen.prefetch([*SEEDS.values(), STREAM_JSON])
    return Seeds({name: fiogen.get(spec) for name, spec in SEEDS.items()})


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


def usable(summary: ClientSummary) -> None:
    """What the reader accepts must be usable downstream: percentiles and CDFs, and kept in the
    summary cache as it is (orjson, 64-bit integers, no infinity turning into null)."""
    for lat in summary.latency.values():
        if lat.histogram is not None:
            lat.histogram.percentiles()
            lat.histogram.cdf()
            lat.histogram.to_b64()
    data = client_to_json(summary)
    for number in _numbers(data):
        assert math.isfinite(number) and number >= 0 and (isinstance(number, float) or number <= 2**63 - 1), number
    again = client_from_json(orjson.loads(orjson.dumps(data)))
    assert client_to_json(again) == data


def read_or_error(data: bytes | str) -> FioRun | FioOutputError:
    """The reader's contract: a run whose summaries are usable, or exactly one FioOutputError
    naming the file (also when only the sums of its values are impossible)."""
    try:
        run = read_fio_output(data, SOURCE)
        summaries = client_summaries(run, "c")
    except FioOutputError as exc:
        assert str(exc).startswith(f"{SOURCE}: ") and exc.source == SOURCE and exc.reason
        assert "\n" not in str(exc) and printable(str(exc)) == str(exc), str(exc)  # one line, no escapes
        return exc
    for client in summaries:
        usable(client)
    return run


@FUZZ
@given(data=st.data())
def test_truncated_anywhere(seeds, data):
    name = data.draw(st.sampled_from(sorted(seeds)))
    raw = seeds[name]
    end = len(raw.rstrip())
    cut = data.draw(st.integers(0, end - 1))
    result = read_or_error(raw[:cut])
    assert isinstance(result, FioOutputError)
    if cut > json_start(raw) + 1:
        assert "truncated" in result.reason, (cut, result.reason)
    else:
        assert "no JSON document" in result.reason or "truncated" in result.reason


@FUZZ
@given(data=st.data())
def test_truncated_stream_gives_an_error_or_a_complete_earlier_document(fiogen, data):  # noqa: F811
    raw = fiogen.get(STREAM_JSON)
    cut = data.draw(st.integers(0, len(raw) - 1))
    result = read_or_error(raw[:cut])
    if isinstance(result, FioRun):
        # only possible when the cut falls between two documents
        before = list(iter_documents(raw[:cut]))
        assert before and result.timestamp_ms == before[-1]["timestamp_ms"]
        assert raw[:cut].rstrip().endswith(b"}")


@FUZZ
@given(data=st.data())
def test_garbled_bytes(seeds, data):
    raw = bytearray(seeds[data.draw(st.sampled_from(sorted(seeds)))])
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        byte = data.draw(st.integers(0, 255))
        if action == "flip":
            raw[pos] = byte
        elif action == "insert":
            raw.insert(pos, byte)
        else:
            del raw[pos]
    read_or_error(bytes(raw))


@FUZZ
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes(data):
    read_or_error(data)
    read_or_error(b"{\n" + data)


# numbers at the edges that broke the reader or the cache: 64-bit limits, beyond them, floats whose
# sums overflow, negative values; text with terminal escapes
EDGE_NUMBERS = st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**70, -1, -(2**63) - 1, 1e308, 1.7e308,
                                -0.5, 0.5, 2.0**63, 9.3e18])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | EDGE_NUMBERS | st.floats()
    | st.text(max_size=20) | st.sampled_from(["\x1b[2J", "\x1b]0;owned\x07", "\u202e"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(value=JSON_VALUES)
def test_arbitrary_json_documents(value):
    text = "{\n" + json.dumps({"jobs": value})[1:]
    read_or_error(text)
    read_or_error(json.dumps({"client_stats": [value], "fio version": "fio-3.33"}))
    read_or_error(json.dumps(value))


# the numeric fields the reader uses: a string there must be refused with the field's path
READ_FIELDS = {"io_bytes", "bw_bytes", "bw", "iops", "runtime", "total_ios", "min", "max", "mean", "stddev",
               "N", "job_runtime", "error", "groupid"}


@FUZZ
@given(data=st.data())
def test_wrong_types(seeds, data):
    name = data.draw(st.sampled_from(sorted(seeds)))
    raw = seeds[name]
    doc = json.loads(raw[json_start(raw):])
    paths = [p for p in value_paths(doc) if p]
    # mostly away from the thousands of bins, so the fields the reader reads get hit often
    named = [p for p in paths if "bins" not in p and "percentile" not in p]
    path = data.draw(st.sampled_from(named) | st.sampled_from(paths))
    value = data.draw(JSON_VALUES)
    set_value(doc, path, value)
    result = read_or_error(json.dumps(doc))
    in_direction = len(path) == 4 and path[0] in ("jobs", "client_stats") and path[2] in ("read", "write", "trim")
    in_latency = (len(path) == 5 and path[0] in ("jobs", "client_stats") and path[2] in ("read", "write", "trim")
                  and path[3] in ("slat_ns", "clat_ns", "lat_ns"))
    if in_latency:
        # the reader skips the all-zero latency objects of a direction that did no I/O
        ddir = doc[path[0]][path[1]][path[2]]
        in_latency = bool(ddir.get("io_bytes") or ddir.get("total_ios"))
    if isinstance(value, str) and path[-1] in READ_FIELDS and (in_direction or in_latency or len(path) == 3):
        assert isinstance(result, FioOutputError)
        assert ".".join(str(p) for p in path[2:]) in result.reason, result.reason


@pytest.mark.parametrize("field", ["bw_bytes", "io_bytes", "iops", "runtime", "total_ios"])
def test_string_where_a_number_is_names_the_field(seeds, field):
    raw = seeds["cs"]
    doc = json.loads(raw[json_start(raw):])
    doc["client_stats"][1]["write"][field] = "12 MiB/s"
    result = read_or_error(json.dumps(doc))
    assert isinstance(result, FioOutputError)
    assert f"client_stats[1].write.{field}: expected a number, got str" in result.reason


@FUZZ
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_document_stream_never_raises_on_garbage(fiogen, data, seed):  # noqa: F811
    rng = random.Random(seed)
    clean = fiogen.get(STREAM_JSON)
    raw = bytearray(clean)
    for _ in range(data.draw(st.integers(0, 6))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    stream = DocumentStream()
    pos = 0
    docs = []
    while pos < len(raw):
        step = rng.randint(1, 20000)
        docs += stream.feed(bytes(raw[pos:pos + step]))
        pos += step
    assert all(isinstance(d, dict) for d in docs)
    if raw == clean:
        assert docs == list(iter_documents(clean))


def _number_paths(doc: Any) -> list[tuple]:
    """Paths of every number in a document (bins and percentiles included)."""
    found = []
    for path in value_paths(doc):
        node = doc
        for key in path:
            node = node[key]
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            found.append(path)
    return found


NUMBERS = EDGE_NUMBERS | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True)


@FUZZ
@given(data=st.data())
def test_numbers_at_the_edges(seeds, data):
    """Any number in any numeric field (one, or several at once so that their sums overflow): a
    usable run, or an error naming the file. A value the reader uses that is negative or beyond
    2^63-1 is refused, naming the field."""
    raw = seeds[data.draw(st.sampled_from(sorted(seeds)))]
    doc = json.loads(raw[json_start(raw):])
    paths = _number_paths(doc)
    chosen = data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=6, unique=True))
    value = data.draw(NUMBERS)
    for path in chosen:
        set_value(doc, path, value)
    text = json.dumps(doc)  # json writes big integers as they are, NaN and Infinity as fio never would
    result = read_or_error(text)
    impossible = isinstance(value, (int, float)) and not (0 <= value <= 2**63 - 1)
    used = [p for p in chosen if p[-1] in READ_FIELDS and p[0] in ("jobs", "client_stats")]
    if impossible and len(chosen) == 1 and used and isinstance(result, FioRun):
        # accepted only when the field is one the reader skips (an idle direction's latency)
        ddir = doc[used[0][0]][used[0][1]].get(used[0][2]) if len(used[0]) > 3 else None
        assert isinstance(ddir, dict) and not (ddir.get("io_bytes") or ddir.get("total_ios")), used


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("bw_bytes", -5, "jobs[0].read.bw_bytes: negative (-5): impossible for fio"),
    ("io_bytes", 2**64, "jobs[0].read.io_bytes: 1.8446744073709552e+19 is out of range (more than 2^63-1)"),
    ("iops", 1e308, "jobs[0].read.iops: 1e+308 is out of range (more than 2^63-1)"),
])
def test_impossible_values_name_the_field(seeds, field, value, reason):
    raw = seeds["plain"]
    doc = json.loads(raw[json_start(raw):])
    doc["jobs"][0]["read"][field] = value
    result = read_or_error(json.dumps(doc))
    assert isinstance(result, FioOutputError) and result.reason == f"wrong shape: {reason}"


def test_integers_of_more_than_4300_digits(seeds):
    raw = seeds["local"].decode()
    huge = raw.replace('"io_bytes" : ', '"io_bytes" : ' + "7" * 5000 + ', "x" : ', 1)
    result = read_or_error(huge)
    assert isinstance(result, FioOutputError) and result.reason == "invalid JSON: a number of more than 4300 digits"
    as_key = raw.replace('"bins" : {', '"bins" : {"' + "7" * 5000 + '" : 1, ', 1)
    result = read_or_error(as_key)
    assert isinstance(result, FioOutputError) and "is not a whole number of nanoseconds below 2^63" in result.reason


def test_bins_whose_sum_passes_2_63(seeds):
    raw = seeds["local"]
    doc = json.loads(raw[json_start(raw):])
    bins = next(d["clat_ns"]["bins"] for d in (doc["jobs"][0]["read"], doc["jobs"][0]["write"]) if d["clat_ns"].get("bins"))
    first = next(iter(bins))
    bins[first] = 2**62
    bins["1"] = 2**62  # each below 2^63, together beyond
    result = read_or_error(json.dumps(doc))
    assert isinstance(result, FioOutputError) and "the counts add up to more than 2^63-1" in result.reason
    bins["1"], bins["-3"] = 1, 1
    result = read_or_error(json.dumps(doc))
    assert isinstance(result, FioOutputError) and "negative latency bucket '-3'" in result.reason


def test_jobs_whose_sums_pass_2_63(seeds):
    """Each job's value possible, their sum over a client not: the file is bad, with the reason."""
    raw = seeds["local"]  # several jobs (clones) in one file
    doc = json.loads(raw[json_start(raw):])
    assert len(doc["jobs"]) > 1
    for job in doc["jobs"]:
        job["read"]["io_bytes"] = 2**62 + 1
        job["write"]["io_bytes"] = 2**62 + 1
    result = read_or_error(json.dumps(doc))
    assert isinstance(result, FioOutputError) and "io_bytes of the jobs add up to" in result.reason
