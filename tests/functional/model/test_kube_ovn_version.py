"""Version awareness through the validate playbook and the filter a play uses once it knows the
cluster's Kube-OVN (kube_ovn_info's controller.version_text): a field newer than the release fails
with one line naming the field and the release it needs."""
from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.kubeovn.egress_gateway.tests.functional.support.data.invalid_gateways import GOOD_GATEWAY
from support.ansible import run_playbook


def fatal_message(proc) -> str:
    fatal = [line for line in proc.stdout.splitlines() if line.startswith("fatal: ")]
    assert len(fatal) == 1, proc.stdout
    return json.loads(fatal[0].split(" => ", 1)[1])["msg"]


def with_spec(**spec):
    obj = copy.deepcopy(GOOD_GATEWAY)
    obj["spec"].update(spec)
    return obj


@pytest.mark.parametrize("spec, version, expected", [
    ({"resources": {"limits": {"cpu": "500m"}}}, "v1.14.10",
     "gateway.yaml: spec.resources: needs Kube-OVN v1.15.5 or later; the cluster runs v1.14.10 (got "),
    ({"podAntiAffinity": "Preferred"}, "v1.16.2",
     "gateway.yaml: spec.podAntiAffinity: needs Kube-OVN v1.17.0 or later; the cluster runs v1.16.2 (got 'Preferred')"),
    ({"internalIPs": [], "internalIPPool": "pool1"}, "v1.16.2",
     "gateway.yaml: spec.internalIPPool: needs Kube-OVN v1.16.3 or later; the cluster runs v1.16.2 (got 'pool1')"),
    ({}, "latest",
     "egress_gateway_kube_ovn_version: must be a Kube-OVN release such as v1.15.5 (got 'latest')"),
])
def test_validate_refuses_a_field_newer_than_the_release(tmp_path, spec, version, expected):
    (tmp_path / "gateway.yaml").write_text(json.dumps(with_spec(**spec)))
    proc = run_playbook("playbooks/validate.yml", extra_vars={
        "egress_gateway_manifest_file": str(tmp_path / "gateway.yaml"), "egress_gateway_kube_ovn_version": version},
        check=False)
    assert proc.returncode != 0
    assert fatal_message(proc).replace(str(tmp_path) + "/", "").startswith(expected), proc.stdout


@pytest.mark.parametrize("version", ["v1.17.0", ""])
def test_validate_accepts_the_fields_of_the_release(tmp_path, version):
    (tmp_path / "gateway.yaml").write_text(json.dumps(with_spec(
        resources={}, podAntiAffinity="Preferred", internalIPs=[], internalIPPool="pool1")))
    proc = run_playbook("playbooks/validate.yml", extra_vars={
        "egress_gateway_manifest_file": str(tmp_path / "gateway.yaml"), "egress_gateway_kube_ovn_version": version})
    assert "valid: default/gateway1" in proc.stdout


def test_the_filter_gives_the_line_for_a_fail_task(tmp_path):
    """What a play runs once kube_ovn_info has told it the controller's version."""
    playbook = tmp_path / "check.yml"
    playbook.write_text(f"""
- hosts: localhost
  gather_facts: false
  vars:
    gateway: {json.dumps(with_spec(bandwidth={"ingress": 100}))}
    kube_ovn: {{mode: kube-ovn, controller: {{version_text: v1.15.4}}}}
  tasks:
    - name: Refuse fields the cluster's Kube-OVN does not have
      vars:
        too_new: "{{{{ gateway | kubeovn.egress_gateway.veg_kube_ovn_version_error(kube_ovn.controller.version_text) }}}}"
      ansible.builtin.fail:
        msg: "{{{{ too_new }}}}"
      when: kube_ovn.mode == 'kube-ovn' and too_new | length > 0
""")
    proc = run_playbook(playbook, check=False)
    assert fatal_message(proc) == ("spec.bandwidth: needs Kube-OVN v1.15.5 or later; the cluster runs v1.15.4 "
                                   "(got {'ingress': 100})")
    playbook.write_text(playbook.read_text().replace("v1.15.4", "v1.15.5"))
    assert "skipping: [localhost]" in run_playbook(playbook).stdout
