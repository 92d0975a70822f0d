"""End to end in Kubernetes mode on a real node: playbooks/deploy.yml builds the seed document's
gateway1, the real kube-scheduler places its pods, the real kubelets start them from the gateway
image (``make image``), the init container runs the agent with Kube-OVN's environment, and real
client pods' TCP flows show where their traffic leaves (support/fixtures_node.py: the OVN data
plane, three nodes of containerd + kubelet, the CNI stand-in for Kube-OVN's CNI and Multus).

The checks are those of Kube-OVN's own e2e suite (test/e2e/vpc-egress-gateway/e2e_test.go at
v1.14.0): status ready and phase Completed, as many internal and external IPs as replicas, the
workload's name and nodes, a SNAT client seen with a gateway's external IP, a forward client seen
with its own IP; and here also: the flows spread over both instances and an unselected pod leaves
by the ordinary route (the node's 172.17.0.254).
"""
from __future__ import annotations

import pytest
import yaml

from support.dataplane import CLIENT_SWITCH, INTERNAL_SWITCH, NODE_EXTERNAL_IP
from support.fixtures_node import FORWARD_SWITCH, NAD

pytestmark = [pytest.mark.kube, pytest.mark.dataplane, pytest.mark.slow]

REPLICAS = 2


def gateway1() -> dict:
    """The seed document's gateway1, on this harness's nodes (label egress=true instead of the
    kind cluster's hostnames) and with two replicas for ECMP."""
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": "gateway1", "namespace": "default"},
            "spec": {"replicas": REPLICAS, "externalSubnet": NAD,
                     "nodeSelector": [{"matchLabels": {"egress": "true"}}],
                     "selectors": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "default"}}}],
                     "policies": [{"snat": True, "subnets": [CLIENT_SWITCH]},
                                  {"snat": False, "ipBlocks": ["10.18.0.0/16"]}]}}


@pytest.fixture(scope="module")
def deployed(kube_node_world):
    world = kube_node_world
    run = world.playbook("deploy", check=False, egress_gateway_manifest=yaml.safe_dump(gateway1()),
                         **world.external_network_vars())
    assert run.returncode == 0, run.stdout[-6000:]
    return world


def test_status_and_workload_as_kube_ovn_e2e_checks(deployed):
    world = deployed
    status = world.veg("gateway1")["status"]
    assert status["ready"] is True and status["phase"] == "Completed", status
    assert len(status["internalIPs"]) == REPLICAS and len(status["externalIPs"]) == REPLICAS, status
    pods = world.gateway_pods("gateway1")
    assert len(pods) == REPLICAS and all(p.status.phase == "Running" for p in pods)
    assert status["workload"]["name"] == "gateway1"
    assert sorted(status["workload"]["nodes"]) == sorted(p.spec.node_name for p in pods)
    # each pod ran the agent in its init container and its bfdd container passed its probes
    for pod in pods:
        assert all(c.state.terminated and c.state.terminated.exit_code == 0 for c in pod.status.init_container_statuses)
        assert all(c.ready for c in pod.status.container_statuses), pod.status.container_statuses


def test_traffic_leaves_where_the_policies_say(deployed):
    world = deployed
    external = set(world.veg("gateway1")["status"]["externalIPs"])
    clients = {
        "snat": world.client_pod("snat-client", "other", CLIENT_SWITCH),          # subnet1: SNAT policy
        "selected": world.client_pod("ns-client", "default", INTERNAL_SWITCH),   # default namespace: selectors
        "forward": world.client_pod("fwd-client", "other", FORWARD_SWITCH),      # 10.18.0.0/16: no SNAT
        "other": world.client_pod("plain-client", "other", INTERNAL_SWITCH),     # nothing selects it
    }
    running = {k: world.running(v) for k, v in clients.items()}
    seen = {k: world.dp.tcp_sources(v["netns"], 32) for k, v in running.items()}
    assert set(seen["snat"]) == external, seen          # SNAT'd, spread by ECMP over both instances
    assert set(seen["selected"]) == external, seen
    assert set(seen["forward"]) == {running["forward"]["ip"]}, seen
    assert set(seen["other"]) == {NODE_EXTERNAL_IP}, seen
