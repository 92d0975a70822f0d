"""ovn_egress_gateway_audit against a real NB ovsdb-server: the rows someone else wrote for a gateway
(Kube-OVN's controller where it runs the gateway) compared with the model's, each deviation in words.

The rows under audit are first written exactly as the model wants them at creation (Kube-OVN v1.14
writes the same rows), then changed with ovsdb-client the way kube-ovn-controller's known bugs
leave them: its start-up GC deletes the port group, subnet CIDRs are not re-read, BFD intervals
are never updated. Nothing here uses the module under test to set up the NB.
"""
from __future__ import annotations

import hashlib

from ansible_collections.kubeovn.egress_gateway.plugins.filter.veg import veg_rows
from support.ansible import run_module
from support.nbworld import build, not_owned_dump, owned_rows
from support.ovsdb import ovs_set

KEY = "default/gateway1"
H = hashlib.sha256(KEY.encode()).hexdigest()[:12]
INSTANCES = [{"name": "gateway1-a", "node": "node1", "internal_ips": ["10.16.0.12"], "external_ips": ["172.17.0.11"]}]


def spec(min_rx=1000):
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": "gateway1", "namespace": "default"},
            "spec": {"externalSubnet": "macvlan1",
                     "bfd": {"enabled": True, "minRX": min_rx, "minTX": min_rx, "multiplier": 3},
                     "selectors": [{"podSelector": {"matchLabels": {"app": "client"}}}],
                     "policies": [{"snat": True, "subnets": ["subnet1"]}, {"snat": False, "ipBlocks": ["10.18.0.0/16"]}]}}


def rows(gateway, cidr="10.17.0.0/16"):
    """The model's rows, as the veg_rows filter gives them to the role."""
    return veg_rows(gateway, INSTANCES, router="ovn-cluster", pod_ports=["client-1.default", "client-2.default"],
                    subnet_cidrs={"subnet1": cidr})


def audit(nb, gateway, cidr="10.17.0.0/16", **extra):
    return run_module("ovn_egress_gateway_audit", {"connection": nb.connection, "spec": gateway,
                                                   "rows": rows(gateway, cidr), "subnet_cidrs": {"subnet1": cidr},
                                                   **extra.pop("args", {})}, **extra)


def test_audit_names_each_deviation_and_repairs_only_when_asked(nb_new):
    build(nb_new)
    written = run_module("ovn_egress_gateway", {"connection": nb_new.connection, "spec": spec(), "instances": INSTANCES,
                                                "pod_ports": ["client-1.default", "client-2.default"],
                                                "subnet_cidrs": {"subnet1": "10.17.0.0/16"}})
    assert written["changed"] and not written["failed"], written
    others = not_owned_dump(nb_new, KEY)
    clean = audit(nb_new, spec())
    assert clean["in_sync"] and clean["deviations"] == [] and not clean["changed"], clean

    # what kube-ovn-controller leaves: GC'd port group, the subnet's old CIDR, old BFD intervals
    nb_new.transact({"op": "delete", "table": "Port_Group", "where": [["name", "==", f"VEG.{H}"]]})
    before = owned_rows(nb_new, KEY)
    result = audit(nb_new, spec(min_rx=300), cidr="10.19.0.0/16")
    assert not result["failed"] and not result["changed"] and not result["in_sync"], result
    problems = {d["row"]: d for d in result["deviations"]}
    assert problems[f"Port_Group VEG.{H}"]["known_issue"] == "kube-ovn#7247"
    assert "gcSecurityGroup" in problems[f"Port_Group VEG.{H}"]["problem"]
    address_set = problems[f"Address_Set VEG.{H}.ipv4"]
    assert address_set["known_issue"] == "kube-ovn#6100"
    assert "lacks 10.19.0.0/16; holds 10.17.0.0/16 that it should not" in address_set["problem"]
    bfd = next(d for d in result["deviations"] if d["table"] == "BFD")
    assert bfd["problem"].endswith("has min_rx 1000, min_tx 1000 where the spec asks min_rx 300, min_tx 300: "
                                   "Kube-OVN v1.14 never updates the intervals of an existing BFD row")
    assert owned_rows(nb_new, KEY) == before          # an audit writes nothing

    checked = audit(nb_new, spec(min_rx=300), cidr="10.19.0.0/16", check=True, diff=True, args={"repair": True})
    assert owned_rows(nb_new, KEY) == before          # nor does check mode with repair
    assert f"Port_Group VEG.{H}" in checked["diff"]["after"] and f"Port_Group VEG.{H}" not in checked["diff"]["before"]

    repaired = audit(nb_new, spec(min_rx=300), cidr="10.19.0.0/16", args={"repair": True})
    assert repaired["changed"] and len(repaired["deviations"]) == len(result["deviations"]), repaired
    now = owned_rows(nb_new, KEY)
    assert now["Port_Group"] == [(f"VEG.{H}", ["client-1.default", "client-2.default"])]
    assert now["BFD"] == [("bfd@ovn-cluster", "10.16.0.12", 300, 300, 3, "4")]
    assert now["Address_Set"] == [(f"VEG.{H}.ipv4", ["10.18.0.0/16", "10.19.0.0/16"], "4")]
    assert not_owned_dump(nb_new, KEY) == others
    assert audit(nb_new, spec(min_rx=300), cidr="10.19.0.0/16")["in_sync"]


def test_audit_of_local_without_bfd_names_kube_ovn_6927(nb_new):
    """v1.14's failed transaction leaves the port group and address set but no policy at all."""
    build(nb_new)
    local = spec()
    local["spec"].update(trafficPolicy="Local", bfd={"enabled": False})
    nb_new.transact({"op": "insert", "table": "Port_Group", "row": {
        "name": f"VEG.{H}", "external_ids": ["map", [["af", "4"], ["vendor", "kube-ovn"], ["vpc-egress-gateway", KEY]]]}})
    nb_new.transact({"op": "insert", "table": "Address_Set", "row": {
        "name": f"VEG.{H}.ipv4", "addresses": ovs_set(["10.17.0.0/16", "10.18.0.0/16"]),
        "external_ids": ["map", [["af", "4"], ["vendor", "kube-ovn"], ["vpc-egress-gateway", KEY]]]}})
    result = audit(nb_new, local)
    local_policies = [d for d in result["deviations"] if d["row"].startswith("Logical_Router_Policy 29150")]
    assert len(local_policies) == 2 and all(d["known_issue"] == "kube-ovn#6927" for d in local_policies), result
    assert "Kube-OVN v1.14 writes an empty BFD session" in local_policies[0]["problem"]


def test_rows_that_are_not_the_filters_output_fail_in_one_line(nb_new):
    build(nb_new)
    result = run_module("ovn_egress_gateway_audit", {"connection": nb_new.connection, "spec": spec(),
                                                     "rows": {"policies": []}})
    assert result["failed"] and result["field"] == "rows"
    assert result["msg"].startswith("rows: must be what the veg_rows filter returns; it lacks router, port_groups")
    assert "\n" not in result["msg"]
