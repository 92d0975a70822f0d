#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_bfd
short_description: An OVN Northbound BFD session (C(BFD) row)
description:
  - Creates, updates or removes one C(BFD) row, identified by O(logical_port) and O(dst_ip)
    (the database's own index).
  - Unlike Kube-OVN v1.14, changed O(min_rx), O(min_tx) and O(detect_mult) are written to an
    existing row.
  - Returns the row's uuid (for C(bfd_sessions) of a router policy) and its C(status), which
    C(ovn-northd)/C(ovn-controller) maintain.
  - O(state=absent) removes only the row with this identity; a router policy that lists it in
    C(bfd_sessions) loses the reference (it is a weak reference).
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
  - kubeovn.egress_gateway.ovn_nb.external_ids
options:
  logical_port:
    description:
      - The logical router port the session runs from, for example Kube-OVN's dedicated
        C(bfd@<router>) port, or on stock OVN the router port that reaches O(dst_ip).
    type: str
    required: true
  dst_ip:
    description: The peer's IPv4 or IPv6 address (normalised).
    type: str
    required: true
  min_rx:
    description: Minimum receive interval in milliseconds. Omitted, the existing value is kept.
    type: int
  min_tx:
    description: Minimum transmit interval in milliseconds. Omitted, the existing value is kept.
    type: int
  detect_mult:
    description: Detection multiplier. Omitted, the existing value is kept.
    type: int
  options:
    description: Keys of the row's C(options) column to set; other keys are kept.
    type: dict
  state:
    description: Whether the session exists.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: A BFD session to a gateway instance
  kubeovn.egress_gateway.ovn_bfd:
    logical_port: bfd@vpc1
    dst_ip: 10.255.0.11
    min_rx: 1000
    min_tx: 100
    detect_mult: 3
    external_ids: {vendor: kube-ovn, vpc-egress-gateway: default/gateway1, af: "4"}
  register: bfd

- name: Show its uuid and status
  ansible.builtin.debug:
    msg: "{{ bfd.bfd.uuid }} is {{ bfd.bfd.status }}"
"""

RETURN = r"""
bfd:
  description: The row after the task; C(uuid) is null for a row check mode would create, and
    C(status) is null until OVN sets it.
  returned: when O(state=present)
  type: dict
  sample:
    uuid: 0c7e8d0e-3f0e-4c1d-9a55-1f3f0f0e1a22
    logical_port: bfd@vpc1
    dst_ip: 10.255.0.11
    min_rx: 1000
    min_tx: 100
    detect_mult: 3
    status: up
    options: {}
    external_ids: {vendor: kube-ovn}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import EXTERNAL_IDS_ARGS, argument_spec
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_tasks import bfd


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            logical_port=dict(type="str", required=True),
            dst_ip=dict(type="str", required=True),
            min_rx=dict(type="int"),
            min_tx=dict(type="int"),
            detect_mult=dict(type="int"),
            options=dict(type="dict"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **EXTERNAL_IDS_ARGS,
        ),
        supports_check_mode=True,
    )
    run_module(module, bfd)


if __name__ == "__main__":
    main()
