# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fields of Kube-OVN v1.15.5+ and after v1.16.2: resources (the gateway / bfdd container, Kube-OVN's
defaults when unset), internalIPPool / externalIPPool (release-1.16: the pool's name in the ip_pool
annotations, the pool's subnet checked), podAntiAffinity (master: Preferred lets replicas share a
node, and Local's 29150 policies route to the set of that node's instances). Invalid values are in
invalid_gateways.py."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import check_kube_ovn_version, parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import (
    AGENT_BFDD_RESOURCES, GATEWAY_RESOURCES, KUBE_OVN_BFDD_RESOURCES, WorkloadContext, build_deployment,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._discovery import check_ip_pools

from ansible_collections.kubeovn.egress_gateway.tests.functional.support.data.invalid_gateways import (
    GOOD_GATEWAY, GOOD_INPUTS, VALID_RESOURCES,
)

CTX = dict(image="ee:1", internal_subnet="ovn-default", internal_gateway="10.16.0.1",
           external_provider="eth1.default", external_gateway="172.17.0.1", bfd_ip="10.255.255.255")


def gateway_with(**spec):
    obj = copy.deepcopy(GOOD_GATEWAY)
    obj["spec"].update(spec)
    return obj


def pod_of(obj, runtime="agent", snat_log=()):
    return build_deployment(parse_gateway(obj), WorkloadContext(**CTX, runtime=runtime, snat_log=snat_log))[
        "spec"]["template"]


# --- resources ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bfd, runtime, defaults", [
    (False, "agent", GATEWAY_RESOURCES), (False, "kube-ovn", GATEWAY_RESOURCES),
    (True, "kube-ovn", KUBE_OVN_BFDD_RESOURCES), (True, "agent", AGENT_BFDD_RESOURCES)])
def test_unset_resources_are_kube_ovns_defaults(bfd, runtime, defaults):
    obj = gateway_with(bfd={"enabled": bfd})
    pod = pod_of(obj, runtime)["spec"]
    assert [c["name"] for c in pod["containers"]] == ["bfdd" if bfd else "gateway"]
    assert pod["containers"][0]["resources"] == defaults
    assert "resources" not in pod["initContainers"][0]
    assert "resources" not in parse_gateway(obj).to_manifest()["spec"]


def test_kube_ovns_default_figures():
    """pkg/controller/vpc_egress_gateway.go (v1.16.2): sleep 10m/10Mi, bfdd 200m/50Mi, 1Gi storage."""
    assert GATEWAY_RESOURCES == {"requests": {"cpu": "10m", "memory": "10Mi"},
                                 "limits": {"cpu": "10m", "memory": "10Mi", "ephemeral-storage": "1Gi"}}
    assert KUBE_OVN_BFDD_RESOURCES == {"requests": {"cpu": "200m", "memory": "50Mi"},
                                       "limits": {"cpu": "200m", "memory": "50Mi", "ephemeral-storage": "1Gi"}}


@pytest.mark.parametrize("bfd", [False, True])
def test_resources_replace_the_defaults_of_the_gateway_or_bfdd_container(bfd):
    resources = {"requests": {"cpu": "100m", "memory": 67108864}, "limits": {"cpu": 1, "memory": "128Mi"}}
    obj = gateway_with(bfd={"enabled": bfd}, resources=resources)
    pod = pod_of(obj, snat_log=("--rate-limit", "10"))["spec"]
    gateway_container, snat_log = pod["containers"]
    assert gateway_container["resources"] == {"requests": {"cpu": "100m", "memory": "67108864"},
                                              "limits": {"cpu": "1", "memory": "128Mi"}}
    assert "resources" not in snat_log and "resources" not in pod["initContainers"][0]
    assert parse_gateway(obj).to_manifest()["spec"]["resources"] == resources


def test_empty_resources_mean_none_as_in_kube_ovn():
    """``resources: {}`` is a non-nil ResourceRequirements in Kube-OVN: it replaces the defaults."""
    obj = gateway_with(resources={})
    assert pod_of(obj)["spec"]["containers"][0]["resources"] == {}
    assert parse_gateway(obj).to_manifest()["spec"]["resources"] == {}


@pytest.mark.parametrize("resources", VALID_RESOURCES)
def test_valid_resources(resources):
    assert parse_gateway(gateway_with(resources=resources)).resources.to_dict() == resources


# --- internalIPPool / externalIPPool -----------------------------------------------------------

POOLS = [{"metadata": {"name": "gw-internal"}, "spec": {"subnet": "ovn-default", "ips": ["10.16.0.100/30"]}},
         {"metadata": {"name": "gw-external"}, "spec": {"subnet": "macvlan1", "ips": ["172.17.0.100/30"]}}]
VPC = {"metadata": {"name": "ovn-cluster"}, "status": {"defaultLogicalSwitch": "ovn-default"}}


def pooled(**spec):
    return gateway_with(**{"internalIPs": [], "externalIPs": [], "internalIPPool": "gw-internal",
                           "externalIPPool": "gw-external", **spec})


def test_pool_names_are_the_ip_pool_annotations():
    annotations = pod_of(pooled())["metadata"]["annotations"]
    assert annotations["ovn.kubernetes.io/ip_pool"] == "gw-internal"
    assert annotations["eth1.default.kubernetes.io/ip_pool"] == "gw-external"
    spec = parse_gateway(pooled()).to_manifest()["spec"]
    assert (spec["internalIPPool"], spec["externalIPPool"]) == ("gw-internal", "gw-external")
    assert "internalIPPool" not in parse_gateway(copy.deepcopy(GOOD_GATEWAY)).to_manifest()["spec"]


def test_empty_pool_names_are_absent():
    assert parse_gateway(gateway_with(internalIPPool="", externalIPPool=None)) == \
        parse_gateway(copy.deepcopy(GOOD_GATEWAY))


def test_pools_in_their_subnets_pass():
    check_ip_pools(parse_gateway(pooled()), VPC, POOLS)
    check_ip_pools(parse_gateway(pooled(internalSubnet="ovn-default")), {}, POOLS)


@pytest.mark.parametrize("spec, vpc, pools, field, problem", [
    ({"internalIPPool": "gw-missing"}, VPC, POOLS, "spec.internalIPPool", "IPPool not found"),
    ({"externalIPPool": "gw-missing"}, VPC, POOLS, "spec.externalIPPool", "IPPool not found"),
    ({}, VPC, POOLS[:1], "spec.externalIPPool", "IPPool not found"),
    ({"internalIPPool": "gw-external"}, VPC, POOLS, "spec.internalIPPool",
     "IPPool's spec.subnet is 'macvlan1', not the gateway's internal subnet 'ovn-default'"),
    ({"internalSubnet": "subnet1"}, VPC, POOLS, "spec.internalIPPool",
     "not the gateway's internal subnet 'subnet1'"),
    ({"externalIPPool": "gw-internal"}, VPC, POOLS, "spec.externalIPPool",
     "IPPool's spec.subnet is 'ovn-default', not the gateway's external subnet 'macvlan1'"),
])
def test_unknown_pool_or_a_pool_of_another_subnet_names_field_and_pool(spec, vpc, pools, field, problem):
    obj = pooled(**spec)
    with pytest.raises(EgressGatewayError) as err:
        check_ip_pools(parse_gateway(obj), vpc, pools)
    assert err.value.field == field and err.value.value == obj["spec"][field.split(".")[1]]
    assert problem in str(err.value) and str(err.value).startswith(f"{field}: ")


# --- podAntiAffinity ---------------------------------------------------------------------------

def test_required_anti_affinity_is_the_default():
    for obj in (copy.deepcopy(GOOD_GATEWAY), gateway_with(podAntiAffinity="Required"), gateway_with(podAntiAffinity="")):
        anti = pod_of(obj)["spec"]["affinity"]["podAntiAffinity"]
        assert list(anti) == ["requiredDuringSchedulingIgnoredDuringExecution"]
        assert "podAntiAffinity" not in parse_gateway(obj).to_manifest()["spec"]


def test_preferred_anti_affinity_lets_replicas_share_a_node():
    obj = gateway_with(podAntiAffinity="Preferred")
    affinity = pod_of(obj)["spec"]["affinity"]
    assert affinity["podAntiAffinity"] == {"preferredDuringSchedulingIgnoredDuringExecution": [{
        "weight": 100, "podAffinityTerm": {
            "labelSelector": {"matchLabels": {"app": "vpc-egress-gateway",
                                              "ovn.kubernetes.io/vpc-egress-gateway": "gateway1"}},
            "topologyKey": "kubernetes.io/hostname"}}]}
    assert "nodeAffinity" in affinity  # the node selector stays required
    assert parse_gateway(obj).to_manifest()["spec"]["podAntiAffinity"] == "Preferred"


def test_local_next_hops_are_the_set_of_the_nodes_instances():
    """Three replicas, two on one node: that node's 29150 policies reroute to both (ECMP), with
    BFD on both; the other node's to its one instance; 29100 to all three."""
    obj = gateway_with(podAntiAffinity="Preferred", trafficPolicy="Local", replicas=3,
                       internalIPs=[], externalIPs=[])
    instances = GOOD_INPUTS["instances"] + [
        {"name": "gateway1-b9f8b4448-x2k9p", "node": "kube-ovn-worker", "internal_ips": ["10.16.0.103"],
         "external_ips": ["172.17.0.103"]}]
    rows = desired_rows(parse_gateway(obj), "ovn-cluster", "bfd@ovn-cluster", instances, GOOD_INPUTS["pod_ports"],
                        GOOD_INPUTS["subnet_cidrs"])
    local = {p["match"].split(" && ")[0]: (p["nexthops"], p["bfd_sessions"]) for p in rows["policies"]
             if p["priority"] == 29150}
    assert local == {
        "ip4.src == $node.kube.ovn.worker_ip4": (
            ["10.16.0.101", "10.16.0.103"], [("bfd@ovn-cluster", "10.16.0.101"), ("bfd@ovn-cluster", "10.16.0.103")]),
        "ip4.src == $node.kube.ovn.worker2_ip4": (["10.16.0.102"], [("bfd@ovn-cluster", "10.16.0.102")]),
    }
    assert {tuple(p["nexthops"]) for p in rows["policies"] if p["priority"] == 29100} == \
        {("10.16.0.101", "10.16.0.102", "10.16.0.103")}


# --- version awareness -------------------------------------------------------------------------

@pytest.mark.parametrize("spec, field, since, older, newer", [
    ({"resources": {"limits": {"cpu": 1}}}, "resources", "v1.15.5", "v1.15.4", "v1.15.5"),
    ({"resources": {}}, "resources", "v1.15.5", "v1.14.41", "v1.16.2"),
    ({"internalIPPool": "gw-internal", "internalIPs": []}, "internalIPPool", "v1.16.3", "v1.16.2", "v1.16.3"),
    ({"externalIPPool": "gw-external", "externalIPs": []}, "externalIPPool", "v1.16.3", "v1.15.24", "v1.17.0"),
    ({"podAntiAffinity": "Preferred"}, "podAntiAffinity", "v1.17.0", "v1.16.3", "v1.17.0"),
])
def test_new_fields_need_their_release(spec, field, since, older, newer):
    obj = gateway_with(**spec)
    with pytest.raises(EgressGatewayError) as err:
        check_kube_ovn_version(obj, older)
    assert err.value.field == f"spec.{field}"
    assert str(err.value).startswith(f"spec.{field}: needs Kube-OVN {since} or later; the cluster runs {older}")
    check_kube_ovn_version(obj, newer)


def test_the_older_behaviour_spelt_out_needs_no_newer_release():
    check_kube_ovn_version(gateway_with(podAntiAffinity="Required", internalIPPool=""), "v1.14.0")


@pytest.mark.parametrize("version", ["", "latest", "1.15", 1.15, None, "v1.15.5\n"])
def test_a_version_that_is_no_release_names_the_option(version):
    with pytest.raises(EgressGatewayError) as err:
        check_kube_ovn_version(copy.deepcopy(GOOD_GATEWAY), version)
    assert err.value.field == "kube_ovn_version"


def test_the_manifest_reader_checks_the_release_when_given():
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._manifest import load

    obj = gateway_with(resources={"limits": {"cpu": 1}})
    with pytest.raises(EgressGatewayError) as err:
        load(obj, kube_ovn_version="v1.15.4", manifest_var="m", kube_ovn_version_var="egress_gateway_kube_ovn_version")
    assert str(err.value).startswith("m: spec.resources: needs Kube-OVN v1.15.5 or later; the cluster runs v1.15.4")
    assert err.value.field == "spec.resources"
    with pytest.raises(EgressGatewayError) as err:
        load(obj, kube_ovn_version="1.15", kube_ovn_version_var="egress_gateway_kube_ovn_version")
    assert err.value.field == "egress_gateway_kube_ovn_version"
    assert str(err.value) == "egress_gateway_kube_ovn_version: must be a Kube-OVN release such as v1.15.5 (got '1.15')"
    assert load(obj, kube_ovn_version="v1.15.5")["gateway"]["spec"]["resources"] == {"limits": {"cpu": 1}}
    assert load(obj, kube_ovn_version="")["gateway"]["spec"]["resources"] == {"limits": {"cpu": 1}}
    # removing a gateway needs its name only: no release check
    assert load(obj, kube_ovn_version="v1.14.0", identity=True)["names"]["key"] == "default/gateway1"
