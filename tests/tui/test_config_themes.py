"""The settings file and the theme files: validation naming file and field, atomic persistence."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from tui.tui_support import settle

from kataio_tui import paths
from kataio_tui.config import Config, ConfigError, load_config, save_setting
from kataio_tui.tui.themes import ThemeError, load_theme, load_themes


def test_missing_file_means_defaults(tmp_path):
    assert load_config(tmp_path / "none.toml") == Config()


def test_bad_toml_names_the_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("theme = \n")
    with pytest.raises(ConfigError, match=rf"^{path}: not valid TOML"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('colour = "x"\n', r"colour: unknown setting \(known: theme, keymap, extra_result_dirs, export_dir\)"),
        ('[keymap]\n"browse.open" = " "\n', r"keymap: .*binding 'browse.open': keys must be comma-separated"),
        ("theme = 3\n", r"theme: Input should be a valid string"),
        ('extra_result_dirs = "one"\n', r"extra_result_dirs: Input should be a valid list"),
    ],
)
def test_bad_field_names_file_and_field(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"^{path}: {message}"):
        load_config(path)


def test_save_setting_keeps_the_rest_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "kataio" / "config.toml"
    path.parent.mkdir()
    path.write_text('extra_result_dirs = ["/srv/results"]\n[keymap]\n"app.help" = "f1"\n')
    save_setting("theme", "kataio-light", path)
    data = tomllib.loads(path.read_text())
    assert data == {"extra_result_dirs": ["/srv/results"], "keymap": {"app.help": "f1"}, "theme": "kataio-light"}
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]
    with pytest.raises(ConfigError, match="colour: not a setting"):
        save_setting("colour", "red", path)


def test_bundled_themes_load_and_validate():
    themes, problems = load_themes([paths.themes_dir()])
    assert problems == []
    # the app loads them without validation; here every one must pass it
    validated = [load_theme(p) for p in sorted(paths.themes_dir().glob("*.toml"))]
    assert [t.name for t in validated] == [t.name for t in themes]
    by_name = {t.name: t for t in themes}
    assert {"kataio-dark", "kataio-light", "kataio-contrast"} <= set(by_name)
    assert by_name["kataio-light"].dark is False
    contrast = by_name["kataio-contrast"]
    assert contrast.ansi is True  # the terminal's own 16 colours
    assert all(v.startswith("ansi_") for k, v in contrast.variables.items() if k.startswith(("trend", "series")))


def test_bad_theme_file_names_file_and_field(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n')
    with pytest.raises(ThemeError, match=rf"^{path}: primary: Field required"):
        load_theme(path)
    path.write_text('name = "mine"\nprimary = "not-a-colour"\n')
    with pytest.raises(ThemeError, match=rf"^{path}: .*not-a-colour"):
        load_theme(path)


async def test_user_theme_file_is_offered(make_app, isolated):
    user_themes = paths.config_dir() / "themes"
    user_themes.mkdir(parents=True)
    (user_themes / "mine.toml").write_text('name = "mine"\nprimary = "#ff8800"\ndark = false\n')
    app = make_app(theme="mine")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "mine"
        # a built-in-style theme without kataio's variables falls back to their defaults
        assert app.theme_variables["trend-better"] == "green"


async def test_theme_choice_persists(isolated):
    from kataio_tui.tui.app import KataioApp

    config_path = isolated / "config" / "config.toml"
    app = KataioApp(config_path=config_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "kataio-dark"
        await pilot.press("ctrl+t")
        await settle(pilot)
        chosen = app.theme
    assert chosen != "kataio-dark"
    assert load_config(config_path).theme == chosen
    again = KataioApp(config=load_config(config_path), config_path=config_path)
    async with again.run_test() as pilot:
        assert again.theme == chosen


async def test_unknown_theme_falls_back_with_a_warning(make_app):
    app = make_app(theme="nope")
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "kataio-dark"
        assert any("theme 'nope' not found" in n.message for n in app._notifications)


def test_theme_files_are_plain_toml():
    for path in Path(paths.themes_dir()).glob("*.toml"):
        assert tomllib.loads(path.read_text())["name"] == path.stem
