"""Property tests: truncated, garbled and wrongly-typed fio output (made from real fio output of
this test run) gives either a usable run or one FioOutputError naming the file, never another
exception, and whatever the reader accepts can be summarised without crashing."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from fiogen import CS_CLONES, LOCAL_CLONES, LOCAL_JSON, STREAM_JSON, TRIMWRITE, fiogen, json_start  # noqa: F401
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kataio_tui.fio.reader import DocumentStream, FioOutputError, FioRun, iter_documents, read_fio_output
from kataio_tui.fio.summary import client_summaries

SOURCE = "sets/x/raw/client-7.json"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SEEDS = {"local": LOCAL_CLONES, "plain": LOCAL_JSON, "cs": CS_CLONES, "trim": TRIMWRITE}


@pytest.fixture(scope="module")
def seeds(fiogen) -> dict[str, bytes]:  # noqa: F811
    fiogen.prefetch([*SEEDS.values(), STREAM_JSON])
    return {name: fiogen.get(spec) for name, spec in SEEDS.items()}


def read_or_error(data: bytes | str) -> FioRun | FioOutputError:
    """The reader's contract: a run, or exactly one FioOutputError naming the file."""
    try:
        run = read_fio_output(data, SOURCE)
    except FioOutputError as exc:
        assert str(exc).startswith(f"{SOURCE}: ") and exc.source == SOURCE and exc.reason
        return exc
    # what the reader accepts must be usable downstream
    for client in client_summaries(run, "c"):
        for lat in client.latency.values():
            if lat.histogram is not None:
                lat.histogram.percentiles()
                lat.histogram.cdf()
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


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
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


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            out += _paths(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            out += _paths(child, (*path, i))
    return out


def _set(doc: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


# the numeric fields the reader uses: a string there must be refused with the field's path
READ_FIELDS = {"io_bytes", "bw_bytes", "bw", "iops", "runtime", "total_ios", "min", "max", "mean", "stddev",
               "N", "job_runtime", "error", "groupid"}


@FUZZ
@given(data=st.data())
def test_wrong_types(seeds, data):
    name = data.draw(st.sampled_from(sorted(seeds)))
    raw = seeds[name]
    doc = json.loads(raw[json_start(raw):])
    paths = [p for p in _paths(doc) if p]
    # mostly away from the thousands of bins, so the fields the reader reads get hit often
    named = [p for p in paths if "bins" not in p and "percentile" not in p]
    path = data.draw(st.sampled_from(named) | st.sampled_from(paths))
    value = data.draw(JSON_VALUES)
    _set(doc, path, value)
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
