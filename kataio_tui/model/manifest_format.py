"""Manifest formats and the migration of older ones, on plain data (no pydantic: the report's
manifest check uses it too).

Format 1 (kataio before scenario identities) recorded runtime, pattern, block size and clients per
scenario. Format 2 adds iodepth, numjobs, the variant (the column a scenario is shown in: its
runtime unless a runtime variant), ``options`` (other fio options that tell the set's scenarios
apart) and ``logs`` (fio's own log files). Migrating format 1: a set made by ``kataio run`` has
its plan, whose [fio] iodepth and numjobs every scenario ran with (a format 1 plan has no sweeps);
an imported set has no plan, so its scenarios' iodepth and numjobs stay unrecorded (None, shown as
"-"). Neither had variants or options. Manifests are migrated when read; a set is written in the
current format only when kataio writes it anyway (resume, import).
"""

from __future__ import annotations

from typing import Any

MANIFEST_FORMAT = 2


def _plan_counts(data: dict[str, Any]) -> dict[str, int]:
    plan = data.get("plan")
    fio = plan.get("fio") if isinstance(plan, dict) else None
    if not isinstance(fio, dict):
        return {}
    # a format 1 plan's values are whole numbers; anything else is left for the model to refuse
    return {name: fio[name] for name in ("iodepth", "numjobs")
            if type(fio.get(name)) is int and fio[name] > 0}


def migrate(data: Any) -> Any:
    """Manifest data in the current format (a new dict; data itself is not changed). Data that is
    not a manifest of a known older format is returned as it is, for the model to judge."""
    if not isinstance(data, dict) or data.get("format") != 1:
        return data
    counts = _plan_counts(data)
    scenarios = data.get("scenarios")
    if isinstance(scenarios, list):
        scenarios = [{**counts, **rec} if isinstance(rec, dict) else rec for rec in scenarios]
    out = {**data, "format": MANIFEST_FORMAT}
    if scenarios is not None:
        out["scenarios"] = scenarios
    return out
