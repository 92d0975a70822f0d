#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_address_set
short_description: An OVN Northbound address set (C(Address_Set) row)
description:
  - Creates, updates or removes one C(Address_Set) row, identified by its O(name).
  - The addresses become exactly O(addresses) (IPv4 and IPv6 addresses and CIDRs, normalised, for
    example C(10.0.0.0/24), C(fd00::/64), C(fd00::1)); a CIDR with host bits set is refused.
  - O(state=absent) removes only the row with this name.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
  - kubeovn.egress_gateway.ovn_nb.external_ids
options:
  name:
    description: Name of the address set (OVN match expressions refer to it as C($name)).
    type: str
    required: true
  addresses:
    description:
      - Addresses and CIDRs of the set. Omitted, the addresses of an existing set are kept and a
        new set is created empty.
    type: list
    elements: str
  state:
    description: Whether the address set exists.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Sources of an egress gateway
  kubeovn.egress_gateway.ovn_address_set:
    connection: tcp:192.0.2.10:6641
    name: VEG.8ca38ae7da18.ipv4
    addresses: [10.0.1.0/24, 10.0.2.7]
    external_ids:
      vendor: kube-ovn
      vpc-egress-gateway: default/gateway1
      af: "4"

- name: Remove it
  kubeovn.egress_gateway.ovn_address_set:
    name: VEG.8ca38ae7da18.ipv4
    state: absent
"""

RETURN = r"""
address_set:
  description: The row after the task (absent when O(state=absent)); C(uuid) is null for a row
    check mode would create.
  returned: when O(state=present)
  type: dict
  sample:
    uuid: 5f1e7f0e-1c1b-4d8e-9d8c-3b1f1f3f0a11
    name: VEG.8ca38ae7da18.ipv4
    addresses: [10.0.1.0/24, 10.0.2.7]
    external_ids: {vendor: kube-ovn, vpc-egress-gateway: default/gateway1, af: "4"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import EXTERNAL_IDS_ARGS, argument_spec
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_tasks import address_set


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            name=dict(type="str", required=True),
            addresses=dict(type="list", elements="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **EXTERNAL_IDS_ARGS,
        ),
        supports_check_mode=True,
    )
    run_module(module, address_set)


if __name__ == "__main__":
    main()
