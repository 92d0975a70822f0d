"""End to end in Kubernetes mode on a real node: playbooks/deploy.yml builds the seed document's
gateway1, the real kube-scheduler places its pods, the real kubelets start them from the gateway
image (``make image``), the init container runs the agent with Kube-OVN's environment and the
bfdd container passes its probes (support/fixtures_node.py: the OVN data plane, three nodes of
containerd + kubelet, the CNI stand-in for Kube-OVN's CNI and Multus).

The status checks are those of Kube-OVN's own e2e suite (test/e2e/vpc-egress-gateway/e2e_test.go
at v1.14.0): status ready and phase Completed, as many internal and external IPs as replicas, the
workload's name and nodes. Client pods' traffic through these gateways is not covered yet.
"""
from __future__ import annotations

import pytest
import yaml

from support.dataplane import CLIENT_SWITCH
from support.fixtures_node import NAD

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
