"""The CNI stand-in (support/cni_standin.py, playing Kube-OVN's controller + CNI and Multus) called
the way containerd calls a CNI plugin - CNI_* environment, network configuration on stdin - for a
pod of a real kube-apiserver (Kube-OVN v1.14's own CRDs), on the real OVN data plane, with
Debian's macvlan for net1 on the external network. A network namespace made by the test plays the
pod sandbox, and the test calls the controller part (PodAddresses) as its pod watch would
(tests/functional/e2e_kube runs pods under real kubelets, with that watch)."""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from kubernetes import client

from support.dataplane import run
from support.fixtures_node import NAD, KubeNodeWorld
from support.cni_standin import PodAddresses
from support.node import STANDIN, Nodes

pytestmark = [pytest.mark.kube, pytest.mark.dataplane, pytest.mark.slow]


@pytest.fixture(scope="module")
def control_plane():
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"vegC{os.getpid()}-"))
    world = KubeNodeWorld(workdir)
    try:
        world.start_control_plane()
        world.nodes = Nodes(world.cluster, world.dp, 0, workdir=workdir / "nodes")
        world.nodes.prepare_network()
        yield world
    finally:
        world.stop()


def cni(world, command, pod, netns, container_id="c0ffee"):
    env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=container_id, CNI_NETNS=f"/var/run/netns/{netns}",
               CNI_IFNAME="eth0", CNI_PATH="/usr/lib/cni",
               CNI_ARGS=f"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME={pod}")
    conf = {"cniVersion": "0.4.0", "name": "kube-ovn", "type": "kube-ovn-standin", **world.nodes.cni_conf}
    proc = subprocess.run([sys.executable, str(STANDIN)], input=json.dumps(conf), capture_output=True, text=True,
                          env=env, check=False, timeout=120)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}


def test_add_puts_the_pod_on_ovn_and_the_external_network_del_removes_it(control_plane):
    world = control_plane
    custom, core = world.custom(), world.core()
    custom.create_cluster_custom_object("kubeovn.io", "v1", "subnets", {
        "apiVersion": "kubeovn.io/v1", "kind": "Subnet", "metadata": {"name": NAD},
        "spec": {"protocol": "IPv4", "provider": f"{NAD}.default", "cidrBlock": "172.17.0.0/16",
                 "gateway": "172.17.0.1", "excludeIps": ["172.17.0.1..172.17.0.10"]}})
    custom.create_namespaced_custom_object("k8s.cni.cncf.io", "v1", "default", "network-attachment-definitions", {
        "apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition", "metadata": {"name": NAD},
        "spec": {"config": json.dumps({"cniVersion": "0.3.0", "type": "macvlan", "master": "eth1", "mode": "bridge",
                                       "ipam": {"type": "kube-ovn", "provider": f"{NAD}.default"}})}})
    core.create_namespaced_pod("default", {"metadata": {"name": "p1", "annotations": {
        "k8s.v1.cni.cncf.io/networks": f"default/{NAD}",
        f"{NAD}.default.kubernetes.io/ip_pool": "172.17.0.13;172.17.0.14",
        f"{NAD}.default.kubernetes.io/routes": json.dumps([{"dst": "0.0.0.0/0", "gw": "172.17.0.1"}]),
        "ovn.kubernetes.io/routes": json.dumps([{"dst": "10.17.0.0/16", "gw": "10.16.0.1"}])}},
        "spec": {"containers": [{"name": "c", "image": "none"}]}})
    netns = f"{world.dp.prefix}-pod"
    run("ip", "netns", "add", netns)
    controller = PodAddresses(str(world.cluster.kubeconfig), world.dp, ())
    try:
        controller.handle(core.read_namespaced_pod("p1", "default"))   # the pod was added
        assert controller.errors == []
        assert world.dp.nbctl("--bare", "--columns=name", "find", "Logical_Switch_Port", "name=p1.default")
        rc, result = cni(world, "ADD", "p1", netns)
        assert rc == 0, result
        annotations = core.read_namespaced_pod("p1", "default").metadata.annotations
        ip = annotations["ovn.kubernetes.io/ip_address"]
        assert ip == "10.16.0.2" and result["ips"][0]["address"] == f"{ip}/16"
        assert annotations[f"{NAD}.default.kubernetes.io/ip_address"] == "172.17.0.13"  # from its ip_pool
        status = json.loads(annotations["k8s.v1.cni.cncf.io/network-status"])
        assert [(s["name"], s["interface"], s["ips"]) for s in status] == [
            ("kube-ovn", "eth0", [ip]), (f"default/{NAD}", "net1", ["172.17.0.13"])]
        lsp = json.loads(world.dp.nbctl("--format=json", "--columns=addresses,external_ids", "list",
                                        "Logical_Switch_Port", "p1.default"))["data"][0]
        assert lsp[0] == f"0a:58:0a:10:00:02 {ip}"
        assert dict(lsp[1][1]) == {"pod": "default/p1", "ls": "ovn-default", "vendor": "kube-ovn"}
        routes = run("ip", "route", netns=netns)
        assert "default via 172.17.0.1 dev net1" in routes and "10.17.0.0/16 via 10.16.0.1 dev eth0" in routes
        world.dp.sync()
        # its flows leave through net1 (the pod's default route) with its external address
        assert set(world.dp.tcp_sources(netns, 2)) == {"172.17.0.13"}
        rc, _ = cni(world, "DEL", "p1", netns)
        assert rc == 0
        assert "eth0" not in run("ip", "link", netns=netns) and "net1" not in run("ip", "link", netns=netns)
        # a second DEL (the kubelet retries) is fine
        assert cni(world, "DEL", "p1", netns)[0] == 0
        # the port stays until the pod goes, as Kube-OVN's controller removes it then
        assert world.dp.nbctl("--bare", "--columns=name", "find", "Logical_Switch_Port", "name=p1.default")
        pod = core.read_namespaced_pod("p1", "default")
        core.delete_namespaced_pod("p1", "default", grace_period_seconds=0)
        controller.forget(pod)   # its DELETED event
        assert world.dp.nbctl("--bare", "--columns=name", "find", "Logical_Switch_Port", "name=p1.default") == ""
    finally:
        run("ip", "netns", "del", netns, check=False)


def test_the_watch_addresses_pods_bound_to_its_nodes_only_and_removes_their_ports(control_plane):
    """PodAddresses.run as the harness runs it, for a node name no kubelet has (pods stay
    Pending): a pod bound to it gets its address and port, one bound elsewhere is not touched,
    one whose switch has no Subnet gets an AcquireAddressFailed event; a deleted pod's port goes."""
    world = control_plane
    core = world.core()
    controller = PodAddresses(str(world.cluster.kubeconfig), world.dp, ["watched"])
    stop = threading.Event()
    thread = threading.Thread(target=controller.run, args=(stop,), daemon=True)
    thread.start()

    def pod(name, node, **annotations):
        core.create_namespaced_pod("default", {"metadata": {"name": name, "annotations": annotations},
                                               "spec": {"nodeName": node, "containers": [{"name": "c", "image": "none"}]}})

    def lsp(name):
        return world.dp.nbctl("--bare", "--columns=name", "find", "Logical_Switch_Port", f"name={name}.default")

    def wait(condition, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"{what}; errors {controller.errors}"
            time.sleep(0.2)

    try:
        pod("w1", "watched")
        pod("w2", "elsewhere")
        pod("w3", "watched", **{"ovn.kubernetes.io/logical_switch": "no-such-switch"})
        wait(lambda: (core.read_namespaced_pod("w1", "default").metadata.annotations or {}).get(
            "ovn.kubernetes.io/routed") == "true" and lsp("w1"), "w1 not addressed")
        wait(lambda: any(e.reason == "AcquireAddressFailed" and e.involved_object.name == "w3"
                         for e in core.list_namespaced_event("default").items), "no AcquireAddressFailed for w3")
        assert not core.read_namespaced_pod("w2", "default").metadata.annotations and not lsp("w2")
        assert not lsp("w3")
        core.delete_namespaced_pod("w1", "default", grace_period_seconds=0)
        wait(lambda: not lsp("w1"), "w1's port still there")
    finally:
        stop.set()
        thread.join(timeout=10)
        for name in ("w1", "w2", "w3"):
            with contextlib.suppress(client.ApiException):
                core.delete_namespaced_pod(name, "default", grace_period_seconds=0)
