"""gateway_routing + gateway_nat with real packets: client ns -> gateway ns -> external ns.

The external namespace routes back only to the no-SNAT sources, so an SNAT'd flow gets its
answer only if the gateway masqueraded it; the clientip server reports the source it saw.
"""
from __future__ import annotations

import concurrent.futures
import pathlib

import pytest

from support import netns
from support.ansible import run_module

pytestmark = pytest.mark.netns


def configure(topo, versions=(4, 6), check=False, diff=False, **nat_overrides):
    routing = run_module("gateway_routing", topo.agent_args(versions), check=check, diff=diff)
    assert not routing["failed"], routing
    nat_args = topo.nat_args(versions)
    nat_args.update(nat_overrides)
    nat = run_module("gateway_nat", nat_args, check=check, diff=diff)
    assert not nat["failed"], nat
    return routing, nat


def nat_listing(topo, version):
    tool = "iptables" if version == 4 else "ip6tables"
    return netns.exec_in(topo.gateway, tool, "-t", "nat", "-S").splitlines()


def assert_egress(topo, versions=(4, 6)):
    for version in versions:
        assert topo.ask(version, topo.snat_source[version]) == topo.external_ip[version]
        assert topo.ask(version, topo.nosnat_source[version]) == topo.nosnat_source[version]


@pytest.mark.parametrize("versions", [(4,), (6,), (4, 6)], ids=["ipv4", "ipv6", "dual"])
def test_snat_and_forward_with_real_packets(gateway_topology, versions):
    topo = gateway_topology
    # Before the agent: the gateway does not forward, nothing comes back.
    for version in versions:
        assert topo.ask(version, topo.snat_source[version]).startswith("error")

    routing, nat = configure(topo, versions)
    assert routing["changed"] and nat["changed"]
    assert_egress(topo, versions)

    for version in versions:
        rules = netns.ip(topo.gateway, f"-{version}", "rule").splitlines()
        assert [r.split(None, 1)[1] for r in rules if r.startswith("100")] == [
            "from all iif eth0 lookup default",
            "from all iif net1 lookup 1000",
            f"from {topo.internal_ip[version]} iif lo lookup 1000",
            f"from {topo.external_ip[version]} iif lo lookup default",
        ]
        table = netns.ip(topo.gateway, f"-{version}", "route", "show", "table", "1000")
        assert table.startswith(f"default via {topo.internal_gateway[version]} dev eth0")
        assert nat_listing(topo, version)[4:] == [
            "-N VEG-MASQUERADE",
            "-A PREROUTING -i eth0 -j MARK --set-xmark 0x4000/0x4000",
            f"-A POSTROUTING -d {topo.nosnat_cidr[version]} -j RETURN",
            f"-A POSTROUTING -s {topo.nosnat_cidr[version]} -j RETURN",
            "-A POSTROUTING -j VEG-MASQUERADE",
            "-A VEG-MASQUERADE -j MARK --set-xmark 0x0/0xffffffff",
            "-A VEG-MASQUERADE -j MASQUERADE --random-fully",
        ]
    for other in set((4, 6)) - set(versions):
        assert not [r for r in netns.ip(topo.gateway, f"-{other}", "rule").splitlines() if r.startswith("100")]

    routing, nat = configure(topo, versions)
    assert not routing["changed"] and not nat["changed"]


def test_check_mode_and_diff_write_nothing(gateway_topology):
    topo = gateway_topology
    before_rules = netns.ip(topo.gateway, "rule")
    before_nat = nat_listing(topo, 4)
    routing, nat = configure(topo, check=True, diff=True)
    assert routing["changed"] and nat["changed"]
    assert "1002: from all iif net1 lookup 1000" in routing["diff"]["after"]
    assert "1002" not in routing["diff"]["before"]
    assert "-A VEG-MASQUERADE -j MASQUERADE --random-fully" in nat["diff"]["after"]
    assert netns.ip(topo.gateway, "rule") == before_rules
    assert nat_listing(topo, 4) == before_nat
    assert topo.ask(4, topo.snat_source[4]).startswith("error")


def test_other_owners_rules_untouched_and_old_config_removed(gateway_topology):
    topo = gateway_topology
    # Another owner's rules in the same tables and chains, before and after ours.
    netns.exec_in(topo.gateway, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.0/24", "-j", "RETURN")
    netns.exec_in(topo.gateway, "iptables", "-t", "nat", "-A", "PREROUTING", "-i", "net1", "-j", "ACCEPT")
    netns.exec_in(topo.gateway, "iptables", "-t", "raw", "-A", "PREROUTING", "-i", "eth0", "-j", "ACCEPT")
    netns.ip(topo.gateway, "rule", "add", "priority", "1000", "iif", "net1", "lookup", "main")
    netns.ip(topo.gateway, "route", "add", "192.0.2.0/24", "via", topo.internal_gateway[4])

    configure(topo)
    # Earlier configuration: an extra no-SNAT CIDR and an extra routed CIDR.
    nat_args = topo.nat_args()
    nat_args["ipv4"]["no_snat_sources"] = [topo.nosnat_cidr[4], "10.19.0.0/16"]
    assert run_module("gateway_nat", nat_args)["changed"]
    assert "-A POSTROUTING -s 10.19.0.0/16 -j RETURN" in nat_listing(topo, 4)
    routing_args = topo.agent_args()
    routing_args["ipv4"]["routes"].append("10.19.0.0/16")
    assert run_module("gateway_routing", routing_args)["changed"]
    assert "10.19.0.0/16 via 10.16.0.1" in netns.ip(topo.gateway, "route")

    # Back to the current configuration: exactly the stale entries go.
    routing, nat = configure(topo)
    assert routing["changed"] and nat["changed"]
    listing = nat_listing(topo, 4)
    assert not [line for line in listing if "10.19.0.0/16" in line]
    assert "10.19.0.0/16" not in netns.ip(topo.gateway, "route")
    assert "-A POSTROUTING -s 192.0.2.0/24 -j RETURN" in listing
    assert "-A PREROUTING -i net1 -j ACCEPT" in listing
    assert "-A PREROUTING -i eth0 -j ACCEPT" in netns.exec_in(topo.gateway, "iptables", "-t", "raw", "-S")
    assert "1000:\tfrom all iif net1 lookup main" in netns.ip(topo.gateway, "rule")
    assert "192.0.2.0/24 via 10.16.0.1 dev eth0" in netns.ip(topo.gateway, "route")
    assert_egress(topo)

    # A changed internal gateway moves table 1000 and the routes; the old ones are gone.
    netns.addr(topo.client, "gw0", "10.16.0.2/16")
    routing_args = topo.agent_args()
    routing_args["ipv4"]["internal_gateway"] = "10.16.0.2"
    assert run_module("gateway_routing", routing_args)["changed"]
    assert netns.ip(topo.gateway, "route", "show", "table", "1000").strip() == \
        "default via 10.16.0.2 dev eth0 proto static"
    assert "via 10.16.0.1 dev eth0 proto 147" not in netns.ip(topo.gateway, "route")
    assert_egress(topo, (4,))

    # state=absent removes ours only.
    assert run_module("gateway_nat", {"netns": topo.gateway, "state": "absent",
                                      "state_dir": topo.state_dir})["changed"]
    assert not list((pathlib.Path(topo.state_dir) / "nat").iterdir())
    assert run_module("gateway_routing", {"netns": topo.gateway, "state": "absent"})["changed"]
    listing = nat_listing(topo, 4)
    assert not [line for line in listing if "VEG" in line or "0x4000" in line]
    assert "-A POSTROUTING -s 192.0.2.0/24 -j RETURN" in listing
    assert "-A PREROUTING -i net1 -j ACCEPT" in listing
    assert not [r for r in netns.ip(topo.gateway, "rule").splitlines() if r.startswith("100") and
                not r.startswith("1000:")]
    assert "1000:\tfrom all iif net1 lookup main" in netns.ip(topo.gateway, "rule")
    assert "192.0.2.0/24 via 10.16.0.1" in netns.ip(topo.gateway, "route")


def test_recreated_namespace_is_restored_by_a_rerun(gateway_topology):
    topo = gateway_topology
    configure(topo)
    assert_egress(topo)
    topo.recreate_gateway()
    for version in (4, 6):
        assert topo.ask(version, topo.snat_source[version]).startswith("error")
    routing, nat = configure(topo)
    assert routing["changed"] and nat["changed"]
    assert_egress(topo)
    routing, nat = configure(topo)
    assert not routing["changed"] and not nat["changed"]


def routes_outside_local(topo):
    """Every route but the kernel's local table (link-local addresses appear there late)."""
    return [line for version in ("-4", "-6")
            for line in netns.ip(topo.gateway, version, "route", "show", "table", "all").splitlines()
            if "table local" not in line]


@pytest.mark.slow
def test_hundred_reruns_leave_no_duplicates(gateway_topology):
    topo = gateway_topology
    configure(topo)
    rules_before = netns.ip(topo.gateway, "rule") + netns.ip(topo.gateway, "-6", "rule")
    routes_before = routes_outside_local(topo)
    nat_before = nat_listing(topo, 4) + nat_listing(topo, 6)
    for _rerun in range(100):
        routing, nat = configure(topo)
        assert not routing["changed"] and not nat["changed"]
    assert netns.ip(topo.gateway, "rule") + netns.ip(topo.gateway, "-6", "rule") == rules_before
    assert routes_outside_local(topo) == routes_before
    assert nat_listing(topo, 4) + nat_listing(topo, 6) == nat_before
    for version in (4, 6):
        listing = nat_listing(topo, version)
        assert len(listing) == len(set(listing)) == 11  # 4 policies, the chain, 6 rules
    assert_egress(topo)


def test_missing_netns_is_an_error_and_not_created(netns_factory):
    name = netns_factory("gw") + "-missing"
    args = {"netns": name, "ipv4": {"internal_gateway": "10.16.0.1", "external_gateway": "172.17.0.1"}}
    for module, module_args in (("gateway_routing", args),
                                ("gateway_nat", {"netns": name, "internal_iface": "eth0", "ipv4": {}})):
        result = run_module(module, module_args)
        assert result["failed"] and "does not exist" in result["msg"]
        assert not netns.exists(name)


def test_bad_input_names_field_and_value(gateway_topology):
    topo = gateway_topology
    args = topo.agent_args((4,))
    args["ipv4"]["routes"] = ["10.17.0.0/16", "fd17::/64"]
    result = run_module("gateway_routing", args)
    assert result["failed"] and result["field"] == "ipv4.routes[1]" and result["value"] == "fd17::/64"
    nat_args = topo.nat_args((4,))
    nat_args["ipv4"]["no_snat_sources"] = ["10.18.0.0/33"]
    result = run_module("gateway_nat", nat_args)
    assert result["failed"] and result["field"] == "ipv4.no_snat_sources[0]"
    assert not [r for r in netns.ip(topo.gateway, "rule").splitlines() if r.startswith("100")]
    assert "VEG-MASQUERADE" not in "\n".join(nat_listing(topo, 4))


def test_explicit_interfaces_and_rp_filter(gateway_topology):
    topo = gateway_topology
    netns.sysctl(topo.gateway, "net.ipv4.conf.eth0.rp_filter", "1")
    args = {"netns": topo.gateway, "ipv4": {
        "internal_gateway": topo.internal_gateway[4], "internal_iface": "eth0", "internal_ip": topo.internal_ip[4],
        "external_iface": "net1", "external_ip": topo.external_ip[4],
        "routes": [topo.snat_cidr[4], topo.nosnat_cidr[4]]}}
    result = run_module("gateway_routing", args, diff=True)
    assert result["changed"] and not result["failed"], result
    assert "sysctl net.ipv4.conf.eth0.rp_filter=1" in result["diff"]["before"]
    assert netns.exec_in(topo.gateway, "sysctl", "-n", "net.ipv4.conf.eth0.rp_filter").strip() == "0"
    assert result["families"][0]["external_gateway"] is None
    assert f"1004:\tfrom {topo.external_ip[4]} iif lo lookup default" in netns.ip(topo.gateway, "rule")
    assert run_module("gateway_nat", topo.nat_args((4,)))["changed"]
    assert_egress(topo, (4,))
    # An interface that does not exist is an error naming it; nothing was changed by the attempt.
    rules = netns.ip(topo.gateway, "rule")
    args["ipv4"]["internal_iface"] = "eth9"
    result = run_module("gateway_routing", args)
    assert result["failed"] and result["field"] == "ipv4.internal_iface" and result["value"] == "eth9"
    assert netns.ip(topo.gateway, "rule") == rules


def test_concurrent_runs_converge(gateway_topology):
    """Two agents racing on one namespace: each restore is all-or-nothing, a lost race re-plans."""
    topo = gateway_topology
    configure(topo)
    wide = topo.nat_args()
    wide["ipv4"]["no_snat_sources"] = [topo.nosnat_cidr[4], "10.19.0.0/16", "10.20.0.0/16"]
    for _round in range(5):
        assert run_module("gateway_nat", wide)["changed"]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda args: run_module("gateway_nat", args), [topo.nat_args()] * 4))
        assert not any(r["failed"] for r in results), results
        listing = nat_listing(topo, 4)
        assert not [line for line in listing if "10.19.0.0" in line or "10.20.0.0" in line]
        assert len(listing) == len(set(listing)) == 11


def test_concurrent_routing_runs_converge(gateway_topology):
    topo = gateway_topology
    old = topo.agent_args()
    old["ipv4"]["routes"].append("10.19.0.0/16")
    netns.addr(topo.gateway, "eth0", "10.16.0.13/16")
    old["ipv4"]["internal_ip"] = "10.16.0.13"
    for _round in range(5):
        assert run_module("gateway_routing", old)["changed"]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda args: run_module("gateway_routing", args), [topo.agent_args()] * 4))
        assert not any(r["failed"] for r in results), results
        rules = [r for r in netns.ip(topo.gateway, "rule").splitlines() if r.startswith("100")]
        assert len(rules) == 4 and "from 10.16.0.12 iif lo lookup 1000" in rules[2]
        assert "10.19.0.0/16" not in netns.ip(topo.gateway, "route")
