"""containers/oci.py: the OCI archive `make image` writes, checked without a container engine
(the e2e_kube tests import it into a real containerd and run it)."""
from __future__ import annotations

import json
import os
import pathlib
import sys
import tarfile

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "containers"))

import oci  # noqa: E402  pylint: disable=wrong-import-position


def _tree(root: pathlib.Path) -> pathlib.Path:
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "tool").write_text("#!/bin/sh\necho hi\n")
    (root / "usr" / "bin" / "tool").chmod(0o755)
    os.link(root / "usr" / "bin" / "tool", root / "usr" / "bin" / "tool2")
    (root / "usr" / "bin" / "link").symlink_to("tool")
    return root


def test_same_tree_same_digest_and_a_valid_layout(tmp_path):
    first = oci.layer(_tree(tmp_path / "a"), tmp_path / "layer-a")
    os.utime(tmp_path / "a" / "usr" / "bin" / "tool", (1, 1))  # mtimes are not part of the layer
    second = oci.layer(_tree(tmp_path / "b"), tmp_path / "layer-b")
    assert first == second
    with tarfile.open(tmp_path / "layer-a" / "layer.tar.gz") as layer:
        members = {m.name: m for m in layer.getmembers()}
    assert members["usr/bin/tool2"].islnk() and members["usr/bin/tool2"].linkname == "usr/bin/tool"
    assert members["usr/bin/link"].issym() and members["usr/bin/tool"].mode == 0o755
    assert all(m.uid == 0 and m.uname == "" for m in members.values())

    archive = tmp_path / "image.oci.tar"
    digest = oci.pack(archive, "localhost/example:1.0", {"Entrypoint": ["/usr/bin/tool"]}, [tmp_path / "layer-a"])
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        index = json.load(tar.extractfile("index.json"))
        manifest = json.load(tar.extractfile(f"blobs/sha256/{digest.split(':')[1]}"))
        config = json.load(tar.extractfile(f"blobs/sha256/{manifest['config']['digest'].split(':')[1]}"))
    assert "oci-layout" in names
    entry = index["manifests"][0]
    assert entry["digest"] == digest
    assert entry["annotations"] == {"io.containerd.image.name": "localhost/example:1.0",
                                    "org.opencontainers.image.ref.name": "1.0"}
    assert manifest["layers"][0]["digest"] == first["digest"] and f"blobs/sha256/{first['digest'][7:]}" in names
    assert config["rootfs"]["diff_ids"] == [first["diff_id"]] and config["config"]["Entrypoint"] == ["/usr/bin/tool"]
    # packing again gives the same manifest
    assert oci.pack(tmp_path / "again.oci.tar", "localhost/example:1.0", {"Entrypoint": ["/usr/bin/tool"]},
                    [tmp_path / "layer-b"]) == digest
