"""Render the fio job file kataio runs for one scenario; it is stored with the results.

The file depends only on the plan's fio parameters and the scenario's pattern, block size, iodepth
and numjobs: every runtime and every client runs the same file, each client in its own empty
working directory (the data files ``kataio.<job>.0`` are created there). fio's command line is fixed:
``fio --output-format=json+ --status-interval=1 job.fio`` (see :data:`FIO_ARGS`).
"""

from __future__ import annotations

import re

from kataio_tui.errors import KataioError
from kataio_tui.model.plan import Plan, check_safe_text
from kataio_tui.model.results import ScenarioKey
from kataio_tui.units import format_size

JOB_NAME = "kataio"
FIO_ARGS = ("--output-format=json+", "--status-interval=1")
"""fio's options before the job file, for every client on every runner."""
LAYOUT_ARGS = ("--create_only=1", "--output-format=json")
"""Lay out the data files only (run before the measured start so that all clients start together)."""

_UNSAFE_LINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]|\$\{")


class JobFileError(KataioError):
    """A value would have produced an unsafe job file (the plan validation should have caught it)."""


def job_options(plan: Plan, key: ScenarioKey) -> list[tuple[str, str]]:
    """The [global] options in order: the study's settings first, then the plan's extra options."""
    fio = plan.fio
    iodepth = key.iodepth if key.iodepth is not None else fio.iodepth[0]
    numjobs = key.numjobs if key.numjobs is not None else fio.numjobs[0]
    options = [
        ("ioengine", fio.ioengine),
        ("iodepth", str(iodepth)),
        ("direct", "1" if fio.direct else "0"),
        ("numjobs", str(numjobs)),
        ("group_reporting", "1"),
        ("time_based", "1"),
        ("runtime", str(fio.runtime)),
        ("ramp_time", str(fio.ramp_time)),
        ("filesize", format_size(fio.filesize)),
    ]
    if "size" not in fio.extra:
        options.append(("size", format_size(fio.filesize)))
    options += [("bs", format_size(key.block_size)), ("rw", key.pattern)]
    options += sorted((str(k), str(v)) for k, v in fio.extra.items())
    return options


def render_jobfile(plan: Plan, key: ScenarioKey) -> str:
    """The job file text for a scenario. Raises JobFileError rather than emit an unsafe file."""
    options = job_options(plan, key)
    lines = [
        f"; kataio job file: {key.pattern} {format_size(key.block_size)} iodepth {dict(options)['iodepth']} "
        f"numjobs {dict(options)['numjobs']} of plan {plan.name!r}",
        f"; each client runs `fio {' '.join(FIO_ARGS)} job.fio` in its own empty directory",
        "[global]",
    ]
    for name, value in options:
        try:
            check_safe_text(value, name)
        except ValueError as exc:
            raise JobFileError(f"job file option {exc}") from None
        lines.append(f"{name}={value}")
    lines += ["", f"[{JOB_NAME}]", ""]
    text = "\n".join(lines)
    bad = _UNSAFE_LINE.search(text)
    if bad:
        raise JobFileError(f"job file would contain {bad.group()!r}; refusing to render it")
    return text
