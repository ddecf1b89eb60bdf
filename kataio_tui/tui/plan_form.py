"""The plan form's fields and the mapping between form text and the plan model (no Textual).

Each field is a dotted path into the plan's dict; lists are comma-separated text. Validation is the
model's own: errors come back keyed by field path so the form shows each under its field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from kataio_tui.model.plan import IOENGINES, PATTERNS, Plan


@dataclass(frozen=True, slots=True)
class Field:
    path: str
    label: str
    choices: tuple[str, ...] | None = None  # a Select instead of an Input
    is_list: bool = False
    kubernetes: bool = False  # shown for the kubernetes target only
    local: bool = False  # shown for the local target only
    optional: bool = False  # empty text means unset; otherwise empty is an error, never the default
    placeholder: str = ""


FIELDS: tuple[Field, ...] = (
    Field("name", "name"),
    Field("target", "target", choices=("local", "kubernetes")),
    Field("runtimes", "runtimes", is_list=True, placeholder="bare, runc, gvisor, kata-qemu"),
    Field("patterns", "patterns", is_list=True, placeholder=", ".join(PATTERNS)),
    Field("block_sizes", "block sizes", is_list=True, placeholder="4k, 64k, 1m"),
    Field("clients", "clients", is_list=True, placeholder="1, 8, 64"),
    Field("repeats", "repeats"),
    Field("directory", "directory", local=True, placeholder="/var/tmp/kataio"),
    Field("fio.ioengine", "ioengine", choices=IOENGINES),
    Field("fio.iodepth", "iodepth", is_list=True, placeholder="8, or a sweep: 1, 4, 16"),
    Field("fio.numjobs", "numjobs", is_list=True, placeholder="4, or a sweep: 1, 2, 4"),
    Field("fio.direct", "direct I/O", choices=("true", "false")),
    Field("fio.filesize", "file size", placeholder="32g"),
    Field("fio.runtime", "runtime (s)"),
    Field("fio.ramp_time", "ramp (s)"),
    Field("kubernetes.namespace", "namespace", kubernetes=True),
    Field("kubernetes.storage.kind", "storage", kubernetes=True,
          choices=("emptyDir", "hostPath", "pvc", "storageclass")),
    Field("kubernetes.storage.path", "hostPath path", kubernetes=True, placeholder="/mnt/beegfs", optional=True),
    Field("kubernetes.storage.claim", "PVC name", kubernetes=True, optional=True),
    Field("kubernetes.storage.storage_class", "StorageClass", kubernetes=True, optional=True),
    Field("kubernetes.storage.size", "claim size", kubernetes=True, placeholder="100Gi", optional=True),
    Field("kubernetes.image", "fio image", kubernetes=True),
)
BY_PATH = {f.path: f for f in FIELDS}


def _get(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        if not isinstance(data.get(part), dict):
            data[part] = {}
        data = data[part]
    if value is None:
        data.pop(last, None)
    else:
        data[last] = value


def plan_to_form(plan: Plan) -> dict[str, str]:
    data = plan.model_dump(mode="json")
    values = {}
    for field in FIELDS:
        value = _get(data, field.path)
        if value is None:
            values[field.path] = ""
        elif field.is_list:  # a list, or one number where a sweep is allowed (iodepth, numjobs)
            values[field.path] = ", ".join(str(v) for v in (value if isinstance(value, list) else [value]))
        elif isinstance(value, bool):
            values[field.path] = "true" if value else "false"
        else:
            values[field.path] = str(value)
    return values


def kubernetes_defaults() -> dict[str, str]:
    """Form text of the Kubernetes fields as the model defaults them (when switching target)."""
    from kataio_tui.model.plan import KubernetesTarget

    data = {"kubernetes": KubernetesTarget().model_dump(mode="json")}
    return {f.path: "" if _get(data, f.path) is None else str(_get(data, f.path))
            for f in FIELDS if f.kubernetes}


def form_to_data(values: dict[str, str], base: dict[str, Any]) -> dict[str, Any]:
    """The plan dict: base (fields the form does not show, e.g. description, timeouts) overlaid with
    the form's text. Empty optional text means unset."""
    data = _deep_copy(base)
    kubernetes = values.get("target") == "kubernetes"
    if not kubernetes:
        data.pop("kubernetes", None)
    for field in FIELDS:
        if field.kubernetes and not kubernetes:
            continue
        text = values.get(field.path, "").strip()
        if field.is_list:
            value: Any = [part.strip() for part in text.split(",") if part.strip()]
        elif field.choices == ("true", "false"):
            value = text == "true"
        else:
            # a cleared field must not silently become the model's default (32g files, say)
            value = text or (None if field.optional else "")
        _set(data, field.path, value)
    return data


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def validate(data: dict[str, Any]) -> tuple[Plan | None, dict[str, list[str]]]:
    """The plan, or the problems keyed by field path ('' for the plan as a whole)."""
    try:
        return Plan.model_validate(data), {}
    except ValidationError as exc:
        problems: dict[str, list[str]] = {}
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"] if not isinstance(x, int)
                           and not str(x).startswith("function-"))
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "literal_error":
                message = f"{err['input']!r} is not allowed; {message[:1].lower()}{message[1:]}"
            if not loc:  # a model-level check names its field as "field: message"
                head, _, rest = message.partition(": ")
                if head in BY_PATH and rest:
                    loc, message = head, rest
            if loc not in BY_PATH:  # a sub-model's check: the field it names, e.g. "needs storage.claim"
                named = [p for p in BY_PATH if p.startswith(f"{loc}.") and ".".join(p.split(".")[-2:]) in message]
                loc = named[0] if named else loc
            while loc and loc not in BY_PATH and "." in loc:
                loc = loc.rsplit(".", 1)[0]
            problems.setdefault(loc if loc in BY_PATH else "", []).append(message)
        return None, problems


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def summary(plan: Plan) -> str:
    count = len(plan.scenarios())
    return (f"{count} scenario{'s' if count != 1 else ''}, about {format_duration(plan.estimate_seconds())} "
            "of ramp + runtime (container start and file layout come on top)")
