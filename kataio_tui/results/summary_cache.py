"""A derived, disposable cache of per-client summaries under a set's ``.cache/`` directory.

Parsing hundreds of json+ files is most of the time a report takes; the summaries of a raw file
depend only on its bytes, so they are kept keyed by the file's size, modification time and inode,
together with a snapshot of the validated manifest keyed the same way. Raw files and the manifest
are never touched. Anything unexpected (a missing, stale, foreign or corrupt cache, a read-only
set) simply means "not cached": the cache is rewritten atomically or not at all.

A file modified within RACY_NS of the cache being written is not trusted on its stamp alone (file
times are coarse, so a same-size rewrite in the same tick would otherwise go unnoticed): its entry
carries a digest of the bytes that were summarised, and the file is read and hashed (not parsed)
to confirm it. So a set cached right after kataio wrote it is warm from its first report.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import orjson

from kataio_tui import __version__
from kataio_tui.fio.histogram import Histogram
from kataio_tui.fio.summary import ClientLatency, ClientSummary
from kataio_tui.results.loaded import FileProblem
from kataio_tui.results.setfiles import CACHE_DIR, MANIFEST
from kataio_tui.tomlfile import write_atomic

CACHE_NAME = "summaries.json"
FORMAT = 5  # bump when ClientSummary or the way files are summarised changes
RACY_NS = 2_000_000_000

Stamp = list[int]  # [size, mtime_ns, inode]


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_stamp(path: Path) -> Stamp:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ino]


# ---- ClientSummary <-> JSON data ---------------------------------------------------------------


def _latency_to_json(lat: ClientLatency) -> dict[str, Any]:
    # histograms as base64 machine arrays: decoded at C speed, and only when a report uses them
    return {
        "samples": lat.samples, "mean_ns": lat.mean_ns, "min_ns": lat.min_ns, "max_ns": lat.max_ns,
        "bins": list(lat.histogram.to_b64()) if lat.histogram is not None else None,
        "fio_percentiles": [[p, ns] for p, ns in lat.fio_percentiles.items()],
        "fio_low": [[p, ns] for p, ns in lat.fio_low.items()], "fio_exact": lat.fio_exact,
    }


def _latency_from_json(data: dict[str, Any]) -> ClientLatency:
    bins = data["bins"]
    return ClientLatency(
        samples=data["samples"], mean_ns=data["mean_ns"], min_ns=data["min_ns"], max_ns=data["max_ns"],
        histogram=Histogram.from_b64(*bins) if bins is not None else None,
        fio_percentiles={p: ns for p, ns in data["fio_percentiles"]},
        fio_low={p: ns for p, ns in data["fio_low"]}, fio_exact=data["fio_exact"],
    )


def client_to_json(c: ClientSummary) -> dict[str, Any]:
    return {
        "name": c.name, "source": c.source, "fio_version": c.fio_version, "hostname": c.hostname,
        "errors": c.errors, "io_bytes": c.io_bytes, "bw_bytes": c.bw_bytes, "iops": c.iops,
        "runtime_ms": c.runtime_ms, "direction_bw": c.direction_bw, "options": c.options,
        "timestamp_ms": c.timestamp_ms,
        "latency": {kind: _latency_to_json(lat) for kind, lat in c.latency.items()},
    }


def client_from_json(d: dict[str, Any]) -> ClientSummary:
    return ClientSummary(
        name=d["name"], source=d["source"], fio_version=d["fio_version"], hostname=d["hostname"],
        errors=d["errors"], io_bytes=d["io_bytes"], bw_bytes=d["bw_bytes"], iops=d["iops"],
        runtime_ms=d["runtime_ms"], direction_bw=d["direction_bw"], options=d["options"],
        timestamp_ms=d["timestamp_ms"],
        latency={kind: _latency_from_json(lat) for kind, lat in d["latency"].items()},
    )


# ---- the cache file ----------------------------------------------------------------------------


class SummaryCache:
    def __init__(self, set_dir: Path, data: dict[str, Any] | None) -> None:
        self.set_dir = set_dir
        fresh = {"format": FORMAT, "kataio": __version__, "written_ns": 0, "manifest": None, "files": {},
                 "scenarios": {}}
        self._data = data if data is not None else fresh
        self._seen: set[str] = set()
        self._seen_scenarios: set[str] = set()
        self._confirmed: set[str] = set()  # files whose entry was found valid in this load
        self._dirty = data is None

    @classmethod
    def open(cls, set_dir: Path) -> SummaryCache:
        try:
            data = orjson.loads((set_dir / CACHE_DIR / CACHE_NAME).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return cls(set_dir, None)
        if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("kataio") == __version__
                and isinstance(data.get("files"), dict) and isinstance(data.get("written_ns"), int)):
            return cls(set_dir, None)
        return cls(set_dir, data)

    def _trusted(self, stamp: Stamp) -> bool:
        return stamp[1] < self._data["written_ns"] - RACY_NS

    def _confirm(self, entry: dict[str, Any], stamp: Stamp, path: Path) -> bool:
        """The entry describes the file at path: same stamp, and either old enough to trust the
        stamp or the same bytes as when it was summarised."""
        if entry.get("stamp") != stamp:
            return False
        if self._trusted(stamp):
            return True
        try:
            same = entry.get("digest") == digest(path.read_bytes())
        except OSError:
            return False
        if same and stamp[1] < time.time_ns() - RACY_NS:
            self._dirty = True  # rewritten now, the stamp alone will do next time
        return same

    @staticmethod
    def _racy_digest(stamp: Stamp, data: bytes | None) -> str | None:
        return digest(data) if data is not None and stamp[1] >= time.time_ns() - RACY_NS else None

    def lookup(self, rel: str, stamp: Stamp, path: Path) -> list[ClientSummary] | FileProblem | None:
        self._seen.add(rel)
        entry = self._data["files"].get(rel)
        if not isinstance(entry, dict) or not self._confirm(entry, stamp, path):
            return None
        try:
            found = FileProblem(rel, entry["problem"]) if "problem" in entry else [
                client_from_json(c) for c in entry["clients"]]
        except (KeyError, TypeError, ValueError):
            return None
        self._confirmed.add(rel)
        return found

    def store(self, rel: str, stamp: Stamp, value: list[ClientSummary] | FileProblem, data: bytes | None) -> None:
        """Keep the summaries of a file; data: the bytes they were made from (None: unreadable)."""
        self._seen.add(rel)
        self._confirmed.add(rel)
        entry: dict[str, Any] = {"stamp": stamp}
        racy = self._racy_digest(stamp, data)
        if racy is not None:
            entry["digest"] = racy
        if isinstance(value, FileProblem):
            entry["problem"] = value.reason
        else:
            entry["clients"] = [client_to_json(c) for c in value]
        self._data["files"][rel] = entry
        self._dirty = True

    def scenario(self, files: list[str], stamps: list[Stamp]) -> dict[str, Histogram | None] | None:
        """The merged histograms of a scenario whose files all have these stamps (and were all
        confirmed by lookup or stored in this load)."""
        entry = self._data.setdefault("scenarios", {}).get("\n".join(files))
        self._seen_scenarios.add("\n".join(files))
        if not isinstance(entry, dict) or entry.get("stamps") != stamps or not self._confirmed.issuperset(files):
            return None
        try:
            return {kind: Histogram.from_b64(*packed) if packed is not None else None
                    for kind, packed in entry["merged"].items()}
        except (KeyError, TypeError, ValueError):
            return None

    def store_scenario(self, files: list[str], stamps: list[Stamp], merged: dict[str, Histogram | None]) -> None:
        key = "\n".join(files)
        self._seen_scenarios.add(key)
        self._data.setdefault("scenarios", {})[key] = {
            "stamps": stamps, "merged": {k: list(h.to_b64()) if h is not None else None for k, h in merged.items()},
        }
        self._dirty = True

    def manifest(self, stamp: Stamp) -> dict[str, Any] | None:
        """The manifest snapshot, when the manifest file has not changed since."""
        snap = self._data.get("manifest")
        if isinstance(snap, dict) and self._confirm(snap, stamp, self.set_dir / MANIFEST):
            data = snap.get("data")
            return data if isinstance(data, dict) else None
        return None

    def set_manifest(self, stamp: Stamp, data: dict[str, Any], raw: bytes | None = None) -> None:
        """Keep a snapshot of the manifest (JSON data); raw: the file's bytes it was read from."""
        snap: dict[str, Any] = {"stamp": stamp, "data": data}
        racy = self._racy_digest(stamp, raw)
        if racy is not None:
            snap["digest"] = racy
        if self._data.get("manifest") != snap:
            self._data["manifest"] = snap
            self._dirty = True

    def save(self) -> None:
        """Write the cache (only entries of files seen in this load) if anything changed."""
        files = self._data["files"]
        if set(files) - self._seen:
            self._data["files"] = {rel: e for rel, e in files.items() if rel in self._seen}
            self._dirty = True
        scenarios = self._data.setdefault("scenarios", {})
        if set(scenarios) - self._seen_scenarios:
            self._data["scenarios"] = {k: e for k, e in scenarios.items() if k in self._seen_scenarios}
            self._dirty = True
        if not self._dirty:
            return
        self._data["written_ns"] = time.time_ns()
        try:
            directory = self.set_dir / CACHE_DIR
            directory.mkdir(exist_ok=True)
            write_atomic(directory / CACHE_NAME, orjson.dumps(self._data))
        except OSError:
            return  # a read-only set is read every time, nothing else changes
        self._dirty = False
