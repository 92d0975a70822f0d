"""Hostile and malformed input to the agent modules (issue 12), in real network namespaces.

Every bad value fails with one message naming the field and the value, before the first change:
the namespace's rules, routes, nat table and sysctls are exactly as before.
"""
from __future__ import annotations

import pytest

from support import netns
from support.ansible import run_module

pytestmark = pytest.mark.netns


def snapshot(ns):
    """What the agent could change in a namespace: rules, the main table and table 1000, the nat
    tables, the forwarding and rp_filter sysctls."""
    out = {}
    for version in (4, 6):
        out[f"rules{version}"] = netns.ip(ns, f"-{version}", "rule")
        for table in ("main", "1000"):
            out[f"routes{version}-{table}"] = netns.ip(ns, f"-{version}", "route", "show", "table", table, check=False)
        out[f"nat{version}"] = netns.exec_in(ns, "iptables" if version == 4 else "ip6tables", "-t", "nat", "-S")
    out["sysctl"] = netns.exec_in(ns, "sysctl", "-a", "--pattern", r"rp_filter$|\.forwarding$|ip_forward$")
    return out


def assert_refused(result, field, value):
    assert result["failed"], result
    assert result.get("field") == field and result.get("value") == value, result
    assert result["msg"].startswith(f"{field}: ") and repr(value) in result["msg"], result["msg"]
    assert "\n" not in result["msg"]


def refused_without_change(topo, module, args, field, value):
    """``module`` fails on ``args`` naming field and value, and the gateway namespace is unchanged."""
    before = snapshot(topo.gateway)
    result = run_module(module, args)
    assert_refused(result, field, value)
    assert snapshot(topo.gateway) == before
    return result


@pytest.mark.parametrize("iface", [
    "eth0\n-A PREROUTING -j ACCEPT",  # class 2: a newline adds rules to iptables-restore input
    "eth0 ! -s 1.2.3.4",              # class 2: a negated match
    "eth0+",                          # iptables wildcard
    "a" * 16,                         # IFNAMSIZ
    "..",                             # not a Linux name
    "eth/0",                          # a '/' would leave the sysctl directory
    "eth0:1",                         # ':' is not allowed by dev_valid_name
])
def test_nat_refuses_interface_names_linux_refuses(gateway_topology, iface):
    args = gateway_topology.nat_args((4,))
    args["internal_iface"] = iface
    refused_without_change(gateway_topology, "gateway_nat", args, "internal_iface", iface)


@pytest.mark.parametrize("field, value", [
    ("internal_iface", "eth0\nx"),
    ("external_iface", "net1 ! -s 1.2.3.4"),
])
def test_routing_refuses_bad_interface_names(gateway_topology, field, value):
    topo = gateway_topology
    args = topo.agent_args((4,))
    args["ipv4"].update({"internal_ip": topo.internal_ip[4], "external_ip": topo.external_ip[4],
                         "internal_iface": "eth0", "external_iface": "net1"})
    args["ipv4"][field] = value
    refused_without_change(topo, "gateway_routing", args, f"ipv4.{field}", value)


@pytest.mark.parametrize("module, option, value, network", [
    ("gateway_routing", "routes", "10.17.0.1/16", "10.17.0.0/16"),          # class 9: never masked
    ("gateway_nat", "no_snat_sources", "10.18.0.1/16", "10.18.0.0/16"),
])
def test_host_bits_are_refused_as_in_the_model(gateway_topology, module, option, value, network):
    topo = gateway_topology
    args = topo.agent_args((4,)) if module == "gateway_routing" else topo.nat_args((4,))
    args["ipv4"][option] = [value]
    result = refused_without_change(topo, module, args, f"ipv4.{option}[0]", value)
    assert f"the network is {network}" in result["msg"]


@pytest.mark.parametrize("key, value", [
    ("internal_gateway", "255.255.255.255"),
    ("internal_gateway", "10.16.0.1\n"),
    ("external_gateway", "224.0.0.1"),
    ("internal_ip", "127.0.0.1"),
])
def test_routing_refuses_non_unicast_addresses(gateway_topology, key, value):
    args = gateway_topology.agent_args((4,))
    args["ipv4"][key] = value
    refused_without_change(gateway_topology, "gateway_routing", args, f"ipv4.{key}", value)


def test_vlan_interface_gets_its_rp_filter_and_a_late_failure_changes_nothing(gateway_topology):
    """Class 7: ``eth0.100`` (a VLAN-style name; a veth here, this kernel has no 8021q module) -
    the sysctl is net/ipv4/conf/eth0.100/rp_filter; and a run that could only fail at the write
    (internal gateway not reachable through the interface) is refused before the first rule."""
    topo = gateway_topology
    netns.veth(topo.gateway, "eth0.100", topo.client, "gw100")
    netns.addr(topo.gateway, "eth0.100", "10.100.0.12/24")
    netns.addr(topo.client, "gw100", "10.100.0.1/24")
    netns.sysctl(topo.gateway, "net.ipv4.conf.eth0/100.rp_filter", "1")
    args = {"netns": topo.gateway, "ipv4": {
        "internal_gateway": "10.100.0.1", "internal_iface": "eth0.100", "internal_ip": "10.100.0.12",
        "external_iface": "net1", "external_ip": topo.external_ip[4], "routes": [topo.snat_cidr[4]]}}

    unreachable = {"netns": topo.gateway, "ipv4": dict(args["ipv4"], internal_gateway="10.16.0.1")}
    before = snapshot(topo.gateway)
    result = run_module("gateway_routing", unreachable)
    assert result["failed"] and result.get("field") == "ipv4.internal_gateway", result
    assert result["value"] == "10.16.0.1"
    assert "eth0.100" in result["msg"]
    assert snapshot(topo.gateway) == before

    result = run_module("gateway_routing", args, diff=True)
    assert result["changed"] and not result["failed"], result
    assert result["sysctls"]["net.ipv4.conf.eth0/100.rp_filter"] == "0"
    assert netns.exec_in(topo.gateway, "cat", "/proc/sys/net/ipv4/conf/eth0.100/rp_filter").strip() == "0"
    assert netns.exec_in(topo.gateway, "sysctl", "-n", "net.ipv4.conf.eth0/100.rp_filter").strip() == "0"
    assert "1001:\tfrom all iif eth0.100 lookup default" in netns.ip(topo.gateway, "rule")
    assert not run_module("gateway_routing", args)["changed"]
    result = run_module("gateway_nat", {"netns": topo.gateway, "internal_iface": "eth0.100", "ipv4": {},
                                        "state_dir": topo.state_dir})
    assert result["changed"] and "-A PREROUTING -i eth0.100 -j MARK --set-xmark 0x4000/0x4000" in \
        netns.exec_in(topo.gateway, "iptables", "-t", "nat", "-S")


@pytest.mark.parametrize("params, field, value", [
    ({"detect_multiplier": 256}, "detect_multiplier", 256),
    ({"receive_interval": 5}, "receive_interval", 5),
    ({"peers": ["255.255.255.255"]}, "peers[0]", "255.255.255.255"),
    ({"peers": ["10.255.0.1\nlog file /etc/passwd"]}, "peers[0]", "10.255.0.1\nlog file /etc/passwd"),
    ({"local_addresses": ["::1"]}, "local_addresses[0]", "::1"),
    ({"state_dir": "/tmp/x y\nfoo"}, "state_dir", "/tmp/x y\nfoo"),
])
def test_bfdd_refuses_before_writing(netns_factory, tmp_path, params, field, value):
    ns = netns_factory("bfd")
    args = {"netns": ns, "peers": ["10.255.0.1"], "state_dir": str(tmp_path / "bfdd"), **params}
    assert_refused(run_module("gateway_bfdd", args), field, value)
    assert not (tmp_path / "bfdd").exists()
