#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: gateway_routing
short_description: Policy routing of an egress gateway instance (sysctls, table 1000, rules 1001-1004)
description:
  - Configures what Kube-OVN's C(init-vpc-egress-gateway.sh) configures for routing, per address
    family, with netlink (pyroute2), read, diff, apply.
  - Sysctls C(net.ipv4.ip_forward=1), C(net.ipv6.conf.all.forwarding=1) and
    C(net.ipv4.conf.<internal iface>.rp_filter=0).
  - Table 1000 holds exactly one default route via the internal gateway.
  - Rules C(1001 iif <internal> lookup default), C(1002 iif <external> lookup 1000),
    C(1003 iif lo from <internal ip> lookup 1000), C(1004 iif lo from <external ip> lookup default).
    C(default) is table 253, normally empty, so these lookups fall through to C(main).
  - Routes in C(main) to O(ipv4.routes)/O(ipv6.routes) (the policy CIDRs and the BFD port IP) via
    the internal gateway. The module marks the routes it writes with C(proto 147), so a CIDR
    dropped from O(ipv4.routes) is removed. A wanted route that already exists with the right
    gateway and device (written by the CNI) is left as it is.
  - Ownership, as in Kube-OVN, is by number; any other rule at priorities 1001-1004 and any other
    route in table 1000 of a managed family is removed. A family not given (O(ipv6) omitted) is
    cleared of these entries, so a gateway that drops a family is cleaned up.
  - Interfaces and addresses default to what a route lookup toward each gateway gives
    (C(ip route get <gateway>), its device and preferred source), as Kube-OVN does.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.gateway_agent
options:
  state:
    description:
      - V(present) configures the given families; V(absent) removes the rules 1001-1004, table
        1000 and the routes this module wrote in both families (sysctls are left as they are).
    type: str
    choices: [present, absent]
    default: present
  ipv4:
    description: IPv4 settings (Kube-OVN's C(*_IPV4) variables). Omit for an IPv6-only gateway.
    type: dict
    suboptions: &family
      internal_gateway:
        description: Gateway of the internal (VPC) subnet, C(INTERNAL_GATEWAY_IPV4).
        type: str
        required: true
      external_gateway:
        description:
          - Gateway of the external subnet, C(EXTERNAL_GATEWAY_IPV4). Used to find the external
            interface and address when O(ipv4.external_iface) or O(ipv4.external_ip) is not given.
        type: str
      internal_iface:
        description: Internal interface (C(eth0) in a pod). Default from the route toward the internal gateway.
        type: str
      external_iface:
        description: External interface (C(net1) in a pod). Default from the route toward the external gateway.
        type: str
      internal_ip:
        description: The instance's internal address. Default the source of the route toward the internal gateway.
        type: str
      external_ip:
        description: The instance's external address. Default the source of the route toward the external gateway.
        type: str
      routes:
        description: CIDRs routed via the internal gateway in C(main) (policy CIDRs, the BFD port IP).
        type: list
        elements: str
        default: []
  ipv6:
    description: IPv6 settings, as O(ipv4). Omit for an IPv4-only gateway.
    type: dict
    suboptions: *family
"""

EXAMPLES = r"""
- name: Route like a Kube-OVN egress gateway pod (interfaces found by route lookup)
  kubeovn.egress_gateway.gateway_routing:
    ipv4:
      internal_gateway: 10.16.0.1
      external_gateway: 172.17.0.1
      routes: [10.17.0.0/16, 10.18.0.0/16, 10.255.255.255]

- name: Configure a gateway namespace on a host, dual-stack, interfaces named explicitly
  kubeovn.egress_gateway.gateway_routing:
    netns: gw1
    ipv4:
      internal_gateway: 10.16.0.1
      internal_iface: eth0
      internal_ip: 10.16.0.12
      external_iface: net1
      external_ip: 172.17.0.11
      routes: [10.17.0.0/16]
    ipv6:
      internal_gateway: fd16::1
      external_gateway: fd72::1
      routes: [fd17::/64]
"""

RETURN = r"""
families:
  description: The families as configured, with interfaces and addresses resolved.
  returned: success
  type: list
  elements: dict
  sample:
    - {version: 4, internal_gateway: 10.16.0.1, external_gateway: 172.17.0.1, internal_iface: eth0,
       external_iface: net1, internal_ip: 10.16.0.12, external_ip: 172.17.0.11, routes: [10.17.0.0/16]}
sysctls:
  description: The sysctls the module keeps set.
  returned: success
  type: dict
  sample: {net.ipv4.ip_forward: "1", net.ipv4.conf.eth0.rp_filter: "0"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_reconcile
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._netlink import routing_from_params, reconcile

FAMILY_OPTIONS = dict(
    internal_gateway=dict(type="str", required=True),
    external_gateway=dict(type="str"),
    internal_iface=dict(type="str"),
    external_iface=dict(type="str"),
    internal_ip=dict(type="str"),
    external_ip=dict(type="str"),
    routes=dict(type="list", elements="str", default=[]),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            netns=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            ipv4=dict(type="dict", options=FAMILY_OPTIONS),
            ipv6=dict(type="dict", options=FAMILY_OPTIONS),
        ),
        required_if=[("state", "present", ("ipv4", "ipv6"), True)],
        supports_check_mode=True,
    )
    run_reconcile(module, routing_from_params, reconcile)


if __name__ == "__main__":
    main()
