# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VPC's BFD router port as Kube-OVN lays it out (kube-ovn-behaviour.md §1.6): its chassis and
its networks.

Pure Python, no I/O. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import parse_interface_address
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, shown
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import label_selector
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._discovery import selector_matches


CHASSIS_ANNOTATION = "ovn.kubernetes.io/chassis"
BFD_PORT_DEFAULT_NODES = 3


def bfd_port_nodes(nodes: list, node_selector: dict | None, limit: int = BFD_PORT_DEFAULT_NODES,
                   field: str = "nodeSelector") -> list:
    """The nodes carrying a VPC's BFD port, highest priority first.

    As Kube-OVN's reconcileVpcBfdLRP: the nodes matching ``node_selector`` (a LabelSelector), or
    the first ``limit`` nodes when there is none. ``field`` names the selector in an error.
    """
    selector = None
    if node_selector:
        selector = label_selector(node_selector, field, "node")
    ordered = sorted(nodes, key=lambda n: n["metadata"]["name"])
    chosen = [n for n in ordered if selector_matches(selector, n["metadata"].get("labels"))]
    if selector is None:
        chosen = chosen[:limit]
    if not chosen:
        raise EgressGatewayError(f"{field}: no node matches the BFD port's node selector "
                                 f"(got {shown(node_selector)})", field=field, value=node_selector)
    return chosen


def chassis_of(node: dict) -> str:
    """A node's chassis: its ``ovn.kubernetes.io/chassis`` annotation (the node's name when
    Kube-OVN has not written it)."""
    return (node["metadata"].get("annotations") or {}).get(CHASSIS_ANNOTATION) or node["metadata"]["name"]


def bfd_port_networks(ip: str, field: str = "bfdPort.ip") -> list:
    """Kube-OVN's ``spec.bfdPort.ip`` ("v4", "v6" or "v4,v6") as router port networks (host prefix
    when none is given); ``field`` names it in an error."""
    return [parse_interface_address(part.strip(), field, default_length=True)
            for part in (ip or "").split(",") if part.strip()]
