# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one parser of IPv4/IPv6 addresses and CIDRs (netaddr), for the model, the NB modules and
the agent alike: one rule everywhere, and one message naming the field and the value.

- ``parse_ip``: a unicast host address (no prefix, no zone, not IPv4-mapped, not multicast,
  unspecified, loopback, limited broadcast or class E): what may be a pod's, a nexthop's or a
  BFD peer's address.
- ``parse_ip_block``: an address or a CIDR, host bits refused (``10.17.0.1/16`` is an error that
  names ``10.17.0.0/16``, never silently masked).
- ``parse_cidr``: the same as a network (a bare address is its /32 or /128), as iptables and
  netlink list them.
- ``parse_interface_address``: an address with its prefix length (a router port's network).

Cheap to import (re, netaddr, _fields): the NB modules and the agent import it on every run.

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

# What an address's text may contain at all; netaddr (inet_pton rules) decides the rest.
_ADDRESS_TEXT = re.compile(r"[0-9A-Fa-f.:]{2,45}")
_PREFIX_LENGTH = re.compile(r"0|[1-9][0-9]{0,2}")


def _require_netaddr():
    if netaddr is None:
        raise EgressGatewayError(f"the python 'netaddr' library is required: {NETADDR_IMPORT_ERROR}")


def _address(text, path, value, what):
    _require_netaddr()
    try:
        if not _ADDRESS_TEXT.fullmatch(text):
            raise ValueError(text)
        address = netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        fail(path, value, f"is not {what}")
    if address.version == 6 and address.is_ipv4_mapped():
        fail(path, value, "is an IPv4-mapped IPv6 address; give the IPv4 address itself")
    return address


def _check_version(address, version, path, value):
    if version is not None and address.version != version:
        fail(path, value, f"is not an IPv{version} address")


def parse_ip(value, path, version=None):
    """A unicast host address -> netaddr.IPAddress; ``version`` (4/6) when the family is fixed."""
    check_type(value, path, str)
    address = _address(value, path, value, "an IPv4 or IPv6 address")
    _check_version(address, version, path, value)
    if address.is_multicast():
        fail(path, value, "is a multicast address; a unicast address is needed")
    if int(address) == 0:
        fail(path, value, "is the unspecified address; a unicast address is needed")
    if address.is_loopback():
        fail(path, value, "is a loopback address; a unicast address is needed")
    if address.version == 4 and int(address) >= 0xF0000000:
        fail(path, value, "is the broadcast address or reserved (240.0.0.0/4); a unicast address is needed")
    return address


def parse_ip_block(value, path, version=None) -> tuple[int, str]:
    """An IPv4/IPv6 address or CIDR -> (family, canonical text); host bits must be zero."""
    check_type(value, path, str)
    if "," in value:
        fail(path, value, "must be one address or CIDR per entry (IPv4 and IPv6 go in separate entries)")
    text, slash, length = value.partition("/")
    address = _address(text, path, value, "an IPv4/IPv6 address or CIDR")
    _check_version(address, version, path, value)
    if not slash:
        return address.version, str(address)
    max_length = 32 if address.version == 4 else 128
    if not _PREFIX_LENGTH.fullmatch(length) or int(length) > max_length:
        fail(path, value, f"prefix length must be 0-{max_length} for IPv{address.version}")
    network = netaddr.IPNetwork(f"{address}/{int(length)}")
    if network.ip != network.network:
        fail(path, value, f"has host bits set; the network is {network.cidr}")
    return address.version, str(network.cidr)


# Where no packet's source address can be (RFC 1122 3.2.1.3, RFC 4291 2.5.2/2.7, RFC 1112 4).
NOT_A_SOURCE = (("0.0.0.0/32", "the unspecified address"), ("127.0.0.0/8", "loopback"),
                ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved (240.0.0.0/4) or broadcast"),
                ("::/128", "the unspecified address"), ("::1/128", "loopback"), ("ff00::/8", "multicast"))


def parse_source_block(value, path) -> tuple[int, str]:
    """``parse_ip_block`` for source addresses (policy ipBlocks): not inside a range that is never
    a packet's source (multicast, loopback, unspecified, reserved/broadcast)."""
    family, text = parse_ip_block(value, path)
    network = netaddr.IPNetwork(text)
    for block, what in NOT_A_SOURCE:
        if network in netaddr.IPNetwork(block):
            fail(path, value, f"is {what}; a source address block must hold unicast addresses")
    return family, text


def parse_cidr(value, path, version=None) -> str:
    """``parse_ip_block`` as a network: a bare address becomes its host prefix (/32, /128)."""
    family, text = parse_ip_block(value, path, version)
    return text if "/" in text else f"{text}/{32 if family == 4 else 128}"


def parse_interface_address(value, path, default_length=False) -> str:
    """A unicast address with its prefix length (``10.255.255.1/24``) -> canonical text.

    ``default_length``: a bare address gets the host prefix (/32, /128) instead of an error.
    """
    check_type(value, path, str)
    text, slash, length = value.partition("/")
    if not slash and not default_length:
        fail(path, value, "must be an address with its prefix length (ADDRESS/LENGTH)")
    address = parse_ip(text, path)
    max_length = 32 if address.version == 4 else 128
    if not slash:
        return f"{address}/{max_length}"
    if not _PREFIX_LENGTH.fullmatch(length) or not 1 <= int(length) <= max_length:
        fail(path, value, f"prefix length must be 1-{max_length} for IPv{address.version}")
    return f"{address}/{int(length)}"


def family_of(text: str) -> int:
    """4 or 6 of an address or CIDR that one of the parsers above returned."""
    return netaddr.IPNetwork(text).version


def contains(cidr: str, address) -> bool:
    """Whether a CIDR one of the parsers above returned holds an address."""
    return netaddr.IPAddress(str(address)) in netaddr.IPNetwork(cidr)


def sort_key(text: str):
    """Addresses and CIDRs in numeric order, IPv4 first; an address before the /32 of itself."""
    network = netaddr.IPNetwork(text)
    return network.version, network.first, network.prefixlen, "/" in text


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
    return tuple(family_of(a) for a in entry)


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
