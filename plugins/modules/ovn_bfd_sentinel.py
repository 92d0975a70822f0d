#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_bfd_sentinel
short_description: The OVN rows of a BFD sentinel, the always-alive BFD peer of a BFD port
description:
  - Stock OVN processes BFD timeouts only while BFD packets arrive on the port; when every
    gateway instance dies at once, their sessions can stay C(up) and the drop policy never
    applies. A sentinel, a BFD peer that is never a next hop, keeps packets arriving
    (C(docs/bfd.md) of this collection).
  - Writes, in one transaction, the C(BFD) row to the sentinel on O(logical_port) and a
    priority 1 C(reroute) policy with match C(0) (never true) on O(router) that lists it in
    C(bfd_sessions), because OVN runs a BFD row only while a route or policy uses it.
  - "Both rows carry C(external_ids {vendor: kubeovn.egress_gateway, bfd-sentinel: <logical_port>})
    and are recognised by them alone; a sentinel of the same port at another address is
    replaced. A row with the same identity that lacks them is someone else's - the task fails
    naming it and writes nothing."
  - O(state=absent) removes the port's sentinel rows and nothing else.
version_added: 0.2.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
options:
  router:
    description: The logical router of O(logical_port).
    type: str
    required: true
  logical_port:
    description: The router port the gateways' BFD sessions run from (the VPC's BFD port).
    type: str
    required: true
  dst_ip:
    description: The sentinel's address. Required with O(state=present).
    type: str
  min_rx:
    description:
      - How often OVN asks the sentinel to send, in milliseconds. It bounds how late OVN notices
        that every instance died - the instances' detection time plus one interval.
    type: int
    default: 100
  min_tx:
    description: How often OVN sends to the sentinel, in milliseconds.
    type: int
    default: 1000
  detect_mult:
    description: Detection multiplier of the sentinel's own session.
    type: int
    default: 3
  state:
    description: Whether the sentinel's rows exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: The BFD sentinel of the VPC's BFD port
  kubeovn.egress_gateway.ovn_bfd_sentinel:
    router: vpc1
    logical_port: vpc1-subnet1
    dst_ip: 10.0.1.250

- name: Remove it
  kubeovn.egress_gateway.ovn_bfd_sentinel:
    router: vpc1
    logical_port: vpc1-subnet1
    state: absent
"""

RETURN = r"""
bfd:
  description: The sentinel's BFD row after the task; C(status) is null until OVN sets it.
  returned: when O(state=present)
  type: dict
  sample:
    uuid: 0c7e8d0e-3f0e-4c1d-9a55-1f3f0f0e1a22
    logical_port: vpc1-subnet1
    dst_ip: 10.0.1.250
    min_rx: 100
    min_tx: 1000
    detect_mult: 3
    status: up
    external_ids: {vendor: kubeovn.egress_gateway, bfd-sentinel: vpc1-subnet1}
policy:
  description: The policy that keeps the row running.
  returned: when O(state=present)
  type: dict
  sample:
    priority: 1
    match: "0"
    action: reroute
    nexthops: [10.0.1.250]
    bfd_sessions: [vpc1-subnet1 10.0.1.250]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import argument_spec
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_tasks import bfd_sentinel


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            router=dict(type="str", required=True),
            logical_port=dict(type="str", required=True),
            dst_ip=dict(type="str"),
            min_rx=dict(type="int", default=100),
            min_tx=dict(type="int", default=1000),
            detect_mult=dict(type="int", default=3),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("dst_ip",))],
        supports_check_mode=True,
    )
    run_module(module, bfd_sentinel)


if __name__ == "__main__":
    main()
