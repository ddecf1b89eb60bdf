"""Sets written by kataio are cached when their writer warms them; the report's manifest check matches the
model."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

from fiogen import LOCAL_JSON, fiogen  # noqa: F401

from kataio_tui.model.results import Provenance, ScenarioRecord, ScenarioStatus
from kataio_tui.results.manifest_view import SCENARIO_STATUSES
from kataio_tui.results.loader import quick_load, warm_cache
from kataio_tui.results.store import ResultSet

PROV = Provenance(made_by="test (bare fio on this machine)", kataio_version="0.1.0")


def test_statuses_are_the_models():
    assert SCENARIO_STATUSES == get_args(ScenarioStatus)


def test_warmed_set_is_warm_and_a_rewritten_file_is_not_trusted(fiogen, tmp_path):  # noqa: F811
    data = fiogen.get(LOCAL_JSON)
    rs = ResultSet.create(tmp_path / "s", "fresh", PROV, scenarios=[
        (ScenarioRecord(runtime="bare", pattern="randread", block_size=4096, clients=1), [("c0.json", data)], None)])
    assert quick_load(rs.path) is None  # the store only stores; its writer warms the cache
    warm_cache(rs)
    quick = quick_load(rs.path)  # right after writing: stamps are racy, digests confirm the bytes
    assert quick is not None and len(quick.scenarios[0].clients) == 1 and not quick.problems
    rs.add_scenario(ScenarioRecord(runtime="runc", pattern="randread", block_size=4096, clients=1),
                    [("c0.json", data)])
    warm_cache(rs)
    assert quick_load(rs.path) is not None and len(quick_load(rs.path).scenarios) == 2
    victim = rs.path / rs.manifest.scenarios[0].files[0]
    victim.write_bytes(b" " * victim.stat().st_size)  # same size, same tick possibly: must be noticed
    assert quick_load(rs.path) is None


def test_cold_report_does_not_import_pydantic(fiogen, tmp_path):  # noqa: F811
    rs = ResultSet.create(tmp_path / "s", "cold", PROV, scenarios=[
        (ScenarioRecord(runtime="bare", pattern="randread", block_size=4096, clients=1),
         [("c0.json", fiogen.get(LOCAL_JSON))], None)])
    assert not (rs.path / ".cache").exists()
    probe = ("import sys; from kataio_tui.results.loader import summarize_set; "
             f"s = summarize_set({str(rs.path)!r}); "
             "print(type(s.scenarios[0].record).__name__, len(s.scenarios[0].clients), 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["RecordView", "1", "False"]
