# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every OVN NB module shares: connection options, parsing of their parameters, results.

PRIVATE to the collection: not a public API. Documented by the doc fragment ``ovn_nb``.
"""
from __future__ import annotations

import copy
import re
import uuid as uuidlib

try:
    import netaddr
except ImportError:  # pragma: no cover - reported when a MAC is parsed
    netaddr = None

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _address
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import OVN_IDENTIFIER, fail
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovsdb import NbConnection

CONNECTION_ARGS = dict(
    connection=dict(type="str", default="unix:/var/run/ovn/ovnnb_db.sock"),
    timeout=dict(type="int", default=30),
    private_key=dict(type="path", no_log=True),
    certificate=dict(type="path"),
    ca_cert=dict(type="path"),
)

EXTERNAL_IDS_ARGS = dict(
    external_ids=dict(type="dict"),
    external_ids_mode=dict(type="str", choices=["merge", "replace"], default="merge"),
)


def argument_spec(**specific):
    spec = copy.deepcopy(CONNECTION_ARGS)
    spec.update(copy.deepcopy(specific))
    return spec


def connect(module, tables, **kwargs):
    params = module.params
    if params["timeout"] <= 0:
        raise EgressGatewayError(f"timeout must be a positive number of seconds (got {params['timeout']!r})",
                                 field="timeout", value=params["timeout"])
    return NbConnection(params["connection"], tables, timeout=params["timeout"],
                        private_key=params["private_key"], certificate=params["certificate"],
                        ca_cert=params["ca_cert"], **kwargs)


def string_map(value):
    """A map column's value: keys and values as strings (OVSDB maps of string to string)."""
    return {str(k): str(v) for k, v in value.items()}


def external_ids(params, columns, merge):
    """Add external_ids to a Want's columns and merge list, per external_ids_mode."""
    if params.get("external_ids") is not None:
        columns["external_ids"] = string_map(params["external_ids"])
        if params["external_ids_mode"] == "merge":
            merge.append("external_ids")
    elif params["external_ids_mode"] == "replace":
        columns["external_ids"] = {}
    return columns, tuple(merge)


def result(plan, **values):
    """changed and diff from a plan, plus the module's own return values (None ones left out).

    The diff is always there; _common.run_module drops it unless the task runs with --diff.
    """
    out = {"changed": plan.changed, "diff": plan.diff()}
    out.update({k: v for k, v in values.items() if v is not None})
    return out


def parse_uuid(value, field):
    try:
        return uuidlib.UUID(str(value))
    except ValueError:
        raise EgressGatewayError(f"{field} must be a row uuid (got {value!r})", field=field, value=value) from None


# Names. OVN accepts any string as a row's name, but a name that is empty, carries whitespace or
# control characters, or is not ASCII is a typo or an injection (into a match, into
# ovn-nbctl output), never a real port or router.
_NAME = re.compile(r"[!-~]+")
# Printable ASCII and spaces: an OVN match expression on one line.
_MATCH = re.compile(r"[ -~]*[!-~][ -~]*")


def _text(value, field, pattern, what):
    if not isinstance(value, str) or not pattern.fullmatch(value):
        fail(field, value, f"must be {what}")
    return value


def parse_name(value, field):
    """A row name (router, port, chassis): printable ASCII, no whitespace, not empty."""
    return _text(value, field, _NAME, "a non-empty name of printable ASCII characters without spaces")


def parse_identifier(value, field):
    """An address set name: one that a match can refer to as $name (OVN's lexer: lib/lex.c)."""
    return _text(value, field, OVN_IDENTIFIER,
                 "an OVN identifier: letters, digits, '_' and '.', not starting with a digit")


def parse_match(value, field):
    """An OVN match expression: not empty, one line of printable ASCII (OVN parses the rest)."""
    return _text(value, field, _MATCH, "a non-empty OVN match expression on one line of printable ASCII")


def exact_keys(item, keys, field, what):
    """A dict item with exactly these keys."""
    if not isinstance(item, dict) or set(item) != set(keys):
        fail(field, item, f"must be {what}")
    return item


def parse_priority(value, field):
    """A router policy / HA chassis priority: 0-32767 (the NB schema's range)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 32767:
        raise EgressGatewayError(f"{field} must be 0-32767 (got {value!r})", field=field, value=value)
    return value


def parse_chassis(items, field):
    """chassis: names (priority 100 - index, as Kube-OVN) or {name, priority} -> {name: priority}."""
    chassis = {}
    for i, item in enumerate(items):
        path = f"{field}[{i}]"
        if isinstance(item, dict):
            exact_keys(item, ("name", "priority"), path, "a name or {name, priority 0-32767}")
            name = parse_name(item["name"], f"{path}.name")
            priority = parse_priority(item["priority"], f"{path}.priority")
        else:
            name, priority = parse_name(item, path), max(0, 100 - i)
        if name in chassis:
            raise EgressGatewayError(f"{path}: chassis {name} is listed twice (got {item!r})", field=path, value=item)
        chassis[name] = priority
    return chassis


def parse_mac(value, field):
    """A MAC address -> xx:xx:xx:xx:xx:xx."""
    if netaddr is None:
        raise EgressGatewayError("the python 'netaddr' library is required")
    try:
        if not isinstance(value, str) or not value.isascii():
            raise ValueError(value)
        return str(netaddr.EUI(value, dialect=netaddr.mac_unix_expanded))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise EgressGatewayError(f"{field} is not a MAC address (got {value!r})", field=field, value=value) from None


def same_family(addresses, given, field):
    """Every address of a list in one family (OVN's ECMP nexthops of one policy are)."""
    families = [6 if ":" in a else 4 for a in addresses]   # canonical text from parse_ip
    for i, family in enumerate(families):
        if family != families[0]:
            raise EgressGatewayError(
                f"{field}[{i}]: IPv{family} address in a list of IPv{families[0]} addresses; one policy's "
                f"nexthops are all of one family (got {given[i]!r})", field=f"{field}[{i}]", value=given[i])


# Addresses: the model's parser (_address), one rule for the reconciler and the NB modules;
# these return the text an NB column holds.

def parse_ip(value, field):
    """One unicast IPv4/IPv6 address -> its canonical text."""
    return str(_address.parse_ip(value, field))


def parse_ip_block(value, field):
    """An address or CIDR -> canonical text; a CIDR with host bits set is refused."""
    return _address.parse_ip_block(value, field)[1]


def parse_networks(items, field):
    """A router port's networks: addresses with their prefix length (host bits are the address)."""
    networks = []
    for i, item in enumerate(items):
        path = f"{field}[{i}]"
        text, slash, length = item.partition("/") if isinstance(item, str) else ("", "", "")
        try:
            address = parse_ip(text, path) if slash else None
        except EgressGatewayError:
            address = None
        if address is None or not (length.isascii() and length.isdigit()) \
                or int(length) > (32 if ":" not in address else 128):
            raise EgressGatewayError(f"{path} must be an address with its prefix length (got {item!r})",
                                     field=path, value=item)
        networks.append(f"{address}/{int(length)}")
    return networks
