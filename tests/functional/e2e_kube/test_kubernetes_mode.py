"""End to end in Kubernetes mode on a real node: playbooks/deploy.yml builds the seed document's
gateways, the real kube-scheduler places their pods, the real kubelets start them from the
gateway image (``make image``), the init container runs the agent with Kube-OVN's environment,
the bfdd container passes its probes and answers OVN's BFD, and real client pods' flows show
where their traffic leaves (support/fixtures_node.py: the OVN data plane, three nodes of
containerd + kubelet, the CNI stand-in for Kube-OVN's CNI and Multus).

The checks are those of Kube-OVN's own e2e suite (test/e2e/vpc-egress-gateway/e2e_test.go at
v1.14.0): status ready and phase Completed, as many internal and external IPs as replicas, the
workload's name and nodes, a SNAT client seen with a gateway's external IP, a forward client seen
with its own IP and a gateway's internal IP as its second traceroute hop. And here also: the flows
spread over every instance, an unselected pod takes the ordinary route (the node's 172.17.0.254),
a gateway pod deleted and brought back, both bfdd killed, scale 2 -> 3 -> 1 and remove.

The tests of this module run in order on one cluster: gateway1 (no BFD) first, removed, then
gateway2 (BFD on the VPC's router port, stock OVN) with the same clients.
"""
from __future__ import annotations

import json
import pathlib
import re
import time

import pytest
import yaml

from support.ansible import REPO, run_playbook
from support.dataplane import CLIENT_SWITCH, INTERNAL_SWITCH, NODE_EXTERNAL_IP, BFD_PORT, SENTINEL_IP, outage, run
from support.fixtures_node import FORWARD_CIDR, FORWARD_SWITCH, NAD

pytestmark = [pytest.mark.kube, pytest.mark.dataplane, pytest.mark.slow]

REPLICAS = 2
DATA = pathlib.Path(__file__).resolve().parents[1] / "support" / "data"


def gateway1() -> dict:
    """The seed document's gateway1, on this harness's nodes (label egress=true instead of the
    kind cluster's hostnames) and with two replicas for ECMP."""
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": "gateway1", "namespace": "default"},
            "spec": {"replicas": REPLICAS, "externalSubnet": NAD,
                     "nodeSelector": [{"matchLabels": {"egress": "true"}}],
                     "selectors": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "default"}}}],
                     "policies": [{"snat": True, "subnets": [CLIENT_SWITCH]},
                                  {"snat": False, "ipBlocks": [FORWARD_CIDR]}]}}


def gateway2() -> dict:
    """The seed document's gateway2, verbatim (BFD 100 ms x 5, SNAT of 10.18.0.0/16)."""
    return yaml.safe_load((DATA / "gateway2.yaml").read_text())


@pytest.fixture(scope="module")
def clients(kube_node_world):
    """Client pods, started before the gateways (the playbook selects the pods that exist)."""
    world = kube_node_world
    made = {
        "snat": world.client_pod("snat-client", "other", CLIENT_SWITCH),        # subnet1: SNAT policy
        "selected": world.client_pod("ns-client", "default", INTERNAL_SWITCH),  # default namespace: selectors
        "forward": world.client_pod("fwd-client", "other", FORWARD_SWITCH),     # 10.18.0.0/16: gateway1 forwards
        "other": world.client_pod("plain-client", "other", INTERNAL_SWITCH),    # nothing selects it
    }
    return {k: world.running(v) for k, v in made.items()}


def deploy(world, gateway: dict, **variables):
    result = world.playbook("deploy", check=False, egress_gateway_manifest=yaml.safe_dump(gateway),
                            **world.external_network_vars(), **variables)
    assert result.returncode == 0, result.stdout[-6000:]
    return result


@pytest.fixture(scope="module")
def deployed(kube_node_world, clients):
    deploy(kube_node_world, gateway1())
    return kube_node_world


def sources(world, client: dict, count=32) -> set:
    return set(world.dp.tcp_sources(client["netns"], count))


def wait_sources(world, client: dict, wanted: set, timeout=60) -> set:
    return world.dp.wait_sources(client["netns"], wanted, timeout, count=32, pause=1)


# ---- gateway1: selectors, a SNAT subnet, forward ipBlocks, no BFD ---------------------------
def test_status_and_workload_as_kube_ovn_e2e_checks(deployed):
    world = deployed
    status = world.veg("gateway1")["status"]
    assert status["ready"] is True and status["phase"] == "Completed", status
    assert len(status["internalIPs"]) == REPLICAS and len(status["externalIPs"]) == REPLICAS, status
    pods = world.gateway_pods("gateway1")
    assert len(pods) == REPLICAS and all(p.status.phase == "Running" for p in pods)
    assert status["workload"]["name"] == "gateway1"
    assert sorted(status["workload"]["nodes"]) == sorted(p.spec.node_name for p in pods)
    # each pod ran the agent in its init container and its gateway container is ready
    for pod in pods:
        assert all(c.state.terminated and c.state.terminated.exit_code == 0 for c in pod.status.init_container_statuses)
        assert all(c.ready for c in pod.status.container_statuses), pod.status.container_statuses


def test_traffic_leaves_where_the_policies_say(deployed, clients):
    world = deployed
    status = world.veg("gateway1")["status"]
    external, internal = set(status["externalIPs"]), set(status["internalIPs"])
    assert sources(world, clients["snat"]) == external       # SNAT'd, spread by ECMP over both
    assert sources(world, clients["selected"]) == external
    assert sources(world, clients["other"]) == {NODE_EXTERNAL_IP}
    # forward: as Kube-OVN's e2e does, the server routes the client back over the gateways
    hops = " ".join(f"nexthop via {ip} dev br0" for ip in sorted(external))
    run("sh", "-c", f"ip route add {clients['forward']['ip']} {hops}", netns=world.dp.ext_ns)
    try:
        assert sources(world, clients["forward"]) == {clients["forward"]["ip"]}
        assert world.dp.hop(clients["forward"]["netns"], 2) in internal
    finally:
        run("ip", "route", "del", clients["forward"]["ip"], netns=world.dp.ext_ns)


def remove(world, gateway: dict, *former_clients):
    """playbooks/remove.yml: no pod, no NB row, and the clients take the ordinary route again."""
    name = gateway["metadata"]["name"]
    result = world.playbook("remove", check=False, egress_gateway_manifest=yaml.safe_dump(gateway))
    assert result.returncode == 0, result.stdout[-6000:]
    world.wait_gone(name)
    assert not any(world.nb_rows_of(name).values()), world.nb_rows_of(name)
    for client in former_clients:
        assert sources(world, client, 8) == {NODE_EXTERNAL_IP}, client


def test_remove_leaves_no_pod_no_row_and_the_ordinary_route(deployed, clients):
    remove(deployed, gateway1(), clients["snat"], clients["selected"])


# ---- gateway2: BFD from the VPC's router port --------------------------------------------
def bfd_port_vars(world, **variables) -> dict:
    """playbooks/bfd_port.yml's variables: the VPC's router port, with the BFD sentinel on the
    internal subnet; the harness's three nodes share one OVN chassis: the port's HA group takes
    the first node."""
    return dict({"vpc_bfd_port_nb_connection": world.dp.nb_remote, "vpc_bfd_port_layout": "router_port",
                 "vpc_bfd_port_name": BFD_PORT, "vpc_bfd_port_max_nodes": 1,
                 "vpc_bfd_port_sentinel_ip": SENTINEL_IP, "vpc_bfd_port_sentinel_subnet": INTERNAL_SWITCH,
                 "vpc_bfd_port_sentinel_image": world.nodes.image}, **variables)


def sentinel_pods(world) -> list:
    return world.core().list_namespaced_pod("kube-system", label_selector=SENTINEL_SELECTOR).items


SENTINEL_SELECTOR = "egress-gateway.kubeovn.io/bfd-sentinel=ovn-cluster"


@pytest.fixture(scope="module")
def with_bfd(kube_node_world, clients):
    world = kube_node_world
    result = run_playbook(REPO / "playbooks" / "bfd_port.yml", env=world.env(), extra_vars=bfd_port_vars(world))
    assert "bfd-sentinel-ovn-cluster" in result.stdout, result.stdout[-4000:]
    again = run_playbook(REPO / "playbooks" / "bfd_port.yml", env=world.env(), extra_vars=bfd_port_vars(world))
    assert re.search(r"^localhost\s+: .*changed=0 ", again.stdout, re.M), again.stdout[-4000:]
    result = deploy(world, gateway2(), egress_gateway_bfd_port=BFD_PORT)
    # the deploy reports ready only once OVN has every instance's BFD session up (kube-ovn#6379)
    assert f"BFD sessions of the {REPLICAS} instance(s) up" in result.stdout, result.stdout[-6000:]
    return world


def gateway2_ips(world) -> tuple[set, set]:
    status = world.veg("gateway2")["status"]
    return set(status["internalIPs"]), set(status["externalIPs"])


def test_bfd_sessions_up_and_traffic_snatted(with_bfd, clients):
    world = with_bfd
    internal, external = gateway2_ips(world)
    assert world.veg("gateway2")["status"]["ready"] is True
    world.dp.wait_bfd({ip: "up" for ip in internal} | {SENTINEL_IP: "up"}, timeout=60)
    for pod in world.gateway_pods("gateway2"):
        bfdd = [c for c in pod.status.container_statuses if c.name == "bfdd"]
        assert bfdd and bfdd[0].ready and bfdd[0].restart_count == 0, bfdd
    # the sentinel: one ready pod with its fixed address, a BFD peer and never a next hop
    (sentinel,) = sentinel_pods(world)
    assert sentinel.status.pod_ip == SENTINEL_IP and all(c.ready for c in sentinel.status.container_statuses)
    policies = json.loads(world.dp.nbctl("--format=json", "--columns=priority,match,nexthops", "list",
                                         "Logical_Router_Policy"))["data"]
    # OVSDB JSON writes a one-element set as its element
    assert [p for p in policies if SENTINEL_IP in json.dumps(p[2])] == [[1, "0", SENTINEL_IP]], policies
    assert wait_sources(world, clients["forward"], external) == external
    assert sources(world, clients["snat"], 8) == {NODE_EXTERNAL_IP}   # gateway2 selects 10.18.0.0/16 only


def test_gateway_pod_deleted_traffic_moves_then_comes_back(with_bfd, clients):
    world = with_bfd
    internal, external = gateway2_ips(world)
    victim = world.gateway_pods("gateway2")[0]
    victim_ip = victim.status.pod_ip
    leaked = world.dp.leaked_packets(FORWARD_CIDR)
    probe = world.dp.probe(clients["forward"]["netns"], seconds=20, interval=0.02)
    time.sleep(2)
    world.core().delete_namespaced_pod(victim.metadata.name, "default", grace_period_seconds=0)
    timeline = json.loads(probe.communicate(timeout=60)[0])
    answered = [source for _seq, _sent, replied, source in timeline["probes"] if replied is not None]
    assert set(answered) <= external and answered[-1] in external     # SNAT'd throughout, never leaked
    gap = outage(timeline, after=2.0)
    print(f"pod {victim.metadata.name} deleted: {gap['lost']} probes lost over {gap['window']} s")
    # the Deployment brings the instance back with the same addresses (Kube-OVN's IP reservation)
    deadline = time.monotonic() + 180
    while True:
        pods = [p for p in world.gateway_pods("gateway2") if p.status.phase == "Running"
                and all(c.ready for c in p.status.container_statuses or [])]
        if len(pods) == REPLICAS and victim.metadata.name not in {p.metadata.name for p in pods}:
            break
        assert time.monotonic() < deadline, [(p.metadata.name, p.status.phase) for p in world.gateway_pods("gateway2")]
        time.sleep(1)
    assert {p.status.pod_ip for p in pods} == internal and victim_ip in internal
    world.dp.wait_bfd({ip: "up" for ip in internal}, timeout=60)
    assert wait_sources(world, clients["forward"], external) == external
    assert world.dp.leaked_packets(FORWARD_CIDR) == leaked


def test_every_bfdd_killed_the_drop_applies_and_nothing_leaks(with_bfd, clients):
    world = with_bfd
    internal, external = gateway2_ips(world)
    leaked = world.dp.leaked_packets(FORWARD_CIDR)
    pids = world.bfdd_pids("gateway2")
    assert len(pids) == REPLICAS, pids
    for pid in pids:
        run("kill", "-9", pid)
    # links and forwarding stay up; the sentinel's packets keep OVN timing the dead sessions out
    # (docs/bfd.md), so they go down and the 29090 drop takes the flows, before the liveness
    # probe restarts bfdd (3 x 5 s)
    took = world.dp.wait_bfd({ip: "down" for ip in internal} | {SENTINEL_IP: "up"}, timeout=10)
    print(f"every bfdd of gateway2 killed: both sessions down {took:.2f} s later")
    assert world.dp.tcp_sources(clients["forward"]["netns"], 3, timeout=20) == ["", "", ""]
    assert world.dp.leaked_packets(FORWARD_CIDR) == leaked
    # the liveness probe restarts bfdd, the sessions come back and so does the traffic
    world.dp.wait_bfd({ip: "up" for ip in internal}, timeout=180)
    assert wait_sources(world, clients["forward"], external) == external
    assert world.dp.leaked_packets(FORWARD_CIDR) == leaked


@pytest.mark.parametrize("replicas", [3, 1])
def test_scale(with_bfd, clients, replicas):
    world = with_bfd
    result = world.playbook("scale", check=False, egress_gateway_manifest=yaml.safe_dump(gateway2()),
                            egress_gateway_replicas=replicas, egress_gateway_bfd_port=BFD_PORT,
                            **world.external_network_vars())
    assert result.returncode == 0, result.stdout[-6000:]
    status = world.veg("gateway2")["status"]
    internal, external = set(status["internalIPs"]), set(status["externalIPs"])
    assert len(internal) == len(external) == replicas and len(world.gateway_pods("gateway2")) == replicas
    assert set(world.dp.bfd_status()) == internal | {SENTINEL_IP}
    world.dp.wait_bfd({ip: "up" for ip in internal}, timeout=60)
    assert wait_sources(world, clients["forward"], external) == external


def test_remove_gateway2(with_bfd, clients):
    remove(with_bfd, gateway2(), clients["forward"])


def sentinel_gone(world):
    deadline = time.monotonic() + 60
    while sentinel_pods(world):
        assert time.monotonic() < deadline, [p.metadata.name for p in sentinel_pods(world)]
        time.sleep(1)
    assert world.apps().list_namespaced_deployment("kube-system", label_selector=SENTINEL_SELECTOR).items == []
    assert SENTINEL_IP not in world.dp.bfd_status()
    assert SENTINEL_IP not in world.dp.nbctl("list", "Logical_Router_Policy")


@pytest.mark.parametrize("how", [{"vpc_bfd_port_sentinel_ip": ""}, {"vpc_bfd_port_state": "absent"}],
                         ids=["sentinel-ip-emptied", "port-removed"])
def test_the_sentinel_goes_with_its_variable_or_its_port(with_bfd, how):
    world = with_bfd
    if "vpc_bfd_port_state" in how:   # the run before removed the sentinel: give it back first
        run_playbook(REPO / "playbooks" / "bfd_port.yml", env=world.env(), extra_vars=bfd_port_vars(world))
        world.dp.wait_bfd({SENTINEL_IP: "up"}, timeout=60)
    run_playbook(REPO / "playbooks" / "bfd_port.yml", env=world.env(), extra_vars=bfd_port_vars(world, **how))
    sentinel_gone(world)
    ha_group = world.dp.nbctl("--bare", "--columns=ha_chassis_group", "list", "Logical_Router_Port", BFD_PORT).strip()
    assert bool(ha_group) == ("vpc_bfd_port_state" not in how), ha_group   # the port stays, or goes
