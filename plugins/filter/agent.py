# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters exposing the model to the agent roles (gateway_agent, standalone_gateway), so that the
roles derive nothing themselves.

veg_agent_families     the gateway_agent ipv4/ipv6 settings of one standalone instance
veg_play_instances     the reconciler's instances from the play's instance hosts
veg_instances_status   the VpcEgressGateway status of those instances (no Deployment)
veg_agent_state_dir    the state directory of one agent part (bfdd, snat-log) for a namespace

Each raises AnsibleFilterError with the field and value of the first problem.
"""
from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _standalone
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._bfdd import DEFAULT_STATE_ROOT
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway_status import instances_status
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._netlink import netns_key

# The standalone_gateway role's per-host variables that describe an instance.
HOST_VARIABLES = {"internal_ip": "standalone_gateway_internal_ip", "external_ip": "standalone_gateway_external_ip",
                  "node": "standalone_gateway_node", "state": "standalone_gateway_instance_state"}


def _call(what, func, *args):
    try:
        return func(*args)
    except EgressGatewayError as exc:
        raise AnsibleFilterError(f"{what}: {exc}") from exc


def veg_agent_families(obj, subnet_cidrs, internal_ips, internal_gateways, external_gateways=None,
                       external_ips=None, bfd_peer_ips=None):
    gateway = _call("invalid VpcEgressGateway", parse_gateway, obj)
    return _call("standalone instance", _standalone.agent_families, gateway, subnet_cidrs or {}, internal_ips,
                 internal_gateways, external_gateways, external_ips, bfd_peer_ips or [])


def veg_play_instances(hosts, hostvars):
    """``ansible_play_hosts | difference(sentinels) | kubeovn.egress_gateway.veg_play_instances(hostvars)``."""
    described = []
    for host in hosts:
        variables = hostvars[host]
        described.append({"name": host, **{key: variables.get(name) for key, name in HOST_VARIABLES.items()}})
    return _call("standalone instances", _standalone.play_instances, described)


def veg_instances_status(obj, instances):
    gateway = _call("invalid VpcEgressGateway", parse_gateway, obj)
    return instances_status(gateway, instances or [], bool(instances), len(instances or []))


def veg_agent_state_dir(netns, part, state_root=DEFAULT_STATE_ROOT):
    """``<state_root>/<part>/<namespace as a file name>``, as gateway_bfdd's own default."""
    return os.path.join(state_root, part, netns_key(netns or None))


class FilterModule:
    def filters(self):
        return {"veg_agent_families": veg_agent_families, "veg_play_instances": veg_play_instances,
                "veg_instances_status": veg_instances_status, "veg_agent_state_dir": veg_agent_state_dir}
