#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.
from __future__ import annotations

DOCUMENTATION = r"""
module: role_inputs
short_description: Check the variables set for a role of this collection, failing with one line
description:
  - Validates the variables the play sees for one of this collection's roles against the role's
    C(meta/argument_specs.yml) (types, choices, required), as the role's own argument validation
    does, but fails with one line naming each wrong variable and its value.
  - A variable with the role's prefix that is not one of its options (a typo such as
    C(egress_gateway_nb_conection)) is an error too, with the closest option as a suggestion.
  - The collection's playbooks run it before their role, so a wrong variable changes nothing.
version_added: 0.2.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.controller
  - kubeovn.egress_gateway.read_only
options:
  role:
    description: The role (its name in this collection, e.g. C(egress_gateway)).
    type: str
    required: true
  allowed:
    description: Further variables with the role's prefix that are not options but expected (a playbook's own).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Check the variables of role egress_gateway
  kubeovn.egress_gateway.role_inputs:
    role: egress_gateway
"""

RETURN = r"""
"""
