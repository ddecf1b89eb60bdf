"""The result-set manifest: what was run, where, and which raw files hold each client's output."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from kataio_tui.units import format_size

MANIFEST_FORMAT = 1

ScenarioStatus = Literal["ok", "failed", "interrupted", "partial"]


class ScenarioKey(NamedTuple):
    runtime: str
    pattern: str
    block_size: int
    clients: int
    repeat: int = 0

    def label(self) -> str:
        text = f"{self.runtime} {self.pattern} {format_size(self.block_size)} x{self.clients}"
        return f"{text} #{self.repeat + 1}" if self.repeat else text


class Provenance(BaseModel):
    """Where and how a result set was made."""

    model_config = ConfigDict(extra="allow")

    made_by: str = Field(description="what produced it, e.g. 'kataio run (local)' or 'kataio import stackhpc'")
    kataio_version: str
    fio_version: str | None = None
    hosts: list[str] = Field(default_factory=list)
    kernel: str | None = None
    runtimes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    kubernetes_version: str | None = None
    notes: str | None = None


class ScenarioRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    runtime: str
    pattern: str
    block_size: int = Field(gt=0)
    clients: int = Field(gt=0)
    repeat: int = Field(default=0, ge=0)
    status: ScenarioStatus = "ok"
    files: list[str] = Field(default_factory=list)
    jobfile: str | None = None
    started: datetime | None = None
    finished: datetime | None = None
    start_skew_s: float | None = None
    failure: str | None = None
    diagnosis: str | None = None
    remedy: str | None = None

    @property
    def key(self) -> ScenarioKey:
        return ScenarioKey(self.runtime, self.pattern, self.block_size, self.clients, self.repeat)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    format: int = MANIFEST_FORMAT
    name: str = Field(min_length=1)
    created: datetime
    plan: dict[str, Any] | None = None
    provenance: Provenance
    scenarios: list[ScenarioRecord] = Field(default_factory=list)
