"""Per-scenario change between two result sets: bandwidth and p50/p99 latency."""

from __future__ import annotations

from dataclasses import dataclass

from kataio_tui.results.tables import RowKey, ScenarioRow, sort_key


@dataclass(slots=True)
class Change:
    key: RowKey
    bw_a: float | None
    bw_b: float | None
    bw_pct: float | None  # + is faster
    p50_pct: float | None  # + is slower
    p99_pct: float | None
    worse_by: float  # the largest degradation in percent (0 when none)


def _pct(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or a == 0:
        return None
    return 100.0 * (b - a) / a


def compare_rows(rows_a: list[ScenarioRow], rows_b: list[ScenarioRow], kind: str = "clat") -> list[Change]:
    by_key_a = {r.key: r for r in rows_a}
    by_key_b = {r.key: r for r in rows_b}
    changes = []
    for key in sorted(set(by_key_a) | set(by_key_b), key=sort_key):
        a, b = by_key_a.get(key), by_key_b.get(key)
        bw_a = a.bw_mib_s if a and a.clients_reported else None
        bw_b = b.bw_mib_s if b and b.clients_reported else None
        lat_a = a.lat(kind) if a else None
        lat_b = b.lat(kind) if b else None
        bw_pct = _pct(bw_a, bw_b)
        p50 = _pct(lat_a.p50_us if lat_a else None, lat_b.p50_us if lat_b else None)
        p99 = _pct(lat_a.p99_us if lat_a else None, lat_b.p99_us if lat_b else None)
        worse = max(-(bw_pct or 0.0), p50 or 0.0, p99 or 0.0, 0.0)
        if a and b and bw_a is not None and bw_b is None:
            worse = 100.0  # it produced results before and none now
        changes.append(Change(key, bw_a, bw_b, bw_pct, p50, p99, worse))
    return changes
