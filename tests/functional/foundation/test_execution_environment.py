# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX readiness: the execution environment's build context is produced offline and complete."""
from __future__ import annotations

import json
import subprocess
import tarfile

import yaml

from support.ansible import REPO, ansible_env, requirement_pins, requirement_ranges


def test_ansible_builder_create_writes_a_complete_context_offline(tmp_path):
    context = tmp_path / "context"
    # Any network access would go to a proxy that does not exist and fail.
    unreachable = "http://127.0.0.1:9"
    proc = subprocess.run(
        ["bash", str(REPO / "hack" / "ee-context.sh"), str(context)],
        capture_output=True, text=True, timeout=300, check=False,
        env=ansible_env({"http_proxy": unreachable, "https_proxy": unreachable,
                         "HTTP_PROXY": unreachable, "HTTPS_PROXY": unreachable}),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    containerfile = (context / "Containerfile").read_text()
    wanted_core = requirement_pins(REPO / "requirements.txt")["ansible-core"]
    assert f"ansible-core=={wanted_core}" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect.py introspect" in containerfile

    build = context / "_build"
    assert requirement_ranges(build / "requirements.txt") == requirement_ranges(REPO / "meta" / "ee-requirements.txt")
    bindep = (build / "bindep.txt").read_text()
    for package in ("frr", "iptables-nft [platform:rpm]", "iproute [platform:rpm]"):
        assert package in bindep

    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    names = [c["name"] for c in galaxy["collections"]]
    assert "kubernetes.core" in names
    local = [c for c in galaxy["collections"] if c.get("type") == "file"]
    assert len(local) == 1
    # The collection tarball referenced by the requirements is in the context, and is ours.
    with tarfile.open(build / local[0]["name"]) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        members = tar.getnames()
    assert manifest["collection_info"]["namespace"] == "kubeovn"
    assert manifest["collection_info"]["name"] == "egress_gateway"
    # ansible-builder's introspection finds the dependencies through this file in the EE.
    assert "meta/execution-environment.yml" in members
    assert "meta/ee-requirements.txt" in members


def test_collection_ee_metadata_points_at_existing_files():
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    for kind in ("python", "system"):
        assert (REPO / meta["dependencies"][kind]).is_file(), kind
