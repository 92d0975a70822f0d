#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.
from __future__ import annotations

DOCUMENTATION = r"""
module: veg_workload
short_description: Work out an egress gateway's Deployment, router and BFD port from the cluster, failing with one line
description:
  - PRIVATE to the roles of this collection (C(egress_gateway)), not a public interface; its
    options and result may change in any release.
  - Builds the Deployment Kube-OVN v1.14 would build for the gateway, and finds its router, BFD
    port and the CIDRs of the policies' subnets, from the Vpc and Subnet objects the caller read
    (what the private filter C(veg_workload) returns).
  - "A gateway the cluster cannot run - its C(spec.internalSubnet), C(spec.externalSubnet) or a
    policy's subnet names a Subnet that does not exist, the external Subnet is no Multus network,
    BFD is on and the Vpc has no BFD port, C(spec.nodeSelector) matches none of O(nodes) - fails the task with one line,
    C(FIELD: problem (got VALUE)), and the C(field) and C(value) return values."
  - Runs on the controller and reads or writes nothing itself.
version_added: 0.2.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.controller
  - kubeovn.egress_gateway.read_only
options:
  gateway:
    description: The VpcEgressGateway (validated before, by M(kubeovn.egress_gateway.veg_manifest)).
    type: raw
    required: true
  vpc:
    description: The gateway's Vpc object (empty when there is none).
    type: dict
    default: {}
  subnets:
    description: The cluster's Subnet objects.
    type: list
    elements: dict
    default: []
  planned_subnets:
    description:
      - Subnets the caller writes before the workload (the external network's); each one's
        non-empty C(spec) fields are taken over the read Subnet of its name, which need not exist
        yet. Lets the caller check the gateway before its first write.
    type: list
    elements: dict
    default: []
  nodes:
    description:
      - The cluster's Node objects. Given, a C(spec.nodeSelector) that matches none of them fails
        (no gateway pod could ever be scheduled). Omitted, nothing is checked.
    type: list
    elements: dict
  image:
    description: Image of the gateway pods when C(spec.image) is empty.
    type: str
  owner_uid:
    description: uid of the VpcEgressGateway object (the Deployment's owner reference); empty - none.
    type: str
  runtime:
    description: C(agent) or C(kube-ovn).
    type: str
    default: agent
  snat_log:
    description: The SNAT record's options (a C(snat-log) container); null - none.
    type: dict
"""

EXAMPLES = r"""
- name: Work out the gateway's workload
  kubeovn.egress_gateway.veg_workload:
    gateway: "{{ gateway }}"
    vpc: "{{ vpc.resources | first | default({}) }}"
    subnets: "{{ subnets.resources }}"
    image: registry.example.com/kubeovn-egress-gateway:0.2.0
  register: workload
"""

RETURN = r"""
deployment:
  description: The gateway's Deployment.
  returned: success
  type: dict
router:
  description: The logical router of the gateway's rows (the Vpc's C(status.router), else the VPC's name).
  returned: success
  type: str
bfd_port:
  description: The Vpc's BFD port (C(status.bfdPort.name), else C(bfd@<vpc>)).
  returned: success
  type: str
bfd_ip:
  description: The Vpc's BFD port IP when its BFD port is enabled, else empty.
  returned: success
  type: str
internal_subnet:
  description: The internal Subnet (C(spec.internalSubnet), else the Vpc's default one).
  returned: success
  type: str
external_provider:
  description: The external Subnet's provider, C(<nad name>.<nad namespace>).
  returned: success
  type: str
nad:
  description: The external network's NetworkAttachmentDefinition, C(<namespace>/<name>).
  returned: success
  type: str
subnet_cidrs:
  description: Subnet name -> cidrBlock of every subnet the policies name.
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
