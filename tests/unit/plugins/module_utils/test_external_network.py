# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The external network's inputs (NAD and Subnet) are checked whole before any object is written."""
from __future__ import annotations

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._external_network import (
    attachment, provider, role_variables, subnet,
)

SUBNET = {"name": "macvlan", "protocol": "IPv4", "provider": "eth1.kube-system", "cidr_block": "172.17.0.0/16",
          "gateway": "172.17.0.1", "exclude_ips": ["172.17.0.1..172.17.0.10", "172.17.0.100"]}
DUAL = dict(SUBNET, protocol="Dual", cidr_block="172.17.0.0/16,fd72::/64", gateway="fd72::1,172.17.0.1",
            exclude_ips=["fd72::1..fd72::9"])
ATTACHMENT = {"name": "eth1", "namespace": "kube-system", "master": "eth0.100", "provider": ""}


def test_good_inputs_pass():
    subnet(SUBNET)
    subnet(DUAL)
    attachment(ATTACHMENT)
    assert provider("eth1.kube-system", "p") == ("kube-system", "eth1")


@pytest.mark.parametrize("change, message", [
    ({"provider": "eth1.kube-system\n"}, "external_subnet_provider: must be a DNS-1123 subdomain"),
    ({"provider": "eth1"}, "external_subnet_provider: must be <nad name>.<nad namespace>"),
    ({"provider": "a.b.c"}, "external_subnet_provider: must be <nad name>.<nad namespace>"),
    ({"name": "Macvlan"}, "external_subnet_name: must be a DNS-1123 subdomain"),
    ({"name": "macvlan\n"}, "external_subnet_name: must be a DNS-1123 subdomain"),
    ({"protocol": "ipv4"}, "external_subnet_protocol: must be IPv4, IPv6 or Dual (got 'ipv4')"),
    ({"cidr_block": ""}, "external_subnet_cidr_block: is required with state present"),
    ({"cidr_block": "172.17.0.1/16"}, "has host bits set; the network is 172.17.0.0/16 (got '172.17.0.1/16')"),
    ({"cidr_block": "172.17.0.0/16\n"}, "external_subnet_cidr_block:"),
    ({"cidr_block": "172.17.0.1"}, "external_subnet_cidr_block: must be a CIDR"),
    ({"cidr_block": "172.17.0.0/16,fd72::/64"}, "must give one IPv4 value for the protocol"),
    ({"cidr_block": "172.17.0.0/16,172.18.0.0/16"}, "gives two IPv4 values"),
    ({"gateway": "172.18.0.1"}, "external_subnet_gateway: 172.18.0.1 is outside the subnet's 172.17.0.0/16"),
    ({"gateway": "172.17.0.255/16"}, "external_subnet_gateway: is not an IPv4 or IPv6 address"),
    ({"gateway": "224.0.0.1"}, "is a multicast address"),
    ({"exclude_ips": ["172.17.0.9..172.17.0.2"]}, "exclude_ips[0]: the range's first address is after its last"),
    ({"exclude_ips": ["172.17.0.2..fd72::1"]}, "exclude_ips[0]: a range must be of one address family"),
    ({"exclude_ips": ["fd72::1"]}, "exclude_ips[0]: is IPv6; the subnet has no such family"),
    ({"exclude_ips": ["1..2..3"]}, "exclude_ips[0]: must be an address or a range FIRST..LAST"),
])
def test_bad_subnet_inputs_name_the_variable_and_value(change, message):
    with pytest.raises(EgressGatewayError) as caught:
        subnet(dict(SUBNET, **change))
    assert message in str(caught.value) and "(got " in str(caught.value) and "\n" not in str(caught.value)


def test_dual_needs_both_families():
    with pytest.raises(EgressGatewayError, match="must give IPv4 and IPv6 values for the protocol"):
        subnet(dict(DUAL, cidr_block="172.17.0.0/16"))


@pytest.mark.parametrize("change, message", [
    ({"master": ""}, "network_attachment_master: is required with state present"),
    ({"master": "eth1\n"}, "network_attachment_master: must be a Linux interface name"),
    ({"master": "eth1 ! -s 1.2.3.4"}, "network_attachment_master:"),
    ({"master": "averyveryverylongname"}, "network_attachment_master: is 21 bytes long"),
    ({"namespace": "kube.system"}, "network_attachment_namespace: must be a DNS-1123 label"),
    ({"name": "eth1\n"}, "network_attachment_name:"),
    ({"provider": "eth1"}, "network_attachment_provider: must be <nad name>.<nad namespace>"),
])
def test_bad_attachment_inputs_name_the_variable_and_value(change, message):
    with pytest.raises(EgressGatewayError, match=message.replace("[", r"\[").replace(".", r"\.")):
        attachment(dict(ATTACHMENT, **change))


def test_role_variables_per_role():
    role_variables("external_subnet", {"external_subnet_state": "absent", "external_subnet_name": "x",
                                       "external_subnet_cidr_block": ""})  # absent needs no more
    with pytest.raises(EgressGatewayError, match="^network_attachment_master: is required"):
        role_variables("network_attachment", {"network_attachment_state": "present", "network_attachment_name": "n",
                                              "network_attachment_master": ""})
    with pytest.raises(EgressGatewayError, match=r"^egress_gateway_external_subnet\.cidr_block: has host bits"):
        role_variables("egress_gateway", {"egress_gateway_state": "present",
                                          "egress_gateway_external_subnet": {"provider": "a.b",
                                                                             "cidr_block": "10.0.0.1/8"}})
    role_variables("egress_gateway", {"egress_gateway_state": "present", "egress_gateway_external_subnet": {},
                                      "egress_gateway_network_attachment": {}})
