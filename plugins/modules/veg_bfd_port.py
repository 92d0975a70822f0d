#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.
from __future__ import annotations

DOCUMENTATION = r"""
module: veg_bfd_port
short_description: Work out the networks and chassis of a VPC's BFD port, failing with one line
description:
  - PRIVATE to the roles of this collection (C(vpc_bfd_port)), not a public interface; its
    options and result may change in any release.
  - "The router port networks of Kube-OVN's C(spec.bfdPort.ip) (C(v4), C(v6) or C(v4,v6); a host
    prefix when none is given) and, as Kube-OVN's reconcileVpcBfdLRP, the chassis of the nodes
    its node selector matches (or of the first O(max_nodes) nodes), highest priority first."
  - "An address that is not one, or a selector that is malformed or matches no node, fails the
    task with one line, C(FIELD: problem (got VALUE)), where FIELD is O(ip_field) or
    O(node_selector_field), and the C(field) and C(value) return values."
  - Runs on the controller and reads or writes nothing itself.
version_added: 0.2.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.controller
  - kubeovn.egress_gateway.read_only
options:
  ip:
    description: The BFD port's address(es), C(v4), C(v6) or C(v4,v6), each with or without a prefix length.
    type: str
    default: ""
  ip_field:
    description: What O(ip) came from, as an error names it (the role variable, or the Vpc's field).
    type: str
    default: bfdPort.ip
  nodes:
    description: The cluster's Node objects. Omitted, no chassis are worked out (RV(chassis) is empty).
    type: list
    elements: dict
  node_selector:
    description: A LabelSelector of the nodes; empty - the first O(max_nodes) nodes by name.
    type: dict
    default: {}
  node_selector_field:
    description: What O(node_selector) came from, as an error names it.
    type: str
    default: nodeSelector
  max_nodes:
    description: How many nodes carry the port when there is no selector.
    type: int
    default: 3
  sentinel:
    description:
      - The VPC's BFD sentinel (C(docs/bfd.md)) - C(vpc), C(namespace), C(subnet), C(subnets) (the
        Subnet objects read by that name - it must exist in the VPC and hold C(ip)), C(ip) (the pod's
        fixed address), C(image), C(bfd_ip) (the BFD port's address, the sentinel's peer) and
        C(bfd_ip_field) (where it came from), and C(prefix), the role variables' prefix its errors
        name (C(<prefix>_sentinel_ip) ...). Without C(ip) only the C(label_selector) of RV(sentinel) is
        worked out (to remove it).
    type: dict
"""

EXAMPLES = r"""
- name: Work out the BFD port's networks and chassis
  kubeovn.egress_gateway.veg_bfd_port:
    ip: 10.255.255.255
    ip_field: vpc_bfd_port_ip
    nodes: "{{ nodes.resources }}"
  register: bfd_port
"""

RETURN = r"""
networks:
  description: The router port networks, C(address/prefix).
  returned: success
  type: list
  elements: str
chassis:
  description: Chassis of the nodes carrying the port, highest priority first (a node's C(ovn.kubernetes.io/chassis), else its name).
  returned: success
  type: list
  elements: str
sentinel:
  description:
    - With O(sentinel) - C(label_selector) that finds its Deployment and, with an C(ip), the
      C(deployment) (one pod of the gateway image's bfdd on C(subnet), its address fixed by
      Kube-OVN's C(ip_pool) annotation, on one of the port's nodes, the first if it can), the
      C(dst_ip) of its OVN BFD row and that row's intervals C(bfd) (C(min_rx), C(min_tx), C(detect_mult)).
  returned: success
  type: dict
field:
  description: The field of the failure.
  returned: failure
  type: str
value:
  description: Its value.
  returned: failure
  type: raw
"""
