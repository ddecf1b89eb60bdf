"""Property tests over the TOML files kataio reads (plans, the config file, result-set manifests):
any value in any field, deep nesting, numbers beyond 64 bits or of thousands of digits, text with
terminal escapes. Each gives a usable object or one KataioError naming the file, never another
exception; what is accepted can be used (scenarios, job files, reports) and saved again."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from fuzz_support import value_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kataio_tui.config import load_config, save_setting
from kataio_tui.errors import KataioError
from kataio_tui.fio.jobfile import render_jobfile
from kataio_tui.model.plan import load_plan, preset, save_plan
from kataio_tui.paths import sample_results_dir
from kataio_tui.results import report
from kataio_tui.results.loader import load_set, summarize_set
from kataio_tui.results.tables import build_rows
from kataio_tui.tomlfile import drop_none, read_toml

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SAMPLE = sample_results_dir() / "quick-20261125-191710-d9ef"

SCALARS = (
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.sampled_from([0, -1, 2**63 - 1, -(2**63), 2**31, 4097])
    | st.floats() | st.text(max_size=12)
    | st.sampled_from(["64k", "32g", "99999999999999999999t", "1.5m", "-4k", "\x1b[2J", "\x1b]0;owned\x07", "\u202e"])
    | st.datetimes(timezones=st.just(dt.UTC)) | st.dates()
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


def _mutated(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """doc with one value replaced (or one key added), as TOML can hold it."""
    path = data.draw(st.sampled_from([p for p in value_paths(doc) if p]))
    value = data.draw(VALUES)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if data.draw(st.booleans()) or not isinstance(node, dict):
        node[path[-1]] = value
    else:
        node[data.draw(st.text(max_size=6))] = value
    return doc


def _write(path: Path, doc: dict[str, Any]) -> bool:
    try:
        path.write_text(tomli_w.dumps(drop_none(doc)))
    except (TypeError, ValueError):  # a value TOML cannot hold (e.g. a list of mixed tables)
        return False
    return True


RAW_TEXTS = {
    "arrays nested 2000 deep": "a = " + "[" * 2000 + "]" * 2000,
    "inline tables nested 400 deep": "a = " + "{b = " * 400 + "1" + "}" * 400,
    "tables nested 60 deep": "[" + ".".join(["x"] * 60) + "]\n",
    "5000 digits": "a = " + "9" * 5000,
    "hex of 5000 digits": "a = 0x" + "f" * 5000,
    "2^64": "a = 18446744073709551616",
    "below -2^63": "a = -9223372036854775809",
    "1e999": "a = 1e999",
    "NUL": "\x00",
    "escape in a string": "a = \"\x1b[2J\"",
}


def _one_line_error(exc: KataioError, path: Path) -> None:
    text = str(exc)
    assert str(path) in text, text
    assert "Traceback" not in text


# ---- plans ---------------------------------------------------------------------------------------


def _use_plan(plan_path: Path, tmp: Path) -> None:
    try:
        plan = load_plan(plan_path)
    except KataioError as exc:
        _one_line_error(exc, plan_path)
        return
    for key in plan.scenarios()[:4]:
        render_jobfile(plan, key)
    plan.estimate_seconds({"bare": 1.0}, 1e9)
    again = tmp / "again.toml"
    save_plan(plan, again)
    assert load_plan(again) == plan


@FUZZ
@given(data=st.data())
def test_plans_with_any_value(tmp_path, data):
    doc = _mutated(preset("quick").model_dump(mode="json"), data)
    path = tmp_path / "plan.toml"
    if _write(path, doc):
        _use_plan(path, tmp_path)


@pytest.mark.parametrize("name", RAW_TEXTS)
def test_plans_config_and_manifests_of_hostile_text(tmp_path, name):
    path = tmp_path / "file.toml"
    path.write_text(RAW_TEXTS[name])
    for read in (load_plan, load_config, lambda p: read_toml(p, KataioError)):
        try:
            read(path)
        except KataioError as exc:
            _one_line_error(exc, path)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("filesize", 1.5, "fio.filesize: filesize: 1.5 is not a size"),
    ("filesize", [1], "fio.filesize: filesize: [1] is not a size"),
    ("filesize", {"a": 1}, "fio.filesize: filesize: {'a': 1} is not a size"),
    ("filesize", "99999999999999999999t", "filesize 99999999999999999999t is more than fio can address"),
    ("block_sizes", [1.5], "block_sizes: block size: 1.5 is not a size"),
    ("block_sizes", [True], "block_sizes: block size must be a positive size"),
])
def test_sizes_of_another_type_in_plans(tmp_path, field, value, message):
    doc = preset("quick").model_dump(mode="json")
    (doc["fio"] if field == "filesize" else doc)[field] = value
    path = tmp_path / "plan.toml"
    path.write_text(tomli_w.dumps(drop_none(doc)))
    with pytest.raises(KataioError) as caught:
        load_plan(path)
    assert message in str(caught.value), str(caught.value)
    assert str(caught.value).startswith(str(path))


# ---- the config file -----------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_config_files_with_any_value(tmp_path, data):
    doc = _mutated({"theme": "kataio-light", "keymap": {"browse.open": "enter,o"},
                    "extra_result_dirs": ["/srv/fio-results"], "export_dir": "~/exports"}, data)
    path = tmp_path / "config.toml"
    if not _write(path, doc):
        return
    try:
        load_config(path)
        save_setting("theme", "kataio-dark", path)
        load_config(path)
    except KataioError as exc:
        _one_line_error(exc, path)


# ---- manifests -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_manifest() -> dict[str, Any]:
    return read_toml(SAMPLE / "manifest.toml", KataioError)


def _report_or_error(root: Path) -> None:
    """Every way a set is read (the report's quick path, the model's path) ends in a report or
    one error naming the set's file."""
    for load in (summarize_set, lambda p: load_set(p)):
        try:
            loaded = load(root)
        except KataioError as exc:
            assert str(root) in str(exc), str(exc)
            continue
        rows = build_rows(loaded, "bare", ("clat",))
        report.bandwidth_tables(rows, "bare")
        report.latency_tables(rows, "bare", "clat")
        report.to_json(rows, "clat", {"name": getattr(loaded, "name", None)})
        report.to_csv(rows, "clat")


@FUZZ
@given(data=st.data())
def test_manifests_with_any_value(tmp_path_factory, sample_manifest, data):
    root = tmp_path_factory.mktemp("set") / "s"
    shutil.copytree(SAMPLE, root)
    doc = _mutated(copy.deepcopy(sample_manifest), data)
    if _write(root / "manifest.toml", doc):
        _report_or_error(root)
    shutil.rmtree(root.parent)
