# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared molecule configuration (.config/molecule/) that every role scenario runs on:
a role that converges cleanly passes the whole sequence, and one that is not idempotent fails
it. The role under test lives in a throwaway copy of the collection layout."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from support.ansible import COLLECTIONS, REPO, ansible_env

pytestmark = pytest.mark.slow

IDEMPOTENT_TASKS = """---
- name: Write the probe file
  ansible.builtin.copy:
    content: "{{ foundation_probe_content }}\\n"
    dest: "{{ foundation_probe_path }}"
    mode: "0644"
"""
# Reports a change on every run.
NOT_IDEMPOTENT_TASKS = """---
- name: Run a command that always reports a change
  ansible.builtin.command: "true"
"""


def _molecule(tmp_path, tasks):
    root = tmp_path / "collections"
    collection = root / "ansible_collections" / "kubeovn" / "egress_gateway"
    role = collection / "roles" / "foundation_probe"
    (role / "tasks").mkdir(parents=True)
    (role / "defaults").mkdir()
    (role / "molecule" / "default").mkdir(parents=True)
    shutil.copytree(REPO / ".config", collection / ".config")
    shutil.copy(REPO / "galaxy.yml", collection / "galaxy.yml")
    (role / "tasks" / "main.yml").write_text(tasks)
    (role / "defaults" / "main.yml").write_text(
        "---\nfoundation_probe_content: probe\nfoundation_probe_path: /nonexistent/probe\n"
    )
    probe = tmp_path / "probe.txt"
    # A scenario holds only what differs from the shared config.
    (role / "molecule" / "default" / "molecule.yml").write_text(
        f"---\nprovisioner:\n  inventory:\n    host_vars:\n      instance:\n"
        f"        foundation_probe_path: {probe}\n"
    )
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "molecule"), "-c", str(collection / ".config" / "molecule" / "config.yml"),
         "test", "-s", "default"],
        cwd=role, capture_output=True, text=True, timeout=600, check=False,
        # molecule's default working folder is named after the role only: keep runs apart
        env=ansible_env({"ANSIBLE_COLLECTIONS_PATH": f"{root}:{COLLECTIONS}", "NO_COLOR": "1",
                         "MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path / "molecule")}),
    )
    return proc, proc.stdout + proc.stderr, probe


def test_idempotent_role_passes_check_converge_and_idempotence(tmp_path):
    proc, output, probe = _molecule(tmp_path, IDEMPOTENT_TASKS)
    assert proc.returncode == 0, output
    for action in ("syntax", "create", "check", "converge", "idempotence", "destroy"):
        assert f"default > {action}: Executed: Successful" in output, action
    assert probe.read_text() == "probe\n"


def test_role_that_is_not_idempotent_fails_the_sequence(tmp_path):
    proc, output, _probe = _molecule(tmp_path, NOT_IDEMPOTENT_TASKS)
    assert proc.returncode != 0, output
    assert "default > converge: Executed: Successful" in output
    assert "Idempotence test failed because of the following tasks" in output
    assert "foundation_probe : Run a command that always reports a change" in output
