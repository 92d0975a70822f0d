# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fields newer than Kube-OVN v1.14.0: tolerations (v1.14.17) onto the pods, version awareness;
v1.16's bgpConf / evpnConf refused by name when set (tests/functional/support/data/invalid_gateways.py), empty = absent."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import check_kube_ovn_version, parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import WorkloadContext, build_deployment

from ansible_collections.kubeovn.egress_gateway.tests.functional.support.data.invalid_gateways import GOOD_GATEWAY


def test_empty_bgp_and_evpn_conf_are_absent():
    obj = copy.deepcopy(GOOD_GATEWAY)
    obj["spec"].update(bgpConf="", evpnConf=None)
    assert parse_gateway(obj) == parse_gateway(copy.deepcopy(GOOD_GATEWAY))


def test_tolerations_are_copied_onto_the_gateway_pods():
    obj = copy.deepcopy(GOOD_GATEWAY)
    obj["spec"]["tolerations"] = [{"key": "dedicated", "value": "egress", "effect": "NoSchedule"},
                                  {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]
    gateway = parse_gateway(obj)
    ctx = WorkloadContext(image="ee:1", internal_subnet="ovn-default", internal_gateway="10.16.0.1",
                          external_provider="eth1.default", external_gateway="172.17.0.1", bfd_ip="10.255.255.255")
    pod = build_deployment(gateway, ctx)["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "egress", "effect": "NoSchedule"},
                                  {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]
    assert gateway.to_manifest()["spec"]["tolerations"] == pod["tolerations"]
    plain = parse_gateway(copy.deepcopy(GOOD_GATEWAY))
    assert "tolerations" not in build_deployment(plain, ctx)["spec"]["template"]["spec"]
    assert "tolerations" not in plain.to_manifest()["spec"]


@pytest.mark.parametrize("version, fails", [("v1.14.10", True), ("1.14.16", True), ("v1.14.17", False),
                                            ("v1.16.2", False)])
def test_a_field_newer_than_the_cluster_names_the_version_it_needs(version, fails):
    obj = copy.deepcopy(GOOD_GATEWAY)
    obj["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}]
    if fails:
        with pytest.raises(EgressGatewayError) as err:
            check_kube_ovn_version(obj, version)
        assert err.value.field == "spec.tolerations" and "needs Kube-OVN v1.14.17 or later" in str(err.value)
        assert version in str(err.value)
    else:
        check_kube_ovn_version(obj, version)
    check_kube_ovn_version(copy.deepcopy(GOOD_GATEWAY), "v1.14.0")  # nothing newer used


@pytest.mark.parametrize("written, mbps", [(100, 100), ("100", 100), ("100M", 100), ("1G", 1000), ("1Gi", 1074),
                                           ("100Mi", 105), ("1.5M", 2), (".5M", 1), (0, 0), ("0M", 0)])
def test_bandwidth_in_whole_mbps(written, mbps):
    obj = copy.deepcopy(GOOD_GATEWAY)
    obj["spec"]["bandwidth"] = {"ingress": written}
    gateway = parse_gateway(obj)
    assert gateway.bandwidth.ingress_mbps == mbps and gateway.bandwidth.egress_mbps == 0
    assert gateway.to_manifest()["spec"]["bandwidth"] == {"ingress": written}


def test_bandwidth_annotations_swap_directions():
    """Kube-OVN writes the gateway's ingress (into the VPC) as the pod's egress_rate and back."""
    obj = copy.deepcopy(GOOD_GATEWAY)
    obj["spec"]["bandwidth"] = {"ingress": 100, "egress": "1G"}
    ctx = WorkloadContext(image="ee:1", internal_subnet="ovn-default", internal_gateway="10.16.0.1",
                          external_provider="eth1.default", external_gateway="172.17.0.1", bfd_ip="10.255.255.255")
    annotations = build_deployment(parse_gateway(obj), ctx)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["ovn.kubernetes.io/egress_rate"] == "100"
    assert annotations["ovn.kubernetes.io/ingress_rate"] == "1000"
    obj["spec"]["bandwidth"] = {"egress": 0}
    annotations = build_deployment(parse_gateway(obj), ctx)["spec"]["template"]["metadata"]["annotations"]
    assert not {"ovn.kubernetes.io/egress_rate", "ovn.kubernetes.io/ingress_rate"} & set(annotations)
