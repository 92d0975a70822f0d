#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.
from __future__ import annotations

DOCUMENTATION = r"""
module: veg_nb_rows
short_description: The NB rows of several gateways in one transaction, written from the controller's process
description:
  - PRIVATE to the playbook C(kubeovn.egress_gateway.reconcile) (the action of the Event-Driven
    Ansible rulebooks), not a public interface; its options and result may change in any release.
  - M(kubeovn.egress_gateway.ovn_egress_gateway) with O(gateways), the same code and the same
    result, run in the process of C(ansible-playbook) instead of a module process. It saves the module
    process (AnsiballZ, a new Python, Ansible's module code imported again) of every event;
    docs/benchmarks.md measures both (the rows task).
  - The controller must reach the NB and have python-ovs, as C(ansible_playbook_python) does
    for the module in that playbook.
version_added: 0.2.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
options:
  gateways:
    description:
      - The gateways, each a mapping of the single-gateway options of
        M(kubeovn.egress_gateway.ovn_egress_gateway) (C(spec), C(name), C(namespace), C(router),
        C(bfd_port), C(instances), C(pod_ports), C(subnet_cidrs), C(node_port_groups), C(state)).
        Errors name the item, for example C(gateways[2].spec.replicas), and nothing is written.
    type: list
    elements: dict
    required: true
  bfd_wait:
    description: As the module's O(kubeovn.egress_gateway.ovn_egress_gateway#module:bfd_wait).
    type: float
    default: 0
"""

EXAMPLES = r"""
- name: Write the NB rows of the gateways of an event
  kubeovn.egress_gateway.veg_nb_rows:
    connection: tcp:192.0.2.10:6641
    gateways: "{{ ansible_eda.event.egress_gateway.gateways }}"
"""

RETURN = r"""
changes:
  description: Each row change of the transaction (planned ones in check mode).
  returned: always
  type: list
  elements: dict
gateways:
  description: Per gateway its names, policies, BFD rows and missing ports, as the module's RV(kubeovn.egress_gateway.ovn_egress_gateway#module:gateways).
  returned: success
  type: list
  elements: dict
field:
  description: The field of the failure, for example C(gateways[1].spec.replicas).
  returned: failure
  type: str
value:
  description: Its value.
  returned: failure
  type: raw
"""
