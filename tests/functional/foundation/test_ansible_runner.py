# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX readiness: a playbook of the collection runs through ansible-runner with a private data
dir (project/, inventory/, env/), as AWX job templates run it, and the job's status and events
carry the result, or the failure with the offending field."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import yaml

from support import DATA
from support.ansible import COLLECTIONS, REPO, ansible_env

GATEWAY = DATA / "gateway2.yaml"


def _run_job(tmp_path, manifest_path, ident):
    job = tmp_path / "job"
    (job / "project").mkdir(parents=True, exist_ok=True)
    (job / "inventory").mkdir(exist_ok=True)
    (job / "env").mkdir(exist_ok=True)
    # The project a user points AWX at: a playbook importing ours by FQCN.
    (job / "project" / "site.yml").write_text(
        "---\n- name: Validate the gateway manifest\n"
        "  ansible.builtin.import_playbook: kubeovn.egress_gateway.validate\n"
    )
    (job / "inventory" / "hosts").write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    )
    # In an EE the collections are installed in the image; here they are on build/collections.
    (job / "env" / "envvars").write_text(yaml.safe_dump({"ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS)}))
    (job / "env" / "extravars").write_text(yaml.safe_dump({"egress_gateway_manifest_file": str(manifest_path)}))
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "ansible-runner"), "run", str(job), "-p", "site.yml", "--ident", ident],
        capture_output=True, text=True, timeout=300, check=False, env=ansible_env(),
    )
    artifacts = job / "artifacts" / ident
    events = [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"))]
    return proc, (artifacts / "status").read_text(), events


def test_runner_job_succeeds_and_reports_the_derived_names(tmp_path):
    proc, status, events = _run_job(tmp_path, GATEWAY, "ok")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert status == "successful"
    shown = [e for e in events if e["event"] == "runner_on_ok"
             and e["event_data"].get("task") == "Read and validate the manifest"]
    assert len(shown) == 1
    names = shown[0]["event_data"]["res"]["names"]
    expected_hash = hashlib.sha256(b"default/gateway2").hexdigest()[:12]
    assert names["port_group"] == f"VEG.{expected_hash}"
    stats = [e for e in events if e["event"] == "playbook_on_stats"]
    assert stats and stats[0]["event_data"]["failures"] == {}


def test_runner_job_fails_naming_the_invalid_field(tmp_path):
    manifest = yaml.safe_load(GATEWAY.read_text())
    manifest["spec"]["replicas"] = 11  # the CRD allows at most 10
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(manifest))
    proc, status, events = _run_job(tmp_path, bad, "bad")
    assert proc.returncode != 0
    assert status == "failed"
    failed = [e for e in events if e["event"] == "runner_on_failed"]
    assert len(failed) == 1
    assert "spec.replicas" in failed[0]["event_data"]["res"]["msg"]
