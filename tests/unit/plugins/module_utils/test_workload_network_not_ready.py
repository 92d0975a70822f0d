# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WorkloadNetworkNotReady (Kube-OVN v1.15.13 / v1.16.2): a ready Deployment whose pods lack
their Multus network status or their external attachment IPs is not a ready gateway."""
from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway_status import (
    gateway_status, pod_instances, workload_network_problems,
)

GATEWAY = {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway", "metadata": {"name": "gw", "namespace": "ns1"},
           "spec": {"replicas": 2, "externalSubnet": "macvlan1", "policies": [{"snat": True, "ipBlocks": ["10.17.0.0/16"]}]}}
READY_DEPLOYMENT = {"metadata": {"generation": 1}, "spec": {"replicas": 2},
                    "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}}


def pod(name, external=("172.17.0.11",), status=True, ready=True, ips=("10.16.0.12",)):
    annotations = {}
    if status is not None:
        entries = [{"name": "kube-ovn", "ips": list(ips), "default": True}]
        if status:
            entries.append({"name": "default/eth1", "interface": "net1", "ips": list(external)})
        annotations["k8s.v1.cni.cncf.io/network-status"] = json.dumps(entries)
    return {"metadata": {"name": name, "namespace": "ns1", "annotations": annotations}, "spec": {"nodeName": "n1"},
            "status": {"podIPs": [{"ip": ip} for ip in ips],
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def status_for(pods):
    gateway = parse_gateway(copy.deepcopy(GATEWAY))
    problems = workload_network_problems(pods, "eth1.default", gateway.replicas)
    return gateway_status(gateway, pod_instances(pods, "eth1.default"), READY_DEPLOYMENT, problems)


def test_every_pod_usable_is_ready():
    status = status_for([pod("a"), pod("b", external=("172.17.0.12",))])
    assert status["ready"] is True and status["conditions"][0]["reason"] == "ReconcileSuccess"


@pytest.mark.parametrize("broken, message", [
    (pod("b", status=None), "failed to get network status for pod ns1/b"),
    (pod("b", status=False), "pod ns1/b has no network status for network default/eth1"),
    (pod("b", external=()), "pod ns1/b has no IP for network default/eth1"),
    (pod("b", ready=False), "pod ns1/b is not ready"),
    (pod("b", ips=()), "pod ns1/b has no pod IP"),
])
def test_a_pod_without_its_network_makes_the_gateway_not_ready(broken, message):
    status = status_for([pod("a"), broken])
    condition = status["conditions"][0]
    assert status["ready"] is False and status["phase"] == "Processing"
    assert condition["status"] == "False" and condition["reason"] == "WorkloadNetworkNotReady"
    assert message in condition["message"]
    assert "expected 2 ready workload pods with network default/eth1, got 1" in condition["message"]


def test_deployment_not_ready_stays_processing():
    gateway = parse_gateway(copy.deepcopy(GATEWAY))
    problems = workload_network_problems([pod("a", status=None)], "eth1.default", 2)
    status = gateway_status(gateway, [], None, problems)
    assert status["conditions"][0]["reason"] == "Processing"
