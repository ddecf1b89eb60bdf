"""Plans: what to run (runtimes x patterns x block sizes x iodepths x numjobs x client counts x repeats) and how.

A plan is a pydantic model saved as TOML. Every value that reaches a fio job file, a command line,
an OCI config or a Kubernetes manifest is checked here against a strict pattern, so no value can
inject a new job-file line, a fio ``${VAR}`` expansion, a shell command or a path outside the
target directory. Use :func:`load_plan` / :func:`save_plan` / :func:`preset`; errors are
:class:`PlanError` naming the file, the field and the allowed values.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from kataio_tui.errors import KataioError
from kataio_tui.model.identity import ScenarioKey
from kataio_tui.printable import brief
from kataio_tui.units import format_size, parse_size
from kataio_tui.tomlfile import dump_toml, read_toml, validation_problems, write_atomic

PLAN_FORMAT = 1
RESULT_BYTES_PER_CLIENT = 32 << 10  # a json+ document with lat and slat percentiles (../shared/notes/fio.md)
MAX_SIZE = 2**63 - 1  # fio's sizes are 64-bit
PATTERNS = ("read", "write", "randread", "randwrite", "rw", "randrw")
IOENGINES = ("libaio", "io_uring", "psync", "sync", "pvsync", "pvsync2", "posixaio")
LOCAL_RUNTIMES = ("bare", "runc", "crun", "gvisor", "kata")
"""Local runtime names; ``kata-<shim>`` (kata-qemu, kata-clh, ...) names a Kata shim as well."""
PRESETS = ("stackhpc-2019", "quick")

# A runtime name is what Kubernetes accepts as a RuntimeClass name (a DNS label).
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_KATA_LOCAL = re.compile(r"^kata(-[a-z0-9]+)*$")
# Characters that could start a new job-file line, a comment, an expansion or a shell construct.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f;#$`&|<>(){}\[\]*?!~'\"\\]")
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._+@%=:,/-]*$")
_IMAGE = re.compile(r"^[a-z0-9]([a-z0-9._/:@-]*[a-zA-Z0-9._-])?$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_K8S_QUANTITY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")

# Extra fio options a plan may set: name -> (pattern of the value, what is allowed, for errors).
# Options kataio sets itself (rw, bs, size, directory, output, logs, exec_*, ...) are not here.
_INT = (r"\d{1,9}", "a whole number")
_BOOL = (r"[01]", "0 or 1")
_RATE = (r"\d{1,9}[kmgKMG]?(,\d{1,9}[kmgKMG]?)?", "a rate such as 100m or 10k,5k")
EXTRA_OPTIONS: dict[str, tuple[str, str]] = {
    "fallocate": (r"none|native|posix|keep|truncate|0|1", "none, native, posix, keep, truncate, 0 or 1"),
    "end_fsync": _BOOL, "fsync_on_close": _BOOL, "fsync": _INT, "fdatasync": _INT,
    "invalidate": _BOOL, "norandommap": _BOOL, "randrepeat": _BOOL, "thread": _BOOL,
    "random_generator": (r"tausworthe|lfsr|tausworthe64", "tausworthe, lfsr or tausworthe64"),
    "random_distribution": (r"random|(zipf|pareto|normal):\d{1,3}(\.\d{1,6})?",
                            "random, zipf:N, pareto:N or normal:N"),
    "lat_percentiles": _BOOL, "slat_percentiles": _BOOL, "clat_percentiles": _BOOL,
    "percentile_list": (r"\d{1,3}(\.\d{1,6})?(:\d{1,3}(\.\d{1,6})?){0,63}", "percentages joined by ':'"),
    "rwmixread": (r"\d{1,3}", "a percentage"), "rwmixwrite": (r"\d{1,3}", "a percentage"),
    "rate": _RATE, "rate_iops": (r"\d{1,9}(,\d{1,9})?", "IOPS such as 500 or 500,200"),
    "rate_process": (r"linear|poisson", "linear or poisson"),
    "nrfiles": _INT, "openfiles": _INT,
    "file_service_type": (r"(random|roundrobin|sequential)(:\d{1,6})?", "random, roundrobin or sequential"),
    "iodepth_batch_submit": _INT, "iodepth_batch_complete_min": _INT, "iodepth_batch_complete_max": _INT,
    "iodepth_low": _INT, "zero_buffers": _BOOL, "refill_buffers": _BOOL, "scramble_buffers": _BOOL,
    "buffer_compress_percentage": (r"\d{1,3}", "a percentage"), "dedupe_percentage": (r"\d{1,3}", "a percentage"),
    "hipri": _BOOL, "fixedbufs": _BOOL, "registerfiles": _BOOL, "sqthread_poll": _BOOL,
    "create_on_open": _BOOL, "pre_read": _BOOL, "size": (r"\d{1,12}[kmgtKMGT]?|\d{1,3}%", "a size or a percentage"),
    "blockalign": (r"\d{1,9}[kmKM]?", "a size"),
}


class PlanError(KataioError):
    """A plan cannot be loaded, saved or validated; the message names the file and the field."""


def check_safe_text(value: str, what: str) -> str:
    """Refuse text that could inject into a job file, a command line or a shell."""
    match = _FORBIDDEN.search(value)
    if match:
        raise ValueError(f"{what} must not contain {match.group()!r} (newlines, ';', '#', '$', quotes "
                         "and shell metacharacters are refused)")
    return value


def check_safe_path(value: str, what: str) -> str:
    """An absolute, normalised POSIX path made of plain characters (no '..', no metacharacters)."""
    check_safe_text(value, what)
    if not _SAFE_PATH.match(value):
        raise ValueError(f"{what} must be an absolute path of letters, digits and ._+@%=:,/- (got {value!r})")
    parts = PurePosixPath(value).parts
    if ".." in parts or "." in parts or "//" in value:
        raise ValueError(f"{what} must not contain '.' or '..' components (got {value!r})")
    return value.rstrip("/") or "/"


def _check_size(value: Any, what: str, allow_zero: bool = False) -> int:
    try:
        size = parse_size(value) if not isinstance(value, bool) else None
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    if size is None or size < (0 if allow_zero else 1):
        raise ValueError(f"{what} must be a positive size such as 4k, 64k, 1m or 32g (got {brief(value)})")
    if size > MAX_SIZE:
        raise ValueError(f"{what} {format_size(size)} is more than fio can address (8 EiB)")
    return size


SWEEP_LIMITS = {"iodepth": 4096, "numjobs": 256}


def _check_counts(value: Any, what: str, limit: int) -> list[int]:
    """A whole number or a list of them (a sweep), each 1 to limit, none twice."""
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValueError(f"{what} must be a number or a non-empty list such as [1, 4, 16]")
    # whole numbers written as text (the TUI's plan form) are numbers
    values = [int(n) if isinstance(n, str) and n.strip().isascii() and n.strip().isdigit() else n for n in values]
    for n in values:
        if isinstance(n, bool) or not isinstance(n, int):
            raise ValueError(f"{what} must be a whole number or a list of them, such as 8 or [1, 4, 16] "
                             f"(got {n!r})")
        if not 1 <= n <= limit:
            raise ValueError(f"{what} {n} is out of range (1 to {limit})")
    if len(set(values)) != len(values):
        raise ValueError(f"{what}: a value is listed twice")
    return list(values)


class Timeouts(BaseModel):
    """Seconds. A scenario is declared hung after ramp + runtime + ``scenario_grace`` (layout included)."""

    model_config = ConfigDict(extra="forbid")

    start: float = Field(default=60, gt=0, le=3600, description="a client (container/pod) must start within this")
    scenario_grace: float = Field(default=300, gt=0, le=86400,
                                  description="added to ramp + runtime before a scenario is declared hung")
    stop: float = Field(default=5, gt=0, le=60, description="cancel: time given to clients before SIGKILL")


class FioParams(BaseModel):
    """fio parameters common to every scenario (the study's: libaio, iodepth 8, numjobs 4, direct=1)."""

    model_config = ConfigDict(extra="forbid")

    ioengine: Literal["libaio", "io_uring", "psync", "sync", "pvsync", "pvsync2", "posixaio"] = "libaio"
    iodepth: list[int] = Field(default_factory=lambda: [8], description="a number, or a list: a sweep")
    numjobs: list[int] = Field(default_factory=lambda: [4], description="a number, or a list: a sweep")
    direct: bool = True
    filesize: int = Field(default=32 << 30, description="bytes per job file; TOML accepts '32g'")
    runtime: int = Field(default=30, ge=1, le=86400, description="seconds of measured I/O")
    ramp_time: int = Field(default=0, ge=0, le=3600, description="seconds before measuring")
    extra: dict[str, str] = Field(default_factory=dict, description="allow-listed fio options (EXTRA_OPTIONS)")

    @field_validator("iodepth", "numjobs", mode="before")
    @classmethod
    def _counts(cls, value: Any, info: ValidationInfo) -> list[int]:
        return _check_counts(value, str(info.field_name), SWEEP_LIMITS[str(info.field_name)])

    @field_serializer("iodepth", "numjobs")
    def _counts_out(self, value: list[int]) -> int | list[int]:
        return value[0] if len(value) == 1 else list(value)  # a plan without a sweep keeps a number

    @field_validator("filesize", mode="before")
    @classmethod
    def _filesize(cls, value: Any) -> int:
        return _check_size(value, "filesize")

    @field_serializer("filesize")
    def _filesize_out(self, value: int) -> str:
        return format_size(value)

    @field_validator("extra", mode="before")
    @classmethod
    def _extra(cls, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise ValueError("must be a table of fio option = value")
        checked: dict[str, str] = {}
        for name, raw in value.items():
            if name not in EXTRA_OPTIONS:
                raise ValueError(f"option {name!r} is not allowed; allowed: {', '.join(sorted(EXTRA_OPTIONS))}")
            text = str(int(raw)) if isinstance(raw, bool) else str(raw)
            check_safe_text(text, f"extra.{name}")
            pattern, allowed = EXTRA_OPTIONS[name]
            if not re.fullmatch(pattern, text):
                raise ValueError(f"{name} = {text!r} is not allowed; expected {allowed}")
            checked[name] = text
        return checked


class KubernetesStorage(BaseModel):
    """Where the clients' files live on Kubernetes.

    kind: ``hostPath`` (``path`` on each node: the study's shared file system mount),
    ``pvc`` (an existing claim ``claim``), ``storageclass`` (a claim per run from ``storage_class``
    of ``size``) or ``emptyDir``.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["hostPath", "pvc", "storageclass", "emptyDir"] = "emptyDir"
    path: str | None = None
    claim: str | None = None
    storage_class: str | None = None
    size: str | None = Field(default=None, description="Kubernetes quantity, e.g. 100Gi")
    access_mode: Literal["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"] = "ReadWriteMany"

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return None if value is None else check_safe_path(value, "storage.path")

    @field_validator("claim", "storage_class")
    @classmethod
    def _names(cls, value: str | None, info) -> str | None:
        if value is not None and not _DNS_LABEL.match(value) and not re.fullmatch(r"[a-z0-9][-a-z0-9.]{0,252}", value):
            raise ValueError(f"{info.field_name} must be a Kubernetes name (lower-case letters, digits, '-', '.')")
        return value

    @field_validator("size")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value is not None and not _K8S_QUANTITY.match(value):
            raise ValueError(f"size must be a Kubernetes quantity such as 10Gi (got {value!r})")
        return value

    @model_validator(mode="after")
    def _required(self) -> KubernetesStorage:
        needed = {"hostPath": "path", "pvc": "claim", "storageclass": "storage_class"}.get(self.kind)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"storage kind {self.kind!r} needs storage.{needed}")
        return self


DEFAULT_FIO_IMAGE = "kataio.local/fio:3.33"
"""fio plus /bin/sh, built without any registry by scripts/lab/mkimage.py (docs/kubernetes-runner.md says
how to load it onto nodes or push it); any image with fio >= 3 and a POSIX /bin/sh works."""


class KubernetesTarget(BaseModel):
    """Where and how to run on a cluster (used by the Kubernetes runner)."""

    model_config = ConfigDict(extra="forbid")

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str = "kataio"
    create_namespace: bool = False
    storage: KubernetesStorage = Field(default_factory=KubernetesStorage)
    mount_path: str = Field(default="/data", description="where the storage appears inside the client pods")
    image: str = DEFAULT_FIO_IMAGE
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    node_selector: dict[str, str] = Field(default_factory=dict)
    runtime_classes: dict[str, str | None] = Field(
        default_factory=dict,
        description="plan runtime name -> RuntimeClass name; unlisted names are used as is, "
                    "'runc' and 'default' mean the cluster's default runtime")
    cpu_request: str = Field(default="10m", description="CPU request of each client pod (Kubernetes quantity)")
    memory_request: str = Field(default="64Mi", description="memory request of each client pod")
    memory_limit: str | None = Field(default=None, description="memory limit of each client pod (Kata sizes "
                                     "the VM from it)")
    baseline: Literal["none", "privileged-pod"] = Field(
        default="none", description="how runtime 'bare' runs on Kubernetes: 'privileged-pod' (opt-in) runs fio "
                                    "in a privileged pod in the node's namespaces on the same storage")

    @field_validator("kubeconfig")
    @classmethod
    def _kubeconfig(cls, value: str | None) -> str | None:
        return None if value is None else check_safe_text(value, "kubernetes.kubeconfig")

    @field_validator("context")
    @classmethod
    def _context(cls, value: str | None) -> str | None:
        return None if value is None else check_safe_text(value, "kubernetes.context")

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not _DNS_LABEL.match(value):
            raise ValueError(f"namespace must be a DNS label (lower-case letters, digits, '-'), got {value!r}")
        return value

    @field_validator("mount_path")
    @classmethod
    def _mount(cls, value: str) -> str:
        return check_safe_path(value, "kubernetes.mount_path")

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not _IMAGE.match(value):
            raise ValueError(f"image must be an image reference such as registry/name:tag (got {value!r})")
        return value

    @field_validator("cpu_request")
    @classmethod
    def _cpu(cls, value: str) -> str:
        if not re.fullmatch(r"\d{1,6}(\.\d{1,3})?m?", value):
            raise ValueError(f"cpu_request must be a CPU quantity such as 100m or 0.5 (got {value!r})")
        return value

    @field_validator("memory_request", "memory_limit")
    @classmethod
    def _memory(cls, value: str | None, info) -> str | None:
        if value is not None and not _K8S_QUANTITY.match(value):
            raise ValueError(f"{info.field_name} must be a Kubernetes quantity such as 64Mi (got {value!r})")
        return value

    @field_validator("node_selector")
    @classmethod
    def _selector(cls, value: dict[str, str]) -> dict[str, str]:
        for key, val in value.items():
            if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(str(val)):
                raise ValueError(f"node_selector {key!r} = {val!r} is not a valid label")
        return value

    @field_validator("runtime_classes")
    @classmethod
    def _classes(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        for key, val in value.items():
            if not _DNS_LABEL.match(key) or (val not in (None, "") and not _DNS_LABEL.match(val)):
                raise ValueError(f"runtime_classes {key!r} = {val!r}: names must be DNS labels")
        return value


class Plan(BaseModel):
    """Everything ``kataio run`` needs. Field order is the TOML order."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    format: int = PLAN_FORMAT
    name: str = Field(default="kataio", min_length=1, max_length=80)
    description: str = ""
    target: Literal["local", "kubernetes"] = "local"
    runtimes: list[str] = Field(default_factory=lambda: ["bare", "runc"], min_length=1)
    patterns: list[Literal["read", "write", "randread", "randwrite", "rw", "randrw"]] = Field(
        default_factory=lambda: ["read", "write", "randread", "randwrite"], min_length=1)
    block_sizes: list[int] = Field(default_factory=lambda: [64 << 10], min_length=1)
    clients: list[int] = Field(default_factory=lambda: [1], min_length=1)
    repeats: int = Field(default=1, ge=1, le=100)
    directory: str = Field(default="/var/tmp/kataio",
                           description="local target: host directory under which each client gets its own")
    keep_files: bool = False
    on_failure: Literal["continue", "stop"] = "continue"
    fio: FioParams = Field(default_factory=FioParams)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    kubernetes: KubernetesTarget | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_safe_text(value, "name")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        # Free text for people; it never reaches a job file or a command line, so only one line.
        if re.search(r"[\x00-\x1f\x7f]", value):
            raise ValueError("description must be one line without control characters")
        return value

    @field_validator("runtimes")
    @classmethod
    def _runtimes(cls, value: list[str]) -> list[str]:
        for name in value:
            if not isinstance(name, str) or not _DNS_LABEL.match(name):
                raise ValueError(f"runtime {name!r} is not a valid name (lower-case letters, digits and '-', "
                                 f"e.g. {', '.join(LOCAL_RUNTIMES)}, kata-qemu)")
        if len(set(value)) != len(value):
            raise ValueError("runtimes are listed twice")
        return value

    @field_validator("block_sizes", mode="before")
    @classmethod
    def _block_sizes(cls, value: Any) -> list[int]:
        if not isinstance(value, list):
            raise ValueError("must be a list such as ['4k', '64k', '1m']")
        sizes = [_check_size(v, "block size") for v in value]
        for size in sizes:
            if size % 512 and size > 512:
                raise ValueError(f"block size {format_size(size)} is not a multiple of 512 bytes")
        return sizes

    @field_serializer("block_sizes")
    def _block_sizes_out(self, value: list[int]) -> list[str]:
        return [format_size(v) for v in value]

    @field_validator("clients")
    @classmethod
    def _clients(cls, value: list[int]) -> list[int]:
        for n in value:
            if not 1 <= n <= 1024:
                raise ValueError(f"client count {n} is out of range (1 to 1024)")
        return value

    @field_validator("directory")
    @classmethod
    def _directory(cls, value: str) -> str:
        path = check_safe_path(value, "directory")
        if path == "/":
            raise ValueError("directory must not be '/'")
        return path

    @model_validator(mode="after")
    def _target(self) -> Plan:
        if self.target == "local":
            for name in self.runtimes:
                if name not in LOCAL_RUNTIMES and not _KATA_LOCAL.match(name):
                    raise ValueError(f"runtimes: {name!r} is not a local runtime; allowed: "
                                     f"{', '.join(LOCAL_RUNTIMES)} or kata-<shim> (e.g. kata-qemu)")
        elif self.kubernetes is None:
            object.__setattr__(self, "kubernetes", KubernetesTarget())
        return self

    # ---- derived -------------------------------------------------------------------------------

    def scenarios(self) -> list[ScenarioKey]:
        """Every scenario in run order: runtimes innermost, so runtimes alternate and drift
        (page cache, thermal, neighbours) spreads over all of them rather than biasing one;
        the swept fio values (numjobs, iodepth) next, then patterns, block sizes, clients, repeats."""
        return [
            ScenarioKey(runtime, pattern, bs, clients, repeat, iodepth, numjobs)
            for repeat in range(self.repeats)
            for clients in self.clients
            for bs in self.block_sizes
            for pattern in self.patterns
            for numjobs in self.fio.numjobs
            for iodepth in self.fio.iodepth
            for runtime in self.runtimes
        ]

    def sweeps(self) -> dict[str, list[str]]:
        """The plan's dimensions with more than one value (what its scenarios differ in)."""
        dims = {"runtimes": self.runtimes, "patterns": list(self.patterns),
                "block sizes": [format_size(b) for b in self.block_sizes],
                "iodepths": [str(n) for n in self.fio.iodepth], "numjobs values": [str(n) for n in self.fio.numjobs],
                "client counts": [str(n) for n in self.clients],
                "repeats": [str(n + 1) for n in range(self.repeats)]}
        return {name: values for name, values in dims.items() if len(values) > 1}

    def data_bytes(self) -> int:
        """Data files laid out at once: the largest client count x the largest numjobs x nrfiles x
        filesize (each client's files serve every scenario of the run)."""
        nrfiles = int(self.fio.extra.get("nrfiles", 1) or 1)
        return max(self.clients) * max(self.fio.numjobs) * nrfiles * self.fio.filesize

    def results_bytes(self) -> int:
        """About how much the result set takes: one json+ document per client and scenario
        (fio 3.33 writes 15 to 29 KB; RESULT_BYTES_PER_CLIENT is the upper end)."""
        return sum(k.clients for k in self.scenarios()) * RESULT_BYTES_PER_CLIENT

    def scenario_seconds(self) -> float:
        """Ramp plus measured time of one scenario (no layout, no start overhead)."""
        return float(self.fio.ramp_time + self.fio.runtime)

    def estimate_seconds(self, start_overhead_s: dict[str, float] | None = None,
                         layout_bytes_per_s: float | None = None) -> float:
        """Duration estimate: every scenario's ramp + runtime, plus the given per-runtime start
        overhead, plus laying out the data files once (largest client count x numjobs x filesize)
        at layout_bytes_per_s when that rate is known (see data_bytes)."""
        overhead = start_overhead_s or {}
        total = sum(self.scenario_seconds() + overhead.get(k.runtime, 0.0) for k in self.scenarios())
        if layout_bytes_per_s:
            total += self.data_bytes() / layout_bytes_per_s
        return total

    def to_toml(self) -> str:
        return dump_toml(self.model_dump(mode="json")).decode("utf-8")


def format_validation(exc: ValidationError, source: str) -> str:
    """One line per problem: `source: field.path: message`."""
    return "\n".join(f"{source}: {problem}" for problem in validation_problems(exc))


def plan_from_dict(data: dict[str, Any], source: str = "plan") -> Plan:
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(format_validation(exc, source)) from None


def load_plan(path: str | Path) -> Plan:
    path = Path(path)
    hint = f"no such plan file (write one with `kataio plan --preset quick -o {path}`)"
    data = read_toml(path, PlanError, missing=hint)
    return plan_from_dict(data, str(path))


def save_plan(plan: Plan, path: str | Path) -> None:
    write_atomic(Path(path), plan.to_toml().encode("utf-8"))


def preset(name: str) -> Plan:
    """A built-in plan. ``stackhpc-2019`` is the study exactly; ``quick`` takes a few minutes."""
    if name == "stackhpc-2019":
        return Plan(
            name="stackhpc-2019",
            description="StackHPC 2019 'I/O performance of Kata containers': fio libaio, iodepth 8, numjobs 4, "
                        "direct=1, 32 GiB files, 30 s, 64k blocks, 1/8/64 clients",
            runtimes=["bare", "runc", "kata-qemu"],
            patterns=["read", "write", "randread", "randwrite"],
            block_sizes=[64 << 10], clients=[1, 8, 64], repeats=1,
            fio=FioParams(ioengine="libaio", iodepth=[8], numjobs=[4], direct=True, filesize=32 << 30,
                          runtime=30, ramp_time=0),
            # laying out 4 x 32 GiB per client before the first scenario takes long on most disks
            timeouts=Timeouts(scenario_grace=3600),
        )
    if name == "quick":
        return Plan(
            name="quick",
            description="A few minutes on a laptop: the study's fio settings with 64 MiB files and 5 s runs",
            runtimes=["bare", "runc", "gvisor"],
            patterns=["read", "write", "randread", "randwrite"],
            block_sizes=[64 << 10], clients=[1, 2], repeats=1,
            fio=FioParams(ioengine="libaio", iodepth=[8], numjobs=[4], direct=True, filesize=64 << 20,
                          runtime=5, ramp_time=1),
        )
    raise PlanError(f"preset {name!r} is unknown; presets: {', '.join(PRESETS)}")
