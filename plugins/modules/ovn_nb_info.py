#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_nb_info
short_description: Read router policies, BFD sessions, address sets and port groups from OVN Northbound
description:
  - Read-only facts. A router's policies as C(ovn-nbctl lr-policy-list) shows them (highest
    priority first) plus their uuids, C(bfd_sessions) and C(external_ids); C(BFD) rows with their
    status; address sets; port groups with their member ports by name.
  - O(external_ids) filters every kind of row on the server (only matching rows are sent), so the
    module stays fast on a large database.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
options:
  router:
    description: Only the policies of this logical router. Omitted, the policies of every router.
    type: str
  external_ids:
    description: Only rows whose C(external_ids) hold all of these keys and values.
    type: dict
  gather:
    description: What to read.
    type: list
    elements: str
    choices: [policies, bfd, address_sets, port_groups]
    default: [policies, bfd, address_sets, port_groups]
attributes:
  check_mode:
    support: full
    description: The module never writes; it runs the same in check mode.
  diff_mode:
    support: none
    description: The module never writes.
"""

EXAMPLES = r"""
- name: What an egress gateway owns in OVN
  kubeovn.egress_gateway.ovn_nb_info:
    router: vpc1
    external_ids: {vendor: kube-ovn, vpc-egress-gateway: default/gateway1}
  register: nb

- name: Which BFD sessions are up
  ansible.builtin.debug:
    msg: "{{ nb.bfd | selectattr('status', 'equalto', 'up') | map(attribute='dst_ip') }}"
"""

RETURN = r"""
policies:
  description: Router policies, highest priority first (as C(lr-policy-list)); C(bfd_sessions)
    lists the sessions with their uuid, port, peer and status. C(bfd_sessions) is empty on an NB
    schema older than 7.3.0 (OVN 24.03).
  returned: when V(policies) is gathered
  type: list
  elements: dict
  sample:
    - uuid: 4b0c2f0b-7c8e-4a53-8d59-0fb5f5c3c0aa
      router: vpc1
      priority: 29100
      match: ip4.src == $VEG.8ca38ae7da18.ipv4
      action: reroute
      nexthops: [10.255.0.11, 10.255.0.12]
      bfd_sessions:
        - {uuid: 0c7e8d0e-3f0e-4c1d-9a55-1f3f0f0e1a22, logical_port: bfd@vpc1, dst_ip: 10.255.0.11, status: up}
      options: {}
      external_ids: {vendor: kube-ovn, vpc-egress-gateway: default/gateway1, af: "4"}
bfd:
  description: BFD rows.
  returned: when V(bfd) is gathered
  type: list
  elements: dict
  sample:
    - {uuid: 0c7e8d0e-3f0e-4c1d-9a55-1f3f0f0e1a22, logical_port: bfd@vpc1, dst_ip: 10.255.0.11,
       min_rx: 1000, min_tx: 100, detect_mult: 3, status: up, options: {}, external_ids: {}}
address_sets:
  description: Address sets.
  returned: when V(address_sets) is gathered
  type: list
  elements: dict
  sample:
    - {uuid: 5f1e7f0e-1c1b-4d8e-9d8c-3b1f1f3f0a11, name: VEG.8ca38ae7da18.ipv4, addresses: [10.0.1.0/24],
       external_ids: {}}
port_groups:
  description: Port groups, member logical switch ports by name.
  returned: when V(port_groups) is gathered
  type: list
  elements: dict
  sample:
    - {uuid: 9a0b7c3e-8f7e-4d7e-9f1e-0e0d1c2b3a49, name: VEG.8ca38ae7da18, ports: [client1.default],
       external_ids: {}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import argument_spec
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_tasks import NB_INFO_GATHER, nb_info


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            router=dict(type="str"),
            external_ids=dict(type="dict"),
            gather=dict(type="list", elements="str", choices=NB_INFO_GATHER, default=NB_INFO_GATHER),
        ),
        supports_check_mode=True,
    )
    run_module(module, nb_info)


if __name__ == "__main__":
    main()
