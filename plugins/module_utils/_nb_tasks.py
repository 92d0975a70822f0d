# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each single-row OVN NB module does: its parameters -> Wants -> one converge -> its result.

One function per module, ``<module>(module) -> result dict``, run by ``_common.run_module``.
Every parameter is parsed and validated before the database is opened, so bad input writes
nothing. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import hashlib

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import (
    connect, exact_keys, external_ids, parse_chassis, parse_identifier, parse_ip, parse_ip_block, parse_mac, parse_match,
    parse_name, parse_networks, parse_priority, parse_uuid, result, same_family, string_map,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import Want, check_not_foreign, owned_by, ref


def address_set(module):
    params = module.params
    name = parse_identifier(params["name"], "name")
    columns = {}
    if params["addresses"] is not None:
        columns["addresses"] = sorted(
            {parse_ip_block(a, f"addresses[{i}]") for i, a in enumerate(params["addresses"])})
    columns, merge = external_ids(params, columns, [])
    want = Want("Address_Set", {"name": name}, columns, merge=merge, state=params["state"])
    with connect(module, {"Address_Set": None}) as conn:
        plan = conn.converge([want], check_mode=module.check_mode)
    return result(plan, address_set=plan.rows.get(want.ref))


def port_group(module):
    params = module.params
    name = parse_name(params["name"], "name")
    names = sorted({parse_name(n, f"ports[{i}]") for i, n in enumerate(params["ports"] or [])})
    columns = {}
    if params["ports"] is not None:
        columns["ports"] = [ref("Logical_Switch_Port", name=n) for n in names]
    columns, merge = external_ids(params, columns, [])
    want = Want("Port_Group", {"name": name}, columns, merge=merge, state=params["state"])
    by_name = [["name", "==", n] for n in names]
    tables = {"Port_Group": ["name", "ports", "external_ids"], "Logical_Switch_Port": ["name"]}
    with connect(module, tables, conditions={"Logical_Switch_Port": by_name}) as conn:
        # also read the current members, so the diff names them
        members = [u for row in conn.snapshot().rows("Port_Group").values() if row["name"] == name
                   for u in row["ports"]]
        if members:
            conn.set_condition("Logical_Switch_Port", by_name + [["_uuid", "==", ["uuid", str(u)]] for u in members])
        plan = conn.converge([want], check_mode=module.check_mode)
    return result(plan, port_group=plan.rows.get(want.ref))


# BFD intervals and multiplier: the lower bounds of the NB schema's BFD columns.
BFD_MINIMUMS = (("min_rx", 0), ("min_tx", 1), ("detect_mult", 1))


def bfd(module):
    params = module.params
    columns = {}
    for name, minimum in BFD_MINIMUMS:
        if params[name] is not None:
            if params[name] < minimum:
                raise EgressGatewayError(f"{name} must be at least {minimum} (got {params[name]!r})",
                                         field=name, value=params[name])
            columns[name] = params[name]
    merge = []
    if params["options"] is not None:
        columns["options"] = string_map(params["options"])
        merge.append("options")
    columns, merge = external_ids(params, columns, merge)
    key = {"logical_port": parse_name(params["logical_port"], "logical_port"),
           "dst_ip": parse_ip(params["dst_ip"], "dst_ip")}
    want = Want("BFD", key, columns, merge=merge, state=params["state"])
    with connect(module, {"BFD": None}) as conn:
        plan = conn.converge([want], check_mode=module.check_mode)
    row = plan.rows.get(want.ref)
    return result(plan, bfd=row and dict({"status": None}, **row))


def _bfd_refs(items):
    refs = []
    for i, item in enumerate(items):
        field = f"bfd_sessions[{i}]"
        if isinstance(item, dict):
            exact_keys(item, ("logical_port", "dst_ip"), field, "a BFD row uuid or {logical_port, dst_ip}")
            refs.append(ref("BFD", logical_port=parse_name(item["logical_port"], f"{field}.logical_port"),
                            dst_ip=parse_ip(item["dst_ip"], f"{field}.dst_ip")))
        else:
            refs.append(ref("BFD", _uuid=parse_uuid(item, field)))
    return refs


def lr_policy(module):
    params = module.params
    key = {"priority": parse_priority(params["priority"], "priority"), "match": parse_match(params["match"], "match")}
    router = parse_name(params["router"], "router")
    columns, merge = {}, []
    if params["state"] == "present":
        if params["action"] is None:
            raise EgressGatewayError("action is required with state=present (got None)", field="action", value=None)
        nexthops = [parse_ip(n, f"nexthops[{i}]") for i, n in enumerate(params["nexthops"])]
        if params["action"] == "reroute" and not nexthops:
            raise EgressGatewayError("nexthops: a reroute policy needs nexthops (got [])", field="nexthops", value=[])
        if params["action"] != "reroute" and nexthops:
            raise EgressGatewayError(f"nexthops: an {params['action']} policy takes no nexthops "
                                     f"(got {params['nexthops']!r})", field="nexthops", value=params["nexthops"])
        same_family(nexthops, params["nexthops"], "nexthops")
        columns.update(action=params["action"], nexthops=sorted(set(nexthops)))
        if params["options"] is not None:
            columns["options"] = string_map(params["options"])
            merge.append("options")
        columns, merge = external_ids(params, columns, merge)
    sessions = _bfd_refs(params["bfd_sessions"]) if params["bfd_sessions"] else []
    tables = {"Logical_Router": ["name", "policies"], "Logical_Router_Policy": None,
              "BFD": ["logical_port", "dst_ip"]}
    with connect(module, tables) as conn:
        if sessions:
            conn.require("Logical_Router_Policy", "bfd_sessions", "bfd_sessions on a router policy")
        if params["bfd_sessions"] is not None and params["state"] == "present" \
                and conn.has_column("Logical_Router_Policy", "bfd_sessions"):
            columns["bfd_sessions"] = sessions
        want = Want("Logical_Router_Policy", key, columns, parent=ref("Logical_Router", name=router),
                    merge=tuple(merge), state=params["state"])
        plan = conn.converge([want], check_mode=module.check_mode)
    return result(plan, policy=plan.rows.get(want.ref))


# -- ovn_bfd_sentinel ---------------------------------------------------------------------------

SENTINEL_VENDOR = "kubeovn.egress_gateway"
# Stock OVN runs a BFD row only while a route or policy uses it; "0" never matches a packet.
SENTINEL_POLICY = {"priority": 1, "match": "0"}


def sentinel_ids(port):
    return {"vendor": SENTINEL_VENDOR, "bfd-sentinel": port}


def bfd_sentinel(module):
    """The sentinel's BFD row and the never-matching policy that keeps it running, in one
    transaction; an earlier sentinel of the same port (another address) is replaced, and
    state=absent removes both. Rows are the sentinel's by their external_ids only."""
    params = module.params
    port = parse_name(params["logical_port"], "logical_port")
    router = parse_name(params["router"], "router")
    ids = sentinel_ids(port)
    wants = []
    if params["state"] == "present":
        columns = {"external_ids": ids}
        for name, minimum in BFD_MINIMUMS:
            if params[name] < minimum:
                raise EgressGatewayError(f"{name} must be at least {minimum} (got {params[name]!r})",
                                         field=name, value=params[name])
            columns[name] = params[name]
        bfd_key = {"logical_port": port, "dst_ip": parse_ip(params["dst_ip"], "dst_ip")}
        wants = [Want("BFD", bfd_key, columns),
                 Want("Logical_Router_Policy", dict(SENTINEL_POLICY),
                      {"action": "reroute", "nexthops": [bfd_key["dst_ip"]], "bfd_sessions": [ref("BFD", **bfd_key)],
                       "external_ids": ids}, parent=ref("Logical_Router", name=router))]
    tables = {"Logical_Router": ["name", "policies"], "Logical_Router_Policy": None, "BFD": None}
    owned = {"BFD": owned_by(**ids), "Logical_Router_Policy": owned_by(**ids)}
    with connect(module, tables) as conn:
        if wants:
            conn.require("Logical_Router_Policy", "bfd_sessions", "a BFD sentinel (bfd_sessions on a router policy)")

        def read():
            snap = conn.snapshot()
            check_not_foreign(snap, wants, owned, router, "this port's BFD sentinel")
            return snap
        plan = conn.converge(wants, owned=owned, check_mode=module.check_mode, read=read)
    if not wants:
        return result(plan)
    bfd_row, policy_row = (plan.rows[w.ref] for w in wants)
    return result(plan, bfd=dict({"status": None}, **bfd_row), policy=policy_row)


# -- ovn_bfd_port -------------------------------------------------------------------------------

BFD_PORT_TABLES = {
    "Logical_Router": ["name", "ports"],
    "Logical_Router_Port": ["name", "mac", "networks", "options", "ha_chassis_group", "external_ids"],
    "HA_Chassis_Group": None,
    "HA_Chassis": None,
}


def derived_mac(router, name):
    """A locally administered MAC derived from the router and port names (stable over reruns)."""
    digest = hashlib.sha256(f"{router}/{name}".encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x0a,) + tuple(digest[:5]))


def _bfd_port_wants(params, names, parsed, existing_group):
    """(Wants, (group Want, {chassis name: HA_Chassis Want}, port Want) or None when absent)."""
    port, group = names
    router = ref("Logical_Router", name=params["router"])
    dedicated = params["layout"] == "dedicated"
    if params["state"] == "absent":
        wants = [Want("HA_Chassis_Group", {"name": group}, state="absent")]
        if dedicated:
            wants.append(Want("Logical_Router_Port", {"name": port}, parent=router, state="absent"))
        elif existing_group == group:
            wants.append(Want("Logical_Router_Port", {"name": port}, {"ha_chassis_group": None},
                              parent=router, create=False))
        return wants, None
    ids = dict({"vendor": "kube-ovn", "lrp": port}, **string_map(params["external_ids"] or {}))
    merge = ("external_ids",) if params["external_ids_mode"] == "merge" else ()
    group_want = Want("HA_Chassis_Group", {"name": group}, {"external_ids": ids}, merge=merge, prune_children=True)
    chassis = {name: Want("HA_Chassis", {"chassis_name": name}, {"priority": priority},
                          parent=ref("HA_Chassis_Group", name=group))
               for name, priority in parsed["chassis"].items()}
    port_columns = {"ha_chassis_group": ref("HA_Chassis_Group", name=group)}
    if dedicated:
        port_columns.update(networks=parsed["networks"], mac=parsed["mac"], options={"bfd-only": "true"},
                            external_ids=string_map(params["external_ids"] or {}))
    port_want = Want("Logical_Router_Port", {"name": port}, port_columns, parent=router,
                     merge=("options",) + merge, create=dedicated)
    return [group_want, *chassis.values(), port_want], (group_want, chassis, port_want)


def _bfd_port_params(params, port):
    """The chassis, networks and MAC of state=present, parsed before the database is opened."""
    if params["state"] == "absent":
        return {}
    if not params["chassis"]:
        raise EgressGatewayError(f"chassis is required with state=present (got {params['chassis']!r})",
                                 field="chassis", value=params["chassis"])
    parsed = {"chassis": parse_chassis(params["chassis"], "chassis")}
    if params["layout"] == "dedicated":
        if not params["networks"]:
            raise EgressGatewayError(f"networks is required for the dedicated layout (got {params['networks']!r})",
                                     field="networks", value=params["networks"])
        parsed["networks"] = parse_networks(params["networks"], "networks")
        parsed["mac"] = parse_mac(params["mac"], "mac") if params["mac"] else derived_mac(params["router"], port)
    return parsed


def bfd_port(module):
    params = module.params
    if params["layout"] == "router_port" and not params["name"]:
        raise EgressGatewayError("name (the router port that reaches the gateways) is required for "
                                 "layout=router_port (got None)", field="name", value=None)
    parse_name(params["router"], "router")
    port = parse_name(params["name"] or f"bfd@{params['router']}", "name")
    group = parse_name(params["ha_chassis_group"] or port, "ha_chassis_group")
    parsed = _bfd_port_params(params, port)
    with connect(module, BFD_PORT_TABLES) as conn:
        snap = conn.snapshot()
        existing_group = None
        for row in snap.rows("Logical_Router_Port").values():
            if row["name"] == port and row["ha_chassis_group"] is not None:
                existing_group = snap.rows("HA_Chassis_Group").get(row["ha_chassis_group"], {}).get("name")
        wants, present = _bfd_port_wants(params, (port, group), parsed, existing_group)
        plan = conn.converge(wants, check_mode=module.check_mode)
    if present is None:
        return result(plan)
    group_want, chassis, port_want = present
    group_row = {k: v for k, v in plan.rows[group_want.ref].items() if k != "ha_chassis"}
    group_row["chassis"] = {name: plan.rows[want.ref]["priority"] for name, want in chassis.items()}
    return result(plan, port=plan.rows[port_want.ref], ha_chassis_group=group_row)


# -- ovn_nb_info --------------------------------------------------------------------------------

NB_INFO_GATHER = ["policies", "bfd", "address_sets", "port_groups"]
BFD_COLUMNS = ["logical_port", "dst_ip", "min_rx", "min_tx", "detect_mult", "status", "options", "external_ids"]
POLICY_COLUMNS = ["priority", "match", "action", "nexthops", "options", "external_ids", "chain", "jump_chain"]


def _plain(row_uuid, row, columns):
    out = {"uuid": str(row_uuid)}
    out.update({c: (sorted(row[c]) if isinstance(row[c], list) else row[c]) for c in columns if c in row})
    return out


def _session(bfd_uuid, bfd_rows):
    session = {"uuid": str(bfd_uuid)}
    if bfd_uuid in bfd_rows:
        session.update({k: bfd_rows[bfd_uuid][k] for k in ("logical_port", "dst_ip", "status")})
    return session


def _nb_info_reads(params):
    """(tables, conditions) of what the gathered kinds need; external_ids filter on the server."""
    gather = params["gather"]
    ids = string_map(params["external_ids"] or {})
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
    return tables, conditions


def _policies(snap, router):
    """A router's policies as lr-policy-list orders them, with their BFD sessions."""
    policies, bfd_rows = snap.rows("Logical_Router_Policy"), snap.rows("BFD")
    if router and not snap.rows("Logical_Router"):
        raise EgressGatewayError(f"unknown Logical_Router {router!r}", field="router", value=router)
    listed = []
    for lr in sorted(snap.rows("Logical_Router").values(), key=lambda r: r["name"]):
        for puuid in lr["policies"]:
            if puuid not in policies:     # filtered out on the server
                continue
            item = _plain(puuid, policies[puuid], POLICY_COLUMNS)
            item["router"] = lr["name"]
            item["bfd_sessions"] = [_session(b, bfd_rows) for b in policies[puuid].get("bfd_sessions", [])]
            listed.append(item)
    return sorted(listed, key=lambda p: (p["router"], -p["priority"], p["match"]))


def nb_info(module):
    params = module.params
    gather = params["gather"]
    tables, conditions = _nb_info_reads(params)
    out = {"changed": False}
    with connect(module, tables, conditions=conditions) as conn:
        snap = conn.snapshot()
        if "port_groups" in gather:
            members = {u for row in snap.rows("Port_Group").values() for u in row["ports"]}
            if members:
                conn.set_condition("Logical_Switch_Port", [["_uuid", "==", ["uuid", str(u)]] for u in members])
                snap = conn.snapshot()
        if "bfd" in gather:
            out["bfd"] = sorted((_plain(u, r, BFD_COLUMNS) for u, r in snap.rows("BFD").items()),
                                key=lambda r: (r["logical_port"], r["dst_ip"]))
        if "policies" in gather:
            out["policies"] = _policies(snap, params["router"])
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
