"""Kubernetes-mode benchmark on real pods (hack/bench.sh kube): build/bench/kube.json, kube.md, kube.png.

The cluster of `make demo` (tests/functional/support/fixtures_node.py: kube-apiserver,
kube-scheduler, three kubelets with containerd, the CNI stand-in, the OVN 25.03 data plane) and a
client pod on subnet1. hack/demo/kubernetes.yml (2 instances, SNAT of subnet1) is deployed with
playbooks/deploy.yml at each BFD setting; a UDP echo flow from the client (one 5-tuple, so one
gateway at a time) is probed every 10 ms and the gateway pod carrying it is failed:

  delete  the pod is deleted (grace period 0); the Deployment starts a new one with its addresses;
  link    the pod's eth0 loses its link (its veth on the integration bridge goes down), then back;
  bfdd    its bfdd is SIGKILLed, the pod still forwards; the liveness probe restarts bfdd.

"window": from the last answered probe before the failure to the first answered one after it;
"moved": from the failure to the first probe answered through the other gateway; "back": from the
failure until new TCP flows use both gateways again. Also: the time from starting
`ansible-playbook kubeovn.egress_gateway.deploy` to the client's first flow through a gateway,
the time from the NB write until OVN has every BFD session up (the deploy waits for it; until
then the 29090 drop takes the selected traffic, kube-ovn#6379),
each gateway pod's memory (RSS of its processes), and BFD status changes in steady traffic.

    python tests/bench/bench_kube.py [--runs 5] [--bfd 100x3 --bfd 50x3] [--stability 300]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import signal
import sys
import tempfile
import threading
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "functional"))

from bench_failover import failover_plot, fmt, stability, summarise  # noqa: E402
from support.ansible import run_playbook  # noqa: E402
from support.dataplane import BFD_PORT, CLIENT_SWITCH, NODE_EXTERNAL_IP, outage, run  # noqa: E402
from support.fixtures_node import NAD, KubeNodeWorld  # noqa: E402

MODES = ("delete", "link", "bfdd")
MANIFEST = REPO / "hack" / "demo" / "kubernetes.yml"


class Bench:
    def __init__(self, world: KubeNodeWorld, client: dict):
        self.world, self.dp, self.client = world, world.dp, client
        self.gateway = yaml.safe_load(MANIFEST.read_text())
        self.name = self.gateway["metadata"]["name"]
        self.replicas = self.gateway["spec"]["replicas"]

    # ---- the gateway ---------------------------------------------------------------------
    def deploy(self, interval: int, mult: int, first: bool) -> dict:
        """playbooks/deploy.yml with this BFD setting, timed; on the first deploy also the time
        to the client's first flow through a gateway (polled while the playbook runs)."""
        self.gateway["spec"]["bfd"] = {"enabled": True, "minRX": interval, "minTX": interval, "multiplier": mult}
        result = {}
        started = time.monotonic()

        def play():
            result["proc"] = self.world.playbook("deploy", check=False, egress_gateway_manifest=yaml.safe_dump(self.gateway),
                                                 egress_gateway_bfd_port=BFD_PORT, **self.world.external_network_vars())
            result["playbook"] = time.monotonic() - started

        thread = threading.Thread(target=play)
        thread.start()
        first_flow = None
        while first and first_flow is None and (thread.is_alive() or time.monotonic() - started < result["playbook"] + 60):
            if self.dp.tcp_sources(self.client["netns"], 1, timeout=2)[0] not in ("", NODE_EXTERNAL_IP):
                first_flow = time.monotonic() - started
            time.sleep(0.1)
        thread.join()
        if result["proc"].returncode:
            raise SystemExit(f"deploy failed:\n{result['proc'].stdout[-4000:]}")
        self.settle()
        bfd_up = re.search(r"BFD sessions of the \d+ instance\(s\) up ([\d.]+) s after the write", result["proc"].stdout)
        return {"playbook_seconds": result["playbook"], "first_gateway_flow_seconds": first_flow,
                "bfd_up_after_write_seconds": float(bfd_up.group(1)) if bfd_up else None}

    def pods(self) -> list:
        annotation = f"{NAD}.default.kubernetes.io/ip_address"
        return [{"name": p.metadata.name, "node": p.spec.node_name, "internal": p.status.pod_ip,
                 "external": (p.metadata.annotations or {}).get(annotation, ""),
                 "netns": self.world.nodes.pod_netns("default", p.metadata.name),
                 "host_if": self.world.nodes.pod_record("default", p.metadata.name)["host_if"]}
                for p in self.world.gateway_pods(self.name)
                if p.status.phase == "Running" and all(c.ready for c in p.status.container_statuses or [])]

    def settle(self, timeout=180):
        """Every instance running and ready, BFD up and new flows over all of them."""
        deadline = time.monotonic() + timeout
        while len(pods := self.pods()) != self.replicas:
            if time.monotonic() > deadline:
                raise SystemExit(f"gateway pods not ready after {timeout}s: {pods}")
            time.sleep(0.5)
        self.dp.wait_bfd({p["internal"]: "up" for p in pods}, timeout=timeout)
        wanted = {p["external"] for p in pods}
        while set(self.dp.tcp_sources(self.client["netns"], 16)) != wanted:
            if time.monotonic() > deadline:
                raise SystemExit(f"flows not over {sorted(wanted)} after {timeout}s")
            time.sleep(0.5)
        return pods

    def memory(self) -> list:
        """Each gateway pod's processes (RSS, KiB), found through its network namespace."""
        out = []
        for pod in self.pods():
            processes = {}
            for pid in run("ip", "netns", "pids", pod["netns"]).split():
                try:
                    status = pathlib.Path(f"/proc/{pid}/status").read_text()
                except FileNotFoundError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                rss = int(fields.get("VmRSS", "0 kB").split()[0])
                comm = fields["Name"].strip()
                processes[comm] = processes.get(comm, 0) + rss
            out.append({"pod": pod["name"], "rss_kib": sum(processes.values()), "processes": processes})
        return out

    # ---- one failure ---------------------------------------------------------------------
    def carrier(self, pods: list) -> dict:
        """The pod the probe flow goes through now: its external interface's counter moves."""
        def tx(pod):
            return int(run("cat", "/sys/class/net/net1/statistics/tx_packets", netns=pod["netns"]))
        before = {p["name"]: tx(p) for p in pods}
        time.sleep(0.3)
        moved = [p for p in pods if tx(p) - before[p["name"]] >= 10]
        if len(moved) != 1:
            raise SystemExit(f"probe flow not on exactly one gateway pod: {moved}")
        return moved[0]

    def bfdd_pid(self, pod: dict) -> int:
        for pid in run("ip", "netns", "pids", pod["netns"]).split():
            comm = pathlib.Path(f"/proc/{pid}/comm")
            if comm.exists() and comm.read_text().strip() == "bfdd":
                return int(pid)
        raise SystemExit(f"no bfdd in {pod['name']}")

    def fail(self, pod: dict, mode: str):
        if mode == "delete":
            self.world.core().delete_namespaced_pod(pod["name"], "default", grace_period_seconds=0)
        elif mode == "link":
            run("ip", "link", "set", pod["host_if"], "down", netns=self.dp.ovs_ns)
        else:
            run("kill", "-9", str(self.bfdd_pid(pod)))

    def one_run(self, mode: str, interval: int, mult: int) -> dict:
        pods = self.settle()
        settle = max(2.0, interval * mult / 1000 * 2)
        probe = self.dp.probe(self.client["netns"], seconds=1.0 + settle + 1.0)
        time.sleep(0.6)
        victim = self.carrier(pods)
        failed_at = time.time()
        self.fail(victim, mode)
        timeline = json.loads(probe.communicate()[0])
        failed_in_run = failed_at - timeline["epoch"]
        gap = outage(timeline, after=failed_in_run - 0.05)
        moved = next((sent - failed_in_run for _seq, sent, replied, source in timeline["probes"]
                      if sent >= failed_in_run and replied is not None and source != victim["external"]), None)
        if mode == "link":
            run("ip", "link", "set", victim["host_if"], "up", netns=self.dp.ovs_ns)
        self.settle()
        return {"mode": mode, "victim": victim["name"], "lost": gap["lost"], "window": gap["window"],
                "moved_to": gap["to"], "moved": moved, "return": time.time() - failed_at}


def bfd_port(world: KubeNodeWorld):
    # the harness's three nodes share one OVN chassis: the port's HA group takes one
    run_playbook(REPO / "playbooks" / "bfd_port.yml", env=world.env(), extra_vars={
        "vpc_bfd_port_nb_connection": world.dp.nb_remote, "vpc_bfd_port_layout": "router_port",
        "vpc_bfd_port_name": BFD_PORT, "vpc_bfd_port_max_nodes": 1})


def sec(value) -> str:
    return "-" if value is None else f"{value:.3f} s"


def report(results: dict) -> str:
    """build/bench/kube.md: the tables of docs/benchmarks.md's Kubernetes section."""
    lines = ["| BFD (OVN min_rx x multiplier) | failure | lost: window median / max | probes lost, median "
             "| moved after, median / max | both gateways again, median / max | runs |",
             "|---|---|---|---|---|---|---|"]
    what = {"delete": "gateway pod deleted", "link": "pod link down", "bfdd": "bfdd killed"}
    for spec, entry in results["configs"].items():
        for mode in results["modes"]:
            s = entry[mode]
            lines.append(f"| {entry['ovn_min_rx']} ms x {entry['multiplier']} | {what[mode]} | "
                         f"{fmt(s['window_median'])} / {fmt(s['window_max'])} s | {s['lost_median']} | "
                         f"{fmt(s['moved_median'])} / {fmt(s['moved_max'])} s | "
                         f"{fmt(s['return_median'])} / {fmt(s['return_max'])} s | "
                         f"{s['runs']} ({s['unrecovered']} unrecovered) |")
    lines += ["", "| BFD | deploy playbook | start of deploy to the client's first flow through a gateway "
              "| NB write to every BFD session up (the 29090 drop window, kube-ovn#6379) "
              "| BFD status changes in steady traffic |", "|---|---:|---:|---:|---|"]
    for spec, entry in results["configs"].items():
        deploy = entry["deploy"]
        lines.append(f"| {spec} ({'first deploy' if deploy['first'] else 'update'}) | "
                     f"{sec(deploy['playbook_seconds'])} | {sec(deploy['first_gateway_flow_seconds'])} | "
                     f"{sec(deploy['bfd_up_after_write_seconds'])} | "
                     f"{entry.get('flaps', '-')} in {entry.get('stability_seconds', 0):.0f} s |")
    lines += ["", "| gateway pod | RSS of its processes | by process |", "|---|---:|---|"]
    for pod in results["memory"]:
        by = ", ".join(f"{comm} {kib / 1024:.1f}" for comm, kib in sorted(pod["processes"].items()))
        lines.append(f"| {pod['pod']} | {pod['rss_kib'] / 1024:.1f} MiB | {by} (MiB) |")
    return "\n".join(lines) + "\n"


def plot(results: dict, path: pathlib.Path):
    what = {"delete": ("window", "pod deleted:\nlost for"), "link": ("window", "link down:\nlost for"),
            "bfdd": ("moved", "bfdd killed:\nmoved after")}
    failover_plot(results, {mode: what[mode] for mode in results["modes"]}, path,
                  "Kubernetes mode on real pods: failover of a gateway pod, OVN 25.03 + FRR bfdd", (0.5, "0.5 s"),
                  width=9)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bfd", action="append", help="OVN interval x multiplier, e.g. 100x3 (repeatable)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--stability", type=float, default=300, help="count BFD status changes over this many seconds")
    parser.add_argument("--output", default=str(REPO / "build" / "bench" / "kube.json"))
    parser.add_argument("--report", action="store_true", help="only rewrite kube.md from kube.json")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.output)
    if args.report:
        out.with_suffix(".md").write_text(report(json.loads(out.read_text())))
        return
    modes = args.modes.split(",")
    results = {"ovn": "25.03", "modes": modes, "configs": {}, "memory": []}
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="vegBench-"))
    world = KubeNodeWorld(workdir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        started = time.monotonic()
        world.start()
        client = world.running(world.client_pod("client", "default", CLIENT_SWITCH))
        print(f"cluster up in {time.monotonic() - started:.1f} s", flush=True)
        bfd_port(world)
        bench = Bench(world, client)
        for index, spec in enumerate(args.bfd or ["100x3", "50x3"]):
            interval, mult = (int(x) for x in spec.split("x"))
            entry = {"ovn_min_rx": interval, "multiplier": mult, "runs": [],
                     "deploy": {**bench.deploy(interval, mult, first=index == 0), "first": index == 0}}
            print(f"{spec}: deploy playbook {fmt(entry['deploy']['playbook_seconds'])} s, first flow through a "
                  f"gateway {fmt(entry['deploy']['first_gateway_flow_seconds'])} s after it started", flush=True)
            if index == 0:
                results["memory"] = bench.memory()
            if args.stability:
                entry["flaps"] = stability(world.dp, args.stability)
                entry["stability_seconds"] = args.stability
                print(f"{spec}: {entry['flaps']} BFD status changes in {args.stability:.0f} s", flush=True)
            for mode in modes:
                for i in range(args.runs):
                    one = bench.one_run(mode, interval, mult)
                    entry["runs"].append(one)
                    print(f"{spec} {mode} #{i + 1}: window {fmt(one['window'])} s, {one['lost']} probes lost, "
                          f"moved after {fmt(one['moved'])} s, both again after {fmt(one['return'])} s", flush=True)
                entry[mode] = summarise([r for r in entry["runs"] if r["mode"] == mode])
            results["configs"][spec] = entry
        result = world.playbook("remove", check=False, egress_gateway_manifest=yaml.safe_dump(bench.gateway))
        if result.returncode:
            raise SystemExit(f"remove failed:\n{result.stdout[-4000:]}")
    finally:
        world.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    out.with_suffix(".md").write_text(report(results))
    plot(results, out.with_suffix(".png"))
    print(report(results))
    print(f"results: {out}, {out.with_suffix('.md')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
