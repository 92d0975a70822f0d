# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The egress gateway reconciler: the model's desired rows -> one NB transaction.

_desired_rows.desired_rows() says what the NB must hold for a gateway; this module turns that into
_nb_rows Wants (port group members resolved to Logical_Switch_Port uuids once, by name), reads
only the rows that matter (server-side monitor conditions), refuses to take over rows of other
owners, and converges in ONE transaction for one or several gateways (Targets): rows created,
updated (only differing columns) and stale rows the gateways own deleted. Rows without their
external_ids are never touched.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import dataclasses
import time
import uuid as uuidlib

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, shown
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import connect, result
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import (
    PARENTS, Column, Snapshot, Want, check_not_foreign, ref,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import check_distinct, parse_gateway, parse_identity
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import (
    EXTERNAL_ID_GATEWAY, EXTERNAL_ID_VENDOR, PRIORITY_DROP, PRIORITY_LOCAL, PRIORITY_REROUTE, VENDOR, Gateway,
)

# Kube-OVN's delete order (§1.5): BFD, policies, then port group and address sets. In one
# transaction the order only decides how the changes are listed.
OWNED_TABLES = ("BFD", "Logical_Router_Policy", "Port_Group", "Address_Set")

# The one mapping of the model's desired rows (desired_rows(): kind -> [row in NB column names])
# to the NB: kind -> (table, identity columns, other columns). Wants, what is monitored and the
# task's report all come from it.
ROW_TABLES = {
    "port_groups": ("Port_Group", ("name",), ("ports", "external_ids")),
    "address_sets": ("Address_Set", ("name",), ("addresses", "external_ids")),
    "bfd": ("BFD", ("logical_port", "dst_ip"), ("min_rx", "min_tx", "detect_mult", "external_ids")),
    "policies": ("Logical_Router_Policy", ("priority", "match"), ("action", "nexthops", "bfd_sessions", "external_ids")),
}


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
    tables = {"Logical_Router": ["name", "policies", "ports"]}
    tables.update({table: [*key, *columns] for table, key, columns in ROW_TABLES.values()})
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
    rows = {"Logical_Switch_Port": {row_uuid: {"name": name} for name, row_uuid in lsp_uuids.items()}}
    columns = dict(snapshot.columns, Logical_Switch_Port={"name": Column("scalar")})
    return Snapshot(rows, columns, load=snapshot.rows)


def wants_for(rows: dict, lsp_uuids: dict, with_bfd_sessions: bool) -> list[Want]:
    """_nb_rows Wants for desired rows; pod ports are resolved through lsp_uuids (name -> uuid)."""
    router = ref("Logical_Router", name=rows["router"])
    wants = []
    for kind, (table, key_columns, columns) in ROW_TABLES.items():
        for row in rows[kind]:
            values = {c: row[c] for c in columns}
            if "ports" in values:
                values["ports"] = [lsp_uuids[name] for name in values["ports"] if name in lsp_uuids]
            if "bfd_sessions" in values:
                sessions = values.pop("bfd_sessions")
                if with_bfd_sessions:
                    values["bfd_sessions"] = [ref("BFD", logical_port=port, dst_ip=ip) for port, ip in sessions]
            wants.append(Want(table, {c: row[c] for c in key_columns}, values,
                              parent=router if table in PARENTS else None))
    return wants


def ownership(*gateways: Gateway) -> dict:
    """{table: predicate} true for the rows any of these gateways owns."""
    keys = {gateway.key for gateway in gateways}

    def is_ours(row):
        ids = row.get("external_ids") or {}
        return ids.get(EXTERNAL_ID_VENDOR) == VENDOR and ids.get(EXTERNAL_ID_GATEWAY) in keys
    return {table: is_ours for table in OWNED_TABLES}


def _check_bfd_port(snapshot, router, bfd_port, path=""):
    ports = {u for u, r in snapshot.rows("Logical_Router").items() if r.get("name") == router
             for u in (r.get("ports") or [])}
    lrps = [u for u, r in snapshot.rows("Logical_Router_Port").items() if r.get("name") == bfd_port]
    if not any(u in ports for u in lrps):
        raise EgressGatewayError(
            f"{path}bfd_port: BFD is enabled but {bfd_port!r} is not a port of logical router {router!r} "
            "(enable the VPC's BFD port, or name the router port that reaches the gateways) "
            f"(got {bfd_port!r})", field=f"{path}bfd_port", value=bfd_port)


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
    with_sessions = conn.monitors("Logical_Router_Policy", "bfd_sessions")
    wants, wanted_by, mine = [], {}, []
    for target in targets:
        if target.rows is None:
            continue
        theirs = wants_for(target.rows, lsp_uuids, with_sessions)
        for want in theirs:
            if want.ref in wanted_by:
                raise EgressGatewayError(
                    f"{target.path or 'spec'}: {want.label} is wanted by both {wanted_by[want.ref]} and "
                    f"{target.gateway.key}", field=f"{target.path}spec", value=want.label)
            wanted_by[want.ref] = target.gateway.key
        mine.append((target, theirs))
        wants += theirs

    def read():
        """The replica plus the ports, checked (again on every retry) before anything is planned."""
        snapshot = with_ports(conn.snapshot(), lsp_uuids)
        for target, theirs in mine:
            if target.gateway.bfd.enabled and target.rows["bfd"]:
                _check_bfd_port(snapshot, target.rows["router"], target.bfd_port, target.path)
            check_not_foreign(snapshot, theirs, ownership(target.gateway), target.rows["router"], "this gateway")
        return snapshot

    plan = conn.converge(wants, owned=ownership(*(t.gateway for t in targets)), check_mode=check_mode, read=read)
    return {"plan": plan, "missing_ports": missing}


# -- the module ovn_egress_gateway ----------------------------------------------------------------

# The options of one gateway: the module's own, and those of each item of its gateways list.
INSTANCE_OPTIONS = dict(
    name=dict(type="str", required=True),
    node=dict(type="str", required=True),
    internal_ips=dict(type="list", elements="str", required=True),
    external_ips=dict(type="list", elements="str", default=[]),
)

GATEWAY_OPTIONS = dict(
    spec=dict(type="raw"),
    name=dict(type="str"),
    namespace=dict(type="str"),
    router=dict(type="str"),
    bfd_port=dict(type="str"),
    instances=dict(type="list", elements="dict", default=[], options=INSTANCE_OPTIONS),
    pod_ports=dict(type="list", elements="str", default=[]),
    subnet_cidrs=dict(type="dict", default={}),
    node_port_groups=dict(type="dict", default={}),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)

# Several gateways in one transaction (ovn_egress_gateway's gateways, and veg_nb_rows, the same
# task run in the controller's process), each item with GATEWAY_OPTIONS.
GATEWAYS_OPTIONS = dict(
    gateways=dict(type="list", elements="dict"),
    bfd_wait=dict(type="float", default=0),
)


def target_of(params, path=""):
    """Validate one gateway's options completely (before any connection) into a Target."""
    try:
        present = params["state"] == "present"
        if present and params["spec"] is None:
            raise EgressGatewayError("spec: is required with state=present (got None)", field="spec", value=None)
        if present or params["spec"] is not None:
            gateway = parse_gateway(params["spec"], namespace=params["namespace"], name=params["name"])
        else:
            gateway = parse_identity(namespace=params["namespace"], name=params["name"])
        bfd_port = params["bfd_port"]
        if bfd_port is None and gateway.bfd.enabled:
            bfd_port = gateway.default_bfd_port
        rows = None
        if present:
            rows = desired_rows(gateway, params["router"] or gateway.vpc_name, bfd_port, params["instances"],
                                params["pod_ports"], params["subnet_cidrs"], params["node_port_groups"])
    except EgressGatewayError as exc:
        if not path:
            raise
        raise EgressGatewayError(f"{path}{exc}", field=f"{path}{exc.field}", value=exc.value) from None
    return Target(gateway, rows, bfd_port, path)


def item_params(item, path):
    """A gateways[] item checked against the single-gateway options (types, choices, defaults)."""
    checked = ArgumentSpecValidator(GATEWAY_OPTIONS).validate(item)
    if checked.error_messages:
        raise EgressGatewayError(f"{path}: {'; '.join(checked.error_messages)} (got {shown(item)})",
                                 field=path, value=item)
    return checked.validated_parameters


def wait_bfd_up(conn, targets, seconds: float) -> dict:
    """After the write: the status OVN gives the targets' BFD sessions, read again every 0.2 s
    until every one is ``up`` or ``seconds`` passed. Until then a reroute has no live next hop and
    the 29090 drop takes the selected pods' traffic (kube-ovn#6379, slow IPv6 BFD); a deploy that
    waits reports ready only when the gateway carries traffic.

    {"bfd_status": {dst_ip: status ("" before OVN set one)}, "bfd_up_after": seconds (None when not
    every session came up; the module leaves it out)}; {} without BFD rows.
    """
    wanted = {(row["logical_port"], row["dst_ip"]) for t in targets if t.rows for row in t.rows["bfd"]}
    if not wanted:
        return {}
    started = time.monotonic()
    while True:
        status = {}
        for port in sorted({port for port, _ip in wanted}):
            for row in conn.select("BFD", ["logical_port", "dst_ip", "status"], where=[["logical_port", "==", port]]):
                if (row["logical_port"], row["dst_ip"]) in wanted:
                    status[row["dst_ip"]] = row["status"] if isinstance(row["status"], str) else ""
        waited = time.monotonic() - started
        up = len(status) == len(wanted) and all(state == "up" for state in status.values())
        if up or waited >= seconds:
            return {"bfd_status": status, "bfd_up_after": round(waited, 2) if up else None}
        time.sleep(0.2)


def report(target, missing):
    """What the task returns about one gateway: its names, and its policies and BFD rows (the
    desired rows without their external_ids; a policy's BFD sessions as the flag ``bfd``)."""
    rows = target.rows or {}

    def shown(kind):
        _table, key_columns, columns = ROW_TABLES[kind]
        out = []
        for row in rows.get(kind, []):
            item = {c: row[c] for c in key_columns + columns if c not in ("external_ids", "bfd_sessions")}
            if "bfd_sessions" in columns:
                item["bfd"] = bool(row["bfd_sessions"])
            out.append(item)
        return out
    return {"gateway": target.gateway.names(), "policies": shown("policies"), "bfd": shown("bfd"),
            "missing_ports": missing.get(target.gateway.key, [])}


def egress_gateway(module):
    """The module ovn_egress_gateway: one gateway, or a list of them, in one transaction."""
    params = module.params
    if params["gateways"] is not None:
        targets = [target_of(item_params(item, f"gateways[{i}]"), f"gateways[{i}].")
                   for i, item in enumerate(params["gateways"])]
        check_distinct([t.gateway for t in targets])
    else:
        targets = [target_of(params)]
    tables, conditions = monitored_tables(targets)
    with connect(module, tables, conditions=conditions,
                 optional_columns={"Logical_Router_Policy": ["bfd_sessions"]}) as conn:
        outcome = reconcile(conn, targets, check_mode=module.check_mode)
        waited = {} if module.check_mode or not params["bfd_wait"] else wait_bfd_up(conn, targets, params["bfd_wait"])
    plan = outcome["plan"]
    reports = [report(t, outcome["missing_ports"]) for t in targets]
    for item in reports:
        for name in item["missing_ports"][:20]:
            module.warn(f"pod port {name} has no Logical_Switch_Port in the NB; left out of "
                        f"{item['gateway']['port_group']}")
    changes = [{"action": c.action, "table": c.table, "row": c.label} for c in plan.changes]
    if params["gateways"] is not None:
        return result(plan, gateways=reports, changes=changes, **waited)
    return result(plan, changes=changes, **reports[0], **waited)
