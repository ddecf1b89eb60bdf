"""Record the TUI tests' result set with real fio (run once by hand; its output is committed).

Snapshot tests need the same numbers every time, so the TUI tests read a result set recorded once on
the development machine rather than a fresh run. Every number in it is real fio output: ``bare`` is
fio run directly, ``gvisor`` is the same job under ``runsc do`` (gVisor's sandbox around one command).
N clients are N fio processes started together, each in its own directory.

    .venv/bin/python tests/tui/record_sample.py tests/tui/data/sample-set
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kataio_tui import __version__
from kataio_tui.model.results import Provenance, ScenarioRecord
from kataio_tui.results.store import ResultSet
from kataio_tui.units import format_size

RUNTIMES = {"bare": [], "gvisor": ["runsc", "--network=none", "do"]}
SCENARIOS = [  # (pattern, block size, clients)
    ("read", 65536, 1), ("read", 65536, 2), ("randwrite", 65536, 1), ("randwrite", 65536, 2),
    ("read", 4096, 1),
]


def job_text(pattern: str, block: int, directory: Path) -> str:
    return (f"[global]\nioengine=libaio\ndirect=1\niodepth=8\nnumjobs=2\ngroup_reporting=1\n"
            f"directory={directory}\nsize=16m\nruntime=1\ntime_based=1\nlat_percentiles=1\n"
            f"[{pattern}-{format_size(block)}]\nrw={pattern}\nbs={format_size(block)}\n")


def run_client(prefix: list[str], pattern: str, block: int, workdir: Path) -> tuple[bytes, str]:
    workdir.mkdir(parents=True)
    text = job_text(pattern, block, workdir)
    (workdir / "job.fio").write_text(text)
    proc = subprocess.run([*prefix, shutil.which("fio"), "--output-format=json+", str(workdir / "job.fio")],
                          cwd=workdir, capture_output=True, timeout=120, check=True)
    return proc.stdout, text


def main(dest: Path) -> None:
    scenarios = []
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        for runtime, prefix in RUNTIMES.items():
            for pattern, block, clients in SCENARIOS:
                base = Path(tmp) / f"{runtime}-{pattern}-{block}-{clients}"
                with ThreadPoolExecutor(clients) as pool:
                    results = list(pool.map(lambda i: run_client(prefix, pattern, block, base / f"c{i}"),
                                            range(clients)))
                record = ScenarioRecord(runtime=runtime, pattern=pattern, block_size=block, clients=clients)
                raw = [(f"client{i}.json", out) for i, (out, _) in enumerate(results)]
                scenarios.append((record, raw, results[0][1].replace(str(base / "c0"), "/data/client0")))
                print(f"{runtime} {pattern} {format_size(block)} x{clients}", file=sys.stderr)
    fio_version = subprocess.run(["fio", "--version"], capture_output=True, text=True).stdout.strip()
    provenance = Provenance(
        made_by="tests/tui/record_sample.py (real fio runs, recorded once for the TUI tests)",
        kataio_version=__version__, fio_version=fio_version, hosts=["dev-machine"],
        kernel=platform.release(),
        notes="bare: fio directly on ext4; gvisor: the same job under `runsc --network=none do`",
    )
    ResultSet.create(dest, "tui-sample", provenance, scenarios=scenarios)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
