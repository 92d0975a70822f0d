#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_bfd_port
short_description: The router port a VPC's BFD sessions run from, bound to chassis by priority
description:
  - Sets up the logical router port that OVN runs a VPC's BFD sessions from, and binds it to
    chassis through an C(HA_Chassis_Group) whose C(HA_Chassis) rows carry the priorities.
  - "O(layout=dedicated): Kube-OVN's layout (C(reconcileVpcBfdLRP)): a port of its own,
    C(bfd@<router>) with C(options:bfd-only=true) and O(networks). It needs Kube-OVN's OVN build
    (the patch \"Support dedicated BFD LRP\"); on stock OVN such BFD rows stay C(admin_down)."
  - "O(layout=router_port): stock OVN's layout: BFD runs from the existing router port that
    reaches the gateways (O(name)); the module only binds that port to the chassis group. The
    port must exist. This centralises that subnet's routing on the active chassis."
  - Chassis priorities are the C(priority) of each O(chassis) item, or C(100 - index) for plain names, as Kube-OVN.
    Chassis of the group that are not listed are removed from it.
  - All of it is one transaction. O(state=absent) removes the dedicated port and the group (in
    one transaction, which referential integrity allows because the port is deleted explicitly),
    or for O(layout=router_port) unbinds the port from our group and removes the group.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
  - kubeovn.egress_gateway.ovn_nb.external_ids
options:
  router:
    description: Name of the VPC's logical router.
    type: str
    required: true
  layout:
    description: Which BFD port layout (see the description).
    type: str
    choices: [dedicated, router_port]
    default: dedicated
  name:
    description:
      - Name of the router port. Default C(bfd@<router>) for O(layout=dedicated); required for
        O(layout=router_port).
    type: str
  networks:
    description:
      - Addresses of a dedicated port with their prefix length (C(10.255.255.254/24)), as
        Kube-OVN's C(spec.bfdPort.ip) split on C(,). Required for O(layout=dedicated) with
        O(state=present); ignored for O(layout=router_port).
    type: list
    elements: str
  mac:
    description:
      - MAC address of a dedicated port. Default a locally administered address derived from
        O(router) and O(name), so reruns keep it.
    type: str
  chassis:
    description:
      - Chassis (OVN chassis names) the port may be bound to, highest priority first; each item
        is a name or a dict with C(name) and C(priority). Required with O(state=present).
    type: list
    elements: raw
  ha_chassis_group:
    description: Name of the C(HA_Chassis_Group). Default the port's name, as Kube-OVN.
    type: str
  state:
    description: Whether the port (binding) and the group exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - O(external_ids) apply to the C(HA_Chassis_Group) (which always carries C(lrp=<port>), and
    C(vendor=kube-ovn) unless given otherwise) and to a dedicated port.
"""

EXAMPLES = r"""
- name: Kube-OVN's dedicated BFD port of VPC vpc1 on three nodes
  kubeovn.egress_gateway.ovn_bfd_port:
    router: vpc1
    networks: [10.255.255.254/24]
    chassis: [node1, node2, node3]

- name: Stock OVN - BFD from the router port that reaches the gateways
  kubeovn.egress_gateway.ovn_bfd_port:
    router: lr0
    layout: router_port
    name: lr0-gw
    chassis:
      - {name: chassis-a, priority: 20}
      - {name: chassis-b, priority: 10}
"""

RETURN = r"""
port:
  description: The router port after the task; C(uuid) is null for a port check mode would create.
  returned: when O(state=present)
  type: dict
  sample:
    uuid: 3d5b2a8c-7e0f-4b7d-8a6c-2f3e4d5c6b7a
    name: bfd@vpc1
    mac: 0a:1b:2c:3d:4e:5f
    networks: [10.255.255.254/24]
    options: {bfd-only: "true"}
    ha_chassis_group: bfd@vpc1
ha_chassis_group:
  description: The chassis group after the task, its chassis by name with priorities.
  returned: when O(state=present)
  type: dict
  sample:
    uuid: 6e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b
    name: bfd@vpc1
    chassis: {node1: 100, node2: 99, node3: 98}
    external_ids: {vendor: kube-ovn, lrp: bfd@vpc1}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import EXTERNAL_IDS_ARGS, argument_spec
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_tasks import bfd_port


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            router=dict(type="str", required=True),
            layout=dict(type="str", choices=["dedicated", "router_port"], default="dedicated"),
            name=dict(type="str"),
            networks=dict(type="list", elements="str"),
            mac=dict(type="str"),
            chassis=dict(type="list", elements="raw"),
            ha_chassis_group=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **EXTERNAL_IDS_ARGS,
        ),
        supports_check_mode=True,
    )
    run_module(module, bfd_port)


if __name__ == "__main__":
    main()
