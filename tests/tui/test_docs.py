"""The README's configuration section is true: its example loads, names every setting, and its
[keymap] uses binding ids the app has."""

from __future__ import annotations

import re

from tui.tui_support import REPO

from kataio_tui.config import SETTINGS, load_config
from kataio_tui.tui.app import KataioApp
from kataio_tui.tui.keymap import unknown_binding_ids


def readme_config_example() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)


def test_readme_config_example_loads_and_names_every_setting(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(readme_config_example())
    config = load_config(path)
    for name in SETTINGS:
        assert getattr(config, name), f"the README's example leaves out {name}"
    assert unknown_binding_ids(config.keymap, KataioApp) == []
    assert (REPO / "docs" / "tui.md").is_file()


def test_readme_names_where_user_themes_go():
    text = (REPO / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert "~/.config/kataio/themes/" in section and "kataio --theme NAME" in section
    for name in ("kataio-dark", "kataio-light", "kataio-contrast"):
        assert name in section and (REPO / "themes" / f"{name}.toml").is_file()
