"""One client's live fio output (``--status-interval=1`` json+): progress events, the result bytes
exactly as fio wrote them, and the moment its measured I/O began. Shared by every runner: feed it
whatever bytes arrive (a pipe, a container's stdout, a pod's log stream)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kataio_tui.fio.reader import DocumentStream, FioOutputError, FioRun, parse_document
from kataio_tui.model.results import ScenarioKey
from kataio_tui.runners.events import ClientProgress, Emit

_DOC_START = re.compile(rb"^\{$", re.MULTILINE)
_DOC_END = re.compile(rb"^\}$\n?", re.MULTILINE)
RESET_JUMP_MS = 500  # the measured start moving later by more than this: fio reset its counters


def _totals(run: FioRun) -> tuple[int, int, int]:
    """io_bytes and total_ios over all jobs and directions, and the longest direction runtime (ms)."""
    io = ios = runtime = 0
    for job in run.jobs:
        for stats in job.directions.values():
            io += stats.io_bytes
            ios += stats.total_ios
            if stats.active:
                runtime = max(runtime, stats.runtime_ms)
    return io, ios, runtime


class ClientStream:
    """Feed bytes with :meth:`feed`; it emits a ClientProgress for every complete document."""

    def __init__(self, key: ScenarioKey, client: int, expected_s: float | None, emit: Emit,
                 source: str = "<fio>") -> None:
        self.key = key
        self.client = client
        self.expected_s = expected_s
        self.raw = bytearray()
        self.documents = 0
        self._emit = emit
        self._splitter = DocumentStream(source)
        self._source = source
        self._prev: tuple[int, int, int, int] | None = None  # io_bytes, total_ios, timestamp_ms, measured start
        self._starts: list[int] = []  # timestamp_ms - measured runtime, per document
        self._job_start_ms: int | None = None  # from the first document (runtime counts from job start)

    def feed(self, chunk: bytes) -> None:
        self.raw += chunk
        for doc in self._splitter.feed(chunk):
            self._document(doc)

    def _document(self, doc: dict[str, Any]) -> None:
        try:
            run = parse_document(doc, self._source)
        except FioOutputError:
            return  # a malformed interim document only costs one progress tick
        self.documents += 1
        io, ios, runtime_ms = _totals(run)
        now_ms = run.timestamp_ms
        if runtime_ms > 0 and now_ms > 0:
            self._starts.append(now_ms - runtime_ms)
            if self._job_start_ms is None:
                self._job_start_ms = now_ms - runtime_ms
        prev = self._prev
        start = now_ms - runtime_ms
        # fio resets its counters at the end of ramp_time: the measured start jumps forward (and the
        # totals usually drop, but not always: just after a 1 s ramp they can be as large as before).
        # A difference across the reset is meaningless (negative IOPS, near-zero bandwidth).
        reset = prev is not None and (io < prev[0] or ios < prev[1] or start - prev[3] > RESET_JUMP_MS)
        if prev is not None and not reset and now_ms > prev[2]:
            seconds = (now_ms - prev[2]) / 1000
            bw, iops = (io - prev[0]) / seconds, (ios - prev[1]) / seconds
        else:  # the first document, or the stats were reset at the end of ramp_time
            seconds = runtime_ms / 1000
            bw, iops = (io / seconds, ios / seconds) if seconds > 0 else (0.0, 0.0)
        self._prev = (io, ios, now_ms, start)
        # fio's own "elapsed" is rounded up to whole seconds; wall time since the job began is finer.
        elapsed = (now_ms - self._job_start_ms) / 1000 if self._job_start_ms is not None else runtime_ms / 1000
        remaining = max(0.0, self.expected_s - elapsed) if self.expected_s is not None else None
        self._emit(ClientProgress(self.key, self.client, elapsed, remaining, bw, iops, io))

    def result_bytes(self) -> bytes | None:
        """The last complete document, byte for byte as fio wrote it (None when there is none)."""
        raw = bytes(self.raw)
        starts = list(_DOC_START.finditer(raw))
        for start in reversed(starts):
            end = _DOC_END.search(raw, start.start())
            if end is not None:
                return raw[start.start():end.end()]
        return None

    def measured_start_ms(self) -> int | None:
        """When measured I/O began (epoch ms): a document's timestamp minus its measured runtime.

        Each document gives an estimate that is late by however long fio took to print it (the
        final one also by the jobs' teardown), so the earliest estimate is the best. Documents
        during ramp_time count from the job's start, a whole second or more earlier: only the
        estimates within 0.5 s of the latest one (those after the reset at the end of the ramp)
        are used.
        """
        if not self._starts:
            return None
        latest = max(self._starts)
        return min(s for s in self._starts if s >= latest - 500)


def start_skew_s(streams: Sequence[ClientStream]) -> float | None:
    """The spread of the clients' measured-I/O start times in seconds (None with under 2 clients)."""
    starts = [s.measured_start_ms() for s in streams]
    known = [s for s in starts if s is not None]
    if len(known) < 2:
        return None
    return (max(known) - min(known)) / 1000
