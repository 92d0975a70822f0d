# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent roles' filters: what standalone_gateway and gateway_agent derive, from the model."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._bfdd import default_state_dir

from ansible_collections.kubeovn.egress_gateway.plugins.filter.agent import (
    FilterModule, veg_agent_families, veg_agent_state_dir, veg_instances_status, veg_play_instances,
)

SPEC = {"metadata": {"name": "gateway1"}, "spec": {
    "vpc": "lr0", "externalSubnet": "external", "bfd": {"enabled": True},
    "policies": [{"snat": True, "subnets": ["subnet1"]}, {"snat": False, "ipBlocks": ["10.18.0.0/16", "fd18::/64"]}]}}


def test_registered():
    assert set(FilterModule().filters()) == {"veg_agent_families", "veg_play_instances", "veg_instances_status",
                                             "veg_agent_state_dir"}


def test_families_per_address_family():
    families = veg_agent_families(SPEC, {"subnet1": "10.17.0.0/16,fd17::/64"}, "10.16.0.101,fd16::101",
                                  "10.16.0.1,fd16::1", "172.17.0.1", "172.17.0.11", ["10.16.0.1", "10.255.0.1"])
    assert families["ipv4"] == {"internal_gateway": "10.16.0.1", "internal_ip": "10.16.0.101",
                                "external_gateway": "172.17.0.1", "external_ip": "172.17.0.11",
                                # the BFD peer that is the internal gateway itself is not routed via it
                                "routes": ["10.17.0.0/16", "10.18.0.0/16", "10.255.0.1"],
                                "no_snat_sources": ["10.18.0.0/16"]}
    assert families["ipv6"] == {"internal_gateway": "fd16::1", "internal_ip": "fd16::101",
                                "routes": ["fd17::/64", "fd18::/64"], "no_snat_sources": ["fd18::/64"]}
    only_v4 = veg_agent_families(SPEC, {"subnet1": ["10.17.0.0/16"]}, "10.16.0.101", "10.16.0.1")
    assert only_v4["ipv6"] is None and only_v4["ipv4"]["routes"] == ["10.17.0.0/16", "10.18.0.0/16"]


@pytest.mark.parametrize("args, field", [
    (({"subnet1": "10.17.0.0/16"}, "10.16.0.1011", "10.16.0.1"), "internal_ip[0]"),
    (({"subnet1": "10.17.0.0/16"}, "10.16.0.101", "10.16.0.1\n"), "internal_gateway[0]"),
])
def test_bad_instance_values_name_the_field(args, field):
    with pytest.raises(AnsibleFilterError, match=rf"standalone instance: {field.replace('[', '.').replace(']', '.')}"):
        veg_agent_families(SPEC, *args)


def test_play_instances_and_status():
    hostvars = {"a": {"standalone_gateway_internal_ip": "fd16::101,10.16.0.101", "standalone_gateway_node": "n1"},
                "b": {"standalone_gateway_internal_ip": "10.16.0.102", "standalone_gateway_instance_state": "absent"},
                "c": {"standalone_gateway_internal_ip": "10.16.0.103", "standalone_gateway_external_ip": "172.17.0.13"}}
    instances = veg_play_instances(["a", "b", "c"], hostvars)
    assert instances == [
        {"name": "a", "node": "n1", "internal_ips": ["10.16.0.101", "fd16::101"], "external_ips": []},
        {"name": "c", "node": "c", "internal_ips": ["10.16.0.103"], "external_ips": ["172.17.0.13"]}]
    status = veg_instances_status(SPEC, instances)
    assert (status["replicas"], status["ready"], status["phase"]) == (2, True, "Completed")
    assert status["internalIPs"] == ["10.16.0.101,fd16::101", "10.16.0.103"] and status["workload"]["nodes"] == ["n1", "c"]
    assert veg_instances_status(SPEC, [])["phase"] == "Processing"


def test_state_dir_is_gateway_bfdd_s_own():
    assert veg_agent_state_dir(None, "bfdd", "/run/x") == "/run/x/bfdd/_host"
    assert veg_agent_state_dir("", "snat-log", "/run/x") == "/run/x/snat-log/_host"
    assert veg_agent_state_dir("/proc/12/ns/net", "bfdd") == default_state_dir("/proc/12/ns/net") \
        == "/run/kubeovn-egress-gateway/bfdd/proc_12_ns_net"
