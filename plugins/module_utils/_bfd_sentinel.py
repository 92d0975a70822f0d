# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VPC's BFD sentinel in Kubernetes mode: one pod on a subnet of the VPC that runs the gateway
image's BFD responder toward the BFD port and is never a next hop (docs/bfd.md). Its packets
keep stock OVN processing BFD timeouts, so when every gateway instance dies at once their
sessions go down and the 29090 drop takes over. Its OVN rows: ``ovn_bfd_sentinel``.

Pure Python, no I/O. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import contains, family_of, parse_ip_pair
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import (
    LOGICAL_SWITCH_ANNOTATION, RUNTIMES, bfdd_container,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import (
    DNS1123_LABEL, check_name, fail, label_value,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import DEFAULT_VPC, Bfd

LABEL = "egress-gateway.kubeovn.io/bfd-sentinel"
MANAGED_BY, COLLECTION = "app.kubernetes.io/managed-by", "kubeovn.egress_gateway"
# The sentinel sends every 100 ms (FRR's transmit = what OVN asks to receive): OVN notices dead
# instances at most one such interval after their detection time. OVN sends to it every second.
SENTINEL_BFD = Bfd(enabled=True, min_rx=100, min_tx=1000, multiplier=3)


def sentinel_name(vpc: str) -> str:
    return f"bfd-sentinel-{vpc}"


def label_selector(vpc: str) -> str:
    """What finds the VPC's sentinel Deployment, and only one this collection made."""
    return f"{LABEL}={vpc},{MANAGED_BY}={COLLECTION}"


def _check_subnet(subnet: dict | None, name: str, vpc: str, addresses: tuple, prefix: str) -> None:
    """The Subnet the sentinel's pod is on exists in the VPC and holds its address(es)."""
    if not subnet:
        fail(f"{prefix}_sentinel_subnet", name, f"Subnet {name!r} not found")
    spec = subnet.get("spec") or {}
    # Kube-OVN puts a Subnet without spec.vpc in the default VPC
    if (spec.get("vpc") or DEFAULT_VPC) != vpc:
        fail(f"{prefix}_sentinel_subnet", name, f"Subnet {name!r} is in VPC {spec.get('vpc') or DEFAULT_VPC!r}, not {vpc!r}")
    cidrs = [c.strip() for c in (spec.get("cidrBlock") or "").split(",") if c.strip()]
    for address in addresses:
        if not any(family_of(c) == family_of(address) and contains(c, address) for c in cidrs):
            fail(f"{prefix}_sentinel_ip", ",".join(addresses),
                 f"{address} is not in Subnet {name!r} (cidrBlock {spec.get('cidrBlock') or ''!r})")
        if address in (spec.get("gateway") or "").split(","):
            fail(f"{prefix}_sentinel_ip", ",".join(addresses), f"{address} is Subnet {name!r}'s gateway")


def build(vpc: str, namespace: str, subnet: str, subnet_object: dict | None, ip: str, image: str, peers: list,
          nodes: list, prefix: str, peers_field: str = "bfdPort.ip") -> dict:
    """The sentinel's Deployment, its OVN row's address and intervals, and its label selector.

    ``subnet_object``: the Subnet ``subnet`` as read (None when missing); ``ip``: the pod's fixed
    address ("v4", "v6" or "v4,v6"; Kube-OVN's ip_pool annotation keeps it over restarts);
    ``peers``: the BFD port's networks (address/prefix), from ``peers_field``; ``nodes``: the
    nodes of the port's chassis, highest priority first (the pod runs on one of them, the first
    if it can: it then fails only with the chassis that runs the port). ``prefix`` names the
    role's variables in errors.
    """
    name = sentinel_name(vpc)
    check_name(name, f"{prefix}_vpc (the sentinel Deployment {name})", DNS1123_LABEL, 63, "a DNS-1123 label")
    label_value(vpc, f"{prefix}_vpc")
    check_name(namespace, f"{prefix}_sentinel_namespace", DNS1123_LABEL, 63, "a DNS-1123 label")
    check_name(subnet, f"{prefix}_sentinel_subnet")
    if not image:
        fail(f"{prefix}_sentinel_image", image, "the sentinel runs the gateway image's bfdd; set it (make image)")
    addresses = parse_ip_pair(ip, f"{prefix}_sentinel_ip")
    if not peers:
        fail(peers_field, "", "the sentinel's BFD peer is the BFD port's address, and there is none")
    _check_subnet(subnet_object, subnet, vpc, addresses, prefix)
    peer_ips = [p.split("/")[0] for p in peers]
    # one OVN row (one policy "0" per router): the first family the port has; bfdd talks to that
    # family only, a session of the other would never come up
    dst_ip = next((a for a in addresses if any(family_of(p) == family_of(a) for p in peer_ips)), None)
    if dst_ip is None:
        fail(f"{prefix}_sentinel_ip", ip, f"the BFD port has no address of its family (port networks {peers})")
    labels = {LABEL: vpc, MANAGED_BY: COLLECTION}
    pod_spec = {
        "terminationGracePeriodSeconds": 0,
        "containers": [bfdd_container(SENTINEL_BFD, ",".join(p for p in peer_ips if family_of(p) == family_of(dst_ip)),
                                      image, RUNTIMES["agent"])],
    }
    if nodes:
        pod_spec["affinity"] = {"nodeAffinity": {
            # terms are OR-ed; a metadata.name field selector takes one value
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": [node]}]} for node in nodes]},
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "preference": {"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": [nodes[0]]}]}}]}}
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            # the fixed address is free again only once the old pod is gone
            "strategy": {"type": "Recreate"},
            "template": {
                "metadata": {"labels": labels, "annotations": {
                    LOGICAL_SWITCH_ANNOTATION: subnet, "ovn.kubernetes.io/ip_pool": ",".join(addresses)}},
                "spec": pod_spec,
            },
        },
    }
    return {"deployment": deployment, "dst_ip": dst_ip, "label_selector": label_selector(vpc),
            "bfd": {"min_rx": SENTINEL_BFD.min_rx, "min_tx": SENTINEL_BFD.min_tx, "detect_mult": SENTINEL_BFD.multiplier}}
