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

import hashlib

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import (
    EXTERNAL_IDS_ARGS, argument_spec, connect, result)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import Want, converge, ref

try:
    import netaddr
    HAS_NETADDR = True
except ImportError:  # pragma: no cover
    HAS_NETADDR = False

TABLES = {
    "Logical_Router": ["name", "ports"],
    "Logical_Router_Port": ["name", "mac", "networks", "options", "ha_chassis_group", "external_ids"],
    "HA_Chassis_Group": None,
    "HA_Chassis": None,
}


def parse_chassis(items):
    chassis = {}
    for i, item in enumerate(items):
        field = f"chassis[{i}]"
        if isinstance(item, dict):
            if set(item) != {"name", "priority"} or not isinstance(item["priority"], int) \
                    or not 0 <= item["priority"] <= 32767:
                raise EgressGatewayError(f"{field} must be a name or {{name, priority 0-32767}}", field=field,
                                         value=item)
            name, priority = str(item["name"]), item["priority"]
        elif isinstance(item, str) and item:
            name, priority = item, max(0, 100 - i)
        else:
            raise EgressGatewayError(f"{field} must be a name or {{name, priority}}", field=field, value=item)
        if name in chassis:
            raise EgressGatewayError(f"{field}: chassis {name} is listed twice", field=field, value=item)
        chassis[name] = priority
    return chassis


def parse_networks(items):
    networks = []
    for i, item in enumerate(items):
        try:
            net = netaddr.IPNetwork(item)
            if "/" not in item:
                raise ValueError("no prefix length")
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise EgressGatewayError(f"networks[{i}] must be an address with its prefix length, got {item!r}",
                                     field=f"networks[{i}]", value=item) from None
        networks.append(f"{net.ip}/{net.prefixlen}")
    return networks


def derived_mac(router, name):
    digest = hashlib.sha256(f"{router}/{name}".encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x0a,) + tuple(digest[:5]))


def wants_for(params, port, group, existing_port_group):
    router = ref("Logical_Router", name=params["router"])
    dedicated = params["layout"] == "dedicated"
    ids = {"vendor": "kube-ovn", "lrp": port}
    ids.update({str(k): str(v) for k, v in (params["external_ids"] or {}).items()})
    merge = ("external_ids",) if params["external_ids_mode"] == "merge" else ()
    if params["state"] == "absent":
        wants = [Want("HA_Chassis_Group", {"name": group}, state="absent")]
        if dedicated:
            wants.append(Want("Logical_Router_Port", {"name": port}, parent=router, state="absent"))
        elif existing_port_group == group:
            wants.append(Want("Logical_Router_Port", {"name": port}, {"ha_chassis_group": None},
                              parent=router, create=False))
        return wants
    if not params["chassis"]:
        raise EgressGatewayError("chassis is required with state=present", field="chassis", value=params["chassis"])
    chassis = parse_chassis(params["chassis"])
    wants = [Want("HA_Chassis_Group", {"name": group}, {"external_ids": ids}, merge=merge, prune_children=True)]
    wants += [Want("HA_Chassis", {"chassis_name": name}, {"priority": priority},
                   parent=ref("HA_Chassis_Group", name=group)) for name, priority in chassis.items()]
    port_columns = {"ha_chassis_group": ref("HA_Chassis_Group", name=group)}
    if dedicated:
        if not params["networks"]:
            raise EgressGatewayError("networks is required for the dedicated layout", field="networks",
                                     value=params["networks"])
        port_columns.update(
            networks=parse_networks(params["networks"]),
            mac=params["mac"] or derived_mac(params["router"], port),
            options={"bfd-only": "true"},
            external_ids={str(k): str(v) for k, v in (params["external_ids"] or {}).items()})
        if params["mac"]:
            try:
                port_columns["mac"] = str(netaddr.EUI(params["mac"], dialect=netaddr.mac_unix_expanded))
            except (netaddr.AddrFormatError, TypeError):
                raise EgressGatewayError(f"mac is not a MAC address: {params['mac']!r}", field="mac",
                                         value=params["mac"]) from None
    wants.append(Want("Logical_Router_Port", {"name": port}, port_columns, parent=router,
                      merge=("options",) + merge, create=dedicated))
    return wants


def run(module):
    params = module.params
    if not HAS_NETADDR:
        raise EgressGatewayError("the python 'netaddr' library is required")
    if params["layout"] == "router_port" and not params["name"]:
        raise EgressGatewayError("name (the router port that reaches the gateways) is required for "
                                 "layout=router_port", field="name", value=None)
    port = params["name"] or f"bfd@{params['router']}"
    group = params["ha_chassis_group"] or port
    with connect(module, TABLES) as conn:
        snap = conn.snapshot()
        existing_group = None
        for row in snap.rows("Logical_Router_Port").values():
            if row["name"] == port and row["ha_chassis_group"] is not None:
                existing_group = snap.rows("HA_Chassis_Group").get(row["ha_chassis_group"], {}).get("name")
        plan = converge(conn, wants_for(params, port, group, existing_group), check_mode=module.check_mode)
    if params["state"] == "absent":
        return result(module, plan)
    port_row = plan.rows[f"Logical_Router_Port {port} @{params['router']}"]
    group_row = dict(plan.rows[f"HA_Chassis_Group {group}"])
    group_row.pop("ha_chassis", None)
    group_row["chassis"] = {label.split(" ")[1]: row["priority"] for label, row in plan.rows.items()
                            if label.startswith("HA_Chassis ")}
    return result(module, plan, port=port_row, ha_chassis_group=group_row)


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
    run_module(module, run)


if __name__ == "__main__":
    main()
