"""`kataio tui` on the command line: options, and bad settings as one clear error."""

from __future__ import annotations

import os
import shutil
import subprocess

from kataio_tui.cli import build_parser, default_handler
from kataio_tui.cli import tui_cmd


def kataio() -> str:
    path = shutil.which("kataio", path=os.path.dirname(os.sys.executable)) or shutil.which("kataio")
    assert path, "the package is installed with its kataio command"
    return path


def test_no_command_opens_the_tui():
    assert default_handler(build_parser()) is tui_cmd.run_default


def test_tui_options():
    args = build_parser().parse_args(["tui", "--theme", "kataio-light", "--start", "browse", "a", "b"])
    assert args.handler is tui_cmd.cmd_tui
    assert (args.theme, args.start, [str(p) for p in args.sets]) == ("kataio-light", "browse", ["a", "b"])


def test_bad_config_is_one_error_line_and_exit_2(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('[keymap]\n"app.help" = ""\n')
    env = {**os.environ, "KATAIO_CONFIG_DIR": str(config_dir), "KATAIO_DATA_DIR": str(tmp_path / "d")}
    proc = subprocess.run([kataio(), "tui"], capture_output=True, text=True, env=env, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"kataio: error: {config_dir / 'config.toml'}: keymap: binding 'app.help': "
        "keys must be comma-separated key names, got ''"]


def test_first_paint_imports_no_heavy_module(tmp_path):
    """Up to the first frame: no Kubernetes client, no plotext, no pydantic (without a settings file)."""
    import json
    import sys

    probe = (
        "import asyncio, json, sys\n"
        "from kataio_tui.cli import build_parser\n"
        "build_parser()\n"
        "from kataio_tui.config import load_config\n"
        "from kataio_tui.tui.app import KataioApp\n"
        "seen = {}\n"
        "import kataio_tui.tui.app as a, pathlib\n"
        "class Probe(KataioApp):\n"
        "    CSS_PATH = str(pathlib.Path(a.__file__).with_name('app.tcss'))\n"
        "    def on_ready(self):\n"
        "        seen['modules'] = sorted(m for m in ('kubernetes', 'plotext', 'pydantic', 'yaml')\n"
        "                                 if m in sys.modules)\n"
        "        self.exit()\n"
        "async def main():\n"
        "    async with Probe(config=load_config()).run_test() as pilot:\n"
        "        await pilot.pause()\n"
        "asyncio.run(main())\n"
        "print(json.dumps(seen))\n"
    )
    env = {**os.environ, "KATAIO_CONFIG_DIR": str(tmp_path / "config"), "KATAIO_DATA_DIR": str(tmp_path / "d")}
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"modules": []}


def test_theme_and_config_work_without_the_tui_command():
    args = build_parser().parse_args(["--theme", "kataio-light", "--config", "/x/c.toml"])
    assert (args.top_theme, str(args.top_config)) == ("kataio-light", "/x/c.toml")
    assert build_parser().parse_args(["--theme", "kataio-light", "tui"]).top_theme == "kataio-light"


def test_unknown_theme_is_one_error_line_saying_where_themes_go(tmp_path):
    env = {**os.environ, "KATAIO_CONFIG_DIR": str(tmp_path / "config"), "KATAIO_DATA_DIR": str(tmp_path / "d")}
    for argv in (["--theme", "nope"], ["tui", "--theme", "nope"]):
        proc = subprocess.run([kataio(), *argv], capture_output=True, text=True, env=env, timeout=30)
        assert proc.returncode == 2
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith("kataio: error: --theme: theme 'nope' not found (available: ")
        assert "kataio-dark" in line and f"{tmp_path / 'config' / 'themes'}/NAME.toml" in line
    assert not (tmp_path / "config" / "config.toml").exists()  # nothing saved for a bad name


def test_resume_runs_on_the_tui_run_screen_in_a_terminal(monkeypatch):
    from kataio_tui.cli import run_cmd

    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert run_cmd.in_tui(build_parser().parse_args(["run", "--resume", "some-set"]))
    assert not run_cmd.in_tui(build_parser().parse_args(["run", "--resume", "some-set", "--headless"]))
    assert not run_cmd.in_tui(build_parser().parse_args(["run", "plan.toml", "--keep-files"]))
