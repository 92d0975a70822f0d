# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A standalone gateway (role ``standalone_gateway``: hosts or network namespaces as instances,
no Kubernetes), derived from the model once: the instances the reconciler is given, what each
instance's agent is given, and the status. The role's vars only call these through the private
filters of plugins/filter/agent.py.

Errors name the role's variable (``standalone_gateway_internal_ip[1]``) and the value.

Pure Python, no I/O. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import parse_ip
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import policy_sources
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import check_type
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import FAMILIES, Gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway_status import instances_status

# The role's variables (per host, or for the play) these functions read.
INTERNAL_IP = "standalone_gateway_internal_ip"
EXTERNAL_IP = "standalone_gateway_external_ip"
NODE = "standalone_gateway_node"
INSTANCE_STATE = "standalone_gateway_instance_state"
INTERNAL_GATEWAY = "standalone_gateway_internal_gateway"
EXTERNAL_GATEWAY = "standalone_gateway_external_gateway"
BFD_PEER_IPS = "standalone_gateway_bfd_peer_ips"
SUBNET_CIDRS = "standalone_gateway_subnet_cidrs"


def addresses(value, variable) -> list:
    """A role variable of addresses (``"v4"``, ``"v4,v6"`` or a list; empty entries skipped) ->
    the validated addresses (netaddr.IPAddress) in the order given."""
    items = value.split(",") if isinstance(value, str) else check_type(value or [], variable, list)
    return [parse_ip(item, f"{variable}[{i}]") for i, item in enumerate(items) if item != ""]


def play_instances(hosts, hostvars, sentinels=()) -> list:
    """The reconciler's ``instances`` from the play's hosts: every host but the BFD sentinels
    whose instance state is present, in play order, ``{"name", "node", "internal_ips",
    "external_ips"}`` from its host variables (the node defaults to the host's name)."""
    out = []
    for host in hosts:
        variables = hostvars[host]
        if host in sentinels or variables.get(INSTANCE_STATE, "present") != "present":
            continue
        out.append({"name": host, "node": variables.get(NODE, host),
                    "internal_ips": [str(a) for a in addresses(variables.get(INTERNAL_IP), INTERNAL_IP)],
                    "external_ips": [str(a) for a in addresses(variables.get(EXTERNAL_IP), EXTERNAL_IP)]})
    return out


def _first(found, af):
    return next((str(a) for a in found if a.version == af), None)


def agent_families(gateway: Gateway, subnet_cidrs, internal_ip, internal_gateway, external_gateway=None,
                   external_ip=None, bfd_peer_ips=()) -> dict:
    """The gateway_agent role's ``ipv4`` and ``ipv6`` settings for one instance; None for a family
    the instance has no internal address or no internal gateway of. Routes go to the policies'
    sources (and to the BFD peers when BFD is on) via the internal gateway, never to the gateway
    itself; the sources of the no-SNAT policies are forwarded with the client's address."""
    mine = addresses(internal_ip, INTERNAL_IP)
    gateways = addresses(internal_gateway, INTERNAL_GATEWAY)
    external_gateways = addresses(external_gateway, EXTERNAL_GATEWAY)
    external_ips = addresses(external_ip, EXTERNAL_IP)
    peers = addresses(bfd_peer_ips, BFD_PEER_IPS) if gateway.bfd.enabled else []
    sources = policy_sources(gateway.policies, subnet_cidrs, SUBNET_CIDRS)
    forward = policy_sources(gateway.forward_policies(), subnet_cidrs, SUBNET_CIDRS)
    out = {}
    for af in FAMILIES:
        ip, via = _first(mine, af), _first(gateways, af)
        if ip is None or via is None:
            out[f"ipv{af}"] = None
            continue
        own_gateways = {str(a) for a in gateways if a.version == af}
        routes = []
        for target in sources[af] + [str(p) for p in peers if p.version == af]:
            if target not in own_gateways and target not in routes:
                routes.append(target)
        family = {"internal_gateway": via, "internal_ip": ip, "routes": routes, "no_snat_sources": forward[af]}
        if _first(external_gateways, af):
            family["external_gateway"] = _first(external_gateways, af)
        if _first(external_ips, af):
            family["external_ip"] = _first(external_ips, af)
        out[f"ipv{af}"] = family
    return out


def status(gateway: Gateway, instances: list) -> dict:
    """The VpcEgressGateway status of a standalone gateway: no Deployment, its replicas are the
    instances in the play, ready when there is one."""
    return instances_status(gateway, instances, bool(instances), len(instances))
