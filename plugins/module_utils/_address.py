# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPv4/IPv6 addresses and CIDRs as the model accepts them, through netaddr.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import re

try:
    import netaddr
    NETADDR_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported as an EgressGatewayError when used
    netaddr = None
    NETADDR_IMPORT_ERROR = exc

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import check_type, fail, string_list


_PREFIX_LENGTH = re.compile(r"^(0|[1-9][0-9]{0,2})$")


def _require_netaddr():
    if netaddr is None:
        raise EgressGatewayError(f"the python 'netaddr' library is required: {NETADDR_IMPORT_ERROR}")


def parse_ip(value, path):
    """One IPv4 or IPv6 address, strictly (no prefixes, no zone, no IPv4-mapped IPv6)."""
    _require_netaddr()
    check_type(value, path, str)
    try:
        address = netaddr.IPAddress(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        fail(path, value, "is not an IPv4 or IPv6 address")
    if address.version == 6 and address.is_ipv4_mapped():
        fail(path, value, "is an IPv4-mapped IPv6 address; give the IPv4 address itself")
    if address.is_multicast() or int(address) == 0:
        fail(path, value, "must be a unicast address")
    return address


def parse_ip_block(value, path) -> tuple[int, str]:
    """An IPv4/IPv6 address or CIDR; returns (family, canonical text); host bits must be zero."""
    _require_netaddr()
    check_type(value, path, str)
    if "," in value:
        fail(path, value, "must be one address or CIDR per entry (IPv4 and IPv6 go in separate entries)")
    text, slash, length = value.partition("/")
    try:
        address = netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        fail(path, value, "is not an IPv4/IPv6 address or CIDR")
    if address.version == 6 and address.is_ipv4_mapped():
        fail(path, value, "mixes families (IPv4-mapped IPv6); give the IPv4 CIDR itself")
    if not slash:
        return address.version, str(address)
    max_length = 32 if address.version == 4 else 128
    if not _PREFIX_LENGTH.match(length) or int(length) > max_length:
        fail(path, value, f"prefix length must be 0-{max_length} for IPv{address.version}")
    network = netaddr.IPNetwork(f"{address}/{int(length)}")
    if network.ip != network.network:
        fail(path, value, f"has host bits set; the network is {network.cidr}")
    return address.version, str(network.cidr)


def parse_ip_pair(value, path) -> tuple[str, ...]:
    """An internalIPs/externalIPs entry: "v4", "v6" or "v4,v6" (either order)."""
    check_type(value, path, str)
    parts = value.split(",")
    if len(parts) > 2:
        fail(path, value, "must be one address, or an IPv4 and an IPv6 address separated by ','")
    addresses = [parse_ip(part, path) for part in parts]
    if len(addresses) == 2 and addresses[0].version == addresses[1].version:
        fail(path, value, "a pair must be one IPv4 and one IPv6 address")
    return tuple(str(a) for a in sorted(addresses, key=lambda a: a.version))


def _families_of(entry: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(netaddr.IPAddress(a).version for a in entry)


def ip_list(value, path) -> tuple[str, ...]:
    entries = string_list(value, path, parse_ip_pair)
    if entries:
        first = _families_of(entries[0])
        for i, entry in enumerate(entries):
            if _families_of(entry) != first:
                fail(f"{path}[{i}]", value[i],
                     f"mixes address families with {path}[0] ({value[0]!r}); every entry must have the same families")
    seen = {}
    for i, entry in enumerate(entries):
        for address in entry:
            if address in seen:
                fail(f"{path}[{i}]", value[i], f"address {address} is also in {path}[{seen[address]}]")
            seen[address] = i
    return tuple(",".join(e) for e in entries)
