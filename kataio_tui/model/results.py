"""The result-set manifest: what was run, where, and which raw files hold each client's output."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kataio_tui.model.identity import ScenarioId, ScenarioKey
from kataio_tui.model.manifest_format import MANIFEST_FORMAT, migrate

ScenarioStatus = Literal["ok", "failed", "interrupted", "partial"]


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
    variant: str | None = Field(default=None, description="the column it is shown in; none: the runtime")
    pattern: str
    block_size: int = Field(gt=0)
    iodepth: int | None = Field(default=None, gt=0, description="none: not recorded (format 1 imports)")
    numjobs: int | None = Field(default=None, gt=0)
    clients: int = Field(gt=0)
    options: dict[str, str] = Field(default_factory=dict,
                                    description="other fio options that tell this set's scenarios apart")
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
    logs: list[str] = Field(default_factory=list, description="fio's own log files of this run (time series)")

    @property
    def key(self) -> ScenarioKey:
        return ScenarioKey(self.runtime, self.pattern, self.block_size, self.clients, self.repeat, self.iodepth,
                           self.numjobs, self.variant or "", tuple(sorted(self.options.items())))

    @property
    def scenario(self) -> ScenarioId:
        return self.key.scenario

    @classmethod
    def of(cls, key: ScenarioKey, **fields: Any) -> ScenarioRecord:
        """The record of a run of key (other fields as given)."""
        return cls(runtime=key.runtime, variant=None if key.variant == key.runtime else key.variant,
                   pattern=key.pattern, block_size=key.block_size, iodepth=key.iodepth, numjobs=key.numjobs,
                   clients=key.clients, options=dict(key.options), repeat=key.repeat, **fields)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    format: int = MANIFEST_FORMAT
    name: str = Field(min_length=1)
    created: datetime
    plan: dict[str, Any] | None = None
    provenance: Provenance
    scenarios: list[ScenarioRecord] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        return migrate(data)

    @field_validator("format")
    @classmethod
    def _format(cls, value: int) -> int:
        if value != MANIFEST_FORMAT:
            raise ValueError(f"format {value} is not one this kataio reads (format {MANIFEST_FORMAT}, and format 1 "
                             "by migration); a newer kataio made it")
        return value
