# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes of the controller-side steps of the playbooks (veg_manifest, role_inputs, veg_wait, veg_workload,
veg_bfd_port); they change nothing (with the read_only fragment)."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    description: The work is done by an action plugin on the controller.
  platform:
    support: full
    platforms: posix
    description: The controller (the action runs there).
"""
