"""Theme files (TOML) loaded into Textual themes. An error names the file and the field."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from textual.theme import Theme

from kataio_tui import paths
from kataio_tui.errors import KataioError
from kataio_tui.tomlfile import read_toml, validation_problems

DEFAULT_THEME = "kataio-dark"

# Variables the app's CSS uses beyond Textual's own; a built-in Textual theme falls back to these.
VARIABLE_DEFAULTS = {
    "trend-better": "green",
    "trend-worse": "red",
    "trend-same": "grey",
    "series-1": "dodgerblue",
    "series-2": "orange",
    "series-3": "violet",
    "series-4": "turquoise",
    "series-5": "yellowgreen",
    "series-6": "tomato",
    # Textual's own CSS needs these; it derives them for colour themes but not for ansi ones
    "ansi-background": "ansi_black",
    "ansi-foreground": "ansi_white",
}
SERIES_VARIABLES = tuple(f"series-{i}" for i in range(1, 7))


class ThemeError(KataioError):
    pass


@cache
def _model() -> type:
    """The pydantic model of a theme file, built on first use (see load_theme)."""
    from pydantic import BaseModel, ConfigDict, Field

    class ThemeFile(BaseModel):
        model_config = ConfigDict(extra="forbid")

        name: str = Field(min_length=1)
        primary: str
        secondary: str | None = None
        warning: str | None = None
        error: str | None = None
        success: str | None = None
        accent: str | None = None
        foreground: str | None = None
        background: str | None = None
        surface: str | None = None
        panel: str | None = None
        boost: str | None = None
        dark: bool = True
        ansi: bool = False
        variables: dict[str, str] = Field(default_factory=dict)

    return ThemeFile


def _read(path: Path) -> dict:
    return read_toml(path, ThemeError, missing="no such theme file")


def load_theme(path: Path, validate: bool = True) -> Theme:
    """A theme file as a Textual theme. validate=False is for the bundled files, which the tests
    validate: it keeps pydantic and the colour check out of the first paint."""
    data = _read(path)
    if not validate:
        try:
            return Theme(**data)
        except TypeError as exc:
            raise ThemeError(f"{path}: {exc}") from None
    from pydantic import ValidationError

    try:
        spec = _model().model_validate(data)
    except ValidationError as exc:
        raise ThemeError(f"{path}: {'; '.join(validation_problems(exc))}") from None
    theme = Theme(**spec.model_dump())
    try:
        theme.to_color_system().generate()
    except Exception as exc:  # Textual raises ColorParseError and friends for a bad colour
        raise ThemeError(f"{path}: {exc}") from None
    return theme


def unknown_theme_message(name: str, available) -> str:
    """A theme that is not there: which are, and where the user's own go."""
    return (f"theme {name!r} not found (available: {', '.join(sorted(available))}); your own themes go in "
            f"{paths.config_dir() / 'themes'}/NAME.toml (see the README, Themes)")


def theme_dirs() -> list[Path]:
    """Bundled themes, then the user's own (config dir/themes), which may override them by name."""
    return [paths.themes_dir(), paths.config_dir() / "themes"]


def load_themes(dirs: list[Path] | None = None) -> tuple[list[Theme], list[str]]:
    """Every readable theme file, and one message per unreadable one. Only the user's files are
    validated (the bundled ones are, by the tests)."""
    themes: list[Theme] = []
    problems: list[str] = []
    for directory in dirs if dirs is not None else theme_dirs():
        if not directory.is_dir():
            continue
        bundled = directory.resolve() == paths.themes_dir().resolve()
        for path in sorted(directory.glob("*.toml")):
            try:
                themes.append(load_theme(path, validate=not bundled))
            except ThemeError as exc:
                problems.append(str(exc))
    return themes, problems
