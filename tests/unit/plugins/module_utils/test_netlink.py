"""Pure parts of the agent's routing (_netlink): wanted rules/routes, plan, input validation."""
from __future__ import annotations

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._netlink import (
    desired_family,
    desired_sysctls,
    families_from_params,
    plan_entries,
    route_text,
    rule_text,
)

FAMILY = {"version": 4, "internal_gateway": "10.16.0.1", "internal_iface": "eth0", "external_iface": "net1",
          "internal_ip": "10.16.0.12", "external_ip": "172.17.0.11", "routes": ["10.18.0.0/16", "10.17.0.0/16"]}


def test_rules_read_as_in_kube_ovn_docs():
    want = desired_family(FAMILY)
    assert [rule_text(r) for r in want["rules"]] == [
        "1001: from all iif eth0 lookup default",
        "1002: from all iif net1 lookup 1000",
        "1003: from 10.16.0.12 iif lo lookup 1000",
        "1004: from 172.17.0.11 iif lo lookup default",
    ]
    assert [route_text(r) for r in want["routes"]] == [
        "default via 10.16.0.1 dev eth0 table 1000",
        "10.17.0.0/16 via 10.16.0.1 dev eth0 table main",
        "10.18.0.0/16 via 10.16.0.1 dev eth0 table main",
    ]


def test_plan_removes_stale_and_duplicate_entries_and_adds_missing():
    want = desired_family(FAMILY)["rules"]
    stale = dict(want[2], src="10.16.0.99/32")
    have = [want[0], want[0], want[1], stale]
    deletes, adds = plan_entries(have, want)
    assert deletes == [want[0], stale]
    assert adds == [want[2], want[3]]
    assert plan_entries(want, want) == ([], [])


def test_sysctls_follow_families():
    assert desired_sysctls([6], "eth0") == {"net.ipv6.conf.all.forwarding": "1",
                                            "net.ipv4.conf.eth0.rp_filter": "0"}
    assert desired_sysctls([4], "eth0.100")["net.ipv4.conf.eth0/100.rp_filter"] == "0"


def test_families_from_params_normalises():
    families = families_from_params({"ipv4": {"internal_gateway": "10.16.0.1", "external_gateway": "172.17.0.1",
                                              "routes": ["10.18.0.0/16", "10.255.0.1"]}, "ipv6": None})
    assert families[0]["routes"] == ["10.18.0.0/16", "10.255.0.1/32"]


@pytest.mark.parametrize("ipv4, field", [
    ({"internal_gateway": "10.16.0.300", "external_gateway": "172.17.0.1"}, "ipv4.internal_gateway"),
    ({"internal_gateway": "fd16::1", "external_gateway": "172.17.0.1"}, "ipv4.internal_gateway"),
    ({"internal_gateway": "10.16.0.1"}, "ipv4.external_gateway"),
    ({"internal_gateway": "10.16.0.1", "external_gateway": "172.17.0.1", "routes": ["x"]}, "ipv4.routes[0]"),
])
def test_bad_input_names_the_field(ipv4, field):
    with pytest.raises(EgressGatewayError) as err:
        families_from_params({"ipv4": ipv4})
    assert err.value.field == field
