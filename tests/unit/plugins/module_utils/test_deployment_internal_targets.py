# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kube-ovn#6218/#6222: policy sources inside the internal subnet stay in the policies and in
NO_SNAT_SOURCES but get no in-pod route (a route via the internal gateway to an on-link network
fails to configure); the same holds for a BFD port inside it (stock OVN's router-port layout)."""
from __future__ import annotations

import copy
import json

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._discovery import workload_plan

GATEWAY = {
    "apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway", "metadata": {"name": "gw", "namespace": "default"},
    "spec": {"replicas": 1, "externalSubnet": "macvlan1", "internalSubnet": "ovn-default",
             "policies": [{"snat": True, "ipBlocks": ["10.16.0.0/24", "10.17.0.0/16", "fd00:10:16::/120"]},
                          {"snat": False, "ipBlocks": ["10.16.0.0/16", "10.18.0.0/16"]}]},
}
SUBNETS = [
    {"metadata": {"name": "ovn-default"},
     "spec": {"cidrBlock": "10.16.0.0/16,fd00:10:16::/64", "gateway": "10.16.0.1,fd00:10:16::1"}},
    {"metadata": {"name": "macvlan1"},
     "spec": {"cidrBlock": "172.17.0.0/16,fd72::/64", "gateway": "172.17.0.1,fd72::1", "provider": "eth1.default"}},
]


def test_sources_inside_the_internal_subnet_get_no_route_but_stay_in_the_policies():
    gateway = parse_gateway(copy.deepcopy(GATEWAY))
    plan = workload_plan(gateway, None, SUBNETS, "ee:1")
    pod = plan["deployment"]["spec"]["template"]
    routes = json.loads(pod["metadata"]["annotations"]["ovn.kubernetes.io/routes"])
    assert routes == [{"dst": "10.17.0.0/16", "gw": "10.16.0.1"}, {"dst": "10.18.0.0/16", "gw": "10.16.0.1"}]
    env = {e["name"]: e["value"] for e in pod["spec"]["initContainers"][0]["env"]}
    assert env["NO_SNAT_SOURCES_IPV4"] == "10.16.0.0/16,10.18.0.0/16"
    instances = [{"name": "gw-0", "node": "n1", "internal_ips": ["10.16.0.9", "fd00:10:16::9"],
                  "external_ips": ["172.17.0.9", "fd72::9"]}]
    rows = desired_rows(gateway, plan["router"], None, instances, [], plan["subnet_cidrs"])
    addresses = {a["name"]: set(a["addresses"]) for a in rows["address_sets"]}
    assert {"10.16.0.0/24", "10.17.0.0/16", "10.16.0.0/16", "10.18.0.0/16"} <= set().union(*addresses.values())
    assert "fd00:10:16::/120" in set().union(*addresses.values())


def _bfd_routes(bfd_ip):
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["bfd"] = {"enabled": True}
    gateway["spec"]["policies"] = [{"snat": True, "ipBlocks": ["10.18.0.0/16"]}]
    vpc = {"spec": {"bfdPort": {"enabled": True, "ip": bfd_ip}}}
    plan = workload_plan(parse_gateway(gateway), vpc, SUBNETS, "ee:1")
    pod = plan["deployment"]["spec"]["template"]
    env = {e["name"]: e.get("value") for c in pod["spec"]["initContainers"] + pod["spec"]["containers"]
           for e in c.get("env", [])}
    return json.loads(pod["metadata"]["annotations"]["ovn.kubernetes.io/routes"]), env["BFD_PEER_IPS"]


def test_a_dedicated_bfd_port_is_reached_through_the_internal_gateway():
    routes, peers = _bfd_routes("10.255.255.255")
    assert routes == [{"dst": "10.255.255.255/32", "gw": "10.16.0.1"}, {"dst": "10.18.0.0/16", "gw": "10.16.0.1"}]
    assert peers == "10.255.255.255"


def test_a_bfd_port_on_the_internal_subnet_is_on_link():
    # the real kubelet run found it: "10.16.0.1/32 via 10.16.0.1" made the agent refuse the gateway
    routes, peers = _bfd_routes("10.16.0.1")
    assert routes == [{"dst": "10.18.0.0/16", "gw": "10.16.0.1"}]
    assert peers == "10.16.0.1"
