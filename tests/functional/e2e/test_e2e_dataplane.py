"""End to end on a real OVN 25.03 data plane: playbooks/standalone.yml deploys the gateway (the
reconciler writes the NB rows, the agent configures each instance namespace), and real TCP flows
from client namespaces show where traffic leaves. See support/dataplane.py for the topology.

The external host reports the source address of every connection: a gateway's external address
(SNAT through that instance), a client's own address (forwarded without SNAT), or the node's
172.17.0.254 (the router's ordinary route, i.e. not through the egress gateway).
"""
from __future__ import annotations

import os
import signal

import pytest

from support.ansible import run_module
from support.dataplane import BFD_PORT, NODE_EXTERNAL_IP, SENTINEL_IP, run
from support.fixtures_dataplane import gateway_spec

pytestmark = [pytest.mark.dataplane, pytest.mark.slow]

G1, G2, G3 = "10.16.0.101", "10.16.0.102", "10.16.0.103"


def wait_sources(world, wanted: set, client="c1", timeout=20) -> set:
    return world.dp.wait_sources(world.clients[client], wanted, timeout)


def kill_bfdd(world, short: str):
    """SIGKILL the bfdd the agent started in an instance (its pid file), link and forwarding stay up."""
    netns = world.gateways[short]
    state = world.dp.workdir / "agent" / "bfdd"
    pidfiles = [p / "bfdd.pid" for p in state.iterdir() if p.name.endswith(netns) and (p / "bfdd.pid").exists()]
    assert len(pidfiles) == 1, f"no single bfdd state dir for {netns}: {list(state.iterdir())}"
    os.kill(int(pidfiles[0].read_text()), signal.SIGKILL)


def test_snat_through_both_instances_with_ecmp(egress_world):
    world = egress_world
    world.deploy(gateway_spec())
    world.dp.wait_bfd({G1: "up", G2: "up", SENTINEL_IP: "up"})
    leaked = world.dp.leaked_packets()
    seen = world.dp.tcp_sources(world.clients["c1"], 32)
    assert "" not in seen, "a TCP flow failed"
    # Both instances' external addresses, nothing else: TCP flows spread by ECMP, SNAT in each.
    assert set(seen) == {world.external_ip["g1"], world.external_ip["g2"]}
    assert world.dp.leaked_packets() == leaked
    policies = world.policies()
    reroutes = [p for p in policies if p[0] == 29100]
    assert len(reroutes) == 2 and all(p[3].startswith(f"{G1}, {G2}") for p in reroutes), policies
    assert sum(1 for p in policies if p[0] == 29090 and p[2] == "drop") == 2


def test_one_instance_down_moves_traffic_and_back(egress_world):
    world = egress_world
    world.deploy(gateway_spec())
    world.dp.wait_bfd({G1: "up", G2: "up"})
    world.dp.link(world.gateways["g1"], up=False)
    try:
        world.dp.wait_bfd({G1: "down", G2: "up"})
        assert wait_sources(world, {world.external_ip["g2"]}) == {world.external_ip["g2"]}
    finally:
        world.dp.link(world.gateways["g1"], up=True)
    world.dp.wait_bfd({G1: "up", G2: "up"})
    assert wait_sources(world, {world.external_ip["g1"], world.external_ip["g2"]}) == \
        {world.external_ip["g1"], world.external_ip["g2"]}


def test_all_instances_down_drops_and_never_leaks_then_one_back_resumes(egress_world):
    world = egress_world
    world.deploy(gateway_spec())
    world.dp.wait_bfd({G1: "up", G2: "up", SENTINEL_IP: "up"})
    # Every responder dies, links and forwarding stay up: if OVN still rerouted, the instances
    # would forward (their counters move); if it fell back to the ordinary route, the node would see it.
    kill_bfdd(world, "g1")
    kill_bfdd(world, "g2")
    world.dp.wait_bfd({G1: "down", G2: "down", SENTINEL_IP: "up"})
    forwarded = {g: world.dp.forwarded_packets(world.gateways[g]) for g in ("g1", "g2")}
    leaked = world.dp.leaked_packets()
    seen = world.dp.tcp_sources(world.clients["c1"], 4)
    assert seen == ["", "", "", ""], f"traffic got out with every gateway down: {seen}"
    assert {g: world.dp.forwarded_packets(world.gateways[g]) for g in ("g1", "g2")} == forwarded
    assert world.dp.leaked_packets() == leaked, "traffic leaked to the router's ordinary route"
    # The 29090 drop is what stops it: without it the same flows take the ordinary route (leak).
    assert [p[2] for p in world.policies() if p[0] == 29090] == ["drop", "drop"]
    world.dp.nbctl("lr-policy-del", "lr0", "29090")
    world.dp.sync()
    assert world.sources() == {NODE_EXTERNAL_IP}
    assert world.dp.leaked_packets() > leaked
    # The reconciler puts the drop back (the playbook would too, but it also restarts bfdd).
    result = run_module("ovn_egress_gateway", {
        "connection": world.dp.nb_remote, "spec": gateway_spec(), "router": "lr0", "bfd_port": BFD_PORT,
        "subnet_cidrs": {"subnet1": "10.17.0.0/16"},
        "instances": [{"name": g, "node": "chassis-1", "internal_ips": [ip]} for g, ip in (("g1", G1), ("g2", G2))]})
    assert not result["failed"] and result["changed"], result
    assert [c["action"] for c in result["changes"]] == ["create", "create"], result["changes"]
    world.dp.sync()
    leaked = world.dp.leaked_packets()
    assert world.dp.tcp_sources(world.clients["c1"], 2) == ["", ""]
    assert world.dp.leaked_packets() == leaked
    # One instance back (the playbook restarts its bfdd): traffic resumes through it alone.
    world.deploy(gateway_spec(), instances=("g1",), absent=("g2",))
    world.dp.wait_bfd({G1: "up"})
    assert wait_sources(world, {world.external_ip["g1"]}) == {world.external_ip["g1"]}
    assert world.dp.leaked_packets() == leaked


def test_no_snat_policy_forwards_with_the_client_address(egress_world):
    world = egress_world
    spec = gateway_spec(policies=[{"snat": True, "subnets": ["subnet1"]},
                                  {"snat": False, "ipBlocks": ["10.17.0.20/32"]}])
    world.deploy(spec)
    world.dp.wait_bfd({G1: "up", G2: "up"})
    # Without SNAT the external side needs a route back to the client (here through g1).
    run("ip", "route", "add", "10.17.0.20/32", "via", world.external_ip["g1"], netns=world.dp.ext_ns)
    try:
        assert world.sources("c2") == {"10.17.0.20"}
        assert world.sources("c1") == {world.external_ip["g1"], world.external_ip["g2"]}
    finally:
        run("ip", "route", "del", "10.17.0.20/32", netns=world.dp.ext_ns)


def test_selected_ports_only(egress_world):
    """Selectors select pods; in standalone mode the inventory names their ports (the port group)."""
    world = egress_world
    spec = gateway_spec(policies=[], selectors=[{"namespaceSelector": {"matchLabels": {"team": "a"}}}])
    world.deploy(spec, standalone_gateway_pod_ports=[world.lsp("c1")])
    world.dp.wait_bfd({G1: "up", G2: "up"})
    pg = world.dp.nbctl("--bare", "--columns=ports", "find", "Port_Group", "name=VEG.8ca38ae7da18")
    assert pg and len(pg.split()) == 1, pg
    assert world.sources("c1") == {world.external_ip["g1"], world.external_ip["g2"]}
    assert world.sources("c2") == {NODE_EXTERNAL_IP}, "an unselected port must take the ordinary route"


def test_traffic_policy_local_prefers_the_instance_of_the_node(egress_world):
    """Two chassis do not fit one machine; what Local changes is the 29150 policies, which match the
    node port groups (Kube-OVN's per-node port group `node.<node, '-' -> '.'>`). The test puts c1 in
    worker1's group and c2 in worker2's, and declares g1 on worker1 and g2 on worker2: OVN then steers each
    client to "its" instance, and falls back to the other one when that dies (the 29100 ECMP)."""
    world = egress_world
    world.dp.nbctl("pg-add", "node.worker1", world.lsp("c1"), "--", "pg-add", "node.worker2", world.lsp("c2"))
    world.dp.ports[world.gateways["g1"]]["node"] = "worker1"
    world.dp.ports[world.gateways["g2"]]["node"] = "worker2"
    try:
        world.deploy(gateway_spec(trafficPolicy="Local"))
        world.dp.wait_bfd({G1: "up", G2: "up"})
        assert sum(1 for p in world.policies() if p[0] == 29150) == 4
        assert world.sources("c1") == {world.external_ip["g1"]}
        assert world.sources("c2") == {world.external_ip["g2"]}
        world.dp.link(world.gateways["g1"], up=False)
        try:
            world.dp.wait_bfd({G1: "down"})
            assert wait_sources(world, {world.external_ip["g2"]}, "c1") == {world.external_ip["g2"]}
        finally:
            world.dp.link(world.gateways["g1"], up=True)
        world.dp.wait_bfd({G1: "up"})
        assert wait_sources(world, {world.external_ip["g1"]}, "c1") == {world.external_ip["g1"]}
    finally:
        for gw in ("g1", "g2"):
            world.dp.ports[world.gateways[gw]].pop("node", None)
        world.deploy(gateway_spec())
        world.dp.nbctl("pg-del", "node.worker1", "--", "pg-del", "node.worker2")


def test_scale_two_three_one(egress_world):
    world = egress_world
    ext = world.external_ip
    world.deploy(gateway_spec(), instances=("g1", "g2", "g3"))
    world.dp.wait_bfd({G1: "up", G2: "up", G3: "up"})
    assert wait_sources(world, {ext["g1"], ext["g2"], ext["g3"]}) == {ext["g1"], ext["g2"], ext["g3"]}
    world.deploy(gateway_spec(), instances=("g1",), absent=("g2", "g3"))
    assert set(world.dp.bfd_status()) == {G1, SENTINEL_IP}
    assert all(p[3].split()[0] == G1 and G2 not in p[3] for p in world.policies() if p[0] == 29100)
    assert world.sources() == {ext["g1"]}
    # The instances taken out are unconfigured: no rules 1001-1004, no bfdd.
    for gw in ("g2", "g3"):
        rules = run("ip", "rule", "show", netns=world.gateways[gw])
        assert "1001:" not in rules and "1002:" not in rules, rules


def test_remove_leaves_no_rows_and_traffic_takes_the_normal_path(egress_world):
    world = egress_world
    world.deploy(gateway_spec())
    world.dp.wait_bfd({G1: "up", G2: "up"})
    world.deploy(gateway_spec(), instances=("g1", "g2"), state="absent")
    for table in ("BFD", "Logical_Router_Policy", "Port_Group", "Address_Set"):
        assert world.dp.nbctl("--bare", "--columns=_uuid", "list", table) == "", f"{table} rows left"
    assert world.sources() == {NODE_EXTERNAL_IP}
    for gw in ("g1", "g2"):
        assert "VEG-MASQUERADE" not in run("iptables-save", "-t", "nat", netns=world.gateways[gw])
