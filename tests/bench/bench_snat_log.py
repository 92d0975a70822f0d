"""SNAT record benchmark: memory and CPU of the recorder at a given rate of new SNAT'd flows.

On the agent's test bench (tests/functional/support/fixtures_netns.py: client ns -> gateway ns
with routing and SNAT -> external ns), a generator in the client namespace starts RATE new UDP
flows per second (a new source port each, one datagram) toward the external namespace for
SECONDS; the gateway masquerades every one. The gateway namespace's UDP conntrack timeouts are
1 s, so each flow also ends during the run (a start and an end record per flow).

  recorder   gateway_snat_log's process (this collection's _snat_record.py) + its ulogd2
  baseline   ulogd2 alone with the same configuration, its JSON lines to /dev/null

Figures per run: CPU (user+system of the process tree, % of one core over the run), peak RSS
(VmHWM, summed over the tree), flows sent, start / end records written (recorder). Ratios are
recorder / baseline in the same run. Traffic stays inside the benchmark's own namespaces.
Results: build/bench/snat_log.json and snat_log.md.

    python tests/bench/bench_snat_log.py [--rate 1000] [--seconds 10] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "functional"))
sys.path.insert(0, str(REPO / "build" / "collections"))

from support import netns  # noqa: E402
from support.ansible import run_module  # noqa: E402
from support.fixtures_netns import GatewayTopology  # noqa: E402

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._snat_record import (  # noqa: E402
    plugin_dir,
    ulogd_config,
)

OUT = REPO / "build" / "bench"
PORT = 9191

GENERATOR = r"""
import socket, sys, time
server, port, source, rate, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
count = int(rate * seconds)
start = time.monotonic()
for index in range(count):
    delay = start + index / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 10000 + index % 50000))  # a new port each: a reused one would be no new flow
        sock.sendto(b"x", (server, port))
print(count, round(time.monotonic() - start, 3))
"""


def tree(pid):
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as handle:
                todo += [int(p) for p in handle.read().split()]
        except FileNotFoundError:
            pass
    return pids


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))


def table_empty(topo):
    return netns.exec_in(topo.gateway, "conntrack", "-C").strip() == "0"


def measure(topo, pid, rate, seconds, done):
    """Run the load while pid's process tree runs: its CPU share while the flows start, its CPU
    until done() (every flow ended and, for the recorder, written) per flow, peak RSS."""
    pids = tree(pid)
    before = sum(cpu_seconds(p) for p in pids)
    started = time.monotonic()
    out = netns.exec_in(topo.client, sys.executable, "-c", GENERATOR, topo.servers[4], str(PORT),
                        topo.snat_source[4], str(rate), str(seconds), timeout=seconds * 4 + 60)
    elapsed = time.monotonic() - started
    cpu = sum(cpu_seconds(p) for p in pids) - before
    sent, send_time = out.split()
    # the flows' ends: 1 s timeouts, then the kernel's conntrack GC reaps them (lazily, in bursts)
    netns.wait_for(done, timeout=120, interval=1)
    cpu_all = sum(cpu_seconds(p) for p in pids) - before
    return {"cpu_percent": round(100 * cpu / elapsed, 2), "cpu_ms_per_flow": round(1000 * cpu_all / int(sent), 3),
            "peak_rss_mib": round(sum(peak_rss_kib(p) for p in pids) / 1024, 1), "flows_sent": int(sent),
            "send_seconds": float(send_time), "achieved_rate": round(int(sent) / float(send_time))}


def run_recorder(topo, state_dir, rate, seconds):
    output = pathlib.Path(state_dir) / "snat.jsonl"
    result = run_module("gateway_snat_log", {"netns": topo.gateway, "state_dir": state_dir, "output": str(output)})
    assert not result["failed"], result
    try:
        figures = measure(topo, result["pid"], rate, seconds,
                          lambda: table_empty(topo) and output.read_text().count('"event":"end"') >= rate * seconds)
    finally:
        run_module("gateway_snat_log", {"netns": topo.gateway, "state_dir": state_dir, "state": "absent"})
    events = [json.loads(line)["event"] for line in output.read_text().splitlines()]
    output.unlink()
    figures.update(start_records=events.count("start"), end_records=events.count("end"))
    return figures


def run_baseline(topo, work_dir, rate, seconds):
    config = pathlib.Path(work_dir) / "baseline-ulogd.conf"
    config.write_text(ulogd_config(plugin_dir(), str(pathlib.Path(work_dir) / "baseline-ulogd.log"), 8388608))
    proc = subprocess.Popen(["ip", "netns", "exec", topo.gateway, "ulogd", "-c", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)  # subscribed (ip netns exec has exec'd ulogd)
        return measure(topo, proc.pid, rate, seconds, lambda: table_empty(topo))
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    topo = GatewayTopology.create(f"vegB{os.getpid()}s", state_dir=tempfile.mkdtemp(prefix="veg-snat-bench-"))
    server = None
    try:
        for name, module_args in (("gateway_routing", topo.agent_args()), ("gateway_nat", topo.nat_args())):
            assert not run_module(name, module_args)["failed"]
        for key in ("nf_conntrack_udp_timeout", "nf_conntrack_udp_timeout_stream"):
            netns.sysctl(topo.gateway, f"net.netfilter.{key}", "1")
        server = subprocess.Popen(["ip", "netns", "exec", topo.external, sys.executable,
                                   str(REPO / "tests" / "functional" / "support" / "flows.py"), "serve",
                                   topo.servers[4], str(PORT)], stdout=subprocess.PIPE, text=True)
        assert server.stdout.readline().startswith("ready")
        runs = []
        for run in range(args.runs):
            runs.append({"recorder": run_recorder(topo, os.path.join(topo.state_dir, "snat-log"), args.rate,
                                                  args.seconds),
                         "baseline": run_baseline(topo, topo.state_dir, args.rate, args.seconds)})
            print(f"run {run + 1}:", json.dumps(runs[-1]), flush=True)
    finally:
        if server:
            server.terminate()
            server.wait()
        topo.destroy()
        shutil.rmtree(topo.state_dir, ignore_errors=True)

    def median(side, key):
        return statistics.median(run[side][key] for run in runs)

    summary = {side: {key: median(side, key) for key in runs[0][side]} for side in ("recorder", "baseline")}
    summary["cpu_ratio"] = round(summary["recorder"]["cpu_percent"] / max(summary["baseline"]["cpu_percent"], 0.01), 2)
    summary["cpu_per_flow_ratio"] = round(summary["recorder"]["cpu_ms_per_flow"]
                                          / max(summary["baseline"]["cpu_ms_per_flow"], 0.001), 2)
    summary["rss_ratio"] = round(summary["recorder"]["peak_rss_mib"] / summary["baseline"]["peak_rss_mib"], 2)
    report = {"rate": args.rate, "seconds": args.seconds, "runs": runs, "median": summary}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "snat_log.json").write_text(json.dumps(report, indent=2) + "\n")
    rec, base = summary["recorder"], summary["baseline"]
    table = [
        f"SNAT record at {args.rate:g} new flows/s for {args.seconds:g} s (median of {args.runs} runs)",
        "",
        "| | CPU while flows start (% of a core) | CPU per flow, start + end (ms) | peak RSS (MiB) | flows sent "
        "| start records | end records |",
        "|---|---|---|---|---|---|---|",
        f"| recorder (gateway_snat_log: _snat_record.py + ulogd2) | {rec['cpu_percent']} | {rec['cpu_ms_per_flow']} | "
        f"{rec['peak_rss_mib']} | {rec['flows_sent']:g} | {rec['start_records']:g} | {rec['end_records']:g} |",
        f"| baseline (ulogd2 alone, JSON to /dev/null) | {base['cpu_percent']} | {base['cpu_ms_per_flow']} | "
        f"{base['peak_rss_mib']} | {base['flows_sent']:g} | - | - |",
        f"| ratio | {summary['cpu_ratio']} | {summary['cpu_per_flow_ratio']} | {summary['rss_ratio']} | | | |",
    ]
    (OUT / "snat_log.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
