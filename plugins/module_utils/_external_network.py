# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inputs of the external network's objects (the Multus NetworkAttachmentDefinition and the
Kube-OVN Subnet), checked before either object is written.

The values end up in objects other programs parse: the macvlan CNI plugin opens ``master`` as an
interface, Kube-OVN's IPAM reads ``cidrBlock``, ``gateway`` and ``excludeIps``. A value the
apiserver would store but they would refuse (or read differently) is an error here, naming the
variable and the value. Pure Python, no I/O.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from typing import Mapping

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import (
    contains, parse_ip, parse_ip_block,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import (
    DNS1123_LABEL, check_name, fail, interface_name,
)

PROTOCOL_FAMILIES = {"IPv4": (4,), "IPv6": (6,), "Dual": (4, 6)}


def provider(value, path) -> tuple[str, str]:
    """``<nad name>.<nad namespace>`` -> (namespace, name); Kube-OVN's egress gateway takes no other."""
    check_name(value, path)
    name, dot, namespace = value.partition(".")
    if not dot or not DNS1123_LABEL.fullmatch(name) or not DNS1123_LABEL.fullmatch(namespace):
        fail(path, value, "must be <nad name>.<nad namespace>, the provider of a Multus "
             "NetworkAttachmentDefinition")
    return namespace, name


def _per_family(value, path, parse, families):
    """``v4`` / ``v6`` / ``v4,v6`` as Kube-OVN writes them -> {family: parsed}, one per family of
    the subnet's protocol."""
    found = {}
    for part in value.split(","):
        family, parsed = parse(part, path)
        if family in found:
            fail(path, value, f"gives two IPv{family} values; give one per address family")
        found[family] = parsed
    if tuple(sorted(found)) != families:
        wanted = " and ".join(f"IPv{f}" for f in families)
        fail(path, value, f"must give {'one ' if len(families) == 1 else ''}{wanted} "
             f"{'value' if len(families) == 1 else 'values'} for the protocol")
    return found


def _cidr(part, path):
    family, text = parse_ip_block(part, path)
    if "/" not in text:
        fail(path, part, "must be a CIDR (ADDRESS/LENGTH)")
    return family, text


def _gateway(part, path):
    address = parse_ip(part, path)
    return address.version, address


def _exclude_ip(value, path, cidrs):
    """One ``excludeIps`` entry: an address or a range ``first..last`` inside the subnet."""
    parts = value.split("..")
    if len(parts) > 2:
        fail(path, value, "must be an address or a range FIRST..LAST")
    addresses = [parse_ip(part, path) for part in parts]
    if len({a.version for a in addresses}) > 1:
        fail(path, value, "a range must be of one address family")
    if len(addresses) == 2 and addresses[0] > addresses[1]:
        fail(path, value, "the range's first address is after its last")
    if addresses[0].version not in cidrs:
        fail(path, value, f"is IPv{addresses[0].version}; the subnet has no such family")


def subnet(values: Mapping, prefix: str = "external_subnet_") -> None:
    """The external_subnet role's variables (state present), or the same keys under ``prefix``
    (a name left out is the gateway's spec.externalSubnet, which the model checks)."""
    if "name" in values:
        check_name(values["name"], f"{prefix}name")
    protocol = values.get("protocol") or "IPv4"
    if protocol not in PROTOCOL_FAMILIES:
        fail(f"{prefix}protocol", protocol, "must be IPv4, IPv6 or Dual")
    families = PROTOCOL_FAMILIES[protocol]
    provider(values.get("provider"), f"{prefix}provider")
    cidr_path = f"{prefix}cidr_block"
    if not values.get("cidr_block"):
        fail(cidr_path, values.get("cidr_block"), "is required with state present")
    cidrs = _per_family(values["cidr_block"], cidr_path, _cidr, families)
    if values.get("gateway"):
        gateway_path = f"{prefix}gateway"
        for family, address in _per_family(values["gateway"], gateway_path, _gateway, families).items():
            if not contains(cidrs[family], address):
                fail(gateway_path, values["gateway"], f"{address} is outside the subnet's {cidrs[family]}")
    for i, entry in enumerate(values.get("exclude_ips") or ()):
        _exclude_ip(entry, f"{prefix}exclude_ips[{i}]", cidrs)


def attachment(values: Mapping, prefix: str = "network_attachment_") -> None:
    """The network_attachment role's variables (state present), or the same keys under ``prefix``."""
    check_name(values.get("name"), f"{prefix}name")
    check_name(values.get("namespace") or "default", f"{prefix}namespace", DNS1123_LABEL, 63, "a DNS-1123 label")
    if not values.get("master"):
        fail(f"{prefix}master", values.get("master"), "is required with state present (the host interface "
             "of the macvlan)")
    interface_name(values["master"], f"{prefix}master")
    if values.get("provider"):
        provider(values["provider"], f"{prefix}provider")


def _own(values: Mapping, prefix: str) -> dict:
    return {name[len(prefix):]: value for name, value in values.items() if name.startswith(prefix)}


def role_variables(role: str, values: Mapping) -> None:
    """The checks above for the variables a user gave one of the collection's roles (state present):
    the two external-network roles, and the egress_gateway role that passes its
    ``egress_gateway_network_attachment`` / ``egress_gateway_external_subnet`` mappings on."""
    if values.get(f"{role}_state", "present") != "present":
        return
    if role == "network_attachment":
        attachment(_own(values, "network_attachment_"))
    elif role == "external_subnet":
        subnet(_own(values, "external_subnet_"))
    elif role == "egress_gateway":
        if values.get("egress_gateway_network_attachment"):
            attachment(values["egress_gateway_network_attachment"], "egress_gateway_network_attachment.")
        if values.get("egress_gateway_external_subnet"):
            subnet(values["egress_gateway_external_subnet"], "egress_gateway_external_subnet.")
