"""IPv6 and dual-stack end to end on the real OVN 25.03 data plane, in standalone mode: the
harness with IPv6 beside IPv4 on every switch, the external network and the node
(support/dataplane.py, ``dual_stack=True``), playbooks/standalone.yml deploying the gateway, and
real TCP flows and UDP probes of both families from a dual-stack client.

- a dual-stack gateway: IPv4 flows leave with the instances' external IPv4 addresses and IPv6
  flows with their external IPv6 addresses, each spread by ECMP over both instances;
- BFD over IPv6: an instance's link down takes its IPv6 session down and the IPv6 flows move to
  the other instance (the interruption is printed, not asserted);
- every responder dead: the 29090 drop holds for IPv6 as for IPv4, nothing reaches the node;
- an IPv6-only gateway (IPv6 instance addresses, an IPv6 ipBlock): IPv6 flows through it, IPv4
  ones take the ordinary route.
"""
from __future__ import annotations

import json
import os
import signal
import time

import pytest

from support.dataplane import (CLIENT_CIDR, CLIENT_CIDR6, EXTERNAL_GW6, NODE_EXTERNAL_IP, NODE_EXTERNAL_IP6,
                               SENTINEL_IP, SENTINEL_IP6, Dataplane, outage)
from support.fixtures_dataplane import EgressWorld, gateway_spec

pytestmark = [pytest.mark.dataplane, pytest.mark.slow]

GATEWAYS = {"g1": ("10.16.0.101", "172.17.0.11", "fd00:10:16::101", "fd00:172:17::11"),
            "g2": ("10.16.0.102", "172.17.0.12", "fd00:10:16::102", "fd00:172:17::12"),
            "g3": ("10.16.0.103", "172.17.0.13", "fd00:10:16::103", "fd00:172:17::13")}
CLIENT = ("10.17.0.10", "fd00:10:17::10")


@pytest.fixture(scope="module")
def world():
    if os.geteuid() != 0:
        pytest.skip("the OVN data plane needs root (network namespaces)")
    dp = Dataplane(dual_stack=True)
    dp.start()
    try:
        yield EgressWorld(dp, clients={"c1": CLIENT}, gateways=GATEWAYS)
    finally:
        dp.stop()


def sources(world, family: int, count=24) -> set:
    host = EXTERNAL_GW6 if family == 6 else None
    return set(world.dp.tcp_sources(world.clients["c1"], count, **({"host": host} if host else {})))


def wait_sources(world, family: int, wanted: set, timeout=30) -> set:
    return world.dp.wait_sources(world.clients["c1"], wanted, timeout, **({"host": EXTERNAL_GW6} if family == 6 else {}))


def external(short: str, family: int) -> str:
    return GATEWAYS[short][1 if family == 4 else 3]


def internal(short: str, family: int) -> str:
    return GATEWAYS[short][0 if family == 4 else 2]


def all_up(*shorts) -> dict:
    return {internal(s, f): "up" for s in shorts for f in (4, 6)}


def test_dual_stack_gateway_snats_both_families_with_ecmp(world):
    world.deploy(gateway_spec())
    # one sentinel session (its first address) keeps OVN timing out the sessions of both families
    world.dp.wait_bfd({**all_up("g1", "g2"), SENTINEL_IP: "up"}, timeout=60)
    assert SENTINEL_IP6 not in world.dp.bfd_status()
    leaked = world.dp.leaked_packets(CLIENT_CIDR), world.dp.leaked_packets(CLIENT_CIDR6)
    assert sources(world, 4) == {external("g1", 4), external("g2", 4)}
    assert sources(world, 6) == {external("g1", 6), external("g2", 6)}
    assert (world.dp.leaked_packets(CLIENT_CIDR), world.dp.leaked_packets(CLIENT_CIDR6)) == leaked
    matches = {p[1] for p in world.policies() if p[0] == 29100}
    assert any(m.startswith("ip6.src == ") for m in matches) and any(m.startswith("ip4.src == ") for m in matches)


def test_ipv6_bfd_takes_a_dead_instance_out(world):
    world.deploy(gateway_spec())
    world.dp.wait_bfd(all_up("g1", "g2"), timeout=60)
    probe = world.dp.probe(world.clients["c1"], seconds=4.0, host=EXTERNAL_GW6)
    time.sleep(1.0)
    before = {g: world.dp.forwarded_packets(world.gateways[g]) for g in ("g1", "g2")}
    time.sleep(0.3)
    victim = max(before, key=lambda g: world.dp.forwarded_packets(world.gateways[g]) - before[g])
    other = "g2" if victim == "g1" else "g1"
    down_at = time.time()
    world.dp.link(world.gateways[victim], up=False)
    try:
        timeline = json.loads(probe.communicate(timeout=30)[0])
        gap = outage(timeline, after=down_at - timeline["epoch"] - 0.05)
        print(f"IPv6 probe flow through {victim}, its link down: {gap['lost']} probes lost over {gap['window']} s, "
              f"then through {gap['to']}")
        assert gap["to"] == external(other, 6), gap
        world.dp.wait_bfd({internal(victim, 6): "down", internal(other, 6): "up"}, timeout=30)
        assert wait_sources(world, 6, {external(other, 6)}) == {external(other, 6)}
    finally:
        world.dp.link(world.gateways[victim], up=True)
    world.dp.wait_bfd(all_up("g1", "g2"), timeout=60)
    both = {external("g1", 6), external("g2", 6)}
    assert wait_sources(world, 6, both) == both


def kill_bfdd(world, short: str):
    """SIGKILL every bfdd the agent started in an instance (links and forwarding stay up)."""
    netns = world.gateways[short]
    state = world.dp.workdir / "agent" / "bfdd"
    pidfiles = [p / "bfdd.pid" for p in state.iterdir() if p.name.endswith(netns) and (p / "bfdd.pid").exists()]
    assert pidfiles, f"no bfdd state dir for {netns}: {list(state.iterdir())}"
    for pidfile in pidfiles:
        os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_every_instance_dead_drops_ipv6_too(world):
    world.deploy(gateway_spec())
    world.dp.wait_bfd({**all_up("g1", "g2"), SENTINEL_IP: "up"}, timeout=60)
    kill_bfdd(world, "g1")
    kill_bfdd(world, "g2")
    world.dp.wait_bfd({**{ip: "down" for ip in all_up("g1", "g2")}, SENTINEL_IP: "up"}, timeout=30)
    leaked = world.dp.leaked_packets(CLIENT_CIDR6)
    assert world.dp.tcp_sources(world.clients["c1"], 4, host=EXTERNAL_GW6) == ["", "", "", ""]
    assert world.dp.leaked_packets(CLIENT_CIDR6) == leaked, "IPv6 traffic leaked to the ordinary route"
    assert NODE_EXTERNAL_IP not in sources(world, 4, 4)
    world.deploy(gateway_spec())   # the playbook starts the responders again
    world.dp.wait_bfd(all_up("g1", "g2"), timeout=60)
    assert wait_sources(world, 6, {external("g1", 6), external("g2", 6)}) == {external("g1", 6), external("g2", 6)}


def test_ipv6_only_gateway(world):
    world.deploy(gateway_spec(), state="absent")
    assert sources(world, 6, 4) == {NODE_EXTERNAL_IP6} and sources(world, 4, 4) == {NODE_EXTERNAL_IP}
    g3 = world.gateways["g3"]
    world.dp.ports[g3]["hostvars"] = {"standalone_gateway_internal_ip": internal("g3", 6),
                                      "standalone_gateway_external_ip": external("g3", 6)}
    spec = gateway_spec(name="gateway6", policies=[{"snat": True, "ipBlocks": [CLIENT_CIDR6]}])
    try:
        world.deploy(spec, instances=("g3",))
        world.dp.wait_bfd({internal("g3", 6): "up"}, timeout=60)
        assert internal("g3", 4) not in world.dp.bfd_status()
        assert wait_sources(world, 6, {external("g3", 6)}) == {external("g3", 6)}
        assert sources(world, 4, 4) == {NODE_EXTERNAL_IP}
        assert not [p for p in world.policies() if p[1].startswith("ip4.src") and p[0] in (29100, 29090)]
    finally:
        world.deploy(spec, instances=("g3",), state="absent")
        world.dp.ports[g3].pop("hostvars")
