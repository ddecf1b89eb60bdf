"""Host facts under a root directory (files, modules, binaries, commands) and the kernel check."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass

from kataio_tui.checks.engine import CheckContext, Finding, failed, passed, warned

DEFAULT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
KATA_BIN_DIR = "/opt/kata/bin"
VSOCK_MIN_KERNEL = (4, 8)


def read_text(ctx: CheckContext, path: str) -> str | None:
    """The file's text, or None when it does not exist or cannot be read."""
    try:
        return ctx.path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def module_present(ctx: CheckContext, name: str) -> bool:
    """Loaded or built in: both show up as /sys/module/<name> (there may be no /proc/modules)."""
    return ctx.path(f"/sys/module/{name}").is_dir()


def module_param(ctx: CheckContext, module: str, param: str) -> str | None:
    text = read_text(ctx, f"/sys/module/{module}/parameters/{param}")
    return None if text is None else text.strip()


def search_dirs(ctx: CheckContext) -> list[str]:
    """PATH (this process's on the live host) plus the usual system directories, without repeats."""
    dirs = os.environ.get("PATH", "").split(os.pathsep) if ctx.live_host else []
    return list(dict.fromkeys(d for d in [*dirs, *DEFAULT_PATH] if d.startswith("/")))


def find_binary(ctx: CheckContext, name: str, extra_dirs: tuple[str, ...] = ()) -> str | None:
    """Host path (as the host sees it, without the root prefix) of an executable file ``name``."""
    for directory in [*search_dirs(ctx), *extra_dirs]:
        candidate = ctx.path(f"{directory}/{name}")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return f"{directory.rstrip('/')}/{name}"
    return None


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int | None  # None: it did not finish (timeout) or could not start
    stdout: str
    stderr: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe(self) -> str:
        """One line saying how the command ended, for the observed text."""
        cmd = " ".join(self.argv)
        if self.error:
            return f"`{cmd}`: {self.error}"
        tail = (self.stderr.strip() or self.stdout.strip()).splitlines()[-1:] or [""]
        return f"`{cmd}` exited {self.returncode}" + (f": {tail[0][:300]}" if tail[0] else "")


def run_command(argv: list[str], timeout_s: float) -> CommandResult:
    """Run a host command with a timeout; never raises for the command's own failures. The command
    gets its own process group, so on timeout its children die with it and cannot hold the pipes."""
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as exc:
        return CommandResult(tuple(argv), None, "", "", f"could not start: {exc.strerror or exc}")
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return CommandResult(tuple(argv), None, _text(out), _text(err), f"no answer within {timeout_s:g} s")
    return CommandResult(tuple(argv), proc.returncode, _text(out), _text(err))


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def kernel_release(ctx: CheckContext) -> str | None:
    text = read_text(ctx, "/proc/sys/kernel/osrelease")
    return text.strip() if text else None


def parse_kernel_version(release: str) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", release)
    return (int(match.group(1)), int(match.group(2))) if match else None


def check_kernel(ctx: CheckContext) -> Finding:
    if ctx.live_host and not sys.platform.startswith("linux"):
        return failed(f"this is {sys.platform}, not Linux", "Kata Containers needs a Linux host with KVM",
                      "run kataio check on the Linux node that will run Kata")
    release = kernel_release(ctx)
    if release is None:
        return warned(f"{ctx.path('/proc/sys/kernel/osrelease')} is missing",
                      "the kernel version is unknown (is /proc mounted?)", "mount /proc or check the --root tree")
    version = parse_kernel_version(release)
    if version is None:
        return warned(f"kernel release {release!r} has no major.minor", "the kernel version is unknown",
                      "check /proc/sys/kernel/osrelease")
    if version < VSOCK_MIN_KERNEL:
        return failed(f"Linux {release}", "Kata's agent talks to the VM over vsock, which needs Linux 4.8 or newer",
                      "upgrade the host kernel to 4.8 or newer")
    return passed(f"Linux {release}", "new enough for vsock (4.8+); Kata checks no other kernel minimum")
