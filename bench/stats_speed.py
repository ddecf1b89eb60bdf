"""Benchmark: the statistics of a 36-scenario x 9-repeat set, compare included, against scipy.stats
called per scenario.

Workload (both arms, the same numbers): two sets A and B of 36 scenarios (4 runtimes x 9), 9 repeats
each, 4 metrics (bandwidth, IOPS, p50, p99).
  - summaries: median and 95 % bootstrap interval of every metric of every scenario of both sets
    (2 x 36 x 4 = 288 sample lists, 9,999 resamples);
  - table marks of B: each non-baseline scenario against the baseline runtime's, for bandwidth, p50
    and p99 (27 x 3 = 81 cells): ratio of medians with its bootstrap interval, two-sided
    permutation test, Benjamini-Hochberg;
  - the compare gate A -> B: 36 x 3 = 108 pairs: ratio with interval, one-sided permutation test
    in the bad direction, Holm.
The per-repeat values are synthetic timing input (seeded lognormal noise around fixed centres),
not results: the time does not depend on the values.

Arms, each in a fresh interpreter, so import time is measured too:
  - kataio: kataio_tui.stats (numpy; exact permutation tests over all 48,620 splits of 9 + 9);
  - baseline: scipy.stats.bootstrap (method="percentile") per sample list and per ratio,
    scipy.stats.permutation_test (its default 9,999 random permutations: less work than exact)
    per test, scipy.stats.false_discovery_control, Holm in numpy.
Interleaved rounds, medians. Both arms get sorted samples, for which kataio's intervals equal
scipy's with the same seed: the script checks that the 288 summary intervals agree.

    .venv/bin/python bench/stats_speed.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNTIMES = ("bare", "runc", "gvisor", "kata-qemu")
SCENARIOS_PER_RUNTIME = 9
REPEATS = 9
METRICS = (("bw", True, 800.0, 0.04), ("iops", True, 12800.0, 0.04), ("p50", False, 90.0, 0.05),
           ("p99", False, 400.0, 0.15))
GATE_METRICS = ("bw", "p50", "p99")
SEED = 12


def workload() -> dict:
    import numpy as np

    rng = np.random.default_rng(2026)

    def one_set(slowdown: float) -> dict:
        out = {}
        for r, runtime in enumerate(RUNTIMES):
            for s in range(SCENARIOS_PER_RUNTIME):
                for name, higher, centre, spread in METRICS:
                    factor = (1 - 0.1 * r) * (1 + 0.05 * s)
                    value = centre * (factor if higher else 1 / factor) * (slowdown if higher else 1 / slowdown)
                    out[(runtime, s, name)] = sorted(rng.lognormal(np.log(value), spread, REPEATS).tolist())
        return out

    return {"A": one_set(1.0), "B": one_set(0.97)}


def _cells(data: dict) -> tuple[list, list, list]:
    lists = [data[set_][key] for set_ in ("A", "B") for key in sorted(data[set_])]
    table = [(data["B"][("bare", s, m)], data["B"][(rt, s, m)], m)
             for rt in RUNTIMES[1:] for s in range(SCENARIOS_PER_RUNTIME) for m in GATE_METRICS]
    gate = [(data["A"][(rt, s, m)], data["B"][(rt, s, m)], m)
            for rt in RUNTIMES for s in range(SCENARIOS_PER_RUNTIME) for m in GATE_METRICS]
    return lists, table, gate


def arm_kataio() -> dict:
    t0 = time.perf_counter()
    from kataio_tui.stats.bootstrap import summarize
    from kataio_tui.stats.metrics import DEFAULT_METRICS
    from kataio_tui.stats.verdicts import Pair, gate, table_marks
    t1 = time.perf_counter()
    lists, table, pairs = _cells(workload())
    t2 = time.perf_counter()
    summaries = summarize(lists, seed=SEED)
    marks = table_marks([Pair(a, b, DEFAULT_METRICS[m]) for a, b, m in table], seed=SEED)
    verdicts = gate([Pair(a, b, DEFAULT_METRICS[m]) for a, b, m in pairs], seed=SEED)
    t3 = time.perf_counter()
    return {"import_s": t1 - t0, "compute_s": t3 - t2,
            "cis": [[s.ci_low, s.ci_high] for s in summaries],
            "marks": sorted({m.mark.value for m in marks}), "verdicts": sorted({v.verdict.value for v in verdicts})}


def arm_scipy() -> dict:
    t0 = time.perf_counter()
    import numpy as np
    import scipy.stats as st
    t1 = time.perf_counter()
    lists, table, pairs = _cells(workload())
    t2 = time.perf_counter()

    def ratio(a, b, axis):
        return np.median(b, axis=axis) / np.median(a, axis=axis)

    def diff(a, b, axis):
        return np.mean(b, axis=axis) - np.mean(a, axis=axis)

    cis = []
    for values in lists:
        res = st.bootstrap((values,), np.median, method="percentile", rng=np.random.default_rng(SEED))
        ci = res.confidence_interval
        cis.append([float(ci.low), float(ci.high)])
    table_p = []
    for a, b, _ in table:
        st.bootstrap((a, b), ratio, method="percentile", rng=np.random.default_rng(SEED))
        table_p.append(st.permutation_test((a, b), diff, vectorized=True, rng=np.random.default_rng(SEED)).pvalue)
    st.false_discovery_control(table_p)
    gate_p = []
    for a, b, m in pairs:
        st.bootstrap((a, b), ratio, method="percentile", rng=np.random.default_rng(SEED))
        alternative = "less" if m == "bw" else "greater"
        gate_p.append(st.permutation_test((a, b), diff, vectorized=True, alternative=alternative,
                                          rng=np.random.default_rng(SEED)).pvalue)
    p = np.array(gate_p)
    order = np.argsort(p)
    np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]).clip(max=1)
    t3 = time.perf_counter()
    return {"import_s": t1 - t0, "compute_s": t3 - t2, "cis": cis}


def run_arm(name: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--arm", name], capture_output=True, text=True, cwd=REPO,
                          timeout=600, check=False)
    if proc.returncode:
        sys.exit(f"{name} arm failed:\n{proc.stderr}")
    result = json.loads(proc.stdout)
    result["total_s"] = result["import_s"] + result["compute_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--arm", choices=("kataio", "scipy"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.arm:
        print(json.dumps(arm_kataio() if args.arm == "kataio" else arm_scipy()))
        return
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at the start")
    runs: dict[str, list[dict]] = {"kataio": [], "scipy": []}
    for i in range(args.rounds):
        for name, results in runs.items():
            results.append(run_arm(name))
        print(f"round {i + 1}: kataio {runs['kataio'][-1]['total_s']:.2f} s, "
              f"scipy per scenario {runs['scipy'][-1]['total_s']:.2f} s", flush=True)
    k, s = runs["kataio"][0], runs["scipy"][0]
    worst = max(abs(x - y) / abs(y) for kc, sc in zip(k["cis"], s["cis"]) for x, y in zip(kc, sc))
    print(f"\n288 summary intervals: largest relative difference kataio vs scipy {worst:.1e}")
    print(f"kataio marks seen {k['marks']}, gate verdicts seen {k['verdicts']}")
    print(f"\n{'median of ' + str(args.rounds) + ' rounds':<28}{'import s':>10}{'compute s':>11}{'total s':>9}")
    for name, label in (("kataio", "kataio_tui.stats"), ("scipy", "scipy.stats per scenario")):
        med = {key: statistics.median(r[key] for r in runs[name]) for key in ("import_s", "compute_s", "total_s")}
        print(f"{label:<28}{med['import_s']:>10.3f}{med['compute_s']:>11.3f}{med['total_s']:>9.3f}")
    ratio = (statistics.median(r["compute_s"] for r in runs["kataio"])
             / statistics.median(r["compute_s"] for r in runs["scipy"]))
    total = statistics.median(r["total_s"] for r in runs["kataio"])
    print(f"\nkataio compute / baseline compute: {ratio:.3f}; kataio total {total:.2f} s (target < 2 s)")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
