"""The dimensions of a set's scenarios (what tables, pivots, charts and exports are laid out by):
the identity's fields (runtime, pattern, block size, iodepth, numjobs, clients) and one dimension
per other fio option that tells scenarios apart, named ``fio.<option>``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kataio_tui.model.identity import ScenarioId
from kataio_tui.units import format_size

FIELDS = ("runtime", "pattern", "block_size", "iodepth", "numjobs", "clients")
NUMERIC = ("block_size", "iodepth", "numjobs", "clients")
OPTION = "fio."
_HEADERS = {"runtime": "runtime", "pattern": "pattern", "block_size": "bs", "iodepth": "iodepth",
            "numjobs": "numjobs", "clients": "clients"}
_ALIASES = {"bs": "block_size", "block-size": "block_size", "blocksize": "block_size", "variant": "runtime",
            "qd": "iodepth", "jobs": "numjobs"}

Value = str | int | None


def value(key: ScenarioId, dim: str) -> Value:
    """The scenario's value of a dimension (the runtime dimension is the variant: its column)."""
    if dim.startswith(OPTION):
        return dict(key.options).get(dim[len(OPTION):])
    if dim == "runtime":
        return key.variant
    found: Value = getattr(key, dim)
    return found


def option_dims(keys: Iterable[ScenarioId]) -> list[str]:
    return sorted({OPTION + name for key in keys for name, _ in key.options})


def all_dims(keys: Sequence[ScenarioId]) -> list[str]:
    return [*FIELDS, *option_dims(keys)]


def varying(keys: Sequence[ScenarioId], dims: Iterable[str]) -> list[str]:
    """The dimensions among ``dims`` whose value differs between the keys."""
    return [d for d in dims if len({value(k, d) for k in keys}) > 1]


def header(dim: str) -> str:
    if dim.startswith(OPTION):
        name = dim[len(OPTION):]
        return f"fio {name}" if name in FIELDS else name  # fio's runtime option is not kataio's runtime
    return _HEADERS[dim]


def text(dim: str, val: Value) -> str:
    if val is None:
        return "-"
    if dim == "block_size" and isinstance(val, int):
        return format_size(val)
    return str(val)


def sort_value(val: Value) -> tuple[int, int, str]:
    """Numbers in numeric order, then text, then unknown."""
    if isinstance(val, int):
        return (0, val, "")
    if val is None:
        return (2, 0, "")
    if val.isdigit():
        return (0, int(val), val)
    return (1, 0, val)


def resolve(name: str, keys: Sequence[ScenarioId]) -> str:
    """A dimension named by a user: a field (bs, block-size, qd, jobs also do), an option
    (rwmixread or fio.rwmixread). Raises ValueError naming the choices."""
    name = name.strip().lower()
    dim = _ALIASES.get(name, name)
    options = option_dims(keys)
    if dim in FIELDS:
        return dim
    if dim in options:
        return dim
    if OPTION + dim in options:
        return OPTION + dim
    choices = ", ".join([*FIELDS, *(o[len(OPTION):] for o in options)])
    raise ValueError(f"{name!r} is not a dimension of this set; dimensions: {choices}")
