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
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import (
    EXTERNAL_IDS_ARGS, argument_spec, connect, external_ids, result)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import Want, converge, ref


def run(module):
    params = module.params
    names = sorted(set(params["ports"] or []))
    columns = {}
    if params["ports"] is not None:
        columns["ports"] = [ref("Logical_Switch_Port", name=n) for n in names]
    columns, merge = external_ids(params, columns, [])
    want = Want("Port_Group", {"name": params["name"]}, columns, merge=merge, state=params["state"])
    by_name = [["name", "==", n] for n in names]
    tables = {"Port_Group": ["name", "ports", "external_ids"], "Logical_Switch_Port": ["name"]}
    with connect(module, tables, conditions={"Logical_Switch_Port": by_name}) as conn:
        # also read the current members, so the diff names them
        members = [u for row in conn.snapshot().rows("Port_Group").values() if row["name"] == params["name"]
                   for u in row["ports"]]
        if members:
            conn.set_condition("Logical_Switch_Port", by_name + [["_uuid", "==", ["uuid", str(u)]] for u in members])
        plan = converge(conn, [want], check_mode=module.check_mode)
    if params["state"] == "absent":
        return result(module, plan)
    return result(module, plan, port_group=plan.rows[want.label])


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
    run_module(module, run)


if __name__ == "__main__":
    main()
