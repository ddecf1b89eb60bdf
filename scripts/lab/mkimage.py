#!/usr/bin/env python3
"""Write a single-layer image as a docker-archive tarball (the format `docker save` writes),
without Docker or any registry, so that `ctr -n k8s.io images import` can load it.

Usage: mkimage.py ROOTFS_DIR IMAGE_REF OUT.tar [--entrypoint JSON_LIST] [--cmd JSON_LIST]
"""
import argparse
import hashlib
import io
import json
import os
import tarfile


def layer_bytes(rootfs: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(rootfs):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                full = os.path.join(dirpath, name)
                arc = os.path.relpath(full, rootfs)
                info = tar.gettarinfo(full, arcname=arc)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 0
                if info.isreg():
                    with open(full, "rb") as fh:
                        tar.addfile(info, fh)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rootfs")
    ap.add_argument("ref")
    ap.add_argument("out")
    ap.add_argument("--entrypoint", default=None)
    ap.add_argument("--cmd", default=None)
    a = ap.parse_args()
    layer = layer_bytes(a.rootfs)
    diff_id = hashlib.sha256(layer).hexdigest()
    cfg = {"Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"], "WorkingDir": "/"}
    if a.entrypoint:
        cfg["Entrypoint"] = json.loads(a.entrypoint)
    if a.cmd:
        cfg["Cmd"] = json.loads(a.cmd)
    config = {
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "kataio scripts/lab/mkimage.py"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_id = hashlib.sha256(config_bytes).hexdigest()
    manifest = [{"Config": f"{config_id}.json", "RepoTags": [a.ref], "Layers": [f"{diff_id}/layer.tar"]}]
    tmp = a.out + ".tmp"
    with tarfile.open(tmp, "w") as tar:
        add(tar, f"{diff_id}/layer.tar", layer)
        add(tar, f"{diff_id}/VERSION", b"1.0")
        add(tar, f"{config_id}.json", config_bytes)
        add(tar, "manifest.json", json.dumps(manifest).encode())
        add(tar, "repositories", json.dumps({a.ref.rsplit(":", 1)[0]: {a.ref.rsplit(":", 1)[1]: diff_id}}).encode())
    os.replace(tmp, a.out)
    print(f"{a.out}: {a.ref} ({len(layer)} bytes layer)")


if __name__ == "__main__":
    main()
