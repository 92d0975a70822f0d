# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gateway pod's snat-log container (the SNAT record on its stdout, beyond Kube-OVN)."""
from __future__ import annotations

import copy
import os

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _snat_record
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import SNAT_RECORD, generate_hash
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._discovery import workload_plan

GATEWAY = {
    "apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway", "metadata": {"name": "gw", "namespace": "default"},
    "spec": {"replicas": 2, "externalSubnet": "macvlan1", "internalSubnet": "ovn-default",
             "policies": [{"snat": True, "ipBlocks": ["10.17.0.0/16"]}]},
}
SUBNETS = [{"metadata": {"name": "ovn-default"}, "spec": {"cidrBlock": "10.16.0.0/16", "gateway": "10.16.0.1"}},
           {"metadata": {"name": "macvlan1"}, "spec": {"cidrBlock": "172.17.0.0/16", "gateway": "172.17.0.1",
                                                       "provider": "eth1.default"}}]


def plan(snat_log=None, runtime="agent"):
    return workload_plan(parse_gateway(copy.deepcopy(GATEWAY)), None, SUBNETS, "ee:1", "", runtime, snat_log)


def containers(deployment):
    return deployment["spec"]["template"]["spec"]["containers"]


def test_no_record_no_container():
    assert [c["name"] for c in containers(plan()["deployment"])] == ["gateway"]


def test_snat_log_container_writes_the_record_to_stdout():
    deployment = plan({"rate_limit": 200, "protocols": ["tcp", "udp"]})["deployment"]
    gateway, record = containers(deployment)
    assert gateway["name"] == "gateway" and record["name"] == "snat-log" and record["image"] == "ee:1"
    assert record["command"] == ["python3", "-I", SNAT_RECORD, "--output", "-", "--work-dir", "/tmp",
                                 "--rate-limit", "200", "--burst", "100", "--protocol", "tcp", "--protocol", "udp"]
    assert record["securityContext"]["capabilities"] == {"add": ["NET_ADMIN"], "drop": ["ALL"]}
    # the program's path in the image is this collection's module_utils file
    assert SNAT_RECORD.endswith(os.path.join("kubeovn", "egress_gateway", "plugins", "module_utils",
                                             os.path.basename(_snat_record.__file__)))
    # turning it on changes the pod template, so Kube-OVN's update rule rolls the pods
    assert generate_hash(deployment) != generate_hash(plan()["deployment"])


@pytest.mark.parametrize("options, field", [
    ({"rate_limit": -1}, "snat_log.rate_limit"),
    ({"sources": ["10.0.0.0/33"]}, "snat_log.sources[0]"),
    ({"protocol": ["tcp"]}, "snat_log.protocol"),
])
def test_bad_options_name_the_option(options, field):
    with pytest.raises(EgressGatewayError) as err:
        plan(options)
    assert err.value.field == field


def test_needs_the_agent_image():
    with pytest.raises(EgressGatewayError, match="runtime agent"):
        plan({}, runtime="kube-ovn")
