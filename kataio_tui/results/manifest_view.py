"""The manifest as the report reads it, without the manifest model (importing pydantic and
building the model costs more than a warm report takes).

This is a check, not a second validator: a manifest whose report fields are plainly what the model
accepts is used as it is; anything else (a wrong type, a missing field, a value the model would
coerce) goes through Manifest, whose error names the file and the field. So the messages and the
rules stay in one place (model/results.py); this module only needs to be no more lenient.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from kataio_tui.model.manifest_format import MANIFEST_FORMAT, migrate
from kataio_tui.results.setfiles import read_manifest_data
from kataio_tui.results.loaded import RecordView

# the values of model.results.ScenarioStatus (a test checks they are the same)
SCENARIO_STATUSES = ("ok", "failed", "interrupted", "partial")


@dataclass(slots=True, frozen=True)
class ManifestView:
    name: str
    scenarios: list[RecordView]
    snapshot: dict[str, Any]  # the manifest as JSON data (for the cache and the report's provenance)


def _is_int(value: Any, minimum: int) -> bool:
    return type(value) is int and value >= minimum


def _optional(value: Any, types: type | tuple[type, ...]) -> bool:
    return value is None or (type(value) in (types if isinstance(types, tuple) else (types,)))


def _plain_provenance(prov: Any) -> bool:
    return (isinstance(prov, dict) and type(prov.get("made_by")) is str
            and type(prov.get("kataio_version")) is str
            and all(_optional(prov.get(k), str) for k in ("fio_version", "kernel", "notes"))
            and _optional(prov.get("hosts"), list) and all(type(h) is str for h in prov.get("hosts") or []))


def _plain_record(rec: Any) -> bool:
    return (isinstance(rec, dict) and type(rec.get("runtime")) is str and type(rec.get("pattern")) is str
            and _is_int(rec.get("block_size"), 1) and _is_int(rec.get("clients"), 1)
            and _is_int(rec.get("repeat", 0), 0) and rec.get("status", "ok") in SCENARIO_STATUSES
            and type(rec.get("files", [])) is list and all(type(f) is str for f in rec.get("files", []))
            and all(_optional(rec.get(k), str) for k in ("jobfile", "failure", "diagnosis"))
            and _optional(rec.get("start_skew_s"), (int, float))
            and _optional(rec.get("variant"), str) and _optional_count(rec.get("iodepth"))
            and _optional_count(rec.get("numjobs")) and _str_table(rec.get("options", {}))
            and type(rec.get("logs", [])) is list and all(type(f) is str for f in rec.get("logs", [])))


def _optional_count(value: Any) -> bool:
    return value is None or _is_int(value, 1)


def _str_table(value: Any) -> bool:
    return type(value) is dict and all(type(v) is str for v in value.values())


def manifest_view(root: Path) -> ManifestView | None:
    """The manifest of the set at root when its report fields are plainly valid, else None (then
    ResultSet.load validates it). Raises ResultSetError when it cannot be read at all."""
    data = migrate(read_manifest_data(root))
    name, scenarios = data.get("name"), data.get("scenarios", [])
    if not (data.get("format", MANIFEST_FORMAT) == MANIFEST_FORMAT and type(name) is str and name
            and _plain_provenance(data.get("provenance"))
            and type(scenarios) is list and all(map(_plain_record, scenarios))):
        return None
    try:
        snapshot = orjson.loads(orjson.dumps(data))  # TOML dates as text, like the model's JSON dump
    except orjson.JSONEncodeError:
        return None
    return ManifestView(name, [RecordView.of(rec) for rec in scenarios], snapshot)
