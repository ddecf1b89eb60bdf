"""The user's settings file (TOML, in the platformdirs config directory): theme, key overrides, extra
result directories, export directory. Validated with pydantic; an error names the file and the field.

Example::

    theme = "kataio-light"
    extra_result_dirs = ["/srv/fio-results"]
    export_dir = "~/kataio-exports"

    [keymap]
    "browse.open" = "enter,o"     # binding id -> comma-separated keys

The pydantic model is built on first use: without a settings file, starting the TUI does not pay
for importing pydantic before its first paint.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from kataio_tui import paths
from kataio_tui.errors import KataioError
from kataio_tui.tomlfile import dump_toml, read_toml, validation_problems, write_atomic


class ConfigError(KataioError):
    """The config file cannot be read or has a bad field; the message names both."""


@dataclass
class Config:
    theme: str | None = None  # a theme from themes/, the user's themes or a built-in one
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys, e.g. "enter,o"
    extra_result_dirs: list[Path] = field(default_factory=list)
    export_dir: Path | None = None  # where exports go (default: the current directory)


SETTINGS = tuple(f.name for f in fields(Config))


@cache
def _model() -> type:
    from pydantic import BaseModel, ConfigDict, field_validator

    class ConfigFile(BaseModel):
        model_config = ConfigDict(extra="forbid")

        theme: str | None = None
        keymap: dict[str, str] = {}
        extra_result_dirs: list[Path] = []
        export_dir: Path | None = None

        @field_validator("keymap")
        @classmethod
        def _keys_not_empty(cls, value: dict[str, str]) -> dict[str, str]:
            for binding_id, keys in value.items():
                if not keys.strip() or any(not k.strip() for k in keys.split(",")):
                    raise ValueError(f"binding {binding_id!r}: keys must be comma-separated key names, got {keys!r}")
            return value

        @field_validator("extra_result_dirs")
        @classmethod
        def _expand(cls, value: list[Path]) -> list[Path]:
            return [p.expanduser() for p in value]

        @field_validator("export_dir")
        @classmethod
        def _expand_one(cls, value: Path | None) -> Path | None:
            return value.expanduser() if value is not None else None

    return ConfigFile


def _validate(data: dict[str, Any], path: Path) -> Config:
    from pydantic import ValidationError

    try:
        model = _model().model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, unknown_field=f"unknown setting (known: {', '.join(SETTINGS)})")
        raise ConfigError(f"{path}: {'; '.join(problems)}") from None
    return Config(**{name: getattr(model, name) for name in SETTINGS})


def _read_raw(path: Path) -> dict[str, Any]:
    return read_toml(path, ConfigError)  # a missing file means defaults


def load_config(path: Path | None = None) -> Config:
    """The settings in path (default: the user's config file); a missing or empty file means defaults."""
    path = path or paths.config_file()
    data = _read_raw(path)
    return _validate(data, path) if data else Config()


def save_setting(key: str, value: Any, path: Path | None = None) -> Path:
    """Change one top-level setting and write the file atomically, keeping everything else in it."""
    if key not in SETTINGS:
        raise ConfigError(f"{key}: not a setting (known: {', '.join(SETTINGS)})")
    path = path or paths.config_file()
    data = _read_raw(path)
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    _validate(data, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, dump_toml(data))
    return path
