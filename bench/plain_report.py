"""The named baseline of bench/report_speed.py: the plainest script that produces the numbers of
`kataio report --format csv` from a stackhpc-io-tools tree.

It json.loads every raw client file, sums bandwidth and IOPS over jobs, directions and clients,
adds up the clat json+ bins per scenario and walks them for p50 and p99 (the way fio does), and
prints one CSV row per scenario. No validation, no error handling, nothing else.

    python bench/plain_report.py TREE
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path


def main(tree: Path) -> None:
    scenarios: dict[tuple[str, str, str, int], dict] = {}
    for path in tree.glob("*/*/*/*/*.json"):
        runtime, fs_pattern, clients, _client = path.relative_to(tree).parts[:4]
        key = (runtime, fs_pattern.rsplit("-", 1)[-1], path.stem, int(clients))
        text = path.read_text()
        doc = json.loads(text[text.index("{"):])
        agg = scenarios.setdefault(key, {"bw": 0.0, "iops": 0.0, "bins": {}, "files": 0})
        agg["files"] += 1
        for job in doc["jobs"]:
            for ddir in ("read", "write", "trim"):
                stats = job[ddir]
                agg["bw"] += stats["bw_bytes"]
                agg["iops"] += stats["iops"]
                for ns, count in stats["clat_ns"].get("bins", {}).items():
                    agg["bins"][int(ns)] = agg["bins"].get(int(ns), 0) + count
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["runtime", "pattern", "block_size", "clients", "bw_mib_s", "iops", "p50_us", "p99_us"])
    for (runtime, pattern, block, clients), agg in sorted(scenarios.items()):
        total = sum(agg["bins"].values())
        wanted = {50: math.ceil(total * 0.5), 99: math.ceil(total * 0.99)}
        found: dict[int, int] = {}
        running = 0
        for ns in sorted(agg["bins"]):
            running += agg["bins"][ns]
            for p, need in wanted.items():
                if p not in found and running >= need:
                    found[p] = ns
        out.writerow([runtime, pattern, block, clients, round(agg["bw"] / 1048576, 3), round(agg["iops"], 1),
                      found.get(50, 0) / 1000, found.get(99, 0) / 1000])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
