# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The egress gateway reconciler: the model's desired rows -> one NB transaction.

_spec.desired_rows() says what the NB must hold for a gateway; this module turns that into
_nb_rows Wants (port group members resolved to Logical_Switch_Port uuids once, by name), reads
only the rows that matter (server-side monitor conditions), refuses to take over rows of other
owners, and converges in ONE transaction for one or several gateways (Targets): rows created,
updated (only differing columns) and stale rows the gateways own deleted. Rows without their
external_ids are never touched.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import dataclasses
import uuid as uuidlib

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import (
    PARENTS, Column, Snapshot, Want, converge, ref,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import (
    EXTERNAL_ID_GATEWAY, EXTERNAL_ID_VENDOR, PRIORITY_DROP, PRIORITY_LOCAL, PRIORITY_REROUTE, VENDOR, Gateway,
)

# Kube-OVN's delete order (§1.5): BFD, policies, then port group and address sets. In one
# transaction the order only decides how the changes are listed.
OWNED_TABLES = ("BFD", "Logical_Router_Policy", "Port_Group", "Address_Set")

POLICY_COLUMNS = ["priority", "match", "action", "nexthops", "bfd_sessions", "external_ids"]


@dataclasses.dataclass(frozen=True)
class Target:
    """One gateway to reconcile: its desired rows (None: remove all it owns) and BFD port.

    ``path`` prefixes the field of errors about it (``gateways[2].`` for a list of gateways).
    """
    gateway: Gateway
    rows: dict | None
    bfd_port: str | None = None
    path: str = ""


def monitored_tables(targets) -> tuple[dict, dict]:
    """(tables, conditions) for NbConnection: only what the reconciler reads for these targets.

    Conditions are OR-ed clauses evaluated by ovsdb-server: the gateways' rows (by external_ids)
    plus the rows that could sit on their identities (names, priorities, the BFD ports). The
    pods' logical switch ports are not monitored: see port_uuids().
    """
    tables = {
        "Logical_Router": ["name", "policies", "ports"],
        "Logical_Router_Policy": list(POLICY_COLUMNS),
        "BFD": ["logical_port", "dst_ip", "min_rx", "min_tx", "detect_mult", "external_ids"],
        "Port_Group": ["name", "ports", "external_ids"],
        "Address_Set": ["name", "addresses", "external_ids"],
    }
    clauses = {table: [] for table in OWNED_TABLES}
    clauses["Logical_Router_Policy"] = [["priority", "==", p] for p in (PRIORITY_LOCAL, PRIORITY_REROUTE, PRIORITY_DROP)]
    bfd_ports = []
    for target in targets:
        gateway = target.gateway
        ours = ["external_ids", "includes", ["map", [[EXTERNAL_ID_GATEWAY, gateway.key]]]]
        for table in OWNED_TABLES:
            clauses[table].append(ours)
        clauses["Port_Group"].append(["name", "==", gateway.port_group])
        clauses["Address_Set"] += [["name", "==", gateway.address_set(af)] for af in (4, 6)]
        if target.bfd_port:
            clauses["BFD"].append(["logical_port", "==", target.bfd_port])
            if gateway.bfd.enabled:
                bfd_ports.append(["name", "==", target.bfd_port])
    if bfd_ports:
        tables["Logical_Router_Port"] = ["name"]
        clauses["Logical_Router_Port"] = bfd_ports
    conditions = {table: [c for i, c in enumerate(cs) if c not in cs[:i]] for table, cs in clauses.items()}
    return tables, conditions


def port_uuids(conn) -> dict:
    """{name: uuid} of every Logical_Switch_Port, read with ONE `select` of two columns.

    Port group members are uuids, so the pods' ports must be looked up by name. A python-ovs
    replica costs about 50 us per row (10,000 ports: 0.5 s); a plain select does not.
    """
    return {row["name"]: uuidlib.UUID(row["_uuid"][1])
            for row in conn.select("Logical_Switch_Port", ["_uuid", "name"])}


def with_ports(snapshot, lsp_uuids: dict):
    """The replica's rows plus the ports read by port_uuids() (plans and diffs name the members)."""
    rows = {table: snapshot.rows(table) for table in snapshot.columns}
    columns = dict(snapshot.columns)
    rows["Logical_Switch_Port"] = {row_uuid: {"name": name} for name, row_uuid in lsp_uuids.items()}
    columns["Logical_Switch_Port"] = {"name": Column("scalar")}
    return Snapshot(rows, columns)


def wants_for(rows: dict, lsp_uuids: dict, with_bfd_sessions: bool) -> list[Want]:
    """_nb_rows Wants for desired rows; pod ports are resolved through lsp_uuids (name -> uuid)."""
    wants = []
    for pg in rows["port_groups"]:
        ports = [lsp_uuids[name] for name in pg["ports"] if name in lsp_uuids]
        wants.append(Want("Port_Group", {"name": pg["name"]}, {"ports": ports, "external_ids": pg["external_ids"]}))
    for address_set in rows["address_sets"]:
        wants.append(Want("Address_Set", {"name": address_set["name"]},
                          {"addresses": address_set["addresses"], "external_ids": address_set["external_ids"]}))
    for bfd in rows["bfd"]:
        wants.append(Want("BFD", {"logical_port": bfd["logical_port"], "dst_ip": bfd["dst_ip"]},
                          {"min_rx": bfd["min_rx"], "min_tx": bfd["min_tx"], "detect_mult": bfd["detect_mult"],
                           "external_ids": bfd["external_ids"]}))
    router = ref("Logical_Router", name=rows["router"])
    for policy in rows["policies"]:
        columns = {"action": policy["action"], "nexthops": policy["nexthops"], "external_ids": policy["external_ids"]}
        if with_bfd_sessions:
            columns["bfd_sessions"] = [ref("BFD", logical_port=port, dst_ip=ip) for port, ip in policy["bfd_sessions"]]
        wants.append(Want("Logical_Router_Policy", {"priority": policy["priority"], "match": policy["match"]},
                          columns, parent=router))
    return wants


def ownership(*gateways: Gateway) -> dict:
    """{table: predicate} true for the rows any of these gateways owns."""
    keys = {gateway.key for gateway in gateways}

    def is_ours(row):
        ids = row.get("external_ids") or {}
        return ids.get(EXTERNAL_ID_VENDOR) == VENDOR and ids.get(EXTERNAL_ID_GATEWAY) in keys
    return {table: is_ours for table in OWNED_TABLES}


def _check_not_foreign(snapshot, wants, owned, router):
    """A wanted identity held by a row of another owner is an error, not a takeover."""
    router_rows = [u for u, r in snapshot.rows("Logical_Router").items() if r.get("name") == router]
    for want in wants:
        within = None
        if want.parent is not None:
            parent_table, parent_column = PARENTS[want.table]
            within = [u for r in router_rows for u in snapshot.rows(parent_table)[r].get(parent_column) or []]
        for row_uuid in snapshot.find(want.table, want.key, within):
            row = snapshot.rows(want.table)[row_uuid]
            if not owned[want.table](row):
                raise EgressGatewayError(
                    f"{want.label} exists and is not this gateway's (external_ids "
                    f"{row.get('external_ids') or {}}); remove it or give it to this gateway first",
                    field=want.table, value=want.label)


def _check_bfd_port(snapshot, router, bfd_port, path=""):
    ports = {u for u, r in snapshot.rows("Logical_Router").items() if r.get("name") == router
             for u in (r.get("ports") or [])}
    lrps = [u for u, r in snapshot.rows("Logical_Router_Port").items() if r.get("name") == bfd_port]
    if not any(u in ports for u in lrps):
        raise EgressGatewayError(
            f"{path}bfd_port: BFD is enabled but {bfd_port!r} is not a port of logical router {router!r} "
            "(enable the VPC's BFD port, or name the router port that reaches the gateways) "
            f"(got {bfd_port!r})", field=f"{path}bfd_port", value=bfd_port)


class _Reads:
    """Hands converge() the snapshot already read and checked, then fresh ones on a retry."""

    def __init__(self, conn, first, lsp_uuids):
        self._conn = conn
        self._first = first
        self._lsp_uuids = lsp_uuids
        self.remote = conn.remote

    def snapshot(self):
        first, self._first = self._first, None
        return first if first is not None else with_ports(self._conn.snapshot(), self._lsp_uuids)

    def commit(self, build):
        return self._conn.commit(build)

    def wait_for_change(self):
        return self._conn.wait_for_change()


def reconcile(conn, targets, check_mode: bool = False) -> dict:
    """Make the NB hold exactly the targets' rows, in one transaction for all of them.

    ``conn`` is an open _ovsdb.NbConnection on monitored_tables(targets). Returns
    {"plan": Plan, "missing_ports": {gateway key: [pod port names with no Logical_Switch_Port]}}.
    """
    targets = list(targets)
    if any(t.rows is not None and t.gateway.bfd.enabled for t in targets):
        conn.require("Logical_Router_Policy", "bfd_sessions",
                     "Logical_Router_Policy.bfd_sessions (for spec.bfd.enabled: reroutes that follow BFD)")
    wanted_ports = {t.gateway.key: {p for pg in t.rows["port_groups"] for p in pg["ports"]}
                    for t in targets if t.rows is not None}
    lsp_uuids = {}
    if any(t.rows and t.rows["port_groups"] for t in targets):
        lsp_uuids = port_uuids(conn)
    missing = {key: sorted(ports - lsp_uuids.keys()) for key, ports in wanted_ports.items()}
    snapshot = with_ports(conn.snapshot(), lsp_uuids)
    with_sessions = conn.monitors("Logical_Router_Policy", "bfd_sessions")
    wants, wanted_by = [], {}
    for target in targets:
        if target.rows is None:
            continue
        if target.gateway.bfd.enabled and target.rows["bfd"]:
            _check_bfd_port(snapshot, target.rows["router"], target.bfd_port, target.path)
        mine = wants_for(target.rows, lsp_uuids, with_sessions)
        for want in mine:
            if want.label in wanted_by:
                raise EgressGatewayError(
                    f"{target.path or 'spec'}: {want.label} is wanted by both {wanted_by[want.label]} and "
                    f"{target.gateway.key}", field=f"{target.path}spec", value=want.label)
            wanted_by[want.label] = target.gateway.key
        _check_not_foreign(snapshot, mine, ownership(target.gateway), target.rows["router"])
        wants += mine
    plan = converge(_Reads(conn, snapshot, lsp_uuids), wants,
                    owned=ownership(*(t.gateway for t in targets)), check_mode=check_mode)
    return {"plan": plan, "missing_ports": missing}
