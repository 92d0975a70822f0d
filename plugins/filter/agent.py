# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters exposing the agent's own rules and the model of a standalone gateway
(module_utils/_netlink.py, _standalone.py) to the agent roles, so that the roles derive nothing.

veg_agent_state_dir         the state directory of one agent part (bfdd, snat-log) for a namespace
veg_standalone_instances    the reconciler's instances from the play's hosts (standalone_gateway)
veg_standalone_families     gateway_agent's ipv4/ipv6 settings of one standalone instance
veg_standalone_status       the VpcEgressGateway status of those instances (no Deployment)

Each raises AnsibleFilterError with the variable and value of the first problem.
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _standalone
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._netlink import STATE_ROOT, agent_state_dir
from ansible_collections.kubeovn.egress_gateway.plugins.plugin_utils._filters import call, gateway_of


def veg_agent_state_dir(netns, part, state_root=STATE_ROOT):
    """The rule of gateway_bfdd's and gateway_snat_log's own defaults."""
    return agent_state_dir(netns or None, part, state_root)


def veg_standalone_instances(hosts, hostvars, sentinels=None):
    """``ansible_play_hosts | kubeovn.egress_gateway.veg_standalone_instances(hostvars, sentinels)``."""
    return call("standalone gateway instances", _standalone.play_instances, hosts, hostvars, sentinels or [])


def veg_standalone_families(obj, subnet_cidrs=None, internal_ip=None, internal_gateway=None, external_gateway=None,
                            external_ip=None, bfd_peer_ips=None):
    return call("standalone gateway instance", _standalone.agent_families, gateway_of(obj), subnet_cidrs or {},
                internal_ip, internal_gateway, external_gateway, external_ip, bfd_peer_ips or [])


def veg_standalone_status(obj, instances):
    return _standalone.status(gateway_of(obj), instances or [])


class FilterModule:
    def filters(self):
        return {"veg_agent_state_dir": veg_agent_state_dir, "veg_standalone_instances": veg_standalone_instances,
                "veg_standalone_families": veg_standalone_families, "veg_standalone_status": veg_standalone_status}
