#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_lr_policy
short_description: A policy of an OVN logical router (C(Logical_Router_Policy) row)
description:
  - Creates, updates or removes one policy of router O(router), identified by O(router),
    O(priority) and O(match), as C(ovn-nbctl lr-policy-add --may-exist) and Kube-OVN do.
  - An update writes only the columns that differ, in place (the row keeps its uuid).
  - O(state=absent) removes only the policy with this identity, from this router.
  - A router that does not exist is an error; nothing is written.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
  - kubeovn.egress_gateway.ovn_nb.external_ids
options:
  router:
    description: Name of the logical router.
    type: str
    required: true
  priority:
    description: Priority, 0 to 32767 (Kube-OVN's egress gateway uses 29150, 29100 and 29090).
    type: int
    required: true
  match:
    description: The OVN match expression, for example C(ip4.src == $VEG.8ca38ae7da18.ipv4).
    type: str
    required: true
  action:
    description: What the policy does with matching packets. Required with O(state=present).
    type: str
    choices: [allow, drop, reroute]
  nexthops:
    description:
      - Next hops of a V(reroute) policy (ECMP over all of them). Required for V(reroute), must be
        empty for V(allow) and V(drop).
    type: list
    elements: str
    default: []
  bfd_sessions:
    description:
      - BFD sessions that gate the next hops; a next hop whose session is not up is not used.
      - Each item is a C(BFD) row uuid, or a dict with C(logical_port) and C(dst_ip).
      - Needs OVN 24.03 or later (NB schema 7.3.0); with an older database a non-empty list fails
        with a message saying so.
      - Omitted, the sessions of an existing policy are kept.
    type: list
    elements: raw
  options:
    description: Keys of the policy's C(options) column to set; other keys are kept.
    type: dict
  state:
    description: Whether the policy exists.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Reroute a gateway's sources to its instances, gated by BFD
  kubeovn.egress_gateway.ovn_lr_policy:
    router: vpc1
    priority: 29100
    match: ip4.src == $VEG.8ca38ae7da18.ipv4
    action: reroute
    nexthops: [10.255.0.11, 10.255.0.12]
    bfd_sessions:
      - {logical_port: bfd@vpc1, dst_ip: 10.255.0.11}
      - {logical_port: bfd@vpc1, dst_ip: 10.255.0.12}
    external_ids: {vendor: kube-ovn, vpc-egress-gateway: default/gateway1, af: "4"}

- name: Drop what no gateway can take
  kubeovn.egress_gateway.ovn_lr_policy:
    router: vpc1
    priority: 29090
    match: ip4.src == $VEG.8ca38ae7da18.ipv4
    action: drop
"""

RETURN = r"""
policy:
  description: The policy after the task; C(uuid) is null for a row check mode would create.
    C(bfd_sessions) lists sessions as C(<logical_port> <dst_ip>).
  returned: when O(state=present)
  type: dict
  sample:
    uuid: 4b0c2f0b-7c8e-4a53-8d59-0fb5f5c3c0aa
    priority: 29100
    match: ip4.src == $VEG.8ca38ae7da18.ipv4
    action: reroute
    nexthops: [10.255.0.11, 10.255.0.12]
    bfd_sessions: [bfd@vpc1 10.255.0.11, bfd@vpc1 10.255.0.12]
    options: {}
    external_ids: {vendor: kube-ovn}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import EXTERNAL_IDS_ARGS, argument_spec
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_tasks import lr_policy


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            router=dict(type="str", required=True),
            priority=dict(type="int", required=True),
            match=dict(type="str", required=True),
            action=dict(type="str", choices=["allow", "drop", "reroute"]),
            nexthops=dict(type="list", elements="str", default=[]),
            bfd_sessions=dict(type="list", elements="raw"),
            options=dict(type="dict"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **EXTERNAL_IDS_ARGS,
        ),
        required_if=[("state", "present", ("action",))],
        supports_check_mode=True,
    )
    run_module(module, lr_policy)


if __name__ == "__main__":
    main()
