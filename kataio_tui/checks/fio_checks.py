"""fio and its target directory: version, the libaio engine, O_DIRECT (tried for real) and room."""

from __future__ import annotations

import errno
import mmap
import os
import re
from pathlib import Path

from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, failed, passed, warned
from kataio_tui.checks.host import find_binary, run_command
from kataio_tui.units import format_size

MIN_FIO = (3, 0)  # the JSON layout kataio reads (ns latencies) came with fio 3.0
DIRECT_IO_BLOCK = 4096


def parse_fio_version(text: str) -> tuple[int, int] | None:
    match = re.search(r"fio-(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def engines_listed(enghelp: str) -> set[str]:
    """Engine names from `fio --enghelp` (one per indented line after the heading)."""
    return {line.strip() for line in enghelp.splitlines()[1:] if line.strip()}


def check_fio(ctx: CheckContext) -> list[Finding]:
    binary = find_binary(ctx, "fio")
    if binary is None:
        return [failed("fio is not on PATH", "kataio measures with fio: nothing can be benchmarked",
                       "install fio (apt-get install fio)")]
    if not ctx.live_host:
        raise SkipCheck(f"found {binary}; --root is not /, so it is not run")
    timeout = ctx.options.command_timeout_s
    version_run = run_command([binary, "--version"], timeout)
    version_text = version_run.stdout.strip()
    version = parse_fio_version(version_text)
    findings = []
    if not version_run.ok or version is None:
        findings.append(failed(f"{binary}: {version_run.describe()}", "fio does not report a version",
                               "reinstall fio"))
    elif version < MIN_FIO:
        findings.append(failed(f"{binary}: {version_text}", "kataio reads fio 3's JSON (nanosecond latencies)",
                               "install fio 3.0 or newer"))
    else:
        findings.append(passed(f"{binary}: {version_text}", "fio is installed and new enough for kataio"))
    enghelp = run_command([binary, "--enghelp"], timeout)
    engines = engines_listed(enghelp.stdout) if enghelp.ok else set()
    title = "fio libaio engine"
    if "libaio" in engines:
        findings.append(passed(f"`fio --enghelp` lists libaio ({len(engines)} engines)",
                               "the study's engine (libaio, iodepth 8) is available", key="libaio", title=title))
    else:
        observed = enghelp.describe() if not enghelp.ok else f"`fio --enghelp` lists {len(engines)} engines, not libaio"
        findings.append(failed(observed, "the study's ioengine is missing: plans with ioengine=libaio cannot run",
                               "install a fio built with libaio (Debian's fio has it)", key="libaio", title=title))
    return findings


def filesystem_of(path: Path) -> str | None:
    """The file system type of the mount holding ``path``, from /proc/self/mountinfo."""
    try:
        dev = os.stat(path).st_dev
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    wanted = f"{os.major(dev)}:{os.minor(dev)}"
    best: tuple[int, str] | None = None
    resolved = str(path.resolve())
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = left.split()
        if len(fields) < 5 or fields[2] != wanted or not right:
            continue
        mount_point = fields[4].replace("\\040", " ")
        if resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/"):
            if best is None or len(mount_point) > best[0]:
                best = (len(mount_point), right.split()[0])
    return best[1] if best else None


def try_direct_io(directory: Path) -> int | None:
    """Create, write one aligned block with O_DIRECT, and remove a probe file; the errno or None."""
    probe = directory / f".kataio-odirect-{os.getpid()}-{id(directory)}"
    buffer = mmap.mmap(-1, DIRECT_IO_BLOCK)  # page-aligned, as O_DIRECT needs
    buffer.write(b"k" * DIRECT_IO_BLOCK)
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        return exc.errno
    try:
        os.write(fd, buffer)
        return None
    except OSError as exc:
        return exc.errno
    finally:
        os.close(fd)
        probe.unlink(missing_ok=True)
        buffer.close()


def check_target(ctx: CheckContext) -> list[Finding]:
    target = ctx.options.target_dir
    if target is None:
        raise SkipCheck("no fio target directory given", "pass --target-dir DIR (or --plan FILE)")
    findings = []
    probe_dir = target
    if target.is_dir():
        if not os.access(target, os.W_OK | os.X_OK):
            return [failed(f"{target}: not writable by uid {os.geteuid()}", "fio cannot create its files",
                           "choose a writable directory or run as the owner")]
        fs = filesystem_of(target)
        findings.append(passed(f"{target} exists" + (f" ({fs})" if fs else ""), "fio can lay out its files there"))
    elif target.exists():
        return [failed(f"{target} is not a directory", "fio needs a directory for its files",
                       "give a directory with --target-dir")]
    else:
        probe_dir = next((p for p in target.parents if p.is_dir()), Path("/"))
        fs = filesystem_of(probe_dir)
        findings.append(warned(f"{target} does not exist yet; nearest existing parent {probe_dir}"
                               + (f" ({fs})" if fs else ""),
                               "kataio run creates it; O_DIRECT and room were tried on the parent",
                               f"mkdir -p {target} to check the exact file system"))
    err = try_direct_io(probe_dir)
    title = "O_DIRECT in the fio target"
    if err is None:
        findings.append(passed(f"opened a file in {probe_dir} with O_DIRECT and wrote {DIRECT_IO_BLOCK} bytes",
                               "direct=1 (the study's setting) works here", key="odirect", title=title))
    elif err == errno.EINVAL:
        findings.append(failed(f"open/write with O_DIRECT in {probe_dir}: EINVAL",
                               "this file system does not support O_DIRECT: fio with direct=1 fails",
                               "use a directory on a file system with direct I/O (ext4, xfs), or set direct=0 "
                               "(then the page cache is measured too)", key="odirect", title=title))
    else:
        findings.append(failed(f"open/write with O_DIRECT in {probe_dir}: {errno.errorcode.get(err, err)} "
                               f"({os.strerror(err)})", "fio cannot write there", "choose a writable directory",
                               key="odirect", title=title))
    stats = os.statvfs(probe_dir)
    free = stats.f_bavail * stats.f_frsize
    opts = ctx.options
    needed = opts.planned_bytes
    sizes = (f"{opts.clients} client(s) x {opts.numjobs} job(s) x {format_size(opts.file_size)} = "
             f"{format_size(needed)} planned; {free / 2**30:.1f} GiB free in {probe_dir}")
    title = "Room in the fio target"
    if free >= needed:
        findings.append(passed(sizes, "the planned data files fit", key="space", title=title))
    else:
        findings.append(failed(sizes, "the planned data files do not fit: fio stops with ENOSPC while laying out",
                               "free space, choose a larger file system, or plan fewer clients or smaller files",
                               key="space", title=title))
    return findings
