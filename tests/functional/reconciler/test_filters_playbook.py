"""The veg_* filters in a real ansible-playbook run (the collection on the collections path)."""
from __future__ import annotations

import json

from support import DATA
from support.ansible import run_playbook

PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    gateway: "{{ lookup('file', data + '/gateway2.yaml') | from_yaml }}"
  tasks:
    - name: Names, the normalised object and the rows, as roles use them
      ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'names': gateway | kubeovn.egress_gateway.veg_names,
                      'spec': (gateway | kubeovn.egress_gateway.veg_spec).spec,
                      'rows': gateway | kubeovn.egress_gateway.veg_rows([{'name': 'p', 'node': 'w1',
                                                                          'internal_ips': ['10.16.0.102']}])}
                     | to_json }}"
    - name: An invalid gateway fails the task with the field and the value
      ansible.builtin.debug:
        msg: "{{ gateway | combine({'spec': {'replicas': 11}}, recursive=true) | kubeovn.egress_gateway.veg_spec }}"
      register: bad
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - bad is failed
          - "'spec.replicas' in bad.msg and '(got 11)' in bad.msg"
"""


def test_filters_in_a_playbook(tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    out = tmp_path / "out.json"
    run_playbook(playbook, extra_vars={"out": str(out), "data": str(DATA)})
    result = json.loads(out.read_text())
    assert result["names"]["port_group"] == "VEG.9b33407d429d"
    assert result["spec"]["bfd"] == {"enabled": True, "minRX": 100, "minTX": 100, "multiplier": 5}
    assert result["rows"]["bfd"][0]["logical_port"] == "bfd@ovn-cluster"
    assert [p["priority"] for p in result["rows"]["policies"]] == [29100, 29100, 29090, 29090]
