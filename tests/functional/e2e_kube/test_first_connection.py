"""Pods that start after the deploy, on the real node, with the rulebook keeping the gateway in
step (extensions/eda, real ansible-rulebook): 20 selected pods whose first act is one TCP
connection to the external server. Where did each first connection leave? Through a gateway
(its external IP) or by the node (172.17.0.254), before the pod joined the gateway's port group.

The count is printed, not asserted (the target is 0 of 20): it depends on how soon the pod's
Logical_Switch_Port joins the port group after it exists. As in Kube-OVN, the port exists from
the moment the pod has its address (the stand-in's controller part, once the pod is bound), and
the CNI part returns only once ovn-controller installed it; the rulebook races the kubelet's
sandbox, CNI and container start. What is asserted: every pod's connection got an answer (none
was dropped), and then every selected pod's port is in the port group and its new connections
leave through the gateways.

Then kube-ovn-controller v1.14's start-up GC (``gcSecurityGroup``) deletes the gateway's port
group while a selected pod sends a UDP probe every 20 ms: the rulebook puts it back with its
members, and the test prints how long that took and what the probe's packets did meanwhile
(answered by the node = leaked with the node's address, lost, or through a gateway).
"""
from __future__ import annotations

import json
import pathlib
import time

import pytest
import yaml

from support.dataplane import CLIENT_SWITCH, EXTERNAL_GW, NODE_EXTERNAL_IP, run
from support.fixtures_node import NAD
from support.rulebook import Rulebook

pytestmark = [pytest.mark.kube, pytest.mark.dataplane, pytest.mark.slow]

PODS = 20
LABEL = {"egress": "first-connection"}


def gateway() -> dict:
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": "early", "namespace": "default"},
            "spec": {"replicas": 2, "externalSubnet": NAD, "nodeSelector": [{"matchLabels": {"egress": "true"}}],
                     "selectors": [{"podSelector": {"matchLabels": LABEL}}]}}


def first_connection_pod(world, name: str, port: int):
    """A pod on subnet1 whose container connects once at start, keeps what the server saw as its
    source (or "none") in /tmp/seen, and stays (a finished pod leaves the port group)."""
    script = ("import socket, time\n"
              "try:\n"
              f"    seen = socket.create_connection(('{EXTERNAL_GW}', {port}), timeout=3).makefile().readline().strip()\n"
              "except OSError:\n"
              "    seen = 'none'\n"
              "open('/tmp/seen', 'w').write(seen)\n"
              "time.sleep(1e6)\n")
    world.core().create_namespaced_pod("default", {
        "metadata": {"name": name, "labels": LABEL, "annotations": {"ovn.kubernetes.io/logical_switch": CLIENT_SWITCH}},
        "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
            "name": "client", "image": world.nodes.image, "imagePullPolicy": "IfNotPresent",
            "command": ["python3", "-c", script]}]}})
    return {"name": name, "namespace": "default"}


def seen_by_server(pod: dict, timeout=60) -> str:
    """/tmp/seen of the pod's container, read through /proc of its process."""
    deadline = time.monotonic() + timeout
    while True:
        for pid in run("ip", "netns", "pids", pod["netns"]).split():
            seen = pathlib.Path(f"/proc/{pid}/root/tmp/seen")
            try:
                if seen.exists() and seen.read_text():
                    return seen.read_text().strip()
            except (FileNotFoundError, PermissionError):
                continue
        assert time.monotonic() < deadline, f"{pod['name']} wrote nothing in {timeout}s"
        time.sleep(0.5)


def wait_members(world, count: int, rulebook: Rulebook, timeout=240):
    deadline = time.monotonic() + timeout
    while len(members := world.dp.nbctl("--bare", "--columns=ports", "find", "Port_Group",
                                        "external_ids:vpc-egress-gateway=default/early").split()) != count:
        assert rulebook.alive() and time.monotonic() < deadline, \
            f"{len(members)} of {count} pods in the port group\n{rulebook.log.read_text()[-4000:]}"
        time.sleep(0.5)


def test_first_connections_of_new_selected_pods(kube_node_world, tmp_path):
    world = kube_node_world
    result = world.playbook("deploy", check=False, egress_gateway_manifest=yaml.safe_dump(gateway()),
                            **world.external_network_vars())
    assert result.returncode == 0, result.stdout[-6000:]
    external = set(world.veg("early")["status"]["externalIPs"])
    rulebook = Rulebook(tmp_path, world.cluster, world.dp.nb_remote).start()
    try:
        # the rulebook is up once it added a first pod (it emits nothing while the rows are exact)
        world.running(first_connection_pod(world, "warm-up", world.dp.tcp_port))
        wait_members(world, 1, rulebook)
        made = [first_connection_pod(world, f"first-{i:02d}", world.dp.tcp_port) for i in range(PODS)]
        pods = [world.running(pod) for pod in made]
        seen = {pod["name"]: seen_by_server(pod) for pod in pods}
        through_node = sorted(n for n, source in seen.items() if source == NODE_EXTERNAL_IP)
        print(f"first connections of {PODS} new selected pods: {PODS - len(through_node)} through a gateway, "
              f"{len(through_node)} by the node ({', '.join(through_node) or 'none'})")
        assert set(seen.values()) <= external | {NODE_EXTERNAL_IP}, seen   # every one answered, none dropped
        # then every pod is a member of the port group and its new connections use the gateways
        wait_members(world, PODS + 1, rulebook)
        for pod in pods:
            assert set(world.dp.tcp_sources(pod["netns"], 4)) <= external, pod
        gc_repaired(world, pods[0], external, rulebook)
    finally:
        rulebook.stop()


def gc_repaired(world, pod: dict, external: set, rulebook: Rulebook):
    """The port groups deleted as kube-ovn-controller v1.14.0's start-up GC deletes them (every one
    without ``external_ids:np``, in one transaction) while ``pod`` probes; then the repair."""
    probe = world.dp.probe(pod["netns"], seconds=12, interval=0.02)
    time.sleep(2)
    rows = json.loads(world.dp.nbctl("--format=json", "--columns=name,external_ids", "list", "Port_Group"))["data"]
    doomed = [name for name, (_map, ids) in rows if "np" not in dict(ids)]
    assert doomed, rows
    deleted, deleted_at = time.monotonic(), time.time()
    world.dp.nbctl(*[arg for name in doomed for arg in ("--", "pg-del", name)])
    wait_members(world, PODS + 1, rulebook, timeout=60)
    repaired = time.monotonic() - deleted
    timeline = json.loads(probe.communicate(timeout=60)[0])
    start = deleted_at - timeline["epoch"]   # the deletion on the probe's clock
    window = [(replied, source) for _seq, sent, replied, source in timeline["probes"]
              if start <= sent <= start + repaired]
    leaked = sum(1 for replied, source in window if replied is not None and source == NODE_EXTERNAL_IP)
    lost = sum(1 for replied, _source in window if replied is None)
    print(f"port groups deleted as kube-ovn-controller v1.14's GC does ({', '.join(doomed)}): repaired by the "
          f"rulebook after {repaired:.2f} s; the pod's {len(window)} probes meanwhile: {leaked} answered by the "
          f"node (leaked), {lost} lost, {len(window) - leaked - lost} through a gateway")
    after = [source for _seq, sent, replied, source in timeline["probes"] if sent > start + repaired + 0.5 and replied]
    assert after and set(after) <= external, after[:20]     # through the gateways again
