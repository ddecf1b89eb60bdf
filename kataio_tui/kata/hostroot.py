"""Host paths under a root directory: ``/`` on a real host, a fixture tree in tests."""

from __future__ import annotations

import posixpath
from pathlib import Path

_MAX_LINKS = 40  # what Linux allows before ELOOP


class HostRoot:
    def __init__(self, root: Path | str = "/") -> None:
        self.root = Path(root)

    def path(self, host_path: str) -> Path:
        return self.root / host_path.lstrip("/")

    def resolve(self, host_path: str) -> str:
        """The host path with every symlink followed inside the root (absolute targets stay under it),
        as the runtimes' own canonicalize / EvalSymlinks see it. A loop gives back the path reached."""
        parts = [p for p in host_path.split("/") if p]
        done = ""
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                done = posixpath.dirname(done) if done else ""
                continue
            if part == ".":
                continue
            candidate = f"{done}/{part}"
            real = self.path(candidate)
            if real.is_symlink() and hops < _MAX_LINKS:
                hops += 1
                target = str(real.readlink())
                if target.startswith("/"):
                    done = ""
                parts = [p for p in target.split("/") if p] + parts
                continue
            done = candidate
        return done or "/"

    def exists(self, host_path: str) -> bool:
        return self.path(host_path).exists()

    def is_file(self, host_path: str) -> bool:
        return self.path(host_path).is_file()

    def is_dir(self, host_path: str) -> bool:
        return self.path(host_path).is_dir()

    def read_text(self, host_path: str) -> str:
        """Raises OSError or UnicodeDecodeError; callers word the error with the host path."""
        return self.path(host_path).read_text(encoding="utf-8")

    def listdir(self, host_path: str) -> list[str]:
        """Entry names in byte order (how Go's os.ReadDir and Rust's sort_by_key(file_name) order
        them); [] when the directory does not exist."""
        directory = self.path(host_path)
        if not directory.is_dir():
            return []
        return sorted((p.name for p in directory.iterdir()), key=lambda n: n.encode())
