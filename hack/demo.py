"""The demo behind `make demo` (hack/demo.sh): what the collection does, on real packets.

`kubernetes` (the main job, `make demo`):
1. A three-node Kubernetes cluster on a one-machine OVN 25.03 (tests/functional/support/
   fixtures_node.py): kube-apiserver, kube-scheduler and three kubelets with containerd, Kube-OVN
   v1.14's CRDs, the CNI stand-in for Kube-OVN's CNI and Multus, a client pod on subnet1.
2. playbooks/bfd_port.yml gives the VPC its BFD port and BFD sentinel; playbooks/deploy.yml deploys
   hack/demo/kubernetes.yml: the real scheduler places the gateway pods, the kubelets start them
   from the gateway image (`make image`).
3. The status table, the gateway pods, the router's policies and BFD sessions.
4. 16 TCP flows from the client, by the source address the external host saw.
5. The gateway pod carrying a probe flow is deleted; how long traffic was interrupted; the
   Deployment's new pod takes over the same addresses.
6. playbooks/remove.yml; the cluster is torn down (also on failure/Ctrl-C).

`standalone` (`make demo-standalone`): the same on bare namespaces with playbooks/standalone.yml
(no Kubernetes), the instance carrying the probe losing its link in step 5.
"""
from __future__ import annotations

import collections
import json
import pathlib
import shutil
import signal
import sys
import tempfile
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "functional"))

from support.ansible import ansible_env  # noqa: E402
from support.dataplane import (BFD_PORT, CLIENT_SWITCH, ROUTER, SENTINEL_IP, Dataplane,  # noqa: E402
                               outage, run)
from support.fixtures_node import NAD, KubeNodeWorld  # noqa: E402

BUILD = REPO / "build" / "demo"
# the tasks whose message is the `kubectl get veg -o wide` table
STATUS_TASKS = ("Gateway status", "Report the gateway (kubectl get veg -o wide)")
START = time.time()


def say(text=""):
    print(f"[{time.time() - START:5.1f}s] {text}" if text else "", flush=True)


def section(title):
    print(f"\n=== {title} ===", flush=True)


def playbook(path: pathlib.Path, shown: str, inventory: pathlib.Path | None = None, extravars=None, envvars=None):
    """Run a playbook through ansible-runner (as AWX does) and print, from its events, the status
    table the role reports and the recap; the whole job stays in build/demo/runner/."""
    import ansible_runner  # pylint: disable=import-outside-toplevel

    say(f"$ ansible-playbook {shown}")
    runner = ansible_runner.run(
        private_data_dir=str(BUILD / "runner"), playbook=str(path), quiet=True,
        inventory=str(inventory) if inventory else None, extravars=extravars or {},
        envvars={**ansible_env(), **(envvars or {})})
    events = list(runner.events)
    with (BUILD / "ansible.log").open("a") as log:
        log.write("".join(e.get("stdout", "") + "\n" for e in events))
    for event in events:
        data = event.get("event_data") or {}
        if event.get("event") == "runner_on_ok" and data.get("task") in STATUS_TASKS:
            for row in data["res"]["msg"]:
                print("    " + row)
    if runner.rc:
        failed = [e["stdout"] for e in events if e.get("event") == "runner_on_failed"]
        print("\n".join(failed)[-4000:])
        raise SystemExit(f"the playbook failed (rc={runner.rc}); full log in build/demo/ansible.log")
    for host, ok in sorted((runner.stats or {}).get("ok", {}).items()):
        changed = (runner.stats or {}).get("changed", {}).get(host, 0)
        print(f"    {host}: ok={ok} changed={changed} failed=0")
    return events


def wait_for(condition, timeout: float, step: float = 0.5) -> float:
    """Seconds until ``condition()`` held (or the timeout passed), polling every ``step``."""
    started = time.time()
    while not condition() and time.time() - started < timeout:
        time.sleep(step)
    return time.time() - started


def interrupt_the_carrier(dp: Dataplane, netns: str, counters: dict, fail, seconds: float):
    """UDP probes every 10 ms from ``netns``; the instance whose counter (``counters``: instance ->
    function) moves with them is failed (``fail(instance)``); prints how long traffic was
    interrupted and where it went, and returns that instance."""
    probe = dp.probe(netns, seconds=seconds)
    time.sleep(1.0)
    before = {key: count() for key, count in counters.items()}
    time.sleep(0.3)
    victim = max(counters, key=lambda key: counters[key]() - before[key])
    failed_at = time.time()
    fail(victim)
    timeline = json.loads(probe.communicate()[0])
    result = outage(timeline, after=failed_at - timeline["epoch"] - 0.05)
    if result["window"] is None:
        raise SystemExit(f"traffic did not come back: {result}")
    say(f"traffic interrupted for {result['window'] * 1000:.0f} ms ({result['lost']} probes lost), "
        f"then left through {result['to']}")
    return victim


def fresh_build_dir():
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "ansible.log").write_text("")
    shutil.rmtree(BUILD / "runner", ignore_errors=True)
    (BUILD / "runner").mkdir()


def print_policies(dp: Dataplane):
    for line in dp.nbctl("lr-policy-list", ROUTER).splitlines():
        print("    " + " ".join(line.split()) if not line.startswith("Routing") else "    " + line)


def print_sources(seen: collections.Counter):
    for source, count in sorted(seen.items()):
        print(f"    {source or '(no answer)':15} {count:2} flows {'#' * count}")


def nb_rows_left(dp: Dataplane, *match: str) -> dict:
    """Rows per table (those with the ``match`` conditions of ovn-nbctl find)."""
    return {t: len(dp.nbctl("--bare", "--columns=_uuid", "find" if match else "list", t, *match).split())
            for t in ("Logical_Router_Policy", "BFD", "Port_Group", "Address_Set")}


def standalone():
    fresh_build_dir()
    spec = yaml.safe_load((REPO / "hack" / "demo" / "gateway.yml").read_text())
    dp = Dataplane()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        section("1. A one-machine OVN 25.03 with a real (userspace) data plane")
        dp.start()
        client = dp.add_client("c1", "10.17.0.10")
        gateways = [dp.add_gateway_instance("g1", "10.16.0.101", "172.17.0.11"),
                    dp.add_gateway_instance("g2", "10.16.0.102", "172.17.0.12")]
        sentinel = dp.add_sentinel()
        dp.sync()
        say(f"NB/SB ovsdb-server, ovn-northd, ovs-vswitchd (netdev), ovn-controller up; work dir {dp.workdir}, "
            f"network namespaces {dp.prefix}-*")
        say("client c1 10.17.0.10 on subnet1; gateway namespaces g1 10.16.0.101/172.17.0.11 and "
            "g2 10.16.0.102/172.17.0.12 (addresses only); external host 172.17.0.1")
        say(f"normal path without a gateway: the client's flows leave as {sorted(set(dp.tcp_sources(client, 4)))} (the node)")

        section("2. Deploy hack/demo/gateway.yml with playbooks/standalone.yml")
        inventory = BUILD / "inventory.yml"
        inventory.write_text(yaml.safe_dump(dp.standalone_inventory(spec, gateways, sentinel)))
        say("inventory written to build/demo/inventory.yml (instances g1, g2; BFD sentinel sen)")
        started = time.time()
        playbook(REPO / "playbooks" / "standalone.yml", "-i build/demo/inventory.yml playbooks/standalone.yml",
                 inventory)
        say(f"deployed in {time.time() - started:.1f} s")

        section("3. Router policies and BFD sessions")
        waited = dp.wait_bfd({"10.16.0.101": "up", "10.16.0.102": "up", SENTINEL_IP: "up"}, timeout=60)
        say(f"BFD sessions up after {waited:.1f} s more")
        print_policies(dp)
        for ip, state in sorted(dp.bfd_status().items()):
            print(f"    BFD {ip:15} {state}{'   (sentinel)' if ip == SENTINEL_IP else ''}")

        section("4. The client's TCP flows, by the source address the external host saw")
        seen = collections.Counter(dp.tcp_sources(client, 16))
        print_sources(seen)
        if len(seen) != 2 or "" in seen:
            raise SystemExit("expected the flows to leave through both gateways")

        section("5. Take the instance carrying a flow down (link down) and measure the interruption")

        def link_down(gateway):
            dp.link(gateway, up=False)
            say(f"UDP probes every 10 ms; {gateway.rsplit('-', 1)[-1]} ({dp.ports[gateway]['external_ip']}) "
                "carried them: link down")
        victim = interrupt_the_carrier(dp, client, {g: (lambda g=g: dp.forwarded_packets(g)) for g in gateways},
                                       link_down, seconds=4.0)
        print("    BFD: " + ", ".join(f"{ip} {state}" for ip, state in sorted(dp.bfd_status().items())))
        dp.link(victim, up=True)
        waited = wait_for(lambda: dp.ports[victim]["external_ip"] in dp.tcp_sources(client, 8), 30)
        say(f"link back: new flows use {victim.rsplit('-', 1)[-1]} again after {waited:.1f} s")

        section("6. Remove the gateway")
        playbook(REPO / "playbooks" / "standalone.yml",
                 "-i build/demo/inventory.yml playbooks/standalone.yml -e standalone_gateway_state=absent",
                 inventory, {"standalone_gateway_state": "absent"})
        say(f"rows left in NB: {nb_rows_left(dp)}; the client's flows leave as "
            f"{sorted(set(dp.tcp_sources(client, 4)))} again")
    finally:
        section("Cleanup")
        dp.stop()
        say("namespaces, daemons and bridges of this demo removed")


def gateway_pods(world, name: str) -> list:
    """The gateway's running pods, with the fields the demo shows."""
    annotation = f"{NAD}.default.kubernetes.io/ip_address"
    return [{"name": p.metadata.name, "node": p.spec.node_name, "internal": p.status.pod_ip,
             "external": (p.metadata.annotations or {}).get(annotation, ""),
             "ready": all(c.ready for c in p.status.container_statuses or [])}
            for p in sorted(world.gateway_pods(name), key=lambda p: p.metadata.name)
            if p.status.phase == "Running"]


def print_pods(pods: list):
    print(f"    {'POD':26} {'NODE':16} {'INTERNAL IP':13} {'EXTERNAL IP':13} READY")
    for pod in pods:
        print(f"    {pod['name']:26} {pod['node']:16} {pod['internal']:13} {pod['external']:13} {pod['ready']}")


def net1_tx_packets(world, pod: dict) -> int:
    """Packets the pod sent on its external network (net1): the SNAT'd traffic it carries."""
    netns = world.nodes.pod_netns("default", pod["name"])
    return int(run("cat", "/sys/class/net/net1/statistics/tx_packets", netns=netns))


def kubernetes():
    fresh_build_dir()
    manifest = REPO / "hack" / "demo" / "kubernetes.yml"
    name = yaml.safe_load(manifest.read_text())["metadata"]["name"]
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="vegDemo-"))
    world = KubeNodeWorld(workdir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        section("1. A three-node Kubernetes cluster on a one-machine OVN 25.03")
        started = time.time()
        world.start()
        dp = world.dp
        say(f"up in {time.time() - started:.1f} s: NB/SB ovsdb-server, ovn-northd, ovs-vswitchd, ovn-controller; "
            f"etcd, kube-apiserver (Kube-OVN v1.14's CRDs), kube-scheduler; kubelet + containerd on "
            f"{', '.join(world.nodes.names)} (the last two labelled egress=true); work dir {workdir}, "
            f"network namespaces {dp.prefix}-*")
        client = world.running(world.client_pod("client", "default", CLIENT_SWITCH))
        say(f"client pod {client['name']} {client['ip']} on subnet1 (node {client['node']}); without a gateway "
            f"its flows leave as {sorted(set(dp.tcp_sources(client['netns'], 4)))} (the node)")

        section("2. The VPC's BFD port and its BFD sentinel, then deploy hack/demo/kubernetes.yml with playbooks/deploy.yml")
        env = {"K8S_AUTH_KUBECONFIG": str(world.cluster.kubeconfig)}
        # the cluster's three nodes share one OVN chassis: the BFD port's HA group takes one; the
        # BFD sentinel keeps OVN timing out dead sessions when every gateway dies (docs/bfd.md)
        bfd_vars = {"vpc_bfd_port_nb_connection": dp.nb_remote, "vpc_bfd_port_layout": "router_port",
                    "vpc_bfd_port_name": BFD_PORT, "vpc_bfd_port_max_nodes": 1,
                    "vpc_bfd_port_sentinel_ip": SENTINEL_IP, "vpc_bfd_port_sentinel_subnet": "ovn-default",
                    "vpc_bfd_port_sentinel_image": world.nodes.image}
        cluster_vars = {"egress_gateway_nb_connection": dp.nb_remote, "egress_gateway_image": world.nodes.image,
                        "egress_gateway_bfd_port": BFD_PORT, "egress_gateway_wait_delay": 2,
                        **world.external_network_vars()}
        (BUILD / "bfd-port.yml").write_text(yaml.safe_dump(bfd_vars))
        (BUILD / "cluster.yml").write_text(yaml.safe_dump(cluster_vars))
        (BUILD / "kubeconfig").write_text(world.cluster.kubeconfig.read_text())
        say("variables of this cluster in build/demo/bfd-port.yml and build/demo/cluster.yml, "
            "K8S_AUTH_KUBECONFIG=build/demo/kubeconfig")
        playbook(REPO / "playbooks" / "bfd_port.yml", "kubeovn.egress_gateway.bfd_port -e @build/demo/bfd-port.yml",
                 extravars=bfd_vars, envvars=env)
        shown = "-e egress_gateway_manifest_file=hack/demo/kubernetes.yml -e @build/demo/cluster.yml"
        gateway_vars = {**cluster_vars, "egress_gateway_manifest_file": str(manifest)}
        started = time.time()
        playbook(REPO / "playbooks" / "deploy.yml", f"kubeovn.egress_gateway.deploy {shown}",
                 extravars=gateway_vars, envvars=env)
        deployed = time.time() - started
        pods = gateway_pods(world, name)
        external = {p["external"] for p in pods}
        waited = wait_for(lambda: set(dp.tcp_sources(client["netns"], 4)) <= external, 60)
        say(f"deployed in {deployed:.1f} s; the client's first flows through the gateways {waited:.1f} s later")

        section("3. Gateway pods (scheduled by kube-scheduler, run by the kubelets), policies, BFD")
        print_pods(pods)
        internal = {p["internal"] for p in pods}
        dp.wait_bfd({ip: "up" for ip in internal}, timeout=60)
        print_policies(dp)
        for ip, state in sorted(dp.bfd_status().items()):
            print(f"    BFD {ip:15} {state}" + ("  (the BFD sentinel, never a next hop)" if ip == SENTINEL_IP else ""))

        section("4. The client pod's TCP flows, by the source address the external host saw")
        seen = collections.Counter(dp.tcp_sources(client["netns"], 16))
        print_sources(seen)
        if set(seen) != external:
            raise SystemExit(f"expected the flows to leave through both gateways {sorted(external)}")

        section("5. Delete the gateway pod carrying a probe flow and measure the interruption")
        by_name = {p["name"]: p for p in pods}

        def delete(pod_name):
            world.core().delete_namespaced_pod(pod_name, "default", grace_period_seconds=0)
            say(f"UDP probes every 10 ms; {pod_name} ({by_name[pod_name]['external']}) carried them: "
                f"kubectl delete pod {pod_name} --grace-period=0 --force")
        victim = by_name[interrupt_the_carrier(
            dp, client["netns"], {n: (lambda p=p: net1_tx_packets(world, p)) for n, p in by_name.items()},
            delete, seconds=6.0)]
        waited = wait_for(lambda: len([p for p in gateway_pods(world, name)
                                       if p["ready"] and p["name"] != victim["name"]]) == len(pods), 180)
        pods = gateway_pods(world, name)
        say(f"the Deployment's new pod is ready {waited:.1f} s later; Kube-OVN's IP reservation gives it "
            "the same addresses:")
        print_pods(pods)
        if {p["internal"] for p in pods} != internal or victim["name"] in {p["name"] for p in pods}:
            raise SystemExit(f"expected a new pod with {victim['internal']}")
        dp.wait_bfd({ip: "up" for ip in internal}, timeout=60)
        started = time.time()
        if dp.wait_sources(client["netns"], external, 60, count=16) != external:
            raise SystemExit(f"new flows did not use both gateways {sorted(external)} again")
        say(f"its BFD session is up and new flows use both gateways again after {time.time() - started:.1f} s")

        section("6. Remove the gateway with playbooks/remove.yml")
        playbook(REPO / "playbooks" / "remove.yml", f"kubeovn.egress_gateway.remove {shown}",
                 extravars=gateway_vars, envvars=env)
        wait_for(lambda: not world.gateway_pods(name), 120)
        rows = nb_rows_left(dp, f"external_ids:vpc-egress-gateway=default/{name}")
        say(f"gateway pods left: {len(world.gateway_pods(name))}; NB rows of default/{name} left: {rows}; "
            f"the client's flows leave as {sorted(set(dp.tcp_sources(client['netns'], 4)))} again")
    finally:
        section("Cleanup")
        world.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        say("pods, kubelets, containerd, the API server, OVN, namespaces and bridges of this demo removed")


if __name__ == "__main__":
    try:
        {"kubernetes": kubernetes, "standalone": standalone}[sys.argv[1] if len(sys.argv) > 1 else "kubernetes"]()
    except KeyboardInterrupt:
        sys.exit(130)
