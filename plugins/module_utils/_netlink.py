# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Routing of a gateway instance with pyroute2: sysctls, table 1000, rules 1001-1004, routes.

PRIVATE to the collection: not a public API.

What Kube-OVN's ``init-vpc-egress-gateway.sh`` does, per address family, read -> diff -> apply:

- sysctls ``net.ipv4.ip_forward=1`` / ``net.ipv6.conf.all.forwarding=1`` and
  ``net.ipv4.conf.<internal>.rp_filter=0``;
- table 1000: exactly one default route via the internal gateway;
- rules 1001 ``iif <int> lookup default`` (table 253, kept literally), 1002 ``iif <ext> lookup 1000``,
  1003 ``iif lo from <internal ip> lookup 1000``, 1004 ``iif lo from <external ip> lookup default``;
- routes in ``main`` to the policy CIDRs and the BFD port IP via the internal gateway.

Ownership: rules 1001-1004 and table 1000 by their numbers (Kube-OVN's contract); the ``main``
routes the agent writes carry ``proto 147`` (``ROUTE_PROTO``), so a CIDR dropped from the
configuration is removed and nobody else's route is.

Every entry point takes ``netns`` (a name under /run/netns or an absolute path such as
/proc/PID/ns/net); ``None`` is the caller's namespace. A missing namespace is an error, never
created (pyroute2 ``flags=0``).
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import re
import socket

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import family_of, parse_cidr, parse_ip
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, shown
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import interface_name, string_list

# pyroute2 is imported on first use (iproute()): it costs ~0.2 s, and the NAT and bfdd modules,
# which only enter namespaces, do not need it.
IPRoute = NetlinkError = None
CLONE_NEWNET = 0x40000000

GATEWAY_TABLE = 1000
TABLE_DEFAULT = 253  # "lookup default": normally empty, so the lookup falls through to main
TABLE_MAIN = 254
RULE_PRIORITIES = (1001, 1002, 1003, 1004)
ROUTE_PROTO = 147  # marks the main-table routes this agent wrote
FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6}
NETNS_RUN_DIR = "/run/netns"


def require_pyroute2():
    global IPRoute, NetlinkError  # pylint: disable=global-statement
    if IPRoute is None:
        try:
            from pyroute2 import IPRoute, NetlinkError  # pylint: disable=import-outside-toplevel,redefined-outer-name
        except ImportError as exc:
            raise EgressGatewayError("the Python library pyroute2 is required on the gateway host") from exc


def setns(fd):
    """setns(2) into a network namespace by fd (os.setns arrived only in Python 3.12)."""
    if hasattr(os, "setns"):
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise EgressGatewayError(f"cannot enter the network namespace: {os.strerror(err)}")


# ---------------------------------------------------------------------------------------------
# network namespaces


def netns_path(netns):
    """The file of a named or absolute-path netns; error when it does not exist."""
    path = netns if os.path.isabs(netns) else os.path.join(NETNS_RUN_DIR, netns)
    if not os.path.exists(path):
        raise EgressGatewayError(f"network namespace {netns!r} does not exist ({path})",
                                 field="netns", value=netns)
    return path


@contextlib.contextmanager
def entered(netns):
    """Run the body (and the processes it starts) inside ``netns``; back to the caller's after.

    pyroute2's pushns() would create a missing namespace; this never does.
    """
    if netns is None:
        yield
        return
    target = os.open(netns_path(netns), os.O_RDONLY)
    saved = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        setns(target)
        try:
            yield
        finally:
            setns(saved)
    finally:
        os.close(saved)
        os.close(target)


STATE_ROOT = "/run/kubeovn-egress-gateway"


def agent_state_dir(netns, part, state_root=STATE_ROOT):
    """``<state_root>/<part>/<namespace as a file name>``: where each agent part (bfdd, snat-log)
    keeps its files for one namespace, so instances in several namespaces never share them."""
    return os.path.join(state_root, part, netns_key(netns))


def netns_key(netns):
    """A namespace (name or path) as a file name for the agent's state: ``/proc/12/ns/net`` ->
    ``proc_12_ns_net``, none -> ``_host``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", netns.strip("/")) if netns else "_host"


def netns_identity(netns):
    """``dev:inode`` of the namespace: changes when a namespace of the same name is recreated."""
    stat = os.stat(netns_path(netns) if netns else "/proc/self/ns/net")
    return f"{stat.st_dev}:{stat.st_ino}"


def iproute(netns):
    require_pyroute2()
    if netns is None:
        return IPRoute()
    netns_path(netns)
    return IPRoute(netns=netns, flags=0)


# ---------------------------------------------------------------------------------------------
# sysctls


def sysctl_path(name):
    """The /proc/sys file of a sysctl in sysctl(8) notation: components are separated by '.', and
    a '/' inside a component stands for a '.' of the name (``net.ipv4.conf.eth0/100.rp_filter``
    is ``/proc/sys/net/ipv4/conf/eth0.100/rp_filter``)."""
    return "/proc/sys/" + "/".join(part.replace("/", ".") for part in name.split("."))


def desired_sysctls(families, internal_iface):
    wanted = {}
    if 4 in families:
        wanted["net.ipv4.ip_forward"] = "1"
    if 6 in families:
        wanted["net.ipv6.conf.all.forwarding"] = "1"
    # Kube-OVN sets the IPv4 rp_filter of the internal interface whatever the families.
    wanted[f"net.ipv4.conf.{internal_iface.replace('.', '/')}.rp_filter"] = "0"
    return wanted


def read_sysctls(names):
    have = {}
    for name in names:
        try:
            with open(sysctl_path(name), encoding="ascii") as handle:
                have[name] = handle.read().strip()
        except FileNotFoundError:
            have[name] = None
    return have


def write_sysctls(values):
    for name, value in values.items():
        try:
            with open(sysctl_path(name), "w", encoding="ascii") as handle:
                handle.write(value)
        except OSError as exc:
            raise EgressGatewayError(f"cannot set sysctl {name}={value}: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# pure model: what we want, what is, the difference


def host_prefix(address):
    return f"{address}/{32 if family_of(address) == 4 else 128}"


def table_name(table):
    return {TABLE_DEFAULT: "default", TABLE_MAIN: "main"}.get(table, str(table))


def rule_text(rule):
    """A rule as `ip rule show` prints it: ``1003: from 10.16.0.12 iif lo lookup 1000``."""
    src = rule["src"] or "all"
    if src.endswith("/32") or src.endswith("/128"):
        src = src.rsplit("/", 1)[0]
    return f"{rule['priority']}: from {src} iif {rule['iif']} lookup {table_name(rule['table'])}"


def route_text(route):
    dst = route["dst"]
    dst = "default" if dst in ("0.0.0.0/0", "::/0") else dst
    if dst.endswith("/32") or dst.endswith("/128"):
        dst = dst.rsplit("/", 1)[0]
    return f"{dst} via {route['gateway']} dev {route['dev']} table {table_name(route['table'])}"


def desired_family(family):
    """Rules and routes wanted for one family.

    ``family`` is a dict: version, internal_gateway, internal_iface, external_iface,
    internal_ip, external_ip, routes (CIDRs via the internal gateway).
    """
    gw, int_if, ext_if = family["internal_gateway"], family["internal_iface"], family["external_iface"]
    rules = [
        {"priority": 1001, "iif": int_if, "src": None, "table": TABLE_DEFAULT},
        {"priority": 1002, "iif": ext_if, "src": None, "table": GATEWAY_TABLE},
        {"priority": 1003, "iif": "lo", "src": host_prefix(family["internal_ip"]), "table": GATEWAY_TABLE},
        {"priority": 1004, "iif": "lo", "src": host_prefix(family["external_ip"]), "table": TABLE_DEFAULT},
    ]
    default = "0.0.0.0/0" if family["version"] == 4 else "::/0"
    routes = [{"dst": default, "gateway": gw, "dev": int_if, "table": GATEWAY_TABLE}]
    for cidr in sorted(set(family["routes"])):
        routes.append({"dst": cidr, "gateway": gw, "dev": int_if, "table": TABLE_MAIN})
    return {"rules": rules, "routes": routes}


def _key(entry):
    return tuple(sorted(entry.items(), key=lambda kv: kv[0]))


def plan_entries(have, want):
    """(deletes, adds): entries of ``have`` not wanted (and extra copies), wanted ones missing."""
    wanted = {_key(entry) for entry in want}
    seen = set()
    deletes = []
    for entry in have:
        key = _key(entry)
        if key in wanted and key not in seen:
            seen.add(key)
        else:
            deletes.append(entry)
    adds = [entry for entry in want if _key(entry) not in seen]
    return deletes, adds


# ---------------------------------------------------------------------------------------------
# netlink reads and writes


def _attr(msg, name):
    return msg.get_attr(name)


def _ifname(ipr, index, cache):
    if index not in cache:
        links = ipr.link("get", index=index)
        cache[index] = links[0].get_attr("IFLA_IFNAME")
    return cache[index]


def _ifindex(ipr, name):
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise EgressGatewayError(f"interface {name!r} does not exist", field="interface", value=name)
    return found[0]


def _route_toward(ipr, address, field):
    try:
        return ipr.route("get", dst=address)[0]
    except NetlinkError as exc:
        raise EgressGatewayError(f"{field}: no route to {address}: {os.strerror(exc.code)}", field=field,
                                 value=address) from exc


def lookup_route(ipr, address, field):
    """(device, preferred source) of the route toward ``address`` (option ``field``), like ``ip route get``."""
    answer = _route_toward(ipr, address, field)
    dev = _ifname(ipr, _attr(answer, "RTA_OIF"), {})
    return dev, _attr(answer, "RTA_PREFSRC")


def read_rules(ipr, version):
    rules = []
    for msg in ipr.rule("dump", family=FAMILIES[version]):
        priority = _attr(msg, "FRA_PRIORITY")
        if priority not in RULE_PRIORITIES:
            continue
        src = _attr(msg, "FRA_SRC")
        rules.append({
            "priority": priority,
            "iif": _attr(msg, "FRA_IIFNAME"),
            "src": f"{src}/{msg['src_len']}" if src else None,
            "table": _attr(msg, "FRA_TABLE") or msg["table"],
        })
    return rules


def read_routes(ipr, version):
    """Routes we own: all of table 1000, and the main-table routes carrying ROUTE_PROTO."""
    routes, names = [], {}
    for msg in ipr.route("dump", family=FAMILIES[version]):
        table = _attr(msg, "RTA_TABLE") or msg["table"]
        if table != GATEWAY_TABLE and not (table == TABLE_MAIN and msg["proto"] == ROUTE_PROTO):
            continue
        dst = _attr(msg, "RTA_DST") or ("0.0.0.0" if version == 4 else "::")
        oif = _attr(msg, "RTA_OIF")
        routes.append({
            "dst": f"{dst}/{msg['dst_len']}",
            "gateway": _attr(msg, "RTA_GATEWAY"),
            "dev": _ifname(ipr, oif, names) if oif else None,
            "table": table,
        })
    return routes


def main_routes_present(ipr, version, routes):
    """Wanted main-table routes that already exist with another owner (e.g. the CNI): left alone."""
    present = []
    names = {}
    for route in routes:
        if route["table"] != TABLE_MAIN:
            continue
        dst, length = route["dst"].split("/")
        for msg in ipr.route("dump", family=FAMILIES[version], table=TABLE_MAIN, dst=dst, dst_len=int(length)):
            oif = _attr(msg, "RTA_OIF")
            if (msg["proto"] != ROUTE_PROTO and _attr(msg, "RTA_GATEWAY") == route["gateway"]
                    and oif and _ifname(ipr, oif, names) == route["dev"]):
                present.append(route)
                break
    return present


def _rule_spec(ipr, rule, version):
    spec = {"family": FAMILIES[version], "priority": rule["priority"], "iifname": rule["iif"],
            "table": rule["table"]}
    if rule["src"]:
        address, length = rule["src"].split("/")
        spec.update(src=address, src_len=int(length))
    return spec


def _route_spec(ipr, route, version, with_proto):
    dst, length = route["dst"].split("/")
    spec = {"family": FAMILIES[version], "dst_len": int(length), "table": route["table"]}
    if int(length):
        spec["dst"] = dst
    if route["gateway"]:
        spec["gateway"] = route["gateway"]
    if route["dev"]:
        spec["oif"] = _ifindex(ipr, route["dev"])
    if with_proto and route["table"] == TABLE_MAIN:
        spec["proto"] = ROUTE_PROTO
    return spec


# Another writer (a second agent run) may have done our change between our read and our write:
# a rule already added or an entry already deleted is the state we want, not an error.
_ALREADY_DONE = {"add": (errno.EEXIST,), "del": (errno.ENOENT, errno.ESRCH), "replace": ()}


def _netlink_call(what, text, call, command, **spec):
    try:
        call(command, **spec)
    except NetlinkError as exc:
        if exc.code in _ALREADY_DONE[command]:
            return
        raise EgressGatewayError(f"cannot {what} `{text}`: {os.strerror(exc.code)}") from exc


def resolve_family(ipr, family):
    """Fill internal/external interface and IP from route lookups toward the gateways, and check
    what the writes will need: both interfaces exist, the internal gateway is reachable through
    the internal interface. Reads only."""
    resolved = dict(family)
    prefix = f"ipv{family['version']}"
    for side in ("internal", "external"):
        if not resolved.get(f"{side}_iface") or not resolved.get(f"{side}_ip"):
            dev, src = lookup_route(ipr, resolved[f"{side}_gateway"], f"{prefix}.{side}_gateway")
            resolved[f"{side}_iface"] = resolved.get(f"{side}_iface") or dev
            resolved[f"{side}_ip"] = resolved.get(f"{side}_ip") or src
            if not resolved[f"{side}_ip"]:
                raise EgressGatewayError(f"{prefix}.{side}_ip: no source address toward the {side} gateway "
                                         f"{resolved[f'{side}_gateway']}; set {side}_ip (got None)",
                                         field=f"{prefix}.{side}_ip", value=None)
    for side in ("internal", "external"):
        field = f"{prefix}.{side}_iface"
        iface = interface_name(resolved[f"{side}_iface"], field)
        if not ipr.link_lookup(ifname=iface):
            raise EgressGatewayError(f"{field}: interface {iface!r} does not exist", field=field, value=iface)
    # The kernel accepts "via GATEWAY dev IFACE" only when GATEWAY is on-link through IFACE:
    # the route toward it must leave through IFACE with no gateway of its own.
    gateway, iface = resolved["internal_gateway"], resolved["internal_iface"]
    field = f"{prefix}.internal_gateway"
    answer = _route_toward(ipr, gateway, field)
    if _attr(answer, "RTA_OIF") != _ifindex(ipr, iface) or _attr(answer, "RTA_GATEWAY"):
        raise EgressGatewayError(f"{field}: {gateway} is not on-link through {iface} (the internal interface) "
                                 f"(got {shown(gateway)})", field=field, value=gateway)
    return resolved


def _plan_version(ipr, version, family):
    """What to delete and add for one family (None: clear ours), and the listings. Reads only."""
    want = desired_family(family) if family else {"rules": [], "routes": []}
    have_rules = read_rules(ipr, version)
    have_routes = read_routes(ipr, version)
    others = main_routes_present(ipr, version, want["routes"])
    want_routes = [r for r in want["routes"] if r not in others]
    rule_del, rule_add = plan_entries(have_rules, want["rules"])
    route_del, route_add = plan_entries(have_routes, want_routes)
    return {
        "version": version, "rule_del": rule_del, "rule_add": rule_add, "route_del": route_del,
        "route_add": route_add,
        "before": [rule_text(r) for r in have_rules] + [route_text(r) for r in have_routes],
        "after": [rule_text(r) for r in want["rules"]] + [route_text(r) for r in want["routes"]],
    }


def _apply_version(ipr, plan):
    version = plan["version"]
    for rule in plan["rule_del"]:
        _netlink_call("delete rule", rule_text(rule), ipr.rule, "del", **_rule_spec(ipr, rule, version))
    for route in plan["route_del"]:
        _netlink_call("delete route", route_text(route), ipr.route, "del",
                      **_route_spec(ipr, route, version, with_proto=False))
    for rule in plan["rule_add"]:
        _netlink_call("add rule", rule_text(rule), ipr.rule, "add", **_rule_spec(ipr, rule, version))
    for route in plan["route_add"]:
        _netlink_call("add route", route_text(route), ipr.route, "replace",
                      **_route_spec(ipr, route, version, with_proto=True))


def reconcile(config, check_mode=False):
    """Make routing match the validated ``config`` (routing_from_params); the families it does not
    name are cleared of ours.

    Everything is resolved, read and checked (interfaces, reachability, sysctls) before the first
    write, so bad input or a namespace that lacks something leaves the namespace as it was.
    Returns {"changed", "diff": {"before", "after"}, "families": resolved families, "sysctls"}.
    """
    netns = config["netns"]
    with iproute(netns) as ipr:
        resolved = [resolve_family(ipr, family) for family in config["families"]]
        wanted_sysctls = {}
        for iface in sorted({f["internal_iface"] for f in resolved}):
            wanted_sysctls.update(desired_sysctls([f["version"] for f in resolved], iface))
        plans = []
        for version in (4, 6):
            family = next((f for f in resolved if f["version"] == version), None)
            plans.append(_plan_version(ipr, version, family))
        with entered(netns):
            have_sysctls = read_sysctls(wanted_sysctls)
        missing = [name for name, value in have_sysctls.items() if value is None]
        if missing:
            raise EgressGatewayError(f"sysctl: {missing[0]} does not exist in the namespace "
                                     f"({sysctl_path(missing[0])})", field="sysctl", value=missing[0])
        sysctl_changes = {name: value for name, value in wanted_sysctls.items() if have_sysctls[name] != value}
        changed = bool(sysctl_changes) or any(
            p["rule_del"] or p["rule_add"] or p["route_del"] or p["route_add"] for p in plans)
        if changed and not check_mode:
            for plan in plans:
                _apply_version(ipr, plan)
            with entered(netns):
                write_sysctls(sysctl_changes)
    before = [line for p in plans for line in p["before"]]
    after = [line for p in plans for line in p["after"]]
    before += [f"sysctl {name}={value}" for name, value in sorted(have_sysctls.items())]
    after += [f"sysctl {name}={value}" for name, value in sorted(wanted_sysctls.items())]
    return {
        "changed": changed,
        "diff": {"before": "\n".join(before) + "\n", "after": "\n".join(after) + "\n"},
        "families": resolved,
        "sysctls": wanted_sysctls,
    }


def families_from_params(params):
    """Validated family dicts from the ``ipv4``/``ipv6`` options (nothing is read or written)."""
    families = []
    for version in (4, 6):
        given = params.get(f"ipv{version}")
        if not given:
            continue
        field = f"ipv{version}"
        family = {"version": version}
        for key in ("internal_gateway", "external_gateway", "internal_ip", "external_ip"):
            value = given.get(key)
            family[key] = str(parse_ip(value, f"{field}.{key}", version)) if value else None
        for key in ("internal_iface", "external_iface"):
            value = given.get(key)
            family[key] = interface_name(value, f"{field}.{key}") if value else None
        if not family["external_gateway"] and not (family["external_iface"] and family["external_ip"]):
            raise EgressGatewayError(f"{field}.external_gateway: give external_gateway, or both external_iface "
                                     f"and external_ip (got {shown(given.get('external_gateway'))})",
                                     field=f"{field}.external_gateway", value=given.get("external_gateway"))
        family["routes"] = list(string_list(given.get("routes") or [], f"{field}.routes",
                                            lambda value, path, v=version: parse_cidr(value, path, v)))
        families.append(family)
    return families


def routing_from_params(params):
    """The validated module options (no I/O): what ``reconcile`` works from."""
    return {"netns": params.get("netns"), "state": params["state"],
            "families": families_from_params(params) if params["state"] == "present" else []}
