#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_egress_gateway
short_description: All OVN Northbound rows of one VPC egress gateway, in one transaction
description:
  - Makes the OVN Northbound database hold exactly the rows Kube-OVN v1.14's controller keeps for
    a C(VpcEgressGateway), written in B(one) OVSDB transaction (Kube-OVN writes them in many, so a
    failure can leave a half-built gateway; here it leaves nothing).
  - The rows, per address family that has gateway instances (nexthops) - the port group
    C(VEG.<h>) of the selected pods (C(h) = the first 12 hex digits of sha256 of
    C(<namespace>/<name>)); the address set C(VEG.<h>.ipv4) / C(VEG.<h>.ipv6) of the policies'
    ipBlocks and subnet CIDRs; the priority 29100 ECMP reroute policies
    C(ip4.src == $VEG.<h>_ip4) and C(ip4.src == $VEG.<h>.ipv4) to every instance; with
    O(spec) C(trafficPolicy=Local) the priority 29150 policies that keep a node's pods on the
    gateway of their own node; with BFD the priority 29090 drop policies and one C(BFD) row per
    instance, referenced by the reroutes' C(bfd_sessions).
  - Every row carries C(external_ids) C(vendor=kube-ovn), C(vpc-egress-gateway=<namespace>/<name>)
    and C(af=4|6), exactly as Kube-OVN writes them, so a cluster can move between Kube-OVN's
    controller and this module. Rows of this gateway that are no longer wanted are deleted (also
    on other routers); rows without these external_ids are never changed, and a row of another
    owner sitting on a wanted name or (priority, match) fails the task instead of being taken over.
  - Better than Kube-OVN v1.14 - changed BFD intervals are applied to existing BFD rows; the
    port group and address set that the policies reference always exist, also for a gateway with
    only subnets and no selectors (kube-ovn#7247); C(trafficPolicy=Local) without BFD writes no
    empty BFD session (kube-ovn#6927); IPv6 and dual-stack get the same rows per family.
  - The spec is validated completely (the CRD's rules and CEL rules, plus names that could
    inject OVN match syntax, mixed address families, duplicate addresses) before the database is
    opened; an invalid spec fails naming the field path and the value, and nothing is written.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
options:
  spec:
    description:
      - The C(VpcEgressGateway) as a user would C(kubectl apply) it (C(apiVersion), C(kind),
        C(metadata), C(spec); a mapping or YAML text), or only its C(spec) with O(name) and
        O(namespace).
      - Required with O(state=present). With O(state=absent), O(name) and O(namespace) suffice.
      - One of O(spec), O(name) or O(gateways) is required.
    type: raw
  name:
    description: Name of the gateway when O(spec) has no C(metadata.name).
    type: str
  namespace:
    description: Namespace of the gateway when O(spec) has no C(metadata.namespace); default C(default).
    type: str
  router:
    description:
      - The VPC's logical router (Kube-OVN's C(vpc.status.router)). Default - the gateway's VPC
        name (C(spec.vpc), or C(ovn-cluster)).
    type: str
  bfd_port:
    description:
      - The C(logical_port) of the BFD rows, when BFD is enabled. It must be a port of O(router).
      - Default - Kube-OVN's dedicated VPC BFD port C(bfd@<vpc>) (needs Kube-OVN's OVN build). On
        stock OVN name the router port that reaches the gateways.
    type: str
  instances:
    description:
      - The running gateway instances (Kube-OVN - the gateway Deployment's pods with IPs).
      - The first internal IPv4 and first internal IPv6 address of each are the nexthops.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Instance (pod) name.
        type: str
        required: true
      node:
        description: Node the instance runs on (its port group C(node.<node>) is used for C(Local)).
        type: str
        required: true
      internal_ips:
        description: Addresses on the VPC's internal subnet.
        type: list
        elements: str
        required: true
      external_ips:
        description: Addresses on the external subnet (informational).
        type: list
        elements: str
        default: []
  pod_ports:
    description:
      - Logical switch port names (C(<pod>.<namespace>)) of the pods the selectors match; they
        become the port group's members. Names with no C(Logical_Switch_Port) yet are skipped
        and returned in RV(missing_ports).
    type: list
    elements: str
    default: []
  subnet_cidrs:
    description:
      - The CIDRs of the subnets named in C(spec.policies[].subnets), subnet name to CIDR
        (a string, C(v4,v6) for dual stack, or a list).
    type: dict
    default: {}
  node_port_groups:
    description:
      - Node name to the port group of the node's pods, for C(trafficPolicy=Local), where it is
        not Kube-OVN's C(node.<node name with - replaced by .>).
    type: dict
    default: {}
  state:
    description:
      - V(present) makes the NB hold exactly the gateway's rows. V(absent) removes every row the
        gateway owns (Kube-OVN's delete - BFD rows, policies on any router, port group, address sets).
    type: str
    choices: [present, absent]
    default: present
  bfd_wait:
    description:
      - Seconds to wait after the write until OVN reports every BFD session of the gateway(s)
        C(up) (RV(bfd_status), RV(bfd_up_after)). Until then the reroute has no live next hop and
        the drop policy takes the selected pods' traffic (kube-ovn#6379); a caller that waits
        reports the gateway ready only when it carries traffic. V(0) - no wait. Not in check mode.
    type: float
    default: 0
  gateways:
    description:
      - Several gateways in one task and ONE transaction, each a mapping of the options above
        (O(spec), O(name), O(namespace), O(router), O(bfd_port), O(instances), O(pod_ports),
        O(subnet_cidrs), O(node_port_groups), O(state)). Errors name the item,
        for example C(gateways[2].spec.replicas).
      - Instead of the single-gateway options O(spec), O(name) and O(namespace).
    type: list
    elements: dict
notes:
  - BFD needs C(Logical_Router_Policy.bfd_sessions), which OVN has from 24.03 (NB schema 7.3.0);
    against an older NB a gateway with BFD fails with that message. Gateways without BFD work on
    OVN 23.03 too.
seealso:
  - name: Kube-OVN VPC egress gateway
    description: The controller whose NB layout this module reproduces.
    link: https://kubeovn.github.io/docs/stable/en/vpc/vpc-egress-gateway/
"""

EXAMPLES = r"""
- name: Reconcile gateway1 of the Kube-OVN documentation
  kubeovn.egress_gateway.ovn_egress_gateway:
    connection: tcp:192.0.2.10:6641
    spec: "{{ lookup('file', 'gateway1.yaml') | from_yaml }}"
    instances:
      - name: gateway1-b9f8b4448-76lhm
        node: kube-ovn-worker
        internal_ips: [10.16.0.12]
        external_ips: [172.17.0.11]
    pod_ports: [client-1.default, client-2.default]
    subnet_cidrs:
      subnet1: 10.17.0.0/16

- name: A BFD gateway on stock OVN, where BFD runs from the router port of the internal subnet
  kubeovn.egress_gateway.ovn_egress_gateway:
    name: gateway2
    namespace: default
    spec:
      externalSubnet: ext
      bfd: {enabled: true, minRX: 1000, minTX: 100, multiplier: 3}
      policies: [{snat: true, ipBlocks: [10.18.0.0/16]}]
    router: lr0
    bfd_port: lr0-internal
    instances: "{{ gateway_instances }}"

- name: Every gateway of the VPC in one task and one transaction
  kubeovn.egress_gateway.ovn_egress_gateway:
    gateways:
      - spec: "{{ lookup('file', 'gateway1.yaml') | from_yaml }}"
        instances: "{{ gateway1_instances }}"
        subnet_cidrs: {subnet1: 10.17.0.0/16}
      - name: old-gateway
        state: absent

- name: Remove everything gateway2 owns
  kubeovn.egress_gateway.ovn_egress_gateway:
    name: gateway2
    namespace: default
    state: absent
"""

RETURN = r"""
gateway:
  description: The names derived from the gateway (Kube-OVN's algorithm).
  returned: without O(gateways)
  type: dict
  sample:
    key: default/gateway1
    hash: 8ca38ae7da18
    port_group: VEG.8ca38ae7da18
    address_sets: {ipv4: VEG.8ca38ae7da18.ipv4, ipv6: VEG.8ca38ae7da18.ipv6}
policies:
  description: The gateway's router policies after the task (empty with O(state=absent)).
  returned: without O(gateways)
  type: list
  elements: dict
  sample:
    - {priority: 29100, match: "ip4.src == $VEG.8ca38ae7da18.ipv4", action: reroute,
       nexthops: [10.16.0.12], bfd: false}
bfd:
  description: The gateway's BFD rows after the task, as C(logical_port) and C(dst_ip).
  returned: without O(gateways)
  type: list
  elements: dict
  sample: [{logical_port: bfd@ovn-cluster, dst_ip: 10.16.0.102, min_rx: 100, min_tx: 100, detect_mult: 5}]
changes:
  description: Each row change of the transaction (planned ones in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{action: create, table: BFD, row: BFD bfd@ovn-cluster 10.16.0.102}]
missing_ports:
  description: O(pod_ports) with no logical switch port in the NB (left out of the port group).
  returned: without O(gateways)
  type: list
  elements: str
bfd_status:
  description: With O(bfd_wait), each BFD session's status after the wait, by C(dst_ip) (empty before OVN set one).
  returned: with O(bfd_wait) and BFD rows
  type: dict
  sample: {10.16.0.2: up, 10.16.0.3: down}
bfd_up_after:
  description: With O(bfd_wait), seconds until every session was C(up).
  returned: when every session came up within O(bfd_wait)
  type: float
gateways:
  description: With O(gateways), per gateway RV(gateway), RV(policies), RV(bfd) and RV(missing_ports).
  returned: with O(gateways)
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import argument_spec
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._reconcile import (
    GATEWAY_OPTIONS, GATEWAYS_OPTIONS, egress_gateway,
)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(**GATEWAYS_OPTIONS, **GATEWAY_OPTIONS),
        mutually_exclusive=[("gateways", "spec"), ("gateways", "name"), ("gateways", "namespace")],
        supports_check_mode=True,
    )
    run_module(module, egress_gateway)


if __name__ == "__main__":
    main()
