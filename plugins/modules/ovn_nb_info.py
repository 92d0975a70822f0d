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

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import argument_spec, connect

ALL = ["policies", "bfd", "address_sets", "port_groups"]
BFD_COLUMNS = ["logical_port", "dst_ip", "min_rx", "min_tx", "detect_mult", "status", "options", "external_ids"]


def _plain(row_uuid, row, columns):
    out = {"uuid": str(row_uuid)}
    out.update({c: (sorted(row[c]) if isinstance(row[c], list) else row[c]) for c in columns if c in row})
    return out


def _session(bfd_uuid, bfd):
    session = {"uuid": str(bfd_uuid)}
    if bfd_uuid in bfd:
        session.update({k: bfd[bfd_uuid][k] for k in ("logical_port", "dst_ip", "status")})
    return session


def run(module):
    params = module.params
    gather = params["gather"]
    ids = {str(k): str(v) for k, v in (params["external_ids"] or {}).items()}
    by_ids = [["external_ids", "includes", ["map", sorted([k, v] for k, v in ids.items())]]] if ids else None
    tables, conditions = {}, {}
    if "policies" in gather:
        tables.update({"Logical_Router": ["name", "policies"], "Logical_Router_Policy": None})
        if params["router"]:
            conditions["Logical_Router"] = [["name", "==", params["router"]]]
    if "policies" in gather or "bfd" in gather:
        tables["BFD"] = BFD_COLUMNS
    if "address_sets" in gather:
        tables["Address_Set"] = None
    if "port_groups" in gather:
        tables.update({"Port_Group": ["name", "ports", "external_ids"], "Logical_Switch_Port": ["name"]})
        conditions["Logical_Switch_Port"] = []    # only the members, once the groups are known
    for table in ("Logical_Router_Policy", "Address_Set", "Port_Group") + (("BFD",) if "bfd" in gather else ()):
        if by_ids and table in tables:
            conditions[table] = by_ids
    out = {"changed": False}
    with connect(module, tables, conditions=conditions) as conn:
        snap = conn.snapshot()
        if "port_groups" in gather:
            members = {u for row in snap.rows("Port_Group").values() for u in row["ports"]}
            if members:
                conn.set_condition("Logical_Switch_Port", [["_uuid", "==", ["uuid", str(u)]] for u in members])
                snap = conn.snapshot()
        if "bfd" in gather or "policies" in gather:
            bfd = snap.rows("BFD")
        if "bfd" in gather:
            out["bfd"] = sorted((_plain(u, r, BFD_COLUMNS) for u, r in bfd.items()),
                                key=lambda r: (r["logical_port"], r["dst_ip"]))
        if "policies" in gather:
            policies = snap.rows("Logical_Router_Policy")
            if params["router"] and not snap.rows("Logical_Router"):
                raise EgressGatewayError(f"unknown Logical_Router {params['router']!r}", field="router",
                                         value=params["router"])
            listed = []
            for router in sorted(snap.rows("Logical_Router").values(), key=lambda r: r["name"]):
                for puuid in router["policies"]:
                    if puuid not in policies:     # filtered out on the server
                        continue
                    row = policies[puuid]
                    item = _plain(puuid, row, ["priority", "match", "action", "nexthops", "options",
                                               "external_ids", "chain", "jump_chain"])
                    item["router"] = router["name"]
                    item["bfd_sessions"] = [_session(b, bfd) for b in row.get("bfd_sessions", [])]
                    listed.append(item)
            out["policies"] = sorted(listed, key=lambda p: (p["router"], -p["priority"], p["match"]))
        if "address_sets" in gather:
            out["address_sets"] = sorted((_plain(u, r, ["name", "addresses", "external_ids"])
                                          for u, r in snap.rows("Address_Set").items()), key=lambda r: r["name"])
        if "port_groups" in gather:
            lsps = snap.rows("Logical_Switch_Port")
            groups = []
            for u, row in snap.rows("Port_Group").items():
                item = _plain(u, row, ["name", "external_ids"])
                item["ports"] = sorted(lsps[p]["name"] if p in lsps else str(p) for p in row["ports"])
                groups.append(item)
            out["port_groups"] = sorted(groups, key=lambda r: r["name"])
    return out


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            router=dict(type="str"),
            external_ids=dict(type="dict"),
            gather=dict(type="list", elements="str", choices=ALL, default=ALL),
        ),
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
