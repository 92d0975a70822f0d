"""The standalone inventory of roles/standalone_gateway/README.md, as printed, in a directory of
the user's: its relative ``standalone_gateway_manifest_file`` is read from the inventory's folder
(``inventory_dir``), whatever directory ansible-playbook runs in. The manifest written there is
invalid on purpose, so the run stops at validation, before it would reach any NB or host: the one
line it prints names the file it found and the field."""
from __future__ import annotations

import json
import re
import subprocess

import yaml

from support.ansible import REPO, ansible_env


def readme_inventory() -> str:
    text = (REPO / "roles" / "standalone_gateway" / "README.md").read_text()
    return re.search(r"```yaml\n# inventory\.yml\n(.*?)```", text, re.S).group(1)


def test_manifest_file_is_read_from_the_inventory_folder(tmp_path):
    inventory = tmp_path / "site" / "inventory.yml"
    inventory.parent.mkdir()
    inventory.write_text(readme_inventory())
    manifest_file = yaml.safe_load(inventory.read_text())["all"]["vars"]["standalone_gateway_manifest_file"]
    (inventory.parent / manifest_file).write_text(yaml.safe_dump({
        "apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway", "metadata": {"name": "gw", "namespace": "default"},
        "spec": {"replicas": 11, "externalSubnet": "ext", "policies": [{"snat": True, "ipBlocks": ["10.17.0.0/16"]}]}}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", "../site/inventory.yml",
                           "kubeovn.egress_gateway.standalone"], cwd=elsewhere, env=ansible_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    fatal = [line for line in proc.stdout.splitlines() if line.startswith("fatal: ")]
    assert proc.returncode != 0 and len(fatal) == 1, proc.stdout
    message = json.loads(fatal[0].split(" => ", 1)[1])["msg"]
    assert manifest_file in message and "spec.replicas: must be between 0 and 10 (got 11)" in message, message
    assert "no such file" not in message
