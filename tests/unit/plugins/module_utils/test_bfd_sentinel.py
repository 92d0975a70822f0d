# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The BFD sentinel's Deployment (module_utils/_bfd_sentinel.py): the gateway image's bfdd toward
the BFD port, one pod with a fixed address, preferring the port's nodes; bad variables name
themselves."""
from __future__ import annotations

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._bfd_sentinel import build
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import RUNTIMES

SUBNET = {"metadata": {"name": "subnet1"},
          "spec": {"vpc": "vpc1", "cidrBlock": "10.0.1.0/24,fd00:1::/64", "gateway": "10.0.1.1,fd00:1::1"}}
ARGS = dict(vpc="vpc1", namespace="kube-system", subnet="subnet1", subnet_object=SUBNET, ip="10.0.1.250",
            image="egress-gateway:1", peers=["10.0.1.1/24"], nodes=["node2", "node1"], prefix="vpc_bfd_port")


def env_of(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_one_pod_of_bfdd_with_a_fixed_address_preferring_the_ports_nodes():
    out = build(**ARGS)
    deployment = out["deployment"]
    assert deployment["metadata"]["name"] == "bfd-sentinel-vpc1" and deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    template = deployment["spec"]["template"]
    assert template["metadata"]["annotations"] == {"ovn.kubernetes.io/logical_switch": "subnet1",
                                                   "ovn.kubernetes.io/ip_pool": "10.0.1.250"}
    assert template["metadata"]["labels"] == deployment["spec"]["selector"]["matchLabels"] == \
        {"egress-gateway.kubeovn.io/bfd-sentinel": "vpc1", "app.kubernetes.io/managed-by": "kubeovn.egress_gateway"}
    (container,) = template["spec"]["containers"]
    assert container["command"] == list(RUNTIMES["agent"]["bfdd"]) and container["image"] == "egress-gateway:1"
    env = env_of(container)
    # FRR transmit = BFD_MIN_RX: the sentinel sends every 100 ms
    assert (env["BFD_PEER_IPS"], env["BFD_MIN_RX"], env["BFD_MIN_TX"], env["BFD_MULTI"]) == ("10.0.1.1", "100", "1000", "3")
    assert env["GATEWAY_AGENT_NETWORK"] == "false" and "volumeMounts" not in container
    # on one of the port's nodes, the first (highest priority) if it can
    affinity = template["spec"]["affinity"]["nodeAffinity"]
    assert affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] == [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]} for node in ("node2", "node1")]
    assert [(p["weight"], p["preference"]["matchFields"][0]["values"])
            for p in affinity["preferredDuringSchedulingIgnoredDuringExecution"]] == [(100, ["node2"])]
    assert (out["dst_ip"], out["label_selector"]) == \
        ("10.0.1.250", "egress-gateway.kubeovn.io/bfd-sentinel=vpc1,app.kubernetes.io/managed-by=kubeovn.egress_gateway")
    # the OVN row's intervals are the ones bfdd was given: FRR sends at the row's min_rx
    assert out["bfd"] == {"min_rx": 100, "min_tx": 1000, "detect_mult": 3}


def test_dual_stack_sentinel_talks_to_each_family_and_its_row_follows_the_ports_family():
    out = build(**{**ARGS, "ip": "fd00:1::fa,10.0.1.250", "peers": ["10.0.1.1/24", "fd00:1::1/64"]})
    template = out["deployment"]["spec"]["template"]
    assert template["metadata"]["annotations"]["ovn.kubernetes.io/ip_pool"] == "10.0.1.250,fd00:1::fa"
    # one OVN row (the first family the port has), and bfdd toward that family only
    assert env_of(template["spec"]["containers"][0])["BFD_PEER_IPS"] == "10.0.1.1"
    assert out["dst_ip"] == "10.0.1.250"
    v6_port = build(**{**ARGS, "ip": "10.0.1.250,fd00:1::fa", "peers": ["fd00:1::1/64"]})
    assert v6_port["dst_ip"] == "fd00:1::fa"
    assert env_of(v6_port["deployment"]["spec"]["template"]["spec"]["containers"][0])["BFD_PEER_IPS"] == "fd00:1::1"


@pytest.mark.parametrize("change, field, value", [
    ({"ip": "10.0.1.250/24"}, "vpc_bfd_port_sentinel_ip", "10.0.1.250/24"),
    ({"ip": "10.0.1.250,10.0.1.251"}, "vpc_bfd_port_sentinel_ip", "10.0.1.250,10.0.1.251"),
    ({"ip": "fd00:1::fa"}, "vpc_bfd_port_sentinel_ip", "fd00:1::fa"),
    ({"subnet": ""}, "vpc_bfd_port_sentinel_subnet", ""),
    ({"subnet": "Subnet 1"}, "vpc_bfd_port_sentinel_subnet", "Subnet 1"),
    ({"namespace": "kube_system"}, "vpc_bfd_port_sentinel_namespace", "kube_system"),
    ({"image": ""}, "vpc_bfd_port_sentinel_image", ""),
    ({"vpc": "v" * 60}, "vpc_bfd_port_vpc (the sentinel Deployment bfd-sentinel-" + "v" * 60 + ")",
     "bfd-sentinel-" + "v" * 60),
    ({"peers": []}, "bfdPort.ip", ""),
    ({"subnet_object": None}, "vpc_bfd_port_sentinel_subnet", "subnet1"),
    ({"subnet_object": {**SUBNET, "spec": {**SUBNET["spec"], "vpc": "vpc2"}}}, "vpc_bfd_port_sentinel_subnet", "subnet1"),
    ({"ip": "10.0.2.250"}, "vpc_bfd_port_sentinel_ip", "10.0.2.250"),
    ({"ip": "10.0.1.1"}, "vpc_bfd_port_sentinel_ip", "10.0.1.1"),
])
def test_bad_variables_name_themselves(change, field, value):
    with pytest.raises(EgressGatewayError) as failed:
        build(**{**ARGS, **change})
    assert (failed.value.field, failed.value.value) == (field, value), str(failed.value)
    assert field in str(failed.value) and "\n" not in str(failed.value)
