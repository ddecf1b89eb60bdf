"""What a scenario is: one job configuration on one runtime (or runtime variant). Repeats of the same
identity are samples of one scenario.

The identity's fields: the variant (the column a scenario appears in: a runtime, or a runtime
variant such as a RuntimeClass with annotations; it defaults to the runtime), the runtime that runs
it, pattern, block size, iodepth, numjobs, clients, and ``options``: the other fio options that tell
the scenarios of one set apart (for a plan, none: everything else is fixed per plan; for folders of
fio output, every workload option whose value differs between the files, see fio/jobconfig.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kataio_tui.units import format_size

Options = tuple[tuple[str, str], ...]


def _label(pattern: str, block_size: int, iodepth: int | None, numjobs: int | None, clients: int,
           options: Options) -> str:
    parts = [pattern, format_size(block_size), f"x{clients}"]
    if iodepth is not None:
        parts.append(f"qd{iodepth}")
    if numjobs is not None:
        parts.append(f"j{numjobs}")
    parts += [f"{k}={v}" for k, v in options]
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Configuration:
    """A scenario without its runtime: what runs on each runtime of a set, and what a baseline
    is matched by."""

    pattern: str
    block_size: int
    iodepth: int | None
    numjobs: int | None
    clients: int
    options: Options = ()

    def label(self) -> str:
        return _label(self.pattern, self.block_size, self.iodepth, self.numjobs, self.clients, self.options)


@dataclass(frozen=True, slots=True)
class ScenarioId:
    """One scenario: a configuration on a runtime or runtime variant (its repeats are samples)."""

    runtime: str
    pattern: str
    block_size: int
    clients: int
    iodepth: int | None = None
    numjobs: int | None = None
    variant: str = ""  # "" means the runtime itself
    options: Options = ()

    def __post_init__(self) -> None:
        if not self.variant:
            object.__setattr__(self, "variant", self.runtime)

    @property
    def configuration(self) -> Configuration:
        return Configuration(self.pattern, self.block_size, self.iodepth, self.numjobs, self.clients, self.options)

    def label(self) -> str:
        return f"{self.variant} {self.configuration.label()}"

    def with_repeat(self, repeat: int) -> ScenarioKey:
        return ScenarioKey(self.runtime, self.pattern, self.block_size, self.clients, repeat, self.iodepth,
                           self.numjobs, self.variant, self.options)


@dataclass(frozen=True, slots=True)
class ScenarioKey:
    """One run of a scenario: its identity and the repeat number (0 first, in run order)."""

    runtime: str
    pattern: str
    block_size: int
    clients: int
    repeat: int = 0
    iodepth: int | None = None
    numjobs: int | None = None
    variant: str = ""
    options: Options = field(default=())

    def __post_init__(self) -> None:
        if not self.variant:
            object.__setattr__(self, "variant", self.runtime)

    @property
    def scenario(self) -> ScenarioId:
        return ScenarioId(self.runtime, self.pattern, self.block_size, self.clients, self.iodepth, self.numjobs,
                          self.variant, self.options)

    @property
    def configuration(self) -> Configuration:
        return self.scenario.configuration

    def label(self) -> str:
        text = self.scenario.label()
        return f"{text} #{self.repeat + 1}" if self.repeat else text

