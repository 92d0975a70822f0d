# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent roles' filters give the roles the modules' own rules and the model's derivations."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _bfdd, _snat_log
from ansible_collections.kubeovn.egress_gateway.plugins.filter.agent import (
    FilterModule, veg_agent_state_dir, veg_standalone_families, veg_standalone_instances, veg_standalone_status,
)

SPEC = {"metadata": {"name": "gateway1"}, "spec": {
    "vpc": "lr0", "externalSubnet": "external", "bfd": {"enabled": True},
    "policies": [{"snat": True, "subnets": ["subnet1"]}, {"snat": False, "ipBlocks": ["10.18.0.0/16", "fd18::/64"]}]}}


def test_registered():
    assert set(FilterModule().filters()) == {"veg_agent_state_dir", "veg_standalone_instances",
                                             "veg_standalone_families", "veg_standalone_status"}


def test_state_dir_is_the_modules_default():
    for netns in ("gw1", "/proc/12/ns/net", None, ""):
        assert veg_agent_state_dir(netns, "bfdd") == _bfdd.default_state_dir(netns or None)
        assert veg_agent_state_dir(netns, "snat-log") == _snat_log.default_state_dir(netns or None)
    assert veg_agent_state_dir("/var/run/netns/gw 1", "bfdd", "/tmp/s") == "/tmp/s/bfdd/var_run_netns_gw_1"


def test_families_per_address_family():
    families = veg_standalone_families(SPEC, {"subnet1": "10.17.0.0/16,fd17::/64"}, "10.16.0.101,fd16::101",
                                       "10.16.0.1,fd16::1", "172.17.0.1", "172.17.0.11", ["10.16.0.1", "10.255.0.1"])
    assert families["ipv4"] == {"internal_gateway": "10.16.0.1", "internal_ip": "10.16.0.101",
                                "external_gateway": "172.17.0.1", "external_ip": "172.17.0.11",
                                # in the policies' order; the BFD peer that is the internal gateway is not routed
                                "routes": ["10.17.0.0/16", "10.18.0.0/16", "10.255.0.1"],
                                "no_snat_sources": ["10.18.0.0/16"]}
    assert families["ipv6"] == {"internal_gateway": "fd16::1", "internal_ip": "fd16::101",
                                "routes": ["fd17::/64", "fd18::/64"], "no_snat_sources": ["fd18::/64"]}
    only_v4 = veg_standalone_families(SPEC, {"subnet1": ["10.17.0.0/16"]}, "10.16.0.101", "10.16.0.1")
    assert only_v4["ipv6"] is None and only_v4["ipv4"]["routes"] == ["10.17.0.0/16", "10.18.0.0/16"]
    no_bfd = {**SPEC, "spec": {**SPEC["spec"], "bfd": {"enabled": False}}}
    assert veg_standalone_families(no_bfd, {"subnet1": "10.17.0.0/16"}, "10.16.0.101", "10.16.0.1",
                                   bfd_peer_ips=["10.255.0.1"])["ipv4"]["routes"] == ["10.17.0.0/16", "10.18.0.0/16"]


@pytest.mark.parametrize("args, message", [
    (({"subnet1": "10.17.0.0/16"}, "10.16.0.1011", "10.16.0.1"), "standalone_gateway_internal_ip[0]: is not"),
    (({"subnet1": "10.17.0.0/16"}, "10.16.0.101", "fd16::1,10.16.0.1\n"), "standalone_gateway_internal_gateway[1]"),
    (({}, "10.16.0.101", "10.16.0.1"), "spec.policies[0].subnets[0]: subnet has no CIDR in standalone_gateway_subnet_cidrs"),
    (({"subnet1": "10.17.0.1/16"}, "10.16.0.101", "10.16.0.1"), "standalone_gateway_subnet_cidrs.subnet1[0]: has host bits"),
])
def test_bad_values_name_the_variable(args, message):
    with pytest.raises(AnsibleFilterError, match=r"^standalone gateway instance: " + message.replace("[", r"\[")):
        veg_standalone_families(SPEC, *args)


def test_play_instances_and_status():
    hostvars = {"a": {"standalone_gateway_internal_ip": "fd16::101,10.16.0.101", "standalone_gateway_node": "n1"},
                "b": {"standalone_gateway_internal_ip": "10.16.0.102", "standalone_gateway_instance_state": "absent"},
                "c": {"standalone_gateway_internal_ip": "10.16.0.103", "standalone_gateway_external_ip": "172.17.0.13"},
                "s": {"standalone_gateway_internal_ip": "10.16.0.200"}}
    instances = veg_standalone_instances(["a", "b", "c", "s"], hostvars, ["s"])
    assert instances == [
        {"name": "a", "node": "n1", "internal_ips": ["fd16::101", "10.16.0.101"], "external_ips": []},
        {"name": "c", "node": "c", "internal_ips": ["10.16.0.103"], "external_ips": ["172.17.0.13"]}]
    status = veg_standalone_status(SPEC, instances)
    assert (status["replicas"], status["ready"], status["phase"]) == (2, True, "Completed")
    assert status["internalIPs"] == ["fd16::101,10.16.0.101", "10.16.0.103"]
    assert status["externalIPs"] == ["", "172.17.0.13"] and status["workload"]["nodes"] == ["n1", "c"]
    assert (veg_standalone_status(SPEC, [])["phase"], veg_standalone_status(SPEC, [])["ready"]) == ("Processing", False)


def test_bad_host_address_names_the_variable():
    with pytest.raises(AnsibleFilterError, match=r"standalone_gateway_external_ip\[0\]: .*'172\.17\.0\.300'"):
        veg_standalone_instances(["a"], {"a": {"standalone_gateway_internal_ip": "10.16.0.101",
                                               "standalone_gateway_external_ip": "172.17.0.300"}})
