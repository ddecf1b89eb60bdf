"""Benchmark: `kataio report SET --format csv` on a large real result set against a plain script.

1. Makes (once, cached under ~/.cache/kataio-bench/) a stackhpc-io-tools tree of real fio json+
   client files: 3 runtimes x 4 patterns x (1 + 8 + 64) clients = 876 files, 64k blocks. Every
   file is its own short run of Debian's fio on this machine (libaio, direct I/O, 250 ms, lat and
   clat percentiles on, so files are about 12 to 20 KB like the StackHPC data); the runtime names
   are labels only: all files come from bare fio. Two runs at a time; a cut-short generation resumes.
2. Imports it once with `kataio import` (cached too).
3. Times the whole process `kataio report SET --format csv` against bench/plain_report.py (the
   named baseline: json.loads every file, sum bandwidth, merge clat bins, p50/p99), interleaved,
   several rounds; prints median wall times, the ratio (target <= 1.0) and kataio's peak RSS
   (target < 150 MB). kataio keeps a derived summary cache in the set's .cache/ directory; the
   first figure is cold (cache removed before every run), the second warm.
4. Checks that both print the same bandwidth and p50/p99 for every scenario.

    .venv/bin/python bench/report_speed.py [--rounds 7] [--cache DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from fiogen import BASE_OPTIONS, run_local  # noqa: E402  (the tests' real-fio helpers)

RUNTIMES = ("bare", "runc", "kata-qemu")
PATTERNS = ("read", "write", "randread", "randwrite")
CLIENTS = (1, 8, 64)
BLOCK = "64k"
OPTIONS = {**BASE_OPTIONS, "bs": BLOCK, "size": "8m", "iodepth": "8", "runtime": "250ms", "lat_percentiles": "1"}
TREE_VERSION = "v1"
KATAIO = Path(sys.executable).with_name("kataio")
# as installed for a user: Python keeps compiled bytecode (some sessions set PYTHONDONTWRITEBYTECODE,
# which would make every run of either program compile its modules again)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def tree_files(tree: Path) -> list[tuple[Path, str]]:
    return [(tree / runtime / f"ext4-{pattern}" / str(n) / f"client-{c:02d}" / f"{BLOCK}.json", pattern)
            for runtime in RUNTIMES for pattern in PATTERNS for n in CLIENTS for c in range(n)]


def ensure_tree(cache: Path, parallel: int = 2) -> Path:
    tree = cache / f"tree-{TREE_VERSION}"
    done_marker = tree / ".complete.json"
    if done_marker.exists():
        return tree
    todo = [(p, pattern) for p, pattern in tree_files(tree) if not (p.exists() and p.stat().st_size)]
    print(f"making {len(todo)} real fio client files under {tree} ({parallel} at a time) ...", flush=True)
    work = cache / "fio-work"
    start = time.monotonic()

    def one(item: tuple[int, tuple[Path, str]]) -> None:
        i, (path, pattern) = item
        out = run_local(work / f"w{i % parallel}", {**OPTIONS, "rw": pattern})
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(out)
        tmp.rename(path)

    with ThreadPoolExecutor(parallel) as pool:
        for n, _ in enumerate(pool.map(one, enumerate(todo)), 1):
            if n % 100 == 0:
                print(f"  {n}/{len(todo)} in {time.monotonic() - start:.0f} s", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    fio = subprocess.run(["fio", "--version"], capture_output=True, text=True).stdout.strip()
    done_marker.write_text(json.dumps({"fio": fio, "options": OPTIONS, "files": len(tree_files(tree)),
                                       "made_in_s": round(time.monotonic() - start)}))
    return tree


def ensure_set(cache: Path, tree: Path) -> Path:
    dest = cache / f"set-{TREE_VERSION}"
    if not (dest / "manifest.toml").exists():
        subprocess.run([str(KATAIO), "import", str(tree), str(dest), "--name", "bench 876 clients"], check=True)
    return dest


def timed_rss(cmd: list[str], before=None) -> tuple[float, int, bytes]:
    if before:
        before()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV)
    chunks = []
    while True:
        chunk = proc.stdout.read(1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return wall, usage.ru_maxrss * 1024, b"".join(chunks)


def same_numbers(kataio_csv: bytes, plain_csv: bytes) -> int:
    ours = {(r["runtime"], r["pattern"], int(r["clients"])): r for r in csv.DictReader(io.StringIO(kataio_csv.decode()))}
    plain = list(csv.DictReader(io.StringIO(plain_csv.decode())))
    assert len(ours) == len(plain), (len(ours), len(plain))
    for r in plain:
        k = ours[(r["runtime"], r["pattern"], int(r["clients"]))]
        assert abs(float(k["bw_mib_s"]) - float(r["bw_mib_s"])) < 0.002, (k, r)
        assert float(k["p50_us"]) == float(r["p50_us"]) and float(k["p99_us"]) == float(r["p99_us"]), (k, r)
    return len(plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "kataio-bench")
    args = parser.parse_args()
    tree = ensure_tree(args.cache)
    result_set = ensure_set(args.cache, tree)
    files = len(tree_files(tree))
    size = sum(p.stat().st_size for p, _ in tree_files(tree))
    print(f"tree: {files} fio json+ client files, {size / 1e6:.1f} MB ({size / files / 1e3:.1f} KB each); "
          f"set: {result_set}")

    kataio_cmd = [str(KATAIO), "report", str(result_set), "--format", "csv"]
    plain_cmd = [sys.executable, str(REPO / "bench" / "plain_report.py"), str(tree)]
    derived = result_set / ".cache"

    def drop_cache() -> None:
        shutil.rmtree(derived, ignore_errors=True)

    runs: dict[str, list[tuple[float, int]]] = {"kataio cold": [], "kataio warm": [], "plain": []}
    outputs = {}
    timed_rss(plain_cmd)  # warm the page cache for both
    timed_rss(kataio_cmd)
    for _ in range(args.rounds):
        for name, cmd, before in (("kataio cold", kataio_cmd, drop_cache), ("plain", plain_cmd, None),
                                  ("kataio warm", kataio_cmd, None)):
            wall, rss, out = timed_rss(cmd, before)
            runs[name].append((wall, rss))
            outputs[name] = out
    checked = same_numbers(outputs["kataio cold"], outputs["plain"])
    assert outputs["kataio cold"] == outputs["kataio warm"], "the summary cache changed the report"

    plain = statistics.median(w for w, _ in runs["plain"])
    print(f"\n{args.rounds} interleaved rounds, medians (same numbers for all {checked} scenarios: checked)")
    print(f"{'':14} {'wall s':>8} {'ratio':>7} {'peak RSS MB (median / max)':>28}")
    for name, values in runs.items():
        wall = statistics.median(w for w, _ in values)
        rss = [r / 1e6 for _, r in values]
        print(f"{name:14} {wall:8.3f} {wall / plain:7.2f} {statistics.median(rss):17.1f} / {max(rss):.1f}")
    print("\nratio = wall time / plain script's (target <= 1.0); peak RSS target < 150 MB "
          f"(cache: {'present' if derived.exists() else 'none'})")


if __name__ == "__main__":
    main()
