"""Real fio output made during the test run, shared by every test that needs fio's own files.

Everything here runs Debian's real fio: locally, and in client/server mode against two or more
``fio --server=ip:127.0.0.1,PORT`` servers on free loopback ports (started, waited for and always
killed). Runs are short (256 KiB files, 1 s time-based) in temporary directories on the root file
system (ext4 here, so direct=1 works; tmpfs would refuse O_DIRECT).

Use the ``fiogen`` fixture: ``fiogen.local(...)``/``fiogen.client_server(...)`` return the raw bytes
of one run, cached for the whole session by their parameters, so each distinct run happens once.
``fiogen.prefetch(...)`` starts several runs at once (most of a 1 s run is waiting).

The ``as_fio31_*`` helpers turn real fio 3.33 output into the shapes older fio wrote (they are
transformations of real output, documented in ../shared/notes/fio.md, not invented numbers).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Small, fast and realistic: real direct I/O with libaio, so latencies and bins are real.
BASE_OPTIONS: dict[str, str] = {
    "ioengine": "libaio",
    "iodepth": "4",
    "direct": "1",
    "size": "256k",
    "bs": "4k",
    "runtime": "1",
    "time_based": "1",
}


class FioFailed(RuntimeError):
    pass


def fio_binary() -> str:
    path = shutil.which("fio")
    if path is None:
        pytest.fail("fio is not installed: the test command installs Debian's fio (apt-get install fio)")
    return path


# These go into [global] (fio echoes them as "global options", which client mode repeats once per
# client); the rest into the job section ("job options").
GLOBAL_KEYS = ("ioengine", "direct")


def job_text(options: Mapping[str, str], name: str = "job", directory: Path | None = None) -> str:
    """A job file: a [global] section (GLOBAL_KEYS and the directory) and one job section."""
    lines = ["[global]"]
    if directory is not None:
        lines.append(f"directory={directory}")
    lines += [f"{key}={value}" for key, value in options.items() if key in GLOBAL_KEYS]
    lines.append(f"[{name}]")
    lines += [f"{key}={value}" for key, value in options.items() if key not in GLOBAL_KEYS]
    return "\n".join(lines) + "\n"


def _options(overrides: Mapping[str, str | int | None]) -> dict[str, str]:
    merged: dict[str, str] = dict(BASE_OPTIONS)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def run_fio(args: list[str], cwd: Path, timeout: float = 60, check: bool = True) -> bytes:
    proc = subprocess.run([fio_binary(), *args], cwd=cwd, capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise FioFailed(f"fio {' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return proc.stdout


def run_local(workdir: Path, options: Mapping[str, str], fmt: str = "json+",
              status_interval: str | None = None, name: str = "job", check: bool = True) -> bytes:
    """One local fio run of a job file with these options; returns fio's stdout."""
    workdir.mkdir(parents=True, exist_ok=True)
    jobfile = workdir / "job.fio"
    jobfile.write_text(job_text(options, name, workdir))
    args = [f"--output-format={fmt}"]
    if status_interval:
        args.append(f"--status-interval={status_interval}")
    return run_fio([*args, str(jobfile)], workdir, check=check)


# ---------------------------------------------------------------------------------------------
# client/server on loopback


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    """True when something listens on 127.0.0.1:port (read from /proc: no probe connection,
    which would make the fio server fork a child)."""
    want = f"0100007F:{port:04X}"
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(parts[1] == want and parts[3] == "0A" for parts in (line.split() for line in lines))


@dataclass
class FioServers:
    """Two or more ``fio --server`` processes on free loopback ports, each in its own directory.

    A context manager: the servers are killed (SIGKILL to their own process group; fio's server
    ignores SIGTERM) on exit, whatever happens.
    """

    workdir: Path
    count: int = 2
    ports: list[int] = field(default_factory=list)
    _procs: list[subprocess.Popen] = field(default_factory=list)

    def __enter__(self) -> FioServers:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 10) -> None:
        for i in range(self.count):
            for _attempt in range(5):
                port = free_port()
                home = self.workdir / f"server{i}"
                home.mkdir(parents=True, exist_ok=True)
                proc = subprocess.Popen(
                    [fio_binary(), f"--server=ip:127.0.0.1,{port}"], cwd=home,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                )
                self._procs.append(proc)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline and proc.poll() is None and not _listening(port):
                    time.sleep(0.02)
                if proc.poll() is None and _listening(port):
                    self.ports.append(port)
                    break
                self._kill(proc)  # lost the port to someone else: try another
            else:
                raise FioFailed(f"fio --server did not start listening on a free port in {self.workdir}")

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in self._procs:
            self._kill(proc)
        self._procs.clear()

    def run(self, options: Mapping[str, str], fmt: str = "json+", name: str = "job") -> bytes:
        """Send one job file per server (each in its own directory: fio prefixes data files with the
        server's IP, so servers sharing a directory would collide). Returns the client's stdout."""
        args = [f"--output-format={fmt}"]
        for i, port in enumerate(self.ports):
            data_dir = self.workdir / f"data{i}"
            data_dir.mkdir(parents=True, exist_ok=True)
            jobfile = self.workdir / f"job{i}.fio"
            jobfile.write_text(job_text(options, name, data_dir))
            args += [f"--client=ip:127.0.0.1,{port}", str(jobfile)]
        return run_fio(args, self.workdir, timeout=120)


def run_client_server(workdir: Path, options: Mapping[str, str], servers: int = 2,
                      fmt: str = "json+") -> bytes:
    with FioServers(workdir, servers) as fleet:
        return fleet.run(options, fmt)


# ---------------------------------------------------------------------------------------------
# the session cache


@dataclass(frozen=True)
class RunSpec:
    mode: str  # "local" or "client-server"
    options: tuple[tuple[str, str], ...]
    fmt: str = "json+"
    status_interval: str | None = None
    servers: int = 0
    job_fails: bool = False  # fio exits 1 when a job fails; its output still holds the result


def local_spec(fmt: str = "json+", status_interval: str | None = None, job_fails: bool = False,
               **options: str | int | None) -> RunSpec:
    return RunSpec("local", tuple(sorted(_options(options).items())), fmt, status_interval, 0, job_fails)


def client_server_spec(servers: int = 2, fmt: str = "json+", **options: str | int | None) -> RunSpec:
    return RunSpec("client-server", tuple(sorted(_options(options).items())), fmt, None, servers)


class FioGen:
    """Real fio runs, each made at most once per test session and kept under base/."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._cache: dict[RunSpec, bytes] = {}
        self._locks: dict[RunSpec, threading.Lock] = {}
        self._guard = threading.Lock()
        self._counter = 0

    def _workdir(self) -> Path:
        with self._guard:
            self._counter += 1
            return Path(tempfile.mkdtemp(prefix=f"run{self._counter}-", dir=self.base))

    def get(self, spec: RunSpec) -> bytes:
        with self._guard:
            lock = self._locks.setdefault(spec, threading.Lock())
        with lock:
            if spec not in self._cache:
                workdir = self._workdir()
                options = dict(spec.options)
                if spec.mode == "local":
                    out = run_local(workdir, options, spec.fmt, spec.status_interval, check=not spec.job_fails)
                else:
                    out = run_client_server(workdir, options, spec.servers, spec.fmt)
                (workdir / "output").write_bytes(out)
                self._cache[spec] = out
            return self._cache[spec]

    def local(self, fmt: str = "json+", status_interval: str | None = None, **options: str | int | None) -> bytes:
        return self.get(local_spec(fmt, status_interval, **options))

    def client_server(self, servers: int = 2, fmt: str = "json+", **options: str | int | None) -> bytes:
        return self.get(client_server_spec(servers, fmt, **options))

    def prefetch(self, specs: Iterable[RunSpec], parallel: int = 4) -> None:
        """Make several runs at once; later get() calls return them from the cache."""
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(self.get, specs))

    def save(self, data: bytes, name: str) -> Path:
        """Write bytes into a fresh file under the session directory (for tests that need a path)."""
        path = self._workdir() / name
        path.write_bytes(data)
        return path


_SHARED: dict[str, FioGen] = {}


@pytest.fixture(scope="session")
def fiogen(tmp_path_factory: pytest.TempPathFactory) -> FioGen:
    """The session's real-fio generator (one shared instance even when several modules import it)."""
    base = tmp_path_factory.getbasetemp() / "fiogen"
    key = str(base)
    if key not in _SHARED:
        base.mkdir(parents=True, exist_ok=True)
        fio_binary()
        _SHARED[key] = FioGen(base)
    return _SHARED[key]


# ---------------------------------------------------------------------------------------------
# the shapes older fio wrote, made from real 3.33 output


def json_start(data: bytes) -> int:
    """Offset of the first JSON document (after any banner text)."""
    match = re.search(rb"^\{", data, re.MULTILINE)
    assert match is not None, "no JSON document in fio output"
    return match.start()


def first_document(data: bytes) -> dict:
    return json.loads(data[json_start(data):])


def as_fio31(doc: dict, lat_percentiles: bool = False) -> str:
    """Real fio 3.33 output rewritten the way fio 3.1 wrote json+ (see ../shared/notes/fio.md):
    version 'fio-3.1'; no ``bw_bytes`` (< 3.2), no ``N`` (< 3.18), no ``sync`` (< 3.4); one
    histogram per direction, always under ``clat_ns`` (with lat_percentiles=1 it is the total-latency
    histogram, moved there from ``lat_ns``); slat without percentiles; each ``percentile`` object
    padded with duplicate ``"0.00": 0`` keys, injected as text because a dict cannot hold them.
    """
    doc = json.loads(json.dumps(doc))
    doc["fio version"] = "fio-3.1"
    doc.pop("timestamp_ms", None)
    entries = doc.get("jobs") or doc.get("client_stats") or []
    for job in entries:
        job.pop("sync", None)
        options = job.setdefault("job options", {})
        options.pop("slat_percentiles", None)  # added in 3.18
        if lat_percentiles:
            options["lat_percentiles"] = "1"
        else:
            options.pop("lat_percentiles", None)
        for ddir in ("read", "write", "trim"):
            stats = job.get(ddir)
            if not isinstance(stats, dict):
                continue
            stats.pop("bw_bytes", None)
            lat = stats.get("lat_ns", {})
            clat = stats.get("clat_ns", {})
            slat = stats.get("slat_ns", {})
            for obj in (lat, clat, slat):
                obj.pop("N", None)
            slat.pop("percentile", None)
            slat.pop("bins", None)
            if lat_percentiles:
                # the "All clients" entry and idle directions carry no histogram at all
                for key in ("percentile", "bins"):
                    clat.pop(key, None)
                    if key in lat:
                        clat[key] = lat.pop(key)
            else:
                lat.pop("percentile", None)
                lat.pop("bins", None)
    text = json.dumps(doc, indent=2)
    # fio 3.1-3.3 padded the percentile list with "0.00" entries up to its fixed length
    return re.sub(r'("percentile": \{[^}]*?)(\n\s*\})', r'\1,\n"0.00": 0,\n"0.00": 0\2', text)


# ---------------------------------------------------------------------------------------------
# the runs most tests share (each is made once per session)

#: local, numjobs=2 without group_reporting (one jobs[] entry per clone), all three histograms
LOCAL_CLONES = local_spec(rw="randrw", numjobs=2, lat_percentiles=1, slat_percentiles=1)
#: the same with group_reporting=1 (one entry for the group)
LOCAL_GROUP = local_spec(rw="randrw", numjobs=2, group_reporting=1, lat_percentiles=1, slat_percentiles=1)
#: plain json: fio's percentile list but no bins
LOCAL_JSON = local_spec(fmt="json", rw="randread", numjobs=2)
#: --status-interval streams, json+ and json
STREAM_JSONPLUS = local_spec(status_interval="250ms", rw="randwrite")
STREAM_JSON = local_spec(fmt="json", status_interval="250ms", rw="read")
#: trims: only the null engine trims a regular file (on a file fio's trim fails with error 25)
TRIMWRITE = local_spec(rw="trimwrite", ioengine="null", direct=None, iodepth=None, runtime=None,
                       time_based=None, size="8m", lat_percentiles=1)
TRIM_FAILS = local_spec(rw="randtrim", ioengine="psync", iodepth=None, direct=None, job_fails=True)
#: client/server: two servers, two clones each (four client_stats entries plus "All clients")
CS_CLONES = client_server_spec(2, rw="randrw", numjobs=2, lat_percentiles=1, slat_percentiles=1)
#: three servers with group_reporting
CS_GROUP = client_server_spec(3, rw="randread", numjobs=2, group_reporting=1, lat_percentiles=1)
CS_JSON = client_server_spec(2, fmt="json", rw="randread")

#: a percentile list of its own, with values whose threshold fio rounds in long double
PCT_LIST = local_spec(rw="randrw", numjobs=2, lat_percentiles=1, slat_percentiles=1,
                      percentile_list="1:5:10:25:30:33.333:60:66.6:75:99:99.9:99.99:99.999")

COMMON_RUNS = (LOCAL_CLONES, LOCAL_GROUP, LOCAL_JSON, STREAM_JSONPLUS, STREAM_JSON, TRIMWRITE,
               CS_CLONES, CS_GROUP, CS_JSON)


# ---------------------------------------------------------------------------------------------
# a stackhpc-io-tools result tree made of real fio output


def stackhpc_tree(gen: FioGen, root: Path, runtimes: Iterable[str], patterns: Iterable[str],
                  clients: Iterable[int], block_sizes: Iterable[str], fs: str = "ext4",
                  fio31: bool = False) -> list[Path]:
    """Lay out ``<runtime>/<fs>-<pattern>/<clients>/<client-dir>/<blocksize>.json`` with one real fio
    json+ run per file (short, not time-based; each file its own run). ``fio31=True`` rewrites each
    file into the fio 3.1 shape the StackHPC data has (as_fio31, a transformation of the real file).
    Runtime names are labels: every file is made by bare fio on this machine."""
    specs: dict[Path, RunSpec] = {}
    for runtime in runtimes:
        for pattern in patterns:
            for count in clients:
                for client in range(count):
                    for bs in block_sizes:
                        path = root / runtime / f"{fs}-{pattern}" / str(count) / f"client{client}" / f"{bs}.json"
                        specs[path] = local_spec(
                            rw=pattern, bs=bs, size="512k", runtime=None, time_based=None, lat_percentiles=1,
                            description=f"{runtime} {pattern} {count} {client}",  # one run per file
                        )
    gen.prefetch(specs.values())
    for path, spec in specs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = gen.get(spec)
        if fio31:
            data = as_fio31(first_document(data), lat_percentiles=True).encode()
        path.write_bytes(data)
    return sorted(specs)
