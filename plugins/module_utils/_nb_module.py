# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every OVN NB module shares: connection options, external_ids handling, results.

PRIVATE to the collection: not a public API. Documented by the doc fragment ``ovn_nb``.
"""
from __future__ import annotations

import copy
import uuid as uuidlib

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovsdb import NbConnection

try:
    import netaddr
    HAS_NETADDR = True
except ImportError:  # pragma: no cover - reported when an address is parsed
    HAS_NETADDR = False

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
        raise EgressGatewayError("timeout must be a positive number of seconds", field="timeout",
                                 value=params["timeout"])
    return NbConnection(params["connection"], tables, timeout=params["timeout"],
                        private_key=params["private_key"], certificate=params["certificate"],
                        ca_cert=params["ca_cert"], **kwargs)


def external_ids(params, columns, merge):
    """Add external_ids to a Want's columns and merge list, per external_ids_mode."""
    if params.get("external_ids") is not None:
        columns["external_ids"] = {str(k): str(v) for k, v in params["external_ids"].items()}
        if params["external_ids_mode"] == "merge":
            merge.append("external_ids")
    elif params["external_ids_mode"] == "replace":
        columns["external_ids"] = {}
    return columns, tuple(merge)


def result(module, plan, **extra):
    """changed / diff from a plan, plus the module's own return values."""
    out = {"changed": plan.changed}
    if module._diff:  # pylint: disable=protected-access
        out["diff"] = plan.diff()
    out.update(extra)
    return out


def parse_uuid(value, field):
    try:
        return uuidlib.UUID(str(value))
    except ValueError:
        raise EgressGatewayError(f"{field} must be a row uuid, got {value!r}", field=field, value=value) from None


# Addresses. _spec.parse_ip/parse_ip_block check the same things for the gateway model, but
# importing _spec (its dataclasses and patterns) costs ~90 ms, a third of a module run: the NB
# modules use these two instead.

def _netaddr():
    if not HAS_NETADDR:
        raise EgressGatewayError("the python 'netaddr' library is required")
    return netaddr


def parse_ip(value, field):
    """One IPv4/IPv6 address -> its canonical text (netaddr)."""
    lib = _netaddr()
    try:
        if not isinstance(value, str) or "/" in value:
            raise ValueError(value)
        return str(lib.IPAddress(value))
    except (lib.AddrFormatError, ValueError, TypeError):
        raise EgressGatewayError(f"{field}: is not an IPv4 or IPv6 address (got {value!r})",
                                 field=field, value=value) from None


def parse_ip_block(value, field):
    """An address or CIDR -> canonical text; a CIDR with host bits set is refused."""
    lib = _netaddr()
    if not isinstance(value, str):
        return parse_ip(value, field)
    text, slash, length = value.partition("/")
    address = parse_ip(text, field)
    if not slash:
        return address
    try:
        if not length.isdigit():
            raise ValueError(length)
        network = lib.IPNetwork(f"{address}/{int(length)}")
    except (lib.AddrFormatError, ValueError, TypeError):
        raise EgressGatewayError(f"{field}: bad prefix length (got {value!r})", field=field, value=value) from None
    if network.ip != network.network:
        raise EgressGatewayError(f"{field}: has host bits set; the network is {network.cidr} (got {value!r})",
                                 field=field, value=value)
    return str(network.cidr)
