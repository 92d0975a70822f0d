#!/usr/bin/env python3
"""Pack root filesystem trees into an OCI image archive, with no container engine or registry.

An OCI image layout (``oci-layout``, ``index.json``, ``blobs/sha256/...``) tarred into one file,
the form ``ctr images import`` reads; ``index.json`` names the image with the annotation
``io.containerd.image.name`` (and ``org.opencontainers.image.ref.name`` = the tag). Each layer
is a directory packed as a tar with sorted names, numeric owners 0 and a fixed mtime, gzipped
without a timestamp: the same trees and the same config give the same image digest.

Layers are cached by the caller: ``layer(tree, cache_dir)`` writes ``<cache_dir>/layer.tar.gz``
and ``layer.json`` (digest, diff_id, size) once and returns them on later calls.

Usage::

    oci.py pack OUT.tar NAME:TAG CONFIG.json LAYER_DIR...   # each LAYER_DIR holds layer.tar.gz + layer.json
    oci.py layer TREE LAYER_DIR                               # pack TREE into LAYER_DIR
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pathlib
import stat
import sys
import tarfile

MTIME = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
LAYER_MEDIA = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_MEDIA = "application/vnd.oci.image.config.v1+json"
MANIFEST_MEDIA = "application/vnd.oci.image.manifest.v1+json"


class _Hashing(io.RawIOBase):
    """A write-only file that hashes and counts what passes through to ``target``."""

    def __init__(self, target):
        super().__init__()
        self.target, self.sha, self.size = target, hashlib.sha256(), 0

    def writable(self):
        return True

    def write(self, data):
        self.sha.update(data)
        self.size += len(data)
        return self.target.write(data) if self.target is not None else len(data)


def _entries(tree: pathlib.Path):
    """Every path under tree, parents before children, names sorted."""
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        base = pathlib.Path(dirpath)
        for name in sorted(dirnames + filenames):
            yield base / name


def _tarinfo(tar: tarfile.TarFile, path: pathlib.Path, arcname: str) -> tarfile.TarInfo:
    info = tar.gettarinfo(str(path), arcname)
    info.mtime = min(int(info.mtime), MTIME) if MTIME else 0
    # owners as in the tree (root or a system user such as frr), never names from this machine
    info.uname = info.gname = ""
    return info


def layer(tree: pathlib.Path, out_dir: pathlib.Path) -> dict:
    """Pack ``tree`` as one gzip layer into ``out_dir`` (cached); returns its descriptor data."""
    out_dir = pathlib.Path(out_dir)
    meta = out_dir / "layer.json"
    if meta.exists():
        return json.loads(meta.read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    blob = out_dir / "layer.tar.gz.tmp"
    hard_links: dict[tuple, str] = {}
    with open(blob, "wb") as raw:
        compressed = _Hashing(raw)
        with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=6) as gz:
            uncompressed = _Hashing(gz)
            with tarfile.open(fileobj=uncompressed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for path in _entries(pathlib.Path(tree)):
                    arcname = str(path.relative_to(tree))
                    st = path.lstat()
                    key = (st.st_dev, st.st_ino)
                    if stat.S_ISREG(st.st_mode) and st.st_nlink > 1 and key in hard_links:
                        info = _tarinfo(tar, path, arcname)
                        info.type, info.linkname, info.size = tarfile.LNKTYPE, hard_links[key], 0
                        tar.addfile(info)
                        continue
                    hard_links.setdefault(key, arcname)
                    info = _tarinfo(tar, path, arcname)
                    if info.isreg():
                        with open(path, "rb") as handle:
                            tar.addfile(info, handle)
                    else:
                        tar.addfile(info)
    data = {"digest": "sha256:" + compressed.sha.hexdigest(), "size": compressed.size,
            "diff_id": "sha256:" + uncompressed.sha.hexdigest()}
    blob.rename(out_dir / "layer.tar.gz")
    meta.write_text(json.dumps(data))
    return data


def _blob(tar: tarfile.TarFile, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo(f"blobs/sha256/{digest}")
    info.size, info.mtime, info.mode = len(data), MTIME, 0o644
    tar.addfile(info, io.BytesIO(data))
    return {"digest": f"sha256:{digest}", "size": len(data)}


def pack(out: pathlib.Path, name: str, config: dict, layer_dirs: list) -> str:
    """Write the OCI archive; returns the manifest digest."""
    layers = [json.loads((pathlib.Path(d) / "layer.json").read_text()) for d in layer_dirs]
    image_config = {
        "architecture": "amd64", "os": "linux", "config": config,
        "rootfs": {"type": "layers", "diff_ids": [entry["diff_id"] for entry in layers]},
        "history": [{"created_by": "containers/oci.py"} for _ in layers],
    }
    tmp = pathlib.Path(str(out) + ".tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        layout = json.dumps({"imageLayoutVersion": "1.0.0"}).encode()
        info = tarfile.TarInfo("oci-layout")
        info.size, info.mtime, info.mode = len(layout), MTIME, 0o644
        tar.addfile(info, io.BytesIO(layout))
        for directory, entry in zip(layer_dirs, layers):
            info = tarfile.TarInfo(f"blobs/sha256/{entry['digest'].split(':', 1)[1]}")
            info.size, info.mtime, info.mode = entry["size"], MTIME, 0o644
            with open(pathlib.Path(directory) / "layer.tar.gz", "rb") as handle:
                tar.addfile(info, handle)
        config_desc = _blob(tar, json.dumps(image_config, sort_keys=True).encode())
        manifest = {
            "schemaVersion": 2, "mediaType": MANIFEST_MEDIA,
            "config": {"mediaType": CONFIG_MEDIA, **config_desc},
            "layers": [{"mediaType": LAYER_MEDIA, "digest": e["digest"], "size": e["size"]} for e in layers],
        }
        manifest_desc = _blob(tar, json.dumps(manifest, sort_keys=True).encode())
        index = {"schemaVersion": 2, "manifests": [{
            "mediaType": MANIFEST_MEDIA, **manifest_desc,
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]},
        }]}
        data = json.dumps(index, sort_keys=True).encode()
        info = tarfile.TarInfo("index.json")
        info.size, info.mtime, info.mode = len(data), MTIME, 0o644
        tar.addfile(info, io.BytesIO(data))
    tmp.rename(out)
    return manifest_desc["digest"]


def main(argv: list) -> int:
    if len(argv) >= 3 and argv[0] == "layer":
        print(json.dumps(layer(pathlib.Path(argv[1]), pathlib.Path(argv[2]))))
        return 0
    if len(argv) >= 5 and argv[0] == "pack":
        config = json.loads(pathlib.Path(argv[3]).read_text())
        print(pack(pathlib.Path(argv[1]), argv[2], config, argv[4:]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
