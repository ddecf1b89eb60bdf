"""The TOML files kataio reads and writes (plans, manifests, config, themes): one way to read
them, one way to write them atomically, one way to word a validation error."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kataio_tui.printable import printable

if TYPE_CHECKING:  # pydantic stays out of the import path of callers that never validate
    from pydantic import ValidationError


# kataio's own files nest four levels at most; deeper data is refused before anything walks it
# (tomllib itself recurses: about 300 levels end in RecursionError). Whole numbers beyond 64 bits
# (TOML's own limit, which tomllib does not enforce: 0x... of any length reads) are refused too.
MAX_DEPTH = 32
_INT_RANGE = range(-(2**63), 2**63)


def _problem(data: dict[str, Any]) -> tuple[str, str] | None:
    """(dotted path, what is wrong) of the first value nested too deeply or out of range, or None."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return where, f"nested more than {MAX_DEPTH} levels deep"
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            inner = f"{where}.{key}" if where else str(key)
            if isinstance(child, (dict, list)):
                stack.append((child, inner, depth + 1))
            elif isinstance(child, int) and child not in _INT_RANGE:
                return inner, "a whole number beyond 64 bits (TOML allows -2^63 to 2^63-1)"
    return None


def parse_toml(text: str, where: Path | str, error: type[Exception]) -> dict[str, Any]:
    """The data in text (the file where); problems raise ``error`` naming the file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{where}: not valid TOML: {exc}") from None
    except RecursionError:
        raise error(f"{where}: not valid TOML: nested too deeply") from None
    except ValueError:  # int() refuses a literal of more than sys.get_int_max_str_digits() digits
        raise error(f"{where}: not valid TOML: a number of more than {sys.get_int_max_str_digits()} digits") from None
    problem = _problem(data)
    if problem is not None:
        raise error(f"{where}: {printable(problem[0][:80])}: {problem[1]}")
    return data


def read_toml(path: Path, error: type[Exception], missing: str | None = None) -> dict[str, Any]:
    """The data in path; problems raise ``error`` naming the file. A missing file gives ``{}``
    when ``missing`` is None, else raises ``error(f"{path}: {missing}")``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing is None:
            return {}
        raise error(f"{path}: {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    return parse_toml(text, path, error)


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
