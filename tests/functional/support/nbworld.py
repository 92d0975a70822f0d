"""A Northbound database that looks like a Kube-OVN cluster's, for the reconciler's tests.

Everything is written with ovsdb-client (support.ovsdb), never with the code under test. Besides
what a gateway needs (the VPC router, its BFD port, the pods' logical switch ports) it holds rows
of other owners on purpose: Kube-OVN's own router policies, another gateway's rows, and rows
without external_ids, so every test can check that they are left alone.
"""
from __future__ import annotations

import json
import pathlib
import subprocess

from support.ovsdb import OVSDB_TOOL, ovs_map, ovs_set, py_map, py_set

ROUTER = "ovn-cluster"
BFD_PORT = "bfd@ovn-cluster"
OTHER_GATEWAY = {"vendor": "kube-ovn", "vpc-egress-gateway": "default/other", "af": "4"}

# Kube-OVN's own policies on ovn-cluster in the seed document's listings (not ours).
CLUSTER_POLICIES = [
    (31000, "ip4.dst == 10.16.0.0/16", "allow", []),
    (31000, "ip4.dst == 10.17.0.0/16", "allow", []),
    (31000, "ip4.dst == 100.64.0.0/16", "allow", []),
    (30000, "ip4.dst == 172.18.0.2", "reroute", ["100.64.0.4"]),
    (30000, "ip4.dst == 172.18.0.3", "reroute", ["100.64.0.3"]),
    (30000, "ip4.dst == 172.18.0.4", "reroute", ["100.64.0.2"]),
    (29000, "ip4.src == $ovn.default.kube.ovn.control.plane_ip4", "reroute", ["100.64.0.3"]),
    (29000, "ip4.src == $ovn.default.kube.ovn.worker2_ip4", "reroute", ["100.64.0.2"]),
    (29000, "ip4.src == $ovn.default.kube.ovn.worker_ip4", "reroute", ["100.64.0.4"]),
    (29000, "ip4.src == $subnet1.kube.ovn.control.plane_ip4", "reroute", ["100.64.0.3"]),
    (29000, "ip4.src == $subnet1.kube.ovn.worker2_ip4", "reroute", ["100.64.0.2"]),
    (29000, "ip4.src == $subnet1.kube.ovn.worker_ip4", "reroute", ["100.64.0.4"]),
]


def schema_tables(nb) -> list[str]:
    return sorted(json.loads(pathlib.Path(nb.schema).read_text())["tables"])


def full_dump(nb, versions=True) -> str:
    """Every row of every table of the NB, canonically, read in one ovsdb-client call;
    versions=False drops each row's _version (it changes when a row is written, even back to the
    same content)."""
    tables = schema_tables(nb)
    results = nb.transact(*[{"op": "select", "table": t, "where": []} for t in tables])
    dump = {}
    for table, result in zip(tables, results):
        rows = result["rows"] if versions else [dict(r, _version=None) for r in result["rows"]]
        dump[table] = sorted(rows, key=lambda r: r["_uuid"][1])
    return json.dumps(dump, sort_keys=True)


def transactions(nb) -> int:
    """Committed transactions in the standalone database file (ovsdb-tool show-log)."""
    out = subprocess.run([OVSDB_TOOL, "show-log", str(nb.workdir / "nb.db")], capture_output=True, text=True,
                         check=True).stdout
    return sum(1 for line in out.splitlines() if line.startswith("record "))


def build(nb, pods=("client-1.default", "client-2.default"), bfd_port=True, cluster_policies=True,
          other_owners=True) -> dict:
    """The router, its BFD port, a switch with the pods' ports, and other owners' rows."""
    lr = nb.insert("Logical_Router", {"name": ROUTER})
    other_lr = nb.insert("Logical_Router", {"name": "vpc1"})
    if bfd_port:
        nb.insert("Logical_Router_Port", {"name": BFD_PORT, "mac": "8e:51:4b:16:3c:90",
                                          "networks": ovs_set(["10.255.255.255"])}, parent=("Logical_Router", lr, "ports"))
    nb.insert("Logical_Router_Port", {"name": "ovn-cluster-ovn-default", "mac": "d6:a3:f5:31:cd:89",
                                      "networks": ovs_set(["10.16.0.1/16"])}, parent=("Logical_Router", lr, "ports"))
    ls = nb.insert("Logical_Switch", {"name": "ovn-default"})
    add_ports(nb, ls, list(pods) + ["unselected.default"])
    if cluster_policies:
        for priority, match, action, nexthops in CLUSTER_POLICIES:
            nb.insert("Logical_Router_Policy", {"priority": priority, "match": match, "action": action,
                                                "nexthops": ovs_set(nexthops)}, parent=("Logical_Router", lr, "policies"))
    if not other_owners:
        return {"router": lr, "other_router": other_lr, "switch": ls}
    # another gateway's rows, and rows of nobody, on the same router and BFD port
    other_bfd = nb.insert("BFD", {"logical_port": BFD_PORT, "dst_ip": "10.16.0.250", "min_rx": 1000, "min_tx": 1000,
                                  "detect_mult": 3, "external_ids": ovs_map(OTHER_GATEWAY)})
    nb.insert("Logical_Router_Policy", {"priority": 29100, "match": "ip4.src == $VEG.000000000000.ipv4",
                                        "action": "reroute", "nexthops": ovs_set(["10.16.0.250"]),
                                        "external_ids": ovs_map(OTHER_GATEWAY)}, parent=("Logical_Router", lr, "policies"))
    nb.insert("Address_Set", {"name": "VEG.000000000000.ipv4", "addresses": ovs_set(["10.99.0.0/16"]),
                              "external_ids": ovs_map(OTHER_GATEWAY)})
    nb.insert("Port_Group", {"name": "VEG.000000000000", "external_ids": ovs_map(OTHER_GATEWAY)})
    nb.insert("Address_Set", {"name": "unowned", "addresses": ovs_set(["192.0.2.0/24"])})
    nb.insert("Logical_Router_Policy", {"priority": 29090, "match": "ip4.src == 192.0.2.0/24", "action": "drop"},
              parent=("Logical_Router", other_lr, "policies"))
    return {"router": lr, "other_router": other_lr, "switch": ls, "other_bfd": other_bfd}


def add_ports(nb, switch, names):
    """Logical switch ports, 500 per transaction (one ovsdb-client argument stays under 128 KiB)."""
    names = list(names)
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        ops = [{"op": "insert", "table": "Logical_Switch_Port", "row": {"name": n}, "uuid-name": f"p{i}"}
               for i, n in enumerate(chunk)]
        ops.append({"op": "mutate", "table": "Logical_Switch", "where": [["_uuid", "==", ["uuid", switch]]],
                    "mutations": [["ports", "insert", ["set", [["named-uuid", f"p{i}"] for i in range(len(chunk))]]]]})
        nb.transact(*ops)


def owned_rows(nb, key) -> dict:
    """This gateway's rows by table, in a comparable form (references shown by what they name)."""

    def ours(row):
        return py_map(row["external_ids"]).get("vpc-egress-gateway") == key
    bfd = {r["_uuid"][1]: r for r in nb.select("BFD")}
    lsps = {r["_uuid"][1]: r["name"] for r in nb.select("Logical_Switch_Port")}
    out = {"BFD": [], "Logical_Router_Policy": [], "Port_Group": [], "Address_Set": []}
    for r in nb.select("BFD"):
        if ours(r):
            out["BFD"].append((r["logical_port"], r["dst_ip"], r["min_rx"], r["min_tx"], r["detect_mult"],
                               py_map(r["external_ids"])["af"]))
    routers = {p: r["name"] for r in nb.select("Logical_Router") for p in py_set(r["policies"])}
    for r in nb.select("Logical_Router_Policy"):
        if ours(r):
            sessions = sorted(bfd[u]["dst_ip"] for u in py_set(r.get("bfd_sessions", ["set", []])))
            out["Logical_Router_Policy"].append((routers.get(r["_uuid"][1]), r["priority"], r["match"], r["action"],
                                                 sorted(py_set(r["nexthops"])), sessions,
                                                 py_map(r["external_ids"])["af"]))
    for r in nb.select("Port_Group"):
        if ours(r):
            out["Port_Group"].append((r["name"], sorted(lsps[u] for u in py_set(r["ports"]))))
    for r in nb.select("Address_Set"):
        if ours(r):
            out["Address_Set"].append((r["name"], sorted(py_set(r["addresses"])), py_map(r["external_ids"])["af"]))
    return {t: sorted(v) for t, v in out.items()}


def not_owned_dump(nb, key) -> str:
    """Every row that is not this gateway's (with the routers' policy/port lists minus ours)."""
    ours = {r["_uuid"][1] for t in ("BFD", "Logical_Router_Policy", "Port_Group", "Address_Set")
            for r in nb.select(t) if py_map(r["external_ids"]).get("vpc-egress-gateway") == key}
    out = {}
    for table in schema_tables(nb):
        rows = []
        for r in nb.select(table):
            if r["_uuid"][1] in ours:
                continue
            if table == "Logical_Router":
                # the router row holds our policies: compare it without them (and its _version)
                r = dict(r, policies=sorted(u for u in py_set(r["policies"]) if u not in ours), _version=None)
            rows.append(r)
        out[table] = sorted(rows, key=lambda r: r["_uuid"][1])
    return json.dumps(out, sort_keys=True)
