"""The TOML files kataio reads and writes (plans, manifests, config, themes): one way to read
them, one way to write them atomically, one way to word a validation error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pydantic stays out of the import path of callers that never validate
    from pydantic import ValidationError


def read_toml(path: Path, error: type[Exception], missing: str | None = None) -> dict[str, Any]:
    """The data in path; problems raise ``error`` naming the file. A missing file gives ``{}``
    when ``missing`` is None, else raises ``error(f"{path}: {missing}")``."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if missing is None:
            return {}
        raise error(f"{path}: {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def drop_none(value: Any) -> Any:
    """TOML has no null: leave out absent values."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value if v is not None]
    return value


def dump_toml(data: dict[str, Any]) -> bytes:
    import tomli_w

    return tomli_w.dumps(drop_none(data)).encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace path with data so that readers see the old or the new file, never a mix, in a
    directory only root and the user can change (or a sticky one such as /tmp: the temporary name
    is random and created exclusively, and a link at path is replaced, never followed); see
    safety/safe_write.py. Problems raise KataioError naming the file (a full disk: the free space)."""
    from kataio_tui.safety.safe_write import replace_file

    replace_file(path, data, shared_dir_ok=True)


def validation_problems(exc: ValidationError, unknown_field: str = "unknown field", limit: int = 8) -> list[str]:
    """`field.path: message` for each problem pydantic found, worded for people."""
    problems = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(x) for x in err["loc"] if not str(x).startswith("function-"))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "literal_error":
            msg = f"{err['input']!r} is not allowed; {msg[:1].lower()}{msg[1:]}"
        elif err["type"] == "extra_forbidden":
            msg = unknown_field
        problems.append(f"{loc or '(top level)'}: {msg}")
    return problems
