"""ovn_egress_gateway against a real ovsdb-server with the real NB schema (OVN 23.03 and 25.03).

Each test builds a Kube-OVN-like NB (nbworld.build: router, BFD port, pods' ports, and rows of
other owners), runs the module as Ansible does, and reads the result back with ovsdb-client.
"""
from __future__ import annotations

import copy

import pytest

from support.ansible import run_action, run_module
from support.nbworld import BFD_PORT, ROUTER, add_ports, build, full_dump, not_owned_dump, owned_rows, transactions
from support.ovsdb import ovs_map, py_map

pytestmark = pytest.mark.ovsdb

KEY = "default/gateway1"
H = "8ca38ae7da18"
IDS4 = {"vendor": "kube-ovn", "vpc-egress-gateway": KEY, "af": "4"}
GATEWAY = {
    "apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
    "metadata": {"name": "gateway1", "namespace": "default"},
    "spec": {
        "replicas": 2, "externalSubnet": "macvlan1",
        "selectors": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "default"}}}],
        "policies": [{"snat": True, "subnets": ["subnet1"]}, {"snat": False, "ipBlocks": ["10.18.0.0/16"]}],
    },
}
INSTANCES = [
    {"name": "gateway1-a", "node": "kube-ovn-worker", "internal_ips": ["10.16.0.12"], "external_ips": ["172.17.0.11"]},
    {"name": "gateway1-b", "node": "kube-ovn-worker2", "internal_ips": ["10.16.0.13"], "external_ips": ["172.17.0.12"]},
]


def gateway(**spec_changes):
    obj = copy.deepcopy(GATEWAY)
    obj["spec"].update(spec_changes)
    return obj


def args(nb, spec=None, **extra):
    out = {"connection": nb.connection, "spec": spec or GATEWAY, "instances": INSTANCES,
           "pod_ports": ["client-1.default", "client-2.default"], "subnet_cidrs": {"subnet1": "10.17.0.0/16"}}
    out.update(extra)
    return out


def reroutes(nexthops, sessions=()):
    return [(ROUTER, 29100, f"ip4.src == $VEG.{H}.ipv4", "reroute", nexthops, list(sessions), "4"),
            (ROUTER, 29100, f"ip4.src == $VEG.{H}_ip4", "reroute", nexthops, list(sessions), "4")]


def drops():
    return [(ROUTER, 29090, f"ip4.src == $VEG.{H}.ipv4", "drop", [], [], "4"),
            (ROUTER, 29090, f"ip4.src == $VEG.{H}_ip4", "drop", [], [], "4")]


def test_create_check_diff_rerun_absent(nb):
    build(nb)
    others = not_owned_dump(nb, KEY)
    before = full_dump(nb)
    content = full_dump(nb, versions=False)

    check = run_module("ovn_egress_gateway", args(nb), check=True, diff=True)
    assert check["changed"] and not check["failed"], check
    assert full_dump(nb) == before                     # check mode writes nothing
    planned = check["diff"]["after"]
    assert planned[f"Port_Group VEG.{H}"]["ports"] == ["client-1.default", "client-2.default"]
    assert planned[f"Address_Set VEG.{H}.ipv4"]["addresses"] == ["10.17.0.0/16", "10.18.0.0/16"]
    assert {c["action"] for c in check["changes"]} == {"create"} and len(check["changes"]) == 4

    txns = transactions(nb)
    created = run_module("ovn_egress_gateway", args(nb), diff=True)
    assert created["changed"] and created["changes"] == check["changes"], created
    assert transactions(nb) == txns + 1                # every row in ONE transaction
    assert owned_rows(nb, KEY) == {
        "BFD": [],
        "Logical_Router_Policy": sorted(reroutes(["10.16.0.12", "10.16.0.13"])),
        "Port_Group": [(f"VEG.{H}", ["client-1.default", "client-2.default"])],
        "Address_Set": [(f"VEG.{H}.ipv4", ["10.17.0.0/16", "10.18.0.0/16"], "4")],
    }
    for table in ("Logical_Router_Policy", "Port_Group", "Address_Set"):
        assert all(py_map(r["external_ids"]) == IDS4 for r in nb.select(table)
                   if py_map(r["external_ids"]).get("vpc-egress-gateway") == KEY)
    assert not_owned_dump(nb, KEY) == others

    again = run_module("ovn_egress_gateway", args(nb), diff=True)
    assert again["changed"] is False and again["changes"] == [], again
    assert transactions(nb) == txns + 1

    gone = run_module("ovn_egress_gateway", {"connection": nb.connection, "name": "gateway1", "state": "absent"},
                      check=True)
    assert gone["changed"] and len(gone["changes"]) == 4 and owned_rows(nb, KEY)["Port_Group"]
    gone = run_module("ovn_egress_gateway", {"connection": nb.connection, "name": "gateway1", "state": "absent"})
    assert gone["changed"] and transactions(nb) == txns + 2
    assert full_dump(nb, versions=False) == content    # back to exactly what was there
    assert run_module("ovn_egress_gateway", {"connection": nb.connection, "name": "gateway1",
                                             "state": "absent"})["changed"] is False


def test_bfd_gateway_needs_ovn_24_03(nb):
    build(nb)
    before = full_dump(nb)
    spec = gateway(bfd={"enabled": True, "minRX": 100, "minTX": 100, "multiplier": 5})
    out = run_module("ovn_egress_gateway", args(nb, spec))
    if nb.schema_version == "7.0.0":
        assert out["failed"] and "OVN 24.03" in out["msg"] and "bfd_sessions" in out["msg"], out
        assert full_dump(nb) == before
    else:
        assert out["changed"] and not out["failed"], out
        sessions = ["10.16.0.12", "10.16.0.13"]
        assert owned_rows(nb, KEY)["Logical_Router_Policy"] == sorted(reroutes(sessions, sessions) + drops())
        assert owned_rows(nb, KEY)["BFD"] == [(BFD_PORT, ip, 100, 100, 5, "4") for ip in sessions]


def test_changes_are_converged_in_one_transaction(nb_new):
    nb = nb_new
    build(nb)
    others = not_owned_dump(nb, KEY)
    spec = gateway(bfd={"enabled": True, "minRX": 100, "minTX": 100, "multiplier": 5}, trafficPolicy="Local")
    assert run_module("ovn_egress_gateway", args(nb, spec))["changed"]
    rows = owned_rows(nb, KEY)
    local = [p for p in rows["Logical_Router_Policy"] if p[1] == 29150]
    assert [(p[2], p[4], p[5]) for p in local] == [
        (f"ip4.src == $node.kube.ovn.worker2_ip4 && ip4.src == $VEG.{H}.ipv4", ["10.16.0.13"], ["10.16.0.13"]),
        (f"ip4.src == $node.kube.ovn.worker2_ip4 && ip4.src == $VEG.{H}_ip4", ["10.16.0.13"], ["10.16.0.13"]),
        (f"ip4.src == $node.kube.ovn.worker_ip4 && ip4.src == $VEG.{H}.ipv4", ["10.16.0.12"], ["10.16.0.12"]),
        (f"ip4.src == $node.kube.ovn.worker_ip4 && ip4.src == $VEG.{H}_ip4", ["10.16.0.12"], ["10.16.0.12"]),
    ]

    # Scale down, change the BFD intervals (Kube-OVN leaves them stale), drop a subnet, one pod
    # fewer: one transaction, and only what differs.
    txns = transactions(nb)
    spec = gateway(bfd={"enabled": True, "minRX": 300, "minTX": 200, "multiplier": 3}, trafficPolicy="Local",
                   policies=[{"ipBlocks": ["10.18.0.0/16"]}])
    out = run_module("ovn_egress_gateway", args(nb, spec, instances=INSTANCES[:1], pod_ports=["client-1.default"]),
                     diff=True)
    assert out["changed"] and transactions(nb) == txns + 1, out
    rows = owned_rows(nb, KEY)
    assert rows["BFD"] == [(BFD_PORT, "10.16.0.12", 300, 200, 3, "4")]
    assert rows["Port_Group"] == [(f"VEG.{H}", ["client-1.default"])]
    assert rows["Address_Set"] == [(f"VEG.{H}.ipv4", ["10.18.0.0/16"], "4")]
    assert {p[4][0] for p in rows["Logical_Router_Policy"] if p[3] == "reroute"} == {"10.16.0.12"}
    assert len([p for p in rows["Logical_Router_Policy"] if p[1] == 29150]) == 2
    deleted = {c["row"] for c in out["changes"] if c["action"] == "delete"}
    assert f"BFD {BFD_PORT} 10.16.0.13" in deleted
    assert out["diff"]["before"][f"BFD {BFD_PORT} 10.16.0.12"]["min_rx"] == 100
    assert out["diff"]["after"][f"BFD {BFD_PORT} 10.16.0.12"]["min_rx"] == 300

    # BFD off and Cluster: the drops, the local policies and the BFD rows go; no empty sessions.
    txns = transactions(nb)
    out = run_module("ovn_egress_gateway", args(nb, gateway(), instances=INSTANCES[:1]))
    assert out["changed"] and transactions(nb) == txns + 1
    rows = owned_rows(nb, KEY)
    assert rows["BFD"] == [] and rows["Logical_Router_Policy"] == sorted(reroutes(["10.16.0.12"]))
    assert not_owned_dump(nb, KEY) == others


def test_local_without_bfd_has_no_session(nb):
    """Kube-OVN #6927 wrote bfd_sessions [""]; here the 29150 policies carry none."""
    build(nb)
    out = run_module("ovn_egress_gateway", args(nb, gateway(trafficPolicy="Local")))
    assert out["changed"], out
    local = [p for p in owned_rows(nb, KEY)["Logical_Router_Policy"] if p[1] == 29150]
    assert len(local) == 4 and all(p[5] == [] for p in local)
    assert all(p["bfd"] is False for p in out["policies"])


def test_subnet_only_gateway_gets_empty_port_group(nb):
    """Kube-OVN #7247: policies referencing $VEG.<h>_ip4 need the port group to exist."""
    build(nb)
    spec = gateway(selectors=[], policies=[{"subnets": ["subnet1"]}])
    assert run_module("ovn_egress_gateway", args(nb, spec, pod_ports=[]))["changed"]
    assert owned_rows(nb, KEY)["Port_Group"] == [(f"VEG.{H}", [])]


def test_dual_stack_and_ipv6(nb_new):
    nb = nb_new
    build(nb)
    spec = gateway(internalIPs=["10.16.0.12,fd00:10:16::12", "10.16.0.13,fd00:10:16::13"],
                   bfd={"enabled": True}, policies=[{"ipBlocks": ["10.18.0.0/16", "fd00:10:18::/64"],
                                                     "subnets": ["subnet1"]}])
    instances = [dict(i, internal_ips=i["internal_ips"] + [f"fd00:10:16::{i['internal_ips'][0].rsplit('.', 1)[1]}"])
                 for i in INSTANCES]
    out = run_module("ovn_egress_gateway", args(nb, spec, instances=instances,
                                                subnet_cidrs={"subnet1": "10.17.0.0/16,fd00:10:17::/64"}))
    assert out["changed"], out
    rows = owned_rows(nb, KEY)
    assert rows["Address_Set"] == [(f"VEG.{H}.ipv4", ["10.17.0.0/16", "10.18.0.0/16"], "4"),
                                   (f"VEG.{H}.ipv6", ["fd00:10:17::/64", "fd00:10:18::/64"], "6")]
    v6 = [p for p in rows["Logical_Router_Policy"] if p[6] == "6"]
    assert sorted((p[1], p[2], p[4], p[5]) for p in v6) == sorted([
        (29100, f"ip6.src == $VEG.{H}.ipv6", ["fd00:10:16::12", "fd00:10:16::13"], ["fd00:10:16::12", "fd00:10:16::13"]),
        (29100, f"ip6.src == $VEG.{H}_ip6", ["fd00:10:16::12", "fd00:10:16::13"], ["fd00:10:16::12", "fd00:10:16::13"]),
        (29090, f"ip6.src == $VEG.{H}.ipv6", [], []),
        (29090, f"ip6.src == $VEG.{H}_ip6", [], []),
    ])
    assert [(b[1], b[5]) for b in rows["BFD"]] == [("10.16.0.12", "4"), ("10.16.0.13", "4"),
                                                   ("fd00:10:16::12", "6"), ("fd00:10:16::13", "6")]
    assert run_module("ovn_egress_gateway", args(nb, spec, instances=instances, subnet_cidrs={
        "subnet1": "10.17.0.0/16,fd00:10:17::/64"}))["changed"] is False


def test_moving_router_removes_rows_on_the_old_one(nb):
    build(nb)
    assert run_module("ovn_egress_gateway", args(nb))["changed"]
    out = run_module("ovn_egress_gateway", args(nb, router="vpc1"))
    assert out["changed"]
    routers = {p[0] for p in owned_rows(nb, KEY)["Logical_Router_Policy"]}
    assert routers == {"vpc1"}


def test_other_owners_row_on_our_identity_is_not_taken_over(nb_new):
    nb = nb_new
    build(nb)
    nb.insert("BFD", {"logical_port": BFD_PORT, "dst_ip": "10.16.0.13", "min_rx": 5, "min_tx": 5, "detect_mult": 5,
                      "external_ids": ovs_map({"owner": "admin"})})
    before = full_dump(nb)
    out = run_module("ovn_egress_gateway", args(nb, gateway(bfd={"enabled": True})))
    assert out["failed"] and "is not this gateway's" in out["msg"] and "10.16.0.13" in out["msg"], out
    assert full_dump(nb) == before


@pytest.mark.parametrize("problem", ["router", "bfd_port"])
def test_missing_router_or_bfd_port_writes_nothing(nb_new, problem):
    nb = nb_new
    build(nb, bfd_port=problem != "bfd_port")
    before = full_dump(nb)
    extra = {"router": "nope"} if problem == "router" else {}
    out = run_module("ovn_egress_gateway", args(nb, gateway(bfd={"enabled": True}), **extra))
    assert out["failed"], out
    assert ("'nope'" in out["msg"]) if problem == "router" else (out["field"] == "bfd_port" and BFD_PORT in out["msg"])
    assert full_dump(nb) == before


def test_pods_without_a_port_are_reported(nb):
    build(nb)
    out = run_module("ovn_egress_gateway", args(nb, pod_ports=["client-1.default", "late-pod.default"]))
    assert out["changed"] and out["missing_ports"] == ["late-pod.default"], out
    assert "late-pod.default" in str(out.get("warnings")), out
    assert owned_rows(nb, KEY)["Port_Group"] == [(f"VEG.{H}", ["client-1.default"])]
    # the port appears later: the next run adds it
    add_ports(nb, nb.select("Logical_Switch")[0]["_uuid"][1], ["late-pod.default"])
    out = run_module("ovn_egress_gateway", args(nb, pod_ports=["client-1.default", "late-pod.default"]))
    assert out["changed"] and out["missing_ports"] == []
    assert owned_rows(nb, KEY)["Port_Group"] == [(f"VEG.{H}", ["client-1.default", "late-pod.default"])]


def test_no_instances_removes_the_rows(nb):
    build(nb)
    before = full_dump(nb, versions=False)
    assert run_module("ovn_egress_gateway", args(nb))["changed"]
    out = run_module("ovn_egress_gateway", args(nb, instances=[]))
    assert out["changed"] and out["policies"] == []
    assert full_dump(nb, versions=False) == before


def test_kube_ovn_written_rows_are_adopted_and_fixed(nb_new):
    """Rows as Kube-OVN v1.14 leaves them (stale BFD interval, no af on a row) are updated in place."""
    nb = nb_new
    world = build(nb)
    bfd = nb.insert("BFD", {"logical_port": BFD_PORT, "dst_ip": "10.16.0.12", "min_rx": 1000, "min_tx": 1000,
                            "detect_mult": 3, "external_ids": ovs_map(IDS4)})
    policy = nb.insert("Logical_Router_Policy", {
        "priority": 29100, "match": f"ip4.src == $VEG.{H}.ipv4", "action": "reroute",
        "nexthops": ["set", ["10.16.0.12"]], "bfd_sessions": ["set", [["uuid", bfd]]],
        "external_ids": ovs_map({"vendor": "kube-ovn", "vpc-egress-gateway": KEY})},
        parent=("Logical_Router", world["router"], "policies"))
    spec = gateway(bfd={"enabled": True, "minRX": 100, "minTX": 100, "multiplier": 5})
    out = run_module("ovn_egress_gateway", args(nb, spec, instances=INSTANCES[:1]))
    assert out["changed"], out
    updated = {c["row"] for c in out["changes"] if c["action"] == "update"}
    assert f"BFD {BFD_PORT} 10.16.0.12" in updated
    assert nb.select("BFD", [["_uuid", "==", ["uuid", bfd]]])[0]["min_rx"] == 100
    row = nb.select("Logical_Router_Policy", [["_uuid", "==", ["uuid", policy]]])[0]
    assert py_map(row["external_ids"]) == IDS4


def gateway_named(name, **spec_changes):
    obj = gateway(**spec_changes)
    obj["metadata"]["name"] = name
    return obj


def module_task(args, **kwargs):
    return run_module("ovn_egress_gateway", args, **kwargs)


def controller_task(args, **kwargs):
    """The same task in ansible-playbook's process (what the reconcile playbook of EDA runs)."""
    return run_action("veg_nb_rows", args, **kwargs)


SEVERAL_GATEWAYS = pytest.mark.parametrize("write", [module_task, controller_task],
                                           ids=["ovn_egress_gateway", "veg_nb_rows"])


@SEVERAL_GATEWAYS
def test_several_gateways_in_one_transaction(nb_new, write):
    nb = nb_new
    build(nb)
    others = not_owned_dump(nb, KEY)
    second = [dict(i, internal_ips=[i["internal_ips"][0].replace("10.16.0.", "10.16.1.")]) for i in INSTANCES]
    items = [
        {"spec": GATEWAY, "instances": INSTANCES, "pod_ports": ["client-1.default"],
         "subnet_cidrs": {"subnet1": "10.17.0.0/16"}},
        {"spec": gateway_named("gateway9", bfd={"enabled": True}, policies=[{"ipBlocks": ["10.19.0.0/16"]}]),
         "instances": second, "pod_ports": ["client-2.default"]},
    ]
    txns = transactions(nb)
    planned = write({"connection": nb.connection, "gateways": items}, check=True)
    assert planned["changed"] and transactions(nb) == txns and owned_rows(nb, KEY)["Port_Group"] == [], planned
    out = write({"connection": nb.connection, "gateways": items}, diff=True)
    assert out["changes"] == planned["changes"] and out["diff"], out
    assert out["changed"] and not out["failed"], out
    assert transactions(nb) == txns + 1
    assert [g["gateway"]["key"] for g in out["gateways"]] == [KEY, "default/gateway9"]
    assert owned_rows(nb, KEY)["Port_Group"] == [(f"VEG.{H}", ["client-1.default"])]
    nine = owned_rows(nb, "default/gateway9")
    assert [b[1] for b in nine["BFD"]] == ["10.16.1.12", "10.16.1.13"]
    assert write({"connection": nb.connection, "gateways": items})["changed"] is False

    # one item removed (state absent), the other changed: again one transaction
    items = [dict(items[0], instances=INSTANCES[:1]), {"name": "gateway9", "state": "absent"}]
    out = write({"connection": nb.connection, "gateways": items})
    assert out["changed"] and transactions(nb) == txns + 2
    assert owned_rows(nb, "default/gateway9") == {"BFD": [], "Logical_Router_Policy": [], "Port_Group": [],
                                                  "Address_Set": []}
    assert {p[4][0] for p in owned_rows(nb, KEY)["Logical_Router_Policy"]} == {"10.16.0.12"}
    assert not_owned_dump(nb, KEY) == others


@SEVERAL_GATEWAYS
def test_several_gateways_one_bad_item_writes_nothing(nb_new, write):
    nb = nb_new
    build(nb)
    before = full_dump(nb)
    items = [{"spec": GATEWAY, "instances": INSTANCES, "subnet_cidrs": {"subnet1": "10.17.0.0/16"}},
             {"spec": gateway_named("gateway9", replicas=11), "instances": INSTANCES}]
    out = write({"connection": nb.connection, "gateways": items})
    assert out["failed"] and out["field"] == "gateways[1].spec.replicas" and out["value"] == 11, out
    assert out["msg"].startswith("gateways[1].spec.replicas: ")
    many_ports = [f"client-{i}.default" for i in range(100)]
    out = write({"connection": nb.connection, "gateways": [dict(items[0], state="maybe", pod_ports=many_ports)]})
    assert out["failed"] and out["field"] == "gateways[0]" and "state must be one of" in out["msg"], out
    assert "characters as text)" in out["msg"] and len(out["msg"]) < 500, out["msg"]   # one line, not the item
    # two gateways that want the same BFD row (same nexthop on the same port)
    items = [{"spec": gateway(bfd={"enabled": True}), "instances": INSTANCES, "subnet_cidrs": {"subnet1": "10.17.0.0/16"}},
             {"spec": gateway_named("gateway9", bfd={"enabled": True}), "instances": INSTANCES,
              "subnet_cidrs": {"subnet1": "10.17.0.0/16"}}]
    out = write({"connection": nb.connection, "gateways": items})
    assert out["failed"] and "wanted by both default/gateway1 and default/gateway9" in out["msg"], out
    assert full_dump(nb) == before


def test_bfd_wait_reports_when_every_session_is_up(nb_new):
    """bfd_wait reads the status OVN gives the sessions (ovn-northd copies it from the SB; here
    the test writes it, as no northd runs) until all are up or the wait is over."""
    nb = nb_new
    build(nb)
    spec = gateway(bfd={"enabled": True, "minRX": 100, "minTX": 100, "multiplier": 3})

    def set_status(ip, status):
        nb.transact({"op": "update", "table": "BFD", "where": [["dst_ip", "==", ip]], "row": {"status": status}})

    assert "bfd_status" not in run_module("ovn_egress_gateway", args(nb, spec, bfd_wait=1), check=True)
    waited = run_module("ovn_egress_gateway", args(nb, spec, bfd_wait=1))
    assert waited["bfd_status"] == {"10.16.0.12": "", "10.16.0.13": ""} and "bfd_up_after" not in waited
    set_status("10.16.0.12", "up")
    set_status("10.16.0.13", "down")
    waited = run_module("ovn_egress_gateway", args(nb, spec, bfd_wait=1))
    assert waited["bfd_status"] == {"10.16.0.12": "up", "10.16.0.13": "down"} and "bfd_up_after" not in waited
    assert not waited["changed"]
    set_status("10.16.0.13", "up")
    waited = run_module("ovn_egress_gateway", args(nb, spec, bfd_wait=30))
    assert waited["bfd_status"] == {"10.16.0.12": "up", "10.16.0.13": "up"} and 0 <= waited["bfd_up_after"] < 30
    assert "bfd_status" not in run_module("ovn_egress_gateway", args(nb, spec))
