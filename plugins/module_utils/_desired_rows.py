# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A gateway's desired NB rows (kube-ovn-behaviour.md §1.3) from its model and observed instances.

Pure Python, no I/O. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import family_of, parse_ip, parse_ip_block, sort_key
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import (
    OVN_IDENTIFIER, Fields, check_name, check_type, fail, string_list,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import (
    FAMILIES, PRIORITY_DROP, PRIORITY_LOCAL, PRIORITY_REROUTE, Gateway,
)


@dataclass(frozen=True)
class Instance:
    name: str
    node: str
    internal_ips: tuple  # of netaddr.IPAddress
    external_ips: tuple

    def nexthop(self, af: int) -> str | None:
        """The instance's first internal address of family ``af`` (Kube-OVN: the pod's first IP)."""
        return next((str(a) for a in self.internal_ips if a.version == af), None)


def parse_instances(instances, path="instances") -> tuple[Instance, ...]:
    out = []
    names, nexthops, internal_of = {}, {}, {}
    for i, item in enumerate(check_type(instances or [], path, list)):
        item_path = f"{path}[{i}]"
        fields = Fields(item, item_path, ("name", "node", "internal_ips", "external_ips"))
        name = check_name(fields.get("name", (str,), required=True), fields.sub("name"))
        if name in names:
            fail(fields.sub("name"), name, f"duplicate of {path}[{names[name]}].name")
        names[name] = i
        # The node name reaches OVN matches through the node's port group: DNS-1123 only.
        node = check_name(fields.get("node", (str,), required=True), fields.sub("node"))

        def addresses(key):
            return string_list(fields.get(key, (list,), []), fields.sub(key), parse_ip)

        internal = addresses("internal_ips")
        if not internal:
            fail(fields.sub("internal_ips"), item.get("internal_ips"), "an instance needs an internal IP")
        instance = Instance(name, node, internal, addresses("external_ips"))
        internal_of.update((address, i) for address in internal)
        for af in FAMILIES:
            hop = instance.nexthop(af)
            if hop is not None and hop in nexthops:
                fail(fields.sub("internal_ips"), hop, f"nexthop {hop} is also {nexthops[hop]}'s")
            if hop is not None:
                nexthops[hop] = name
        out.append(instance)
    for i, instance in enumerate(out):
        for j, address in enumerate(instance.external_ips):
            if address in internal_of:
                fail(f"{path}[{i}].external_ips[{j}]", str(address),
                     f"is also the internal IP of {path}[{internal_of[address]}]; an external IP must differ")
    return tuple(out)


def node_port_group(node: str) -> str:
    """Kube-OVN's per-node port group: the node's port name ``node-<node>`` with '-' -> '.'."""
    return f"node-{node}".replace("-", ".")


def policy_sources(policies, subnet_cidrs, path="subnet_cidrs") -> dict:
    """{4: [...], 6: [...]}: the source blocks of ``policies`` (ipBlocks, then the CIDRs
    ``subnet_cidrs`` gives their subnets), each once, in the order the policies give them."""
    subnet_cidrs = check_type(subnet_cidrs or {}, path, dict)
    out = {4: [], 6: []}

    def add(af, text):
        if text not in out[af]:
            out[af].append(text)

    for p, policy in enumerate(policies):
        for block in policy.ip_blocks:
            add(family_of(block), block)
        for s, subnet in enumerate(policy.subnets):
            if subnet not in subnet_cidrs:
                fail(f"spec.policies[{p}].subnets[{s}]", subnet,
                     f"subnet has no CIDR in {path} (give its cidrBlock)")
            cidrs = subnet_cidrs[subnet]
            cidr_path = f"{path}.{subnet}"
            if isinstance(cidrs, str):
                cidrs = cidrs.split(",")  # Kube-OVN's dual-stack cidrBlock "v4,v6"
            for i, cidr in enumerate(check_type(cidrs, cidr_path, list)):
                add(*parse_ip_block(cidr, f"{cidr_path}[{i}]"))
    return out


def _port_names(pod_ports, path) -> list[str]:
    ports = set()
    for i, port in enumerate(check_type(pod_ports or [], path, list)):
        if not isinstance(port, str) or not port:
            fail(f"{path}[{i}]", port, "must be a logical switch port name")
        ports.add(port)
    return sorted(ports)


def _sorted(texts) -> list[str]:
    return sorted(set(texts), key=sort_key)


def desired_rows(gateway: Gateway, router: str, bfd_port: str | None, instances, pod_ports,
                 subnet_cidrs, node_port_groups=None) -> dict:
    """The NB rows Kube-OVN v1.14 keeps for this gateway (kube-ovn-behaviour.md §1.3).

    Plain data in NB column names: port_groups, address_sets, bfd, policies (for ``router``).
    Policies refer to BFD rows by (logical_port, dst_ip). Only address families with nexthops get
    address sets, BFD rows and policies. Better than v1.14: the port group and the family's
    address set always exist when a policy references them (#7247), Local without BFD writes no
    empty BFD session (#6927), changed BFD intervals are part of the wanted row.

    ``node_port_groups`` maps a node to its port group when it is not Kube-OVN's
    ``node.<node with '-' -> '.'>``.
    """
    if not isinstance(router, str) or not router:
        fail("router", router, "must be the logical router's name")
    if gateway.bfd.enabled and not bfd_port:
        fail("spec.bfd.enabled", True, "BFD is enabled but no BFD port is given (bfd_port)")
    if bfd_port is not None and (not isinstance(bfd_port, str) or not bfd_port):
        fail("bfd_port", bfd_port, "must be a logical router port name")
    parsed = parse_instances(instances)
    ports = _port_names(pod_ports, "pod_ports")
    sources = policy_sources(gateway.policies, subnet_cidrs)
    node_pgs = check_type(node_port_groups or {}, "node_port_groups", dict)
    for node, pg in node_pgs.items():
        if not isinstance(pg, str) or not OVN_IDENTIFIER.fullmatch(pg):
            fail(f"node_port_groups.{node}", pg, "must be a port group name usable in an OVN match "
                 "(letters, digits, '_' and '.')")

    rows = {"router": router, "port_groups": [], "address_sets": [], "bfd": [], "policies": []}
    families = [af for af in FAMILIES if any(i.nexthop(af) for i in parsed)]
    if not families:
        return rows
    # Kube-OVN creates the port group on the first family it reconciles, with that af.
    rows["port_groups"].append({"name": gateway.port_group, "ports": ports,
                                "external_ids": gateway.external_ids(families[0])})
    bfd = gateway.bfd
    for af in families:
        ids = gateway.external_ids(af)
        rows["address_sets"].append({"name": gateway.address_set(af),
                                     "addresses": _sorted(sources[af]), "external_ids": ids})
        nexthops = _sorted(i.nexthop(af) for i in parsed if i.nexthop(af))
        sessions = [(bfd_port, hop) for hop in nexthops] if bfd.enabled else []
        for hop in nexthops if bfd.enabled else ():
            rows["bfd"].append({"logical_port": bfd_port, "dst_ip": hop, "min_rx": bfd.min_rx,
                                "min_tx": bfd.min_tx, "detect_mult": bfd.multiplier, "external_ids": ids})
        sources_match = (f"ip{af}.src == ${gateway.port_group}_ip{af}",
                         f"ip{af}.src == ${gateway.address_set(af)}")
        for match in sources_match:
            rows["policies"].append({"priority": PRIORITY_REROUTE, "match": match, "action": "reroute",
                                     "nexthops": nexthops, "bfd_sessions": sessions, "external_ids": ids})
            if bfd.enabled:
                rows["policies"].append({"priority": PRIORITY_DROP, "match": match, "action": "drop",
                                         "nexthops": [], "bfd_sessions": [], "external_ids": ids})
        if gateway.traffic_policy != "Local":
            continue
        by_node = {}
        for instance in parsed:
            if instance.nexthop(af):
                by_node.setdefault(instance.node, []).append(instance.nexthop(af))
        for node in sorted(by_node):
            local_pg = node_pgs.get(node, node_port_group(node))
            hops = _sorted(by_node[node])
            for match in sources_match:
                rows["policies"].append({
                    "priority": PRIORITY_LOCAL, "match": f"ip{af}.src == ${local_pg}_ip{af} && {match}",
                    "action": "reroute", "nexthops": hops,
                    "bfd_sessions": [(bfd_port, hop) for hop in hops] if bfd.enabled else [],
                    "external_ids": ids,
                })
    rows["policies"].sort(key=lambda p: (-p["priority"], p["match"]))
    return rows
