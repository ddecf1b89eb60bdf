"""Where Kata's two runtimes live on a host, and where kata-deploy puts their configurations.

Sources (kata-containers): tools/packaging/kata-deploy/binary/src/utils/system.rs (RUST_SHIMS and the
per-shim paths), src/libs/kata-types/src/config/default.rs (runtime-rs default configuration list),
src/runtime/pkg/katautils/config.go (GetDefaultConfigFilePaths: /etc first, then the built-in
default under the install prefix), src/runtime-rs/Makefile (runtime-rs binaries in
<prefix>/runtime-rs/bin, configurations in share/defaults/kata-containers/runtime-rs).
"""

from __future__ import annotations

import enum

SHIM = "containerd-shim-kata-v2"
KATA_PREFIX = "/opt/kata"  # kata-deploy and the release tarball
DEFAULTS = "share/defaults/kata-containers"


class Runtime(enum.StrEnum):
    GO = "go"
    RUST = "runtime-rs"

    @property
    def label(self) -> str:
        return "Go runtime" if self is Runtime.GO else "runtime-rs (Rust)"

    @property
    def tool(self) -> str:
        """Kata's own host-check tool for this runtime."""
        return "kata-runtime" if self is Runtime.GO else "kata-ctl"


def shim_path(runtime: Runtime, prefix: str = KATA_PREFIX) -> str:
    return f"{prefix}/bin/{SHIM}" if runtime is Runtime.GO else f"{prefix}/runtime-rs/bin/{SHIM}"


def config_dir(runtime: Runtime, prefix: str = KATA_PREFIX) -> str:
    """Where the runtime's shipped configuration-<shim>.toml files are installed."""
    base = f"{prefix}/{DEFAULTS}"
    return base if runtime is Runtime.GO else f"{base}/runtime-rs"


# Distribution packages build the Go runtime with prefix /usr; kataio treats a shim there as Go
# (runtime-rs has no distribution packages with a path of its own that kataio knows of).
DISTRO_PREFIX = "/usr"
DISTRO_SHIMS = (f"/usr/bin/{SHIM}", f"/usr/local/bin/{SHIM}")


def default_config_lookup(runtime: Runtime, prefix: str = KATA_PREFIX) -> tuple[str, ...]:
    """The files a runtime tries, in order, when it is given no configuration path."""
    if runtime is Runtime.GO:
        return ("/etc/kata-containers/configuration.toml", f"{prefix}/{DEFAULTS}/configuration.toml")
    # kata-types DEFAULT_RUNTIME_CONFIGURATIONS: fixed, whatever the install prefix.
    return ("/etc/kata-containers/runtime-rs/configuration.toml",
            "/usr/share/defaults/kata-containers/runtime-rs/configuration.toml",
            f"{KATA_PREFIX}/{DEFAULTS}/runtime-rs/configuration.toml")


# kata-deploy's shims that run on runtime-rs (system.rs RUST_SHIMS); every other shim is Go.
DEPLOY_RUST_SHIMS = frozenset({
    "clh-azure-runtime-rs", "clh-runtime-rs", "dragonball", "openvmm-azure-runtime-rs", "qemu-runtime-rs",
    "qemu-nvidia-cpu-runtime-rs", "qemu-nvidia-gpu-runtime-rs", "qemu-nvidia-gpu-snp-runtime-rs",
    "qemu-nvidia-gpu-tdx-runtime-rs", "qemu-coco-dev-runtime-rs", "qemu-se-runtime-rs", "qemu-snp-runtime-rs",
    "qemu-tdx-runtime-rs",
})
DEPLOY_DEFAULT_SHIM = {3: "qemu", 4: "qemu-runtime-rs"}  # by Kata major version (kata.md "Kata 4.x")


def deploy_runtime(shim: str) -> Runtime:
    return Runtime.RUST if shim in DEPLOY_RUST_SHIMS else Runtime.GO


def deploy_shim_dir(shim: str, prefix: str = KATA_PREFIX) -> str:
    """kata-deploy 4.x's per-shim directory: a copy of configuration-<shim>.toml and its config.d/."""
    return f"{config_dir(deploy_runtime(shim), prefix)}/runtimes/{shim}"


def deploy_config_path(shim: str, prefix: str = KATA_PREFIX) -> str:
    """The ConfigPath kata-deploy 4.x gives containerd (runtime_config_path for CRI-O)."""
    return f"{deploy_shim_dir(shim, prefix)}/configuration-{shim}.toml"


def shipped_config_path(shim: str, prefix: str = KATA_PREFIX) -> str:
    """The configuration file as the release ships it (what kata-deploy 3.x pointed containerd at)."""
    return f"{config_dir(deploy_runtime(shim), prefix)}/configuration-{shim}.toml"


def shim_of_config(path: str) -> str | None:
    """configuration-qemu-runtime-rs.toml -> qemu-runtime-rs; None for configuration.toml."""
    name = path.rsplit("/", 1)[-1]
    if name.startswith("configuration-") and name.endswith(".toml"):
        return name.removeprefix("configuration-").removesuffix(".toml")
    return None

# Where containerd (and kataio) look a shim up on a host's PATH.
SEARCH_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
