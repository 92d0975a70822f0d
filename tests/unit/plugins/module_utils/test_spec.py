# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VpcEgressGateway model: parsing, defaults, names and the rows Kube-OVN v1.14 keeps."""
from __future__ import annotations

import copy
import hashlib

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows, node_port_group
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import Bfd

GATEWAY1_YAML = """
apiVersion: kubeovn.io/v1
kind: VpcEgressGateway
metadata:
  name: gateway1
  namespace: default
spec:
  replicas: 1
  externalSubnet: macvlan1
  nodeSelector:
    - matchExpressions:
        - key: kubernetes.io/hostname
          operator: In
          values:
            - kube-ovn-worker
            - kube-ovn-worker2
  selectors:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: default
  policies:
    - snat: true
      subnets:
        - subnet1
    - snat: false
      ipBlocks:
        - 10.18.0.0/16
"""

GATEWAY2 = {
    "apiVersion": "kubeovn.io/v1",
    "kind": "VpcEgressGateway",
    "metadata": {"name": "gateway2", "namespace": "default"},
    "spec": {
        "vpc": "ovn-cluster", "replicas": 2, "internalSubnet": "ovn-default", "externalSubnet": "macvlan1",
        "bfd": {"enabled": True, "minRX": 100, "minTX": 100, "multiplier": 5},
        "policies": [{"snat": True, "ipBlocks": ["10.18.0.0/16"]}],
    },
}
IDS1 = {"vendor": "kube-ovn", "vpc-egress-gateway": "default/gateway1", "af": "4"}


def instance(name, node, *ips):
    return {"name": name, "node": node, "internal_ips": list(ips), "external_ips": []}


def policies(rows):
    return [(p["priority"], p["match"], p["action"], p["nexthops"], p["bfd_sessions"]) for p in rows["policies"]]


def test_names_are_computed_like_kube_ovn():
    gateway = parse_gateway(GATEWAY1_YAML)
    assert gateway.hash == hashlib.sha256(b"default/gateway1").hexdigest()[:12] == "8ca38ae7da18"
    assert gateway.port_group == "VEG.8ca38ae7da18"
    assert gateway.address_set(4) == "VEG.8ca38ae7da18.ipv4"
    assert gateway.address_set(6) == "VEG.8ca38ae7da18.ipv6"
    assert parse_gateway(GATEWAY2).hash == "9b33407d429d"
    assert gateway.labels == {"app": "vpc-egress-gateway", "ovn.kubernetes.io/vpc-egress-gateway": "gateway1"}
    assert gateway.vpc_name == "ovn-cluster" and gateway.default_bfd_port == "bfd@ovn-cluster"


def test_defaults_of_the_crd():
    gateway = parse_gateway({"externalSubnet": "ext1", "policies": [{"ipBlocks": ["10.0.0.0/8"]}]}, name="gw")
    assert gateway.namespace == "default"
    assert gateway.replicas == 1
    assert gateway.bfd == Bfd(enabled=False, min_rx=1000, min_tx=1000, multiplier=3)
    assert gateway.traffic_policy == "Cluster"
    assert gateway.policies[0].snat is False
    assert gateway.vpc == "" and gateway.vpc_name == "ovn-cluster"
    assert gateway.deployment_name == "gw"


def test_bare_spec_and_full_object_agree():
    full = parse_gateway(GATEWAY1_YAML)
    import yaml
    bare = parse_gateway(yaml.safe_load(GATEWAY1_YAML)["spec"], namespace="default", name="gateway1")
    assert full == bare


def test_manifest_round_trips():
    gateway = parse_gateway(GATEWAY2)
    manifest = gateway.to_manifest()
    assert manifest["spec"]["bfd"] == {"enabled": True, "minRX": 100, "minTX": 100, "multiplier": 5}
    assert manifest["spec"]["trafficPolicy"] == "Cluster"
    assert parse_gateway(manifest) == gateway


def test_addresses_are_normalised():
    gateway = parse_gateway({"externalSubnet": "e", "replicas": 1, "internalIPs": ["FD00::0A,10.0.0.1"],
                             "policies": [{"ipBlocks": ["FD00:0:0::/64", "192.168.0.1"]}]}, name="g")
    assert gateway.internal_ips == ("10.0.0.1,fd00::a",)
    assert gateway.policies[0].ip_blocks == ("fd00::/64", "192.168.0.1")


def test_replicas_zero_and_empty_ip_lists_are_valid():
    gateway = parse_gateway({"externalSubnet": "e", "replicas": 0, "selectors": [
        {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}}]}, name="g")
    assert gateway.replicas == 0


def test_doc_gateway1_one_replica():
    gateway = parse_gateway(GATEWAY1_YAML)
    rows = desired_rows(gateway, "ovn-cluster", None, [instance("gw1-a", "kube-ovn-worker", "10.16.0.12")],
                        ["pod1.default"], {"subnet1": "10.17.0.0/16"})
    assert policies(rows) == [
        (29100, "ip4.src == $VEG.8ca38ae7da18.ipv4", "reroute", ["10.16.0.12"], []),
        (29100, "ip4.src == $VEG.8ca38ae7da18_ip4", "reroute", ["10.16.0.12"], []),
    ]
    assert rows["port_groups"] == [{"name": "VEG.8ca38ae7da18", "ports": ["pod1.default"], "external_ids": IDS1}]
    assert rows["address_sets"] == [{"name": "VEG.8ca38ae7da18.ipv4", "addresses": ["10.17.0.0/16", "10.18.0.0/16"],
                                     "external_ids": IDS1}]
    assert rows["bfd"] == []
    assert all(p["external_ids"] == IDS1 for p in rows["policies"])


def test_doc_gateway1_two_replicas_is_ecmp():
    rows = desired_rows(parse_gateway(GATEWAY1_YAML), "ovn-cluster", None,
                        [instance("b", "kube-ovn-worker2", "10.16.0.13"), instance("a", "kube-ovn-worker", "10.16.0.12")],
                        [], {"subnet1": "10.17.0.0/16"})
    assert {tuple(p["nexthops"]) for p in rows["policies"]} == {("10.16.0.12", "10.16.0.13")}


def test_doc_gateway2_bfd():
    gateway = parse_gateway(GATEWAY2)
    rows = desired_rows(gateway, "ovn-cluster", "bfd@ovn-cluster",
                        [instance("a", "kube-ovn-worker", "10.16.0.102"), instance("b", "kube-ovn-worker2", "10.16.0.103")],
                        [], {})
    h = "9b33407d429d"
    sessions = [("bfd@ovn-cluster", "10.16.0.102"), ("bfd@ovn-cluster", "10.16.0.103")]
    assert policies(rows) == [
        (29100, f"ip4.src == $VEG.{h}.ipv4", "reroute", ["10.16.0.102", "10.16.0.103"], sessions),
        (29100, f"ip4.src == $VEG.{h}_ip4", "reroute", ["10.16.0.102", "10.16.0.103"], sessions),
        (29090, f"ip4.src == $VEG.{h}.ipv4", "drop", [], []),
        (29090, f"ip4.src == $VEG.{h}_ip4", "drop", [], []),
    ]
    ids = {"vendor": "kube-ovn", "vpc-egress-gateway": "default/gateway2", "af": "4"}
    assert rows["bfd"] == [
        {"logical_port": "bfd@ovn-cluster", "dst_ip": ip, "min_rx": 100, "min_tx": 100, "detect_mult": 5,
         "external_ids": ids} for ip in ("10.16.0.102", "10.16.0.103")
    ]


def test_selector_less_gateway_still_gets_port_group_and_address_set():
    """Kube-OVN #7247: policies reference $VEG.<h>_ip4, so the (empty) port group must exist."""
    gateway = parse_gateway({"externalSubnet": "e", "policies": [{"subnets": ["subnet1"]}]}, name="g")
    rows = desired_rows(gateway, "lr", None, [instance("a", "n1", "10.16.0.2")], [], {"subnet1": "10.17.0.0/16"})
    assert [pg["name"] for pg in rows["port_groups"]] == [gateway.port_group]
    assert rows["port_groups"][0]["ports"] == []
    referenced = {m.split("$")[1] for p in rows["policies"] for m in p["match"].split(" && ")}
    assert referenced == {f"{gateway.port_group}_ip4", gateway.address_set(4)}


def test_selector_only_gateway_gets_an_empty_address_set():
    gateway = parse_gateway({"externalSubnet": "e", "selectors": [
        {"podSelector": {"matchLabels": {"app": "web"}}}]}, name="g")
    rows = desired_rows(gateway, "lr", None, [instance("a", "n1", "10.16.0.2")], ["web-1.default"], {})
    assert rows["address_sets"] == [{"name": gateway.address_set(4), "addresses": [],
                                     "external_ids": gateway.external_ids(4)}]


def test_local_without_bfd_writes_no_empty_session():
    """Kube-OVN #6927: v1.14.0 writes bfd_sessions [""] for Local without BFD."""
    spec = {"externalSubnet": "e", "trafficPolicy": "Local", "policies": [{"ipBlocks": ["10.18.0.0/16"]}]}
    gateway = parse_gateway(spec, name="g")
    rows = desired_rows(gateway, "lr", None, [instance("a", "kube-ovn-worker", "10.16.0.2"),
                                              instance("b", "kube-ovn-worker2", "10.16.0.3")], [], {})
    local = [p for p in rows["policies"] if p["priority"] == 29150]
    assert len(local) == 4
    assert all(p["bfd_sessions"] == [] for p in rows["policies"])
    h = gateway.port_group
    assert (f"ip4.src == $node.kube.ovn.worker_ip4 && ip4.src == ${h}_ip4", ["10.16.0.2"]) in \
        [(p["match"], p["nexthops"]) for p in local]
    assert (f"ip4.src == $node.kube.ovn.worker2_ip4 && ip4.src == ${gateway.address_set(4)}", ["10.16.0.3"]) in \
        [(p["match"], p["nexthops"]) for p in local]


def test_local_with_bfd_pins_each_node_to_its_own_session():
    spec = {"externalSubnet": "e", "trafficPolicy": "Local", "bfd": {"enabled": True},
            "policies": [{"ipBlocks": ["10.18.0.0/16"]}]}
    rows = desired_rows(parse_gateway(spec, name="g"), "lr", "lrp-int", [instance("a", "w1", "10.16.0.2"),
                                                                         instance("b", "w2", "10.16.0.3")],
                        [], {}, {"w2": "custom_pg"})
    local = {p["match"].split(" && ")[0]: p for p in rows["policies"] if p["priority"] == 29150}
    assert local["ip4.src == $node.w1_ip4"]["bfd_sessions"] == [("lrp-int", "10.16.0.2")]
    assert local["ip4.src == $custom_pg_ip4"]["bfd_sessions"] == [("lrp-int", "10.16.0.3")]
    assert [b["min_rx"] for b in rows["bfd"]] == [1000, 1000]


def test_cluster_policy_has_no_local_rows():
    rows = desired_rows(parse_gateway(GATEWAY2), "lr", "bfd@ovn-cluster", [instance("a", "w1", "10.16.0.2")], [], {})
    assert not [p for p in rows["policies"] if p["priority"] == 29150]


def test_dual_stack():
    spec = {"externalSubnet": "e", "bfd": {"enabled": True}, "trafficPolicy": "Local",
            "internalIPs": ["10.16.0.2,fd00::2"],
            "policies": [{"ipBlocks": ["10.18.0.0/16", "fd18::/64"], "subnets": ["dual"]}]}
    gateway = parse_gateway(spec, name="g", namespace="ns1")
    rows = desired_rows(gateway, "lr", "bfd@ovn-cluster", [instance("a", "w1", "10.16.0.2", "fd00::2")], [],
                        {"dual": "10.17.0.0/16,fd17::/64"})
    assert [(a["name"], a["addresses"], a["external_ids"]["af"]) for a in rows["address_sets"]] == [
        (gateway.address_set(4), ["10.17.0.0/16", "10.18.0.0/16"], "4"),
        (gateway.address_set(6), ["fd17::/64", "fd18::/64"], "6"),
    ]
    assert [(b["dst_ip"], b["external_ids"]["af"]) for b in rows["bfd"]] == [("10.16.0.2", "4"), ("fd00::2", "6")]
    v6 = [p for p in rows["policies"] if p["external_ids"]["af"] == "6"]
    assert {p["priority"] for p in v6} == {29150, 29100, 29090}
    assert all(p["match"].startswith("ip6.src == $") for p in v6)
    assert all(p["nexthops"] in ([], ["fd00::2"]) for p in v6)
    assert rows["port_groups"][0]["external_ids"]["af"] == "4"


def test_ipv6_only_gateway():
    spec = {"externalSubnet": "e", "policies": [{"ipBlocks": ["fd18::/64"]}]}
    gateway = parse_gateway(spec, name="g")
    rows = desired_rows(gateway, "lr", None, [instance("a", "w1", "fd00::2")], [], {})
    assert [a["name"] for a in rows["address_sets"]] == [gateway.address_set(6)]
    assert rows["port_groups"][0]["external_ids"]["af"] == "6"
    assert {p["match"] for p in rows["policies"]} == {
        f"ip6.src == ${gateway.port_group}_ip6", f"ip6.src == ${gateway.address_set(6)}"}


def test_only_families_with_nexthops_get_rows():
    spec = {"externalSubnet": "e", "policies": [{"ipBlocks": ["10.18.0.0/16", "fd18::/64"]}]}
    rows = desired_rows(parse_gateway(spec, name="g"), "lr", None, [instance("a", "w1", "10.16.0.2")], [], {})
    assert {p["external_ids"]["af"] for p in rows["policies"]} == {"4"}
    assert len(rows["address_sets"]) == 1


def test_no_instances_means_no_rows():
    rows = desired_rows(parse_gateway(GATEWAY2), "lr", "bfd@ovn-cluster", [], ["p.default"], {})
    assert rows == {"router": "lr", "port_groups": [], "address_sets": [], "bfd": [], "policies": []}


def test_changed_bfd_intervals_are_in_the_wanted_rows():
    changed = copy.deepcopy(GATEWAY2)
    changed["spec"]["bfd"].update(minRX=300, minTX=200, multiplier=4)
    rows = desired_rows(parse_gateway(changed), "lr", "bfd@ovn-cluster", [instance("a", "w1", "10.16.0.2")], [], {})
    assert [(b["min_rx"], b["min_tx"], b["detect_mult"]) for b in rows["bfd"]] == [(300, 200, 4)]


def test_node_port_group_name():
    assert node_port_group("kube-ovn-worker") == "node.kube.ovn.worker"


def test_pod_ports_are_deduplicated_and_sorted():
    rows = desired_rows(parse_gateway(GATEWAY2), "lr", "b", [instance("a", "w1", "10.16.0.2")],
                        ["b.ns", "a.ns", "b.ns"], {})
    assert rows["port_groups"][0]["ports"] == ["a.ns", "b.ns"]


@pytest.mark.parametrize("name", ["a", "gw-1", "g.w", "a" * 63])
def test_valid_names(name):
    assert parse_gateway({"externalSubnet": "e", "policies": [{"subnets": ["s"]}]}, name=name).name == name
