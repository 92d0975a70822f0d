# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzz (hypothesis) over names and match-bearing fields (issue 12 class 1 and 2): whatever the
input, it is either refused with EgressGatewayError or everything composed from it for another
program's parser - OVN matches, address sets, iptables-restore lines, FRR configuration, sysctl
paths - has exactly the documented shape. Derandomized: the same examples on every run."""
from __future__ import annotations

import re
import string

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import parse_ip_block
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._bfdd import bfdd_from_params, config_text
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import interface_name
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nat import desired_rules, nat_from_params
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._netlink import (
    desired_sysctls, families_from_params, sysctl_path,
)

FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# The documented shapes (docs/design.md, kube-ovn-behaviour.md §1.3).
PG = r"VEG\.[0-9a-f]{12}"
SOURCES = rf"ip(?P<af>[46])\.src == \$(?:{PG}_ip(?P=af)|{PG}\.ipv(?P=af))"
LOCAL = (rf"ip(?P<af>[46])\.src == \$[A-Za-z_.][A-Za-z0-9_.]*_ip(?P=af) && "
         rf"ip(?P=af)\.src == \$(?:{PG}_ip(?P=af)|{PG}\.ipv(?P=af))")
MATCHES = (re.compile(SOURCES), re.compile(LOCAL))
V4 = r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
V6 = r"[0-9a-f:]*:[0-9a-f:.]*"
ADDRESS = re.compile(rf"(?:{V4}(?:/(?:3[0-2]|[12]?[0-9]))?|{V6}(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?)")
IFNAME = r"[A-Za-z0-9_.-]{1,15}"
OWNER = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?")

# Characters that matter to the parsers downstream, plus the ordinary ones and some look-alikes.
RISKY = "\n\r\t \x00\x0b\x85\u2028$&|!=()\"'#;/:,+*{}[]<>\\" + "\uff11\uff16\u0660\u00f6"
ALPHABET = string.ascii_letters + string.digits + "-._" + RISKY


def text(max_size=20):
    """Mostly valid names, often with something risky appended or inserted, sometimes noise."""
    valid = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
    risky = st.text(alphabet=RISKY, min_size=1, max_size=3)
    return st.one_of(
        valid,
        st.tuples(valid, st.sampled_from(["\n", " ", "\t", "\r\n", "\x00", "\u2028"])).map("".join),
        st.tuples(valid, risky, valid).map("".join),
        st.tuples(valid, risky).map("".join),
        st.text(alphabet=ALPHABET, max_size=max_size),
    )


def address_text():
    parts = st.sampled_from(["10.16.0.101", "10.18.0.0", "fd00::5", "::", "255.255.255.255", "10.16.0.1011",
                             "::ffff:10.0.0.1", "224.0.0.1", "1.2.3.4", "FD18::"])
    suffix = st.sampled_from(["", "/16", "/24", "/32", "/64", "/128", "/33", "/\uff11\uff16", "/016", "/16\n",
                              "\n", " ", "/16 || 1", ",10.0.0.0/8"])
    return st.one_of(st.tuples(parts, suffix).map("".join), st.text(alphabet="0123456789abcdef.:/ \n,", max_size=24))


def gateway(name, namespace, blocks, local):
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"externalSubnet": "macvlan1", "trafficPolicy": "Local" if local else "Cluster",
                     "bfd": {"enabled": True}, "policies": [{"snat": True, "ipBlocks": blocks}]}}


def check_rows(rows):
    for policy in rows["policies"]:
        assert any(shape.fullmatch(policy["match"]) for shape in MATCHES), policy["match"]
        assert all(ADDRESS.fullmatch(hop) for hop in policy["nexthops"]), policy["nexthops"]
    for group in rows["port_groups"]:
        assert re.fullmatch(PG, group["name"]) and OWNER.fullmatch(group["external_ids"]["vpc-egress-gateway"])
    for address_set in rows["address_sets"]:
        assert re.fullmatch(rf"{PG}\.ipv[46]", address_set["name"])
        assert all(ADDRESS.fullmatch(a) for a in address_set["addresses"]), address_set["addresses"]
    for bfd in rows["bfd"]:
        assert ADDRESS.fullmatch(bfd["dst_ip"]) and 1 <= bfd["detect_mult"] <= 255


@FUZZ
@given(name=text(), namespace=text(), node=text(), port_group=st.one_of(st.none(), text()),
       blocks=st.lists(address_text(), max_size=3), local=st.booleans())
def test_no_accepted_gateway_yields_a_match_outside_the_documented_shapes(  # pylint: disable=too-many-arguments
        name, namespace, node, port_group, blocks, local):
    instances = [{"name": "gw-1", "node": node, "internal_ips": ["10.16.0.101", "fd00::101"], "external_ips": []}]
    try:
        parsed = parse_gateway(gateway(name, namespace, blocks or ["10.18.0.0/16"], local))
        node_port_groups = {} if port_group is None else {node: port_group}
        rows = desired_rows(parsed, "ovn-cluster", "bfd@ovn-cluster", instances, [], {}, node_port_groups)
    except EgressGatewayError:
        return
    check_rows(rows)


@FUZZ
@given(value=address_text())
def test_an_accepted_address_block_is_canonical(value):
    try:
        family, canonical = parse_ip_block(value, "x")
    except EgressGatewayError as exc:
        assert str(exc).startswith("x: ") and exc.field == "x"
        return
    assert ADDRESS.fullmatch(canonical) and family in (4, 6)
    assert parse_ip_block(canonical, "x") == (family, canonical)


@FUZZ
@given(iface=text(max_size=18), sources=st.lists(address_text(), max_size=3))
def test_iptables_lines_are_built_from_validated_parts_only(iface, sources):
    try:
        config = nat_from_params({"internal_iface": iface, "ipv4": {"no_snat_sources": sources}})
    except EgressGatewayError:
        return
    rules = desired_rules(config["internal_iface"], config["families"][4])
    line = re.compile(rf"-A PREROUTING -i {IFNAME} -j MARK --set-xmark 0x4000/0x4000"
                      rf"|-A POSTROUTING -[ds] {ADDRESS.pattern} -j RETURN|-A POSTROUTING -j VEG-MASQUERADE")
    assert all(line.fullmatch(rule) for rule in rules["builtin"]), rules


@FUZZ
@given(iface=text(max_size=18), routes=st.lists(address_text(), max_size=3))
def test_sysctl_paths_stay_inside_the_interface_directory(iface, routes):
    try:
        interface_name(iface, "internal_iface")
        families_from_params({"ipv4": {"internal_gateway": "10.16.0.1", "external_gateway": "172.17.0.1",
                                       "internal_iface": iface, "routes": routes}})
    except EgressGatewayError:
        return
    for name in desired_sysctls([4], iface):
        path = sysctl_path(name)
        assert path in ("/proc/sys/net/ipv4/ip_forward", f"/proc/sys/net/ipv4/conf/{iface}/rp_filter"), path


@FUZZ
@given(peers=st.lists(address_text(), min_size=1, max_size=2), state_dir=text(), multiplier=st.integers(-5, 300))
def test_frr_configuration_is_built_from_validated_parts_only(peers, state_dir, multiplier):
    params = {"netns": None, "state": "present", "peers": peers, "local_addresses": [],
              "receive_interval": 1000, "transmit_interval": 300, "detect_multiplier": multiplier,
              "state_dir": "/run/" + state_dir, "wait_up": 0}
    try:
        config = bfdd_from_params(params)
    except EgressGatewayError:
        return
    text_ = config_text(config["sessions"], 1000, 300, config["detect_multiplier"], config["state_dir"] + "/bfdd.log")
    allowed = re.compile(rf"log file /\S+ informational|!|bfd| peer {ADDRESS.pattern}| !|  detect-multiplier "
                         rf"(?:[2-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])|  receive-interval 1000"
                         rf"|  transmit-interval 300")
    assert all(allowed.fullmatch(line) for line in text_.splitlines()), text_
