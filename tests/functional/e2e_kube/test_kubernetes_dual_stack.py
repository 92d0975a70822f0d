"""Dual-stack end to end in Kubernetes mode on the real node: the harness of test_kubernetes_mode
with IPv6 beside IPv4 (support/fixtures_node.py, ``dual_stack``: the data plane, ``ovn-default``,
``subnet1`` and the external network ``v4,v6``, the API server with 1.20's IPv6DualStack gate).
playbooks/deploy.yml builds a BFD gateway whose pods get an address of each family on eth0 and
on net1; the agent configures both families from Kube-OVN's environment and bfdd answers OVN
over IPv4 and IPv6.

- the #6379 window (IPv6 BFD comes up after the rows exist, and until then the 29090 drop
  takes the traffic): an IPv6 probe runs through the deploy and the time between its last answer
  by the ordinary route and its first through a gateway is printed; the deploy reports ready only
  after every session of both families is up, and from then on IPv6 traffic goes through a
  gateway;
- SNAT'd IPv4 and IPv6 flows leave with the instances' external addresses of their family, each
  spread by ECMP over both instances; an unselected pod takes the ordinary route in both families;
- a gateway pod deleted: IPv6 traffic moves to the other instance and never leaks; the Deployment
  brings the pod back with the same addresses of both families and IPv6 flows use it again;
- every bfdd killed: with the VPC's BFD sentinel (docs/bfd.md) the sessions of both families go
  down, the 29090 drop takes IPv6 traffic, none takes the ordinary route, and it comes back when
  the probes restart bfdd;
- remove: no pod, no row, both families on the ordinary route again;
- an IPv6-only gateway (IPv6-only internal and external Subnets, an IPv6 ipBlock): its pods have
  IPv6 addresses only, its rows are IPv6 only, IPv6 flows leave with its external addresses and
  IPv4 ones take the ordinary route.
"""
from __future__ import annotations

import ipaddress
import json
import time

import pytest
import yaml

from support.ansible import REPO, run_playbook
from support.dataplane import (BFD_PORT, CLIENT_CIDR, CLIENT_CIDR6, CLIENT_SWITCH, EXTERNAL_GW6, INTERNAL_SWITCH,
                               NODE_EXTERNAL_IP, NODE_EXTERNAL_IP6, SENTINEL_IP, SENTINEL_IP6, outage, run)
from support.fixtures_node import NAD, V6_NAD, V6_SWITCH

pytestmark = [pytest.mark.kube, pytest.mark.dataplane, pytest.mark.slow]

REPLICAS = 2
NAME = "dual"


def gateway() -> dict:
    """Two instances with BFD (100 ms x 5, as the seed's gateway2), SNAT for subnet1 (both families)."""
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": NAME, "namespace": "default"},
            "spec": {"replicas": REPLICAS, "externalSubnet": NAD,
                     "nodeSelector": [{"matchLabels": {"egress": "true"}}],
                     "bfd": {"enabled": True, "minRX": 100, "minTX": 100, "multiplier": 5},
                     "policies": [{"snat": True, "subnets": [CLIENT_SWITCH]}]}}


def family(address: str) -> int:
    return ipaddress.ip_address(address).version


def split(values: list, wanted: int) -> set:
    """The addresses of one family in Kube-OVN's ``v4,v6`` status entries."""
    return {a for value in values for a in value.split(",") if family(a) == wanted}


def sources(world, client: dict, version: int, count=24) -> set:
    extra = {"host": EXTERNAL_GW6} if version == 6 else {}
    return set(world.dp.tcp_sources(client["netns"], count, **extra))


def wait_sources(world, client: dict, version: int, wanted: set, timeout=60) -> set:
    extra = {"host": EXTERNAL_GW6} if version == 6 else {}
    return world.dp.wait_sources(client["netns"], wanted, timeout, count=24, pause=1, **extra)


@pytest.fixture(scope="module")
def world(kube_node_world_dual_stack):
    return kube_node_world_dual_stack


@pytest.fixture(scope="module")
def clients(world):
    made = {"snat": world.client_pod("snat-client", "other", CLIENT_SWITCH),     # subnet1: the SNAT policy
            "other": world.client_pod("plain-client", "other", INTERNAL_SWITCH)}  # nothing selects it
    running = {k: world.running(v) for k, v in made.items()}
    for client in running.values():   # a dual-stack pod: both families in its status
        pod = world.core().read_namespaced_pod(client["name"], client["namespace"])
        assert sorted(family(p.ip) for p in pod.status.pod_ips) == [4, 6], pod.status.pod_ips
    return running


def addresses(world) -> dict:
    status = world.veg(NAME)["status"]
    return {(kind, version): split(status[f"{kind}IPs"], version)
            for kind in ("internal", "external") for version in (4, 6)}


@pytest.fixture(scope="module")
def deployed(world, clients):
    run_playbook(REPO / "playbooks" / "bfd_port.yml", env=world.env(), check=True, extra_vars={
        "vpc_bfd_port_nb_connection": world.dp.nb_remote, "vpc_bfd_port_layout": "router_port",
        "vpc_bfd_port_name": BFD_PORT, "vpc_bfd_port_max_nodes": 1,
        "vpc_bfd_port_sentinel_ip": f"{SENTINEL_IP},{SENTINEL_IP6}", "vpc_bfd_port_sentinel_subnet": INTERNAL_SWITCH,
        "vpc_bfd_port_sentinel_image": world.nodes.image})
    assert sources(world, clients["snat"], 6, 4) == {NODE_EXTERNAL_IP6}   # the ordinary route before
    probe = world.dp.probe(clients["snat"]["netns"], seconds=600, interval=0.05, host=EXTERNAL_GW6)
    result = world.playbook("deploy", check=False, egress_gateway_manifest=yaml.safe_dump(gateway()),
                            egress_gateway_bfd_port=BFD_PORT, **world.external_network_vars())
    reported_ready = time.time()
    time.sleep(3)
    probe.terminate()
    timeline = json.loads(probe.communicate(timeout=60)[0])
    assert result.returncode == 0, result.stdout[-6000:]
    assert f"BFD sessions of the {REPLICAS} instance(s) up" in result.stdout, result.stdout[-6000:]
    external6 = addresses(world)[("external", 6)]
    probes = timeline["probes"]
    through_gateway = [sent for _seq, sent, replied, source in probes if replied is not None and source in external6]
    assert through_gateway, "no IPv6 probe went through a gateway"
    ordinary = [sent for _seq, sent, replied, source in probes
                if replied is not None and source == NODE_EXTERNAL_IP6 and sent < through_gateway[0]]
    dropped = sum(1 for _seq, sent, replied, _source in probes
                  if replied is None and (ordinary or [0])[-1] < sent < through_gateway[0])
    print(f"kube-ovn#6379 window, IPv6: {through_gateway[0] - (ordinary or [0])[-1]:.2f} s from the last answer "
          f"by the ordinary route to the first through a gateway ({dropped} probes dropped by the 29090 "
          "policy until IPv6 BFD was up)")
    # from the deploy's end on (it reported ready), every IPv6 probe went through a gateway
    ready = reported_ready - timeline["epoch"]
    after = [(sent, replied, source) for _seq, sent, replied, source in probes if ready < sent < probes[-1][1] - 0.5]
    assert after and all(replied is not None and source in external6 for _sent, replied, source in after), after[:20]
    return world


def test_gateway_pods_have_both_families_and_every_session_is_up(deployed):
    world = deployed
    status = world.veg(NAME)["status"]
    assert status["ready"] is True and status["phase"] == "Completed", status
    found = addresses(world)
    assert all(len(found[key]) == REPLICAS for key in found), found
    for pod in world.gateway_pods(NAME):
        assert sorted(family(p.ip) for p in pod.status.pod_ips) == [4, 6], pod.status.pod_ips
    internal = found[("internal", 4)] | found[("internal", 6)]
    # one BFD row per instance and family, and the sentinel's (IPv4: OVN's BFD runs for every
    # session of the port whichever family the packets that wake it have)
    assert set(world.dp.bfd_status()) == internal | {SENTINEL_IP}
    world.dp.wait_bfd({ip: "up" for ip in internal | {SENTINEL_IP}}, timeout=60)


def test_snat_flows_of_each_family_leave_with_that_familys_external_addresses(deployed, clients):
    world = deployed
    found = addresses(world)
    assert sources(world, clients["snat"], 4) == found[("external", 4)]   # spread by ECMP over both
    assert sources(world, clients["snat"], 6) == found[("external", 6)]
    assert sources(world, clients["other"], 4) == {NODE_EXTERNAL_IP}
    assert sources(world, clients["other"], 6) == {NODE_EXTERNAL_IP6}


def test_gateway_pod_deleted_ipv6_moves_then_comes_back(deployed, clients):
    world = deployed
    before = addresses(world)
    leaked = world.dp.leaked_packets(CLIENT_CIDR6)
    victim = world.gateway_pods(NAME)[0]
    probe = world.dp.probe(clients["snat"]["netns"], seconds=20, interval=0.02, host=EXTERNAL_GW6)
    time.sleep(2)
    world.core().delete_namespaced_pod(victim.metadata.name, "default", grace_period_seconds=0)
    timeline = json.loads(probe.communicate(timeout=60)[0])
    answered = [source for _seq, _sent, replied, source in timeline["probes"] if replied is not None]
    assert set(answered) <= before[("external", 6)] and answered[-1] in before[("external", 6)]
    gap = outage(timeline, after=2.0)
    print(f"IPv6, pod {victim.metadata.name} deleted: {gap['lost']} probes lost over {gap['window']} s")
    deadline = time.monotonic() + 180
    while True:
        pods = [p for p in world.gateway_pods(NAME) if p.status.phase == "Running"
                and all(c.ready for c in p.status.container_statuses or [])]
        if len(pods) == REPLICAS and victim.metadata.name not in {p.metadata.name for p in pods}:
            break
        assert time.monotonic() < deadline, [(p.metadata.name, p.status.phase) for p in world.gateway_pods(NAME)]
        time.sleep(1)
    internal = before[("internal", 4)] | before[("internal", 6)]
    assert {p.ip for pod in pods for p in pod.status.pod_ips} == internal   # the same addresses, both families
    world.dp.wait_bfd({ip: "up" for ip in internal}, timeout=60)
    assert wait_sources(world, clients["snat"], 6, before[("external", 6)]) == before[("external", 6)]
    assert world.dp.leaked_packets(CLIENT_CIDR6) == leaked


def test_every_bfdd_killed_both_families_dropped_and_nothing_leaks(deployed, clients):
    world = deployed
    found = addresses(world)
    internal = found[("internal", 4)] | found[("internal", 6)]
    leaked = {cidr: world.dp.leaked_packets(cidr) for cidr in (CLIENT_CIDR, CLIENT_CIDR6)}
    pids = world.bfdd_pids(NAME)
    assert len(pids) == REPLICAS, pids
    for pid in pids:
        run("kill", "-9", pid)
    # the sentinel (an IPv4 session) keeps OVN timing out the dead sessions of both families
    took = world.dp.wait_bfd({ip: "down" for ip in internal}, timeout=10)
    print(f"every bfdd killed: the {len(internal)} sessions of both families down {took:.2f} s later")
    assert world.dp.tcp_sources(clients["snat"]["netns"], 3, host=EXTERNAL_GW6, timeout=20) == ["", "", ""]
    assert {cidr: world.dp.leaked_packets(cidr) for cidr in leaked} == leaked
    world.dp.wait_bfd({ip: "up" for ip in internal}, timeout=180)
    assert wait_sources(world, clients["snat"], 6, found[("external", 6)]) == found[("external", 6)]
    assert {cidr: world.dp.leaked_packets(cidr) for cidr in leaked} == leaked


def test_remove_leaves_both_families_on_the_ordinary_route(deployed, clients):
    world = deployed
    result = world.playbook("remove", check=False, egress_gateway_manifest=yaml.safe_dump(gateway()))
    assert result.returncode == 0, result.stdout[-6000:]
    world.wait_gone(NAME)
    assert not any(world.nb_rows_of(NAME).values()), world.nb_rows_of(NAME)
    assert sources(world, clients["snat"], 4, 8) == {NODE_EXTERNAL_IP}
    assert sources(world, clients["snat"], 6, 8) == {NODE_EXTERNAL_IP6}


def v6_only_gateway() -> dict:
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": "v6only", "namespace": "default"},
            "spec": {"replicas": REPLICAS, "internalSubnet": V6_SWITCH, "externalSubnet": V6_NAD,
                     "nodeSelector": [{"matchLabels": {"egress": "true"}}],
                     "policies": [{"snat": True, "ipBlocks": [CLIENT_CIDR6]}]}}


def test_ipv6_only_gateway_carries_ipv6_and_leaves_ipv4_on_the_ordinary_route(world, clients):
    manifest = yaml.safe_dump(v6_only_gateway())
    result = world.playbook("deploy", check=False, egress_gateway_manifest=manifest, **world.external_network_vars_v6())
    assert result.returncode == 0, result.stdout[-6000:]
    status = world.veg("v6only")["status"]
    assert status["ready"] is True, status
    internal, external = split(status["internalIPs"], 6), split(status["externalIPs"], 6)
    assert len(internal) == len(external) == REPLICAS, status
    assert not split(status["internalIPs"], 4) and not split(status["externalIPs"], 4), status
    for pod in world.gateway_pods("v6only"):
        assert [family(p.ip) for p in pod.status.pod_ips] == [6], pod.status.pod_ips
    matches = world.dp.nbctl("--bare", "--columns=match", "find", "Logical_Router_Policy",
                             "external_ids:vpc-egress-gateway=default/v6only").split("\n")
    assert matches and all("ip6." in m and "ip4." not in m for m in matches if m.strip()), matches
    assert wait_sources(world, clients["snat"], 6, external) == external      # spread by ECMP over both
    assert sources(world, clients["snat"], 4, 8) == {NODE_EXTERNAL_IP}
    result = world.playbook("remove", check=False, egress_gateway_manifest=manifest)
    assert result.returncode == 0, result.stdout[-6000:]
    world.wait_gone("v6only")
    assert not any(world.nb_rows_of("v6only").values()), world.nb_rows_of("v6only")
    assert sources(world, clients["snat"], 6, 8) == {NODE_EXTERNAL_IP6}
