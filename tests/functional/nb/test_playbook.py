"""The NB modules from a playbook: FQCNs, the `ovn` action group for module_defaults, check/diff."""
import json

import pytest

from support.ansible import run_playbook

pytestmark = [pytest.mark.ovsdb, pytest.mark.slow]

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/kubeovn.egress_gateway.ovn:
      connection: {connection}
      timeout: 10
  tasks:
    - kubeovn.egress_gateway.ovn_address_set:
        name: VEG.pb.ipv4
        addresses: [10.0.0.0/24]
        external_ids: {{vendor: kube-ovn}}
    - kubeovn.egress_gateway.ovn_bfd:
        logical_port: lrp0
        dst_ip: 10.0.0.5
        min_tx: 100
    - kubeovn.egress_gateway.ovn_lr_policy:
        router: lr0
        priority: 29090
        match: ip4.src == $VEG.pb.ipv4
        action: drop
    - kubeovn.egress_gateway.ovn_nb_info:
        router: lr0
        external_ids: {{vendor: kube-ovn}}
      register: info
    - ansible.builtin.copy:
        content: "{{{{ info | to_json }}}}"
        dest: {out}
      check_mode: false
      diff: false
"""


def test_action_group_and_rerun(nb_new, tmp_path):
    nb = nb_new
    nb.insert("Logical_Router", {"name": "lr0"})
    playbook = tmp_path / "play.yml"
    out = tmp_path / "info.json"
    playbook.write_text(PLAY.format(connection=nb.connection, out=out))

    checked = run_playbook(playbook, "--check", "--diff")
    assert "changed=4" in checked.stdout, checked.stdout     # 3 rows + the copy
    assert "Address_Set VEG.pb.ipv4" in checked.stdout         # the --diff output
    assert nb.select("Address_Set") == [] and nb.select("BFD") == []

    first = run_playbook(playbook)
    assert "changed=4" in first.stdout, first.stdout
    assert len(nb.select("Address_Set")) == 1 and len(nb.select("BFD")) == 1
    assert len(nb.select("Logical_Router_Policy")) == 1
    again = run_playbook(playbook)
    assert "changed=0" in again.stdout, again.stdout
    info = json.loads(out.read_text())
    assert info["address_sets"][0]["name"] == "VEG.pb.ipv4"
    # the policy has no external_ids, so the filter leaves it out
    assert info["policies"] == []
