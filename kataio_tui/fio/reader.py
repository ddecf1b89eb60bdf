"""Read fio's JSON and json+ output as fio really writes it (fio >= 3.0).

Handles text before the JSON (server banners, warnings), several concatenated documents
(``--status-interval``), duplicate keys (the last one wins, as in fio 3.1-3.3 percentile padding),
fields missing in older versions, local runs (``jobs[]``) and client/server runs (``client_stats[]``).
"""

from __future__ import annotations

import codecs
import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import orjson

from kataio_tui.errors import KataioError
from kataio_tui.fio.histogram import Histogram
from kataio_tui.printable import brief

DIRECTIONS = ("read", "write", "trim")
LATENCY_KINDS = ("slat", "clat", "lat")
ALL_CLIENTS = "All clients"

_DOC_START = re.compile(r"^\{", re.MULTILINE)
_VERSION = re.compile(r"fio-(\d+)\.(\d+)")


class FioOutputError(KataioError, ValueError):
    """One clear reason why a file is not usable fio output, naming the file."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(slots=True)
class LatencyStats:
    """One latency kind (slat, clat or lat) of one direction, in nanoseconds."""

    samples: int
    min_ns: float
    max_ns: float
    mean_ns: float
    stddev_ns: float
    percentiles: dict[float, int] = field(default_factory=dict)
    histogram: Histogram | None = None


@dataclass(slots=True)
class DirectionStats:
    io_bytes: int = 0
    bw_bytes: float = 0.0  # bytes per second
    iops: float = 0.0
    runtime_ms: int = 0
    total_ios: int = 0
    latency: dict[str, LatencyStats] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.io_bytes > 0 or self.total_ios > 0


@dataclass(slots=True)
class JobRecord:
    """One entry of ``jobs[]`` or ``client_stats[]``."""

    name: str
    groupid: int
    error: int
    options: dict[str, str]
    directions: dict[str, DirectionStats]
    job_runtime_ms: int
    hostname: str | None = None
    port: int | None = None


@dataclass(slots=True)
class FioRun:
    """One fio output document."""

    source: str
    version: str
    timestamp_ms: int
    global_options: dict[str, str]
    jobs: list[JobRecord]
    client_mode: bool = False
    all_clients: JobRecord | None = None

    @property
    def version_tuple(self) -> tuple[int, int]:
        return parse_version(self.version)

    def option(self, name: str) -> str | None:
        """A job option as fio saw it: the job's own value wins over the global one."""
        for job in self.jobs:
            if name in job.options:
                return job.options[name]
        return self.global_options.get(name)

    def hosts(self) -> list[tuple[str | None, int | None]]:
        seen: dict[tuple[str | None, int | None], None] = {}
        for job in self.jobs:
            seen.setdefault((job.hostname, job.port), None)
        return list(seen)


def parse_version(text: str) -> tuple[int, int]:
    match = _VERSION.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


# ---------------------------------------------------------------------------------------------
# splitting a stream into documents


def _as_text(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # output redirected by Windows PowerShell 5 is UTF-16 with a byte-order mark
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FioOutputError(source, "not fio output: broken UTF-16 text") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        if "{" not in text:
            raise FioOutputError(source, "not fio output: binary data, no JSON document found") from None
        return text


def iter_documents(data: bytes | str, source: str = "<input>") -> Iterator[dict[str, Any]]:
    """Yield every JSON document in fio's output, in order; text between documents is skipped."""
    if isinstance(data, bytes) and data[:1] == b"{":
        # Fastest path: the file is one document and nothing else (orjson checks the UTF-8)
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            if isinstance(doc, dict):
                yield doc
                return
    text = _as_text(data, source)
    match = _DOC_START.search(text)
    if match is None:
        raise FioOutputError(source, "not fio output: no JSON document (no line starting with '{')")
    start = match.start()
    # Fast path: a single document after any banner text.
    try:
        doc = orjson.loads(text[start:])
    except orjson.JSONDecodeError:
        pass
    else:
        if not isinstance(doc, dict):
            raise FioOutputError(source, f"wrong shape: top level is {type(doc).__name__}, not an object")
        yield doc
        return
    decoder = json.JSONDecoder()
    while True:
        try:
            doc, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            # a cut inside a string leaves it unterminated; elsewhere the error is at the very end
            cut = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
            what = "truncated" if cut else "invalid JSON"
            raise FioOutputError(
                source, f"{what}: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except RecursionError:
            raise FioOutputError(source, "invalid JSON: nested too deeply") from None
        except ValueError:  # int() refuses a literal of more than sys.get_int_max_str_digits() digits
            raise FioOutputError(source, f"invalid JSON: a number of more than {sys.get_int_max_str_digits()} "
                                         "digits") from None
        if not isinstance(doc, dict):
            raise FioOutputError(source, f"wrong shape: top level is {type(doc).__name__}, not an object")
        yield doc
        match = _DOC_START.search(text, end)
        if match is None:
            return
        start = match.start()


# ---------------------------------------------------------------------------------------------
# typed access with the path of the offending field in every error


class _Shape(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


MAX_VALUE = 2**63 - 1


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Shape(path, f"expected an object, got {type(value).__name__}")
    return value


def check_number(value: Any, where: str) -> float:
    """A number fio could have written: not negative, finite and at most MAX_VALUE (fio's counters,
    bandwidths and latencies are unsigned 64-bit; no real one comes near 2^63). So no sum kataio
    makes of them overflows to infinity and each fits the 64-bit arrays and JSON of the cache."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Shape(where, f"expected a number, got {type(value).__name__} {brief(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Shape(where, f"expected a finite number, got {value!r}")
    if value < 0:
        raise _Shape(where, f"negative ({brief(value)}): impossible for fio")
    if value > MAX_VALUE:
        raise _Shape(where, f"{brief(value)} is out of range (more than 2^63-1)")
    return value


def _num(obj: dict[str, Any], key: str, path: str, default: float | None = None) -> float:
    value = obj.get(key, default)
    if value is None:
        raise _Shape(f"{path}.{key}", "missing")
    return check_number(value, f"{path}.{key}")


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int(obj: dict[str, Any], key: str, path: str, default: int | None = None) -> int:
    return int(_num(obj, key, path, default))


def _options(value: Any, path: str) -> dict[str, str]:
    """Options are an object of strings; newer client mode writes a list of objects."""
    if value is None:
        return {}
    if isinstance(value, list):
        merged: dict[str, str] = {}
        for i, item in enumerate(value):
            merged.update(_options(item, f"{path}[{i}]"))
        return merged
    return {str(k): str(v) for k, v in _obj(value, path).items()}


def _latency(value: Any, path: str, ios: int) -> LatencyStats | None:
    """``ios`` (the direction's total_ios) stands in for N when fio (< 3.18) wrote neither N nor bins."""
    if value is None:
        return None
    obj = _obj(value, path)
    bins_raw = obj.get("bins")
    histogram = None
    if bins_raw is not None:
        try:
            histogram = Histogram.from_json_bins(_obj(bins_raw, f"{path}.bins"))
        except (TypeError, ValueError, OverflowError) as exc:
            raise _Shape(f"{path}.bins", f"not a map of nanoseconds to counts ({exc})") from None
    percentiles: dict[float, int] = {}
    raw_pct = obj.get("percentile")
    if raw_pct is not None:
        for key, val in _obj(raw_pct, f"{path}.percentile").items():
            try:
                pct = float(key)
            except ValueError:
                raise _Shape(f"{path}.percentile", f"key {brief(key)} is not a number") from None
            if not 0 <= pct <= 100:
                raise _Shape(f"{path}.percentile", f"key {brief(key)} is not a percentile (0 to 100)")
            check_number(val, f"{path}.percentile.{key}")
            if pct > 0:  # fio 3.1-3.3 pad the list with "0.00": 0
                percentiles[pct] = int(val)
    samples_default = histogram.total if histogram is not None else ios
    samples = _int(obj, "N", path, samples_default)
    return LatencyStats(
        samples=samples,
        min_ns=_num(obj, "min", path, 0),
        max_ns=_num(obj, "max", path, 0),
        mean_ns=_num(obj, "mean", path, 0),
        stddev_ns=_num(obj, "stddev", path, 0),
        percentiles=percentiles,
        histogram=histogram,
    )


def _direction(value: Any, path: str, hist_is_total: bool) -> DirectionStats:
    obj = _obj(value, path)
    bw_kib = _num(obj, "bw", path, 0)
    stats = DirectionStats(
        io_bytes=_int(obj, "io_bytes", path, 0),
        bw_bytes=_num(obj, "bw_bytes", path, bw_kib * 1024),  # bw_bytes only from fio 3.2
        iops=_num(obj, "iops", path, 0),
        runtime_ms=_int(obj, "runtime", path, 0),
        total_ios=_int(obj, "total_ios", path, 0),
    )
    active = stats.active
    for kind in LATENCY_KINDS:
        raw = obj.get(f"{kind}_ns")
        if not active and (not isinstance(raw, dict) or not ("bins" in raw or "percentile" in raw)):
            continue  # an unused direction's latency is all zeros (fio writes no percentiles): skip it
        lat = _latency(raw, f"{path}.{kind}_ns", stats.total_ios)
        if lat is not None:
            stats.latency[kind] = lat
    if hist_is_total and "clat" in stats.latency:
        # Before fio 3.18 there was one histogram per direction, always written under clat_ns;
        # with lat_percentiles=1 it held total latency.
        clat = stats.latency["clat"]
        lat = stats.latency.get("lat")
        if lat is not None and clat.histogram is not None:
            lat.histogram, lat.percentiles = clat.histogram, clat.percentiles
            clat.histogram, clat.percentiles = None, {}
    return stats


def _job(value: Any, path: str, global_options: dict[str, str], version: tuple[int, int]) -> JobRecord:
    obj = _obj(value, path)
    options = _options(obj.get("job options"), f"{path}.job options")
    lat_pct = options.get("lat_percentiles", global_options.get("lat_percentiles", "0"))
    hist_is_total = version < (3, 18) and lat_pct not in ("0", "")
    directions = {}
    for ddir in DIRECTIONS:
        if ddir in obj:
            directions[ddir] = _direction(obj[ddir], f"{path}.{ddir}", hist_is_total)
    if not directions:
        raise _Shape(path, "no read, write or trim statistics")
    name = obj.get("jobname", "")
    port = obj.get("port")
    if isinstance(port, (int, float)) and not isinstance(port, bool) and not (
            math.isfinite(port) and 0 <= port <= 65535):
        raise _Shape(f"{path}.port", f"expected a port number, got {brief(port)}")
    return JobRecord(
        name=str(name),
        groupid=_int(obj, "groupid", path, 0),
        error=_int(obj, "error", path, 0),
        options=options,
        directions=directions,
        job_runtime_ms=_int(obj, "job_runtime", path, 0),
        hostname=str(obj["hostname"]) if "hostname" in obj else None,
        port=int(port) if isinstance(port, (int, float)) and not isinstance(port, bool) else None,
    )


def parse_document(doc: dict[str, Any], source: str = "<input>") -> FioRun:
    """Turn one decoded fio JSON document into a FioRun, or raise FioOutputError."""
    try:
        version = doc.get("fio version")
        if "jobs" in doc:
            entries, client_mode, key = doc["jobs"], False, "jobs"
        elif "client_stats" in doc:
            entries, client_mode, key = doc["client_stats"], True, "client_stats"
        else:
            raise _Shape("top level", "no 'jobs' or 'client_stats': not fio output")
        if not isinstance(entries, list):
            raise _Shape(key, f"expected a list, got {type(entries).__name__}")
        if version is not None and not isinstance(version, str):
            raise _Shape("fio version", f"expected a string, got {type(version).__name__}")
        global_options = _options(doc.get("global options"), "global options")
        vt = parse_version(version or "")
        jobs: list[JobRecord] = []
        all_clients = None
        for i, entry in enumerate(entries):
            job = _job(entry, f"{key}[{i}]", global_options, vt)
            if client_mode and job.name == ALL_CLIENTS:
                all_clients = job
            else:
                jobs.append(job)
        if not jobs:
            raise _Shape(key, "empty: fio reported no jobs")
        if not version and client_mode:
            version = ""
        timestamp_ms = doc.get("timestamp_ms")
        if _is_number(timestamp_ms):
            check_number(timestamp_ms, "timestamp_ms")
        else:  # older fio: seconds; a timestamp is for display only, so one of another type is ignored
            ts = doc.get("timestamp")
            timestamp_ms = check_number(int(ts) * 1000, "timestamp") if _is_number(ts) and math.isfinite(ts) else 0
        return FioRun(
            source=source,
            version=version or "unknown",
            timestamp_ms=int(timestamp_ms),
            global_options=global_options,
            jobs=jobs,
            client_mode=client_mode,
            all_clients=all_clients,
        )
    except _Shape as exc:
        raise FioOutputError(source, f"wrong shape: {exc}") from None
    except (OverflowError, ValueError, TypeError) as exc:
        raise FioOutputError(source, f"wrong shape: {exc}") from None
    except RecursionError:
        raise FioOutputError(source, "wrong shape: nested too deeply") from None


def iter_runs(data: bytes | str, source: str = "<input>") -> Iterator[FioRun]:
    """Every document of a ``--status-interval`` stream, in order (the last is the result)."""
    for doc in iter_documents(data, source):
        yield parse_document(doc, source)


def read_fio_output(data: bytes | str, source: str = "<input>") -> FioRun:
    """The result in fio's output: the last complete document."""
    last = None
    for doc in iter_documents(data, source):
        last = doc
    assert last is not None  # iter_documents raises when there is none
    return parse_document(last, source)


_DOC_END = re.compile(r"^\}[ \t\r]*$", re.MULTILINE)


class DocumentStream:
    """Split a live ``--status-interval`` stream into documents as the bytes arrive.

    fio starts every document with a line ``{`` and ends it with a line ``}``; text between
    documents (warnings, banners) is skipped. Documents are yielded as soon as they are complete,
    whatever the chunk sizes (UTF-8 characters split across chunks are decoded whole).
    """

    def __init__(self, source: str = "<stream>") -> None:
        self.source = source
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending: list[str] = []
        self._buffer = ""
        self._scanned = 0  # no document ends before this offset of the buffer (a line start)
        self._first = True

    def feed(self, chunk: bytes | str) -> list[dict[str, Any]]:
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        if self._first and text:
            text, self._first = text.removeprefix("\ufeff"), False
        self._pending.append(text)
        if "}" not in text:
            return []  # no document can have ended; joining only here keeps tiny chunks cheap
        self._buffer += "".join(self._pending)
        self._pending.clear()
        docs: list[dict[str, Any]] = []
        while True:
            start = _DOC_START.search(self._buffer)
            if start is None:
                # keep a possible partial first line only
                self._buffer = self._buffer[self._buffer.rfind("\n") + 1 :]
                self._scanned = 0
                return docs
            end = _DOC_END.search(self._buffer, max(start.start(), self._scanned))
            if end is None:
                self._buffer = self._buffer[start.start() :]
                self._scanned = self._buffer.rfind("\n") + 1
                return docs
            text = self._buffer[start.start() : end.end()]
            self._buffer = self._buffer[end.end() :]
            self._scanned = 0
            try:
                doc = orjson.loads(text)
            except orjson.JSONDecodeError:
                continue  # a '}' line inside garbage; skip it, the next document resynchronises
            if isinstance(doc, dict):
                docs.append(doc)
