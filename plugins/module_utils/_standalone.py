# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A standalone gateway (no Kubernetes: hosts or namespaces as instances, role
``standalone_gateway``): what each instance's agent is given and which instances the reconciler
sees, derived from the model once (the role's vars only call these through filters).

Pure Python, no I/O. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import (
    family_of, parse_ip, parse_ip_block,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._discovery import policy_cidrs
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import FAMILIES, Gateway


def split_addresses(value, path) -> dict:
    """"v4", "v6", "v4,v6" or a list of them -> {family: [canonical addresses]} (validated)."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out = {}
    for i, item in enumerate(i for i in items if i):
        address = parse_ip(item, f"{path}[{i}]")
        out.setdefault(address.version, []).append(str(address))
    return out


def agent_families(gateway: Gateway, subnet_cidrs: dict, internal_ips, internal_gateways, external_gateways=None,
                   external_ips=None, bfd_peer_ips=()) -> dict:
    """The gateway_agent role's ``ipv4``/``ipv6`` settings for one instance (None for a family
    the instance has no internal address or internal gateway of): its addresses, the routes to
    the policy CIDRs (and the BFD peers when BFD is on) via the internal gateway, and the
    forward CIDRs that are not SNATed."""
    mine = split_addresses(internal_ips, "internal_ip")
    gateways = split_addresses(internal_gateways, "internal_gateway")
    ext_gateways = split_addresses(external_gateways or "", "external_gateway")
    ext_ips = split_addresses(external_ips or "", "external_ip")
    snat, forward = policy_cidrs(gateway, subnet_cidrs)
    peers = [parse_ip_block(p, f"bfd_peer_ips[{i}]")[1] for i, p in enumerate(bfd_peer_ips or ())]
    routes = sorted(set(snat) | set(forward)) + (peers if gateway.bfd.enabled else [])
    out = {}
    for af in FAMILIES:
        if not (mine.get(af) and gateways.get(af)):
            out[f"ipv{af}"] = None
            continue
        family = {"internal_gateway": gateways[af][0], "internal_ip": mine[af][0],
                  "routes": [r for r in routes if family_of(r) == af and r not in gateways[af]],
                  "no_snat_sources": [c for c in forward if family_of(c) == af]}
        if ext_gateways.get(af):
            family["external_gateway"] = ext_gateways[af][0]
        if ext_ips.get(af):
            family["external_ip"] = ext_ips[af][0]
        out[f"ipv{af}"] = family
    return out


def play_instances(hosts) -> list:
    """The reconciler's instances from the play's instance hosts: ``[{"name", "node",
    "internal_ip", "external_ip", "state"}]`` (the role's per-host variables); hosts whose state
    is absent drop out."""
    out = []
    for host in hosts:
        if (host.get("state") or "present") != "present":
            continue
        out.append({"name": host["name"], "node": host.get("node") or host["name"],
                    "internal_ips": [a for af in FAMILIES
                                     for a in split_addresses(host["internal_ip"], "internal_ip").get(af, [])],
                    "external_ips": [a for af in FAMILIES
                                     for a in split_addresses(host.get("external_ip") or "", "external_ip").get(af, [])]})
    return out
