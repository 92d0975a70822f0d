#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_port_group
short_description: An OVN Northbound port group (C(Port_Group) row) and its member ports
description:
  - Creates, updates or removes one C(Port_Group) row, identified by its O(name).
  - The members become exactly the logical switch ports named in O(ports), as Kube-OVN's
    C(PortGroupSetPorts) does. A port that does not exist is an error; nothing is written.
  - Only the named ports (and the group's current members) are read from the database, not
    every logical switch port.
  - The group's ACLs are left alone. O(state=absent) removes only the group with this name.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
  - kubeovn.egress_gateway.ovn_nb.external_ids
options:
  name:
    description: Name of the port group (OVN generates the address sets C($name_ip4) and C($name_ip6)).
    type: str
    required: true
  ports:
    description:
      - Names of the member logical switch ports (Kube-OVN names a pod's port C(<pod>.<namespace>)).
      - Omitted, the members of an existing group are kept and a new group is created empty.
    type: list
    elements: str
  state:
    description: Whether the port group exists.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: The pods that use an egress gateway
  kubeovn.egress_gateway.ovn_port_group:
    name: VEG.8ca38ae7da18
    ports: [client1.default, client2.default]
    external_ids: {vendor: kube-ovn, vpc-egress-gateway: default/gateway1}
"""

RETURN = r"""
port_group:
  description: The group after the task, members by name; C(uuid) is null for a row check mode
    would create.
  returned: when O(state=present)
  type: dict
  sample:
    uuid: 9a0b7c3e-8f7e-4d7e-9f1e-0e0d1c2b3a49
    name: VEG.8ca38ae7da18
    ports: [client1.default, client2.default]
    external_ids: {vendor: kube-ovn, vpc-egress-gateway: default/gateway1}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import EXTERNAL_IDS_ARGS, argument_spec
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_tasks import port_group


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            name=dict(type="str", required=True),
            ports=dict(type="list", elements="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **EXTERNAL_IDS_ARGS,
        ),
        supports_check_mode=True,
    )
    run_module(module, port_group)


if __name__ == "__main__":
    main()
