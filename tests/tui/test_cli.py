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
        f"kataio: error: {config_dir / 'config.toml'}: keymap: Value error, binding 'app.help': "
        "keys must be comma-separated key names, got ''"]
