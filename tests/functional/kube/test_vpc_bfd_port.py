"""Role vpc_bfd_port: nodes from the real kube-apiserver (Node objects made through the API, no
kubelet), the BFD port and HA chassis group in a real NB ovsdb-server, both port layouts."""
from __future__ import annotations

import json
import re

import pytest

from kube_helpers import recap, run_collection_playbook, run_role
from support import nbworld
from support import kube
from support.ovsdb import py_map, py_set

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb]


def group(nb, name):
    """(chassis -> priority, external_ids) of the HA_Chassis_Group ``name``, or None."""
    groups = [g for g in nb.select("HA_Chassis_Group") if g["name"] == name]
    if not groups:
        return None
    chassis = {c["_uuid"][1]: c for c in nb.select("HA_Chassis")}
    members = {chassis[u]["chassis_name"]: chassis[u]["priority"] for u in py_set(groups[0]["ha_chassis"])}
    return members, py_map(groups[0]["external_ids"])


def port(nb, name):
    ports = [p for p in nb.select("Logical_Router_Port") if p["name"] == name]
    return ports[0] if ports else None


def test_dedicated_port_with_selector(kube_cluster, kube_nodes, nb_new):
    nbworld.build(nb_new, bfd_port=False)
    args = {"vpc_bfd_port_nb_connection": nb_new.connection, "vpc_bfd_port_ip": "10.255.255.255",
            "vpc_bfd_port_node_selector": {"matchLabels": {"egress": "true"}}}
    assert recap(run_role(kube_cluster, "vpc_bfd_port", **args))["changed"] == 1
    lrp = port(nb_new, "bfd@ovn-cluster")
    assert py_set(lrp["networks"]) == ["10.255.255.255/32"]
    assert py_map(lrp["options"]) == {"bfd-only": "true"}
    members, ids = group(nb_new, "bfd@ovn-cluster")
    assert members == {kube_nodes[0]: 100, kube_nodes[1]: 99}  # node3 is egress=false
    assert ids["lrp"] == "bfd@ovn-cluster"
    assert recap(run_role(kube_cluster, "vpc_bfd_port", **args))["changed"] == 0
    run_role(kube_cluster, "vpc_bfd_port", **args, vpc_bfd_port_state="absent")
    assert port(nb_new, "bfd@ovn-cluster") is None and group(nb_new, "bfd@ovn-cluster") is None


def test_router_port_first_three_nodes(kube_cluster, kube_nodes, nb_new):
    nbworld.build(nb_new)
    # a 4th node, last by name: left out (Kube-OVN takes the first 3 when there is no selector)
    kube.add_node(kube_cluster, f"{kube_nodes[2]}z", {})
    try:
        args = {"vpc_bfd_port_nb_connection": nb_new.connection, "vpc_bfd_port_layout": "router_port",
                "vpc_bfd_port_name": "ovn-cluster-ovn-default"}
        before = port(nb_new, "ovn-cluster-ovn-default")
        run_role(kube_cluster, "vpc_bfd_port", **args)
        members, _ = group(nb_new, "ovn-cluster-ovn-default")
        assert members == {kube_nodes[0]: 100, kube_nodes[1]: 99, kube_nodes[2]: 98}
        after = port(nb_new, "ovn-cluster-ovn-default")
        assert py_set(after["networks"]) == py_set(before["networks"]) and after["mac"] == before["mac"]
        assert recap(run_role(kube_cluster, "vpc_bfd_port", **args))["changed"] == 0
        run_role(kube_cluster, "vpc_bfd_port", **args, vpc_bfd_port_state="absent")
        assert group(nb_new, "ovn-cluster-ovn-default") is None
        assert port(nb_new, "ovn-cluster-ovn-default") is not None  # the router's port stays
    finally:
        from kubernetes import client
        client.CoreV1Api(kube_cluster.api_client()).delete_node(f"{kube_nodes[2]}z")


@pytest.mark.parametrize("args, line", [
    ({"vpc_bfd_port_ip": "10.255.255.255", "vpc_bfd_port_node_selector": {"matchLabels": {"egress": "nowhere"}}},
     "vpc_bfd_port_node_selector: no node matches the BFD port's node selector (got {'matchLabels': {'egress': 'nowhere'}})"),
    ({"vpc_bfd_port_ip": "10.255.255.300"}, "vpc_bfd_port_ip: is not an IPv4 or IPv6 address (got '10.255.255.300')"),
    ({"vpc_bfd_port_ip": "10.255.255.255", "vpc_bfd_port_node_selector": {"matchExpressions": [
        {"key": "egress", "operator": "Gt", "values": ["x"]}]}}, "vpc_bfd_port_node_selector.matchExpressions[0]"),
], ids=["no-matching-node", "bad-ip", "bad-selector"])
def test_bad_input_is_one_line_and_changes_nothing(kube_cluster, kube_nodes, nb_new, args, line):
    nbworld.build(nb_new, bfd_port=False)
    before = nbworld.full_dump(nb_new)
    bad = run_role(kube_cluster, "vpc_bfd_port", check=False, vpc_bfd_port_nb_connection=nb_new.connection, **args)
    fatal = [text for text in bad.stdout.splitlines() if text.startswith("fatal: ")]
    assert bad.returncode != 0 and len(fatal) == 1, bad.stdout
    message = json.loads(fatal[0].split(" => ", 1)[1])["msg"]
    assert message.startswith(line) and "\n" not in message and "Finalization" not in message, message
    assert nbworld.full_dump(nb_new) == before


SENTINEL = {"vpc_bfd_port_ip": "10.255.255.255", "vpc_bfd_port_sentinel_ip": "10.16.255.254",
            "vpc_bfd_port_sentinel_subnet": "ovn-default", "vpc_bfd_port_sentinel_image": "localhost/egress:1"}


def sentinel_deployments(kube_cluster) -> list:
    from kubernetes import client
    return client.AppsV1Api(kube_cluster.api_client()).list_namespaced_deployment(
        "kube-system", field_selector="metadata.name=bfd-sentinel-ovn-cluster").items


@pytest.mark.parametrize("args, line", [
    ({"vpc_bfd_port_layout": "router_port"},
     "name (the router port that reaches the gateways) is required for layout=router_port"),
    ({"vpc_bfd_port_sentinel_subnet": "nope"}, "vpc_bfd_port_sentinel_subnet: Subnet 'nope' not found (got 'nope')"),
    ({"vpc_bfd_port_sentinel_ip": "10.17.255.254"},
     "vpc_bfd_port_sentinel_ip: 10.17.255.254 is not in Subnet 'ovn-default' (cidrBlock '10.16.0.0/16')"),
    ({"vpc_bfd_port_sentinel_ip": "10.16.255.300"},
     "vpc_bfd_port_sentinel_ip: is not an IPv4 or IPv6 address (got '10.16.255.300')"),
    ({"vpc_bfd_port_sentinel_subnet": ""}, "vpc_bfd_port_sentinel_subnet: must not be empty (got '')"),
    ({"vpc_bfd_port_sentinel_image": ""}, "vpc_bfd_port_sentinel_image: the sentinel runs the gateway image's bfdd"),
    ({"vpc_bfd_port_sentinel_namespace": "Kube-System"}, "vpc_bfd_port_sentinel_namespace: must be a DNS-1123 label"),
], ids=["router-port-without-name", "subnet-missing", "ip-outside-subnet", "bad-ip", "no-subnet", "no-image",
        "bad-namespace"])
def test_bad_sentinel_input_is_one_line_and_changes_nothing(kube_cluster, kube_nodes, kube_ovn_objects, nb_new, args,
                                                            line):
    nbworld.build(nb_new, bfd_port=False)
    before = nbworld.full_dump(nb_new)
    bad = run_role(kube_cluster, "vpc_bfd_port", check=False, vpc_bfd_port_nb_connection=nb_new.connection,
                   **dict(SENTINEL, **args))
    fatal = [text for text in bad.stdout.splitlines() if text.startswith("fatal: ")]
    assert bad.returncode != 0 and len(fatal) == 1, bad.stdout
    message = json.loads(fatal[0].split(" => ", 1)[1])["msg"]
    assert message.startswith(line) and "\n" not in message and "Finalization" not in message, message
    assert nbworld.full_dump(nb_new) == before and sentinel_deployments(kube_cluster) == []


def test_a_bfd_row_of_another_owner_at_the_sentinels_address_fails_before_any_write(
        kube_cluster, kube_nodes, kube_ovn_objects, nb_new):
    nbworld.build(nb_new, bfd_port=False)
    nb_new.insert("BFD", {"logical_port": "bfd@ovn-cluster", "dst_ip": "10.16.255.254",
                          "external_ids": ["map", [["vendor", "someone-else"]]]})
    before = nbworld.full_dump(nb_new)
    bad = run_role(kube_cluster, "vpc_bfd_port", check=False, vpc_bfd_port_nb_connection=nb_new.connection, **SENTINEL)
    fatal = [text for text in bad.stdout.splitlines() if text.startswith("fatal: ")]
    assert bad.returncode != 0 and len(fatal) == 1, bad.stdout
    assert "BFD bfd@ovn-cluster 10.16.255.254 exists and is not this port's BFD sentinel's" in fatal[0], fatal[0]
    # neither the port nor the Deployment was written
    assert nbworld.full_dump(nb_new) == before and sentinel_deployments(kube_cluster) == []


def test_a_sentinel_pod_that_never_runs_fails_with_its_reason_and_gets_no_row(kube_cluster, kube_nodes,
                                                                              kube_ovn_objects, nb_new):
    nbworld.build(nb_new, bfd_port=False)
    args = dict(SENTINEL, vpc_bfd_port_nb_connection=nb_new.connection)
    try:
        bad = run_role(kube_cluster, "vpc_bfd_port", check=False, vpc_bfd_port_sentinel_wait_timeout=3, **args)
        fatal = [text for text in bad.stdout.splitlines() if text.startswith("fatal: ")]
        assert bad.returncode != 0 and len(fatal) == 1, bad.stdout
        message = json.loads(fatal[0].split(" => ", 1)[1])["msg"]
        assert message.startswith("BFD sentinel kube-system/bfd-sentinel-ovn-cluster: 0/1 ready after 3s"), message
        assert not [r for r in nb_new.select("BFD") if py_map(r["external_ids"]).get("bfd-sentinel")]
    finally:
        run_role(kube_cluster, "vpc_bfd_port", vpc_bfd_port_state="absent", **args)
    assert sentinel_deployments(kube_cluster) == []


def test_a_deployment_of_the_sentinels_name_that_is_not_ours_is_left_alone(
        kube_cluster, kube_nodes, kube_ovn_objects, nb_new):
    from kubernetes import client
    apps = client.AppsV1Api(kube_cluster.api_client())
    labels = {"app": "someone-else"}
    apps.create_namespaced_deployment("kube-system", {
        "metadata": {"name": "bfd-sentinel-ovn-cluster", "labels": labels},
        "spec": {"replicas": 0, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "none"}]}}}})
    try:
        nbworld.build(nb_new, bfd_port=False)
        before = nbworld.full_dump(nb_new)
        bad = run_role(kube_cluster, "vpc_bfd_port", check=False, vpc_bfd_port_nb_connection=nb_new.connection,
                       **SENTINEL)
        assert bad.returncode != 0 and "is not the BFD sentinel of VPC ovn-cluster" in bad.stdout, bad.stdout
        assert nbworld.full_dump(nb_new) == before
        # removing the port removes only what carries the sentinel's label
        run_role(kube_cluster, "vpc_bfd_port", vpc_bfd_port_nb_connection=nb_new.connection,
                 vpc_bfd_port_state="absent", **SENTINEL)
        (kept,) = sentinel_deployments(kube_cluster)
        assert kept.metadata.labels == labels and kept.spec.template.spec.containers[0].image == "none"
    finally:
        apps.delete_namespaced_deployment("bfd-sentinel-ovn-cluster", "kube-system")


def test_check_mode_shows_the_sentinel_and_writes_nothing(kube_cluster, kube_nodes, kube_ovn_objects, nb_new):
    nbworld.build(nb_new, bfd_port=False)
    before = nbworld.full_dump(nb_new)
    shown = run_collection_playbook(kube_cluster, "bfd_port", "--check", "--diff",
                                    vpc_bfd_port_nb_connection=nb_new.connection, **SENTINEL)
    out = shown.stdout
    assert re.search(r"Write the BFD sentinel's Deployment\] \**\nchanged: ", out), out
    assert "BFD bfd@ovn-cluster 10.16.255.254" in out and "Logical_Router_Policy 1 0" in out, out
    assert nbworld.full_dump(nb_new) == before and sentinel_deployments(kube_cluster) == []
