#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: gateway_nat
short_description: SNAT of an egress gateway instance (the VEG-MASQUERADE chain and its rules)
description:
  - Writes the NAT rules of Kube-OVN's C(init-vpc-egress-gateway.sh), so that C(iptables -t nat -S)
    reads as in Kube-OVN's documentation, for IPv4 (iptables) and IPv6 (ip6tables).
  - Chain C(VEG-MASQUERADE) with C(-j MARK --set-xmark 0x0/0xffffffff) and
    C(-j MASQUERADE --random-fully); C(nat PREROUTING -i <internal iface> -j MARK --set-xmark 0x4000/0x4000);
    C(POSTROUTING -j VEG-MASQUERADE); and, at the top of C(POSTROUTING), C(-d <source> -j RETURN)
    and C(-s <source> -j RETURN) for each source that must not be masqueraded.
  - Unlike Kube-OVN's script, built-in chains are never flushed. The module owns the
    C(VEG-MASQUERADE) chain and the rules it wrote in built-in chains, recorded in a state file per
    namespace (O(state_dir)C(/nat/<netns>.json), with the namespace's identity, so a recreated
    namespace starts afresh). A source dropped from O(ipv4.no_snat_sources) or a changed
    O(internal_iface) removes exactly our old rule; other owners' rules are untouched.
  - All changes of a family go in one C(iptables-restore --noflush) (C(ip6tables-restore) for IPv6), so
    the kernel applies the batch whole or not at all.
  - Backend, C(iptables) with the nf_tables back end (Debian 12 and 13's default, C(iptables-nft)), because the
    rules live where kube-proxy, Kube-OVN and C(iptables -t nat -S) see them on both releases, where a
    native nftables table would not show in that listing. No maintained Python library drives
    iptables-nft, so the module runs C(iptables-save)/C(iptables-restore).
  - A family not given is cleared of the chain and our rules.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.gateway_agent
requirements:
  - iptables (Debian package C(iptables)), providing C(iptables-restore) and C(ip6tables-restore)
options:
  state:
    description: V(present) writes the rules of the given families; V(absent) removes ours in both.
    type: str
    choices: [present, absent]
    default: present
  internal_iface:
    description:
      - Interface toward the VPC (C(eth0) in a pod), for the C(0x4000) mark rule.
      - Default, the interface of the route toward O(ipv4.internal_gateway) (or O(ipv6.internal_gateway)).
    type: str
  state_dir:
    description: Directory of the ownership records (kept in C(/run), so a reboot, which empties the namespace, forgets them).
    type: path
    default: /run/kubeovn-egress-gateway
  ipv4:
    description: IPv4 NAT (C(NO_SNAT_SOURCES_IPV4)). Omit for an IPv6-only gateway.
    type: dict
    suboptions: &family
      internal_gateway:
        description: Internal gateway, only used to find O(internal_iface) when it is not given.
        type: str
      no_snat_sources:
        description: CIDRs whose traffic is forwarded without SNAT (both as source and as destination).
        type: list
        elements: str
        default: []
  ipv6:
    description: IPv6 NAT (C(NO_SNAT_SOURCES_IPV6)). Omit for an IPv4-only gateway.
    type: dict
    suboptions: *family
"""

EXAMPLES = r"""
- name: SNAT everything but the forward CIDRs, as Kube-OVN's init container does
  kubeovn.egress_gateway.gateway_nat:
    internal_iface: eth0
    ipv4:
      no_snat_sources: [10.18.0.0/16]

- name: Preview the change in a gateway namespace
  kubeovn.egress_gateway.gateway_nat:
    netns: gw1
    ipv4:
      internal_gateway: 10.16.0.1
      no_snat_sources: []
    ipv6:
      internal_gateway: fd16::1
  check_mode: true
  diff: true
"""

RETURN = r"""
internal_iface:
  description: The internal interface used in the mark rule.
  returned: success
  type: str
  sample: eth0
commands:
  description: The C(iptables-restore --noflush) lines applied (or, in check mode, to apply) per family.
  returned: success
  type: dict
  sample: {ipv4: ["-D POSTROUTING -s 10.19.0.0/16 -j RETURN"], ipv6: []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_reconcile
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nat import nat_from_params, reconcile

FAMILY_OPTIONS = dict(
    internal_gateway=dict(type="str"),
    no_snat_sources=dict(type="list", elements="str", default=[]),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            netns=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            internal_iface=dict(type="str"),
            state_dir=dict(type="path", default="/run/kubeovn-egress-gateway"),
            ipv4=dict(type="dict", options=FAMILY_OPTIONS),
            ipv6=dict(type="dict", options=FAMILY_OPTIONS),
        ),
        required_if=[("state", "present", ("ipv4", "ipv6"), True)],
        supports_check_mode=True,
    )
    run_reconcile(module, nat_from_params, reconcile)


if __name__ == "__main__":
    main()
