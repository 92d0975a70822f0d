# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters exposing the agent's own rules to the agent roles, so that the roles derive nothing.

veg_agent_state_dir    the state directory of one agent part (bfdd, snat-log) for a namespace
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._netlink import STATE_ROOT, agent_state_dir


def veg_agent_state_dir(netns, part, state_root=STATE_ROOT):
    """The rule of gateway_bfdd's and gateway_snat_log's own defaults."""
    return agent_state_dir(netns or None, part, state_root)


class FilterModule:
    def filters(self):
        return {"veg_agent_state_dir": veg_agent_state_dir}
