"""`kataio report` to a file or a pipe never cuts numbers or names to 80 columns; the terminal's
width applies only on a terminal."""

from __future__ import annotations

import subprocess
import sys

from fiogen import LOCAL_GROUP, fiogen  # noqa: F401

from kataio_tui.model.results import Provenance, ScenarioRecord
from kataio_tui.results.store import ResultSet

RUNTIMES = ("bare", "runc", "gvisor", "kata-virtio", "kata-virtio-dax")


def test_a_five_runtime_table_to_a_pipe_is_whole(fiogen, tmp_path):  # noqa: F811
    data = fiogen.get(LOCAL_GROUP)
    scenarios = [(ScenarioRecord(runtime=rt, pattern="randrw", block_size=4096, clients=c),
                  [(f"c{i}.json", data) for i in range(c)], None) for rt in RUNTIMES for c in (1, 64)]
    path = tmp_path / "five"
    ResultSet.create(path, "five runtimes", Provenance(made_by="test (bare fio, labels)", kataio_version="0"),
                     scenarios=scenarios)
    out = subprocess.run([sys.executable, "-m", "kataio_tui", "report", str(path)], capture_output=True,
                         text=True, check=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "80"}).stdout
    assert "…" not in out
    header = next(line for line in out.splitlines() if "kata-virtio-dax" in line)
    assert all(rt in header for rt in RUNTIMES) and max(len(line) for line in out.splitlines()) > 80
    with_64 = next(line for line in out.splitlines() if line.startswith("│ randrw") and " 64 " in line)
    assert with_64.count("%") == 4  # every runtime's number and percent, none cut
