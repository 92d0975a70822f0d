"""Gateway agent benchmark: module time of an apply and of a no-op rerun, against a shell script
that does the same with `ip`/`iptables`/`sysctl` calls (Kube-OVN's init script, extended with the
policy routes), measured in the same run on the same namespaces (tests/functional/support).

  apply   a fresh gateway namespace (recreated before each run), dual-stack
  noop    the same configuration again (the agent reads, finds nothing to do, writes nothing)

Module time = the wall time of the module process (what a task costs on the target, without the
controller's round trip), gateway_routing + gateway_nat; the playbook time (ansible-playbook
agent.yml inside the namespace, no-op) is reported for context. Results: build/bench/agent.json
and agent.md.

    python tests/bench/bench_agent.py [--runs 10]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "functional"))
sys.path.insert(0, str(REPO / "build" / "collections"))

from support.ansible import ansible_env, run_module  # noqa: E402
from support.fixtures_netns import GatewayTopology  # noqa: E402

TARGET_NOOP_S = 0.3

SHELL_SCRIPT = r"""
set -e
DEV_SRC='{for (i = 1; i < NF; i++) { if ($i == "dev") d = $(i + 1); if ($i == "src") s = $(i + 1) } print d, s}'
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for af in 4 6; do
  if [ $af = 4 ]; then gw=$GW4; ext=$EXT4; src=$NOSNAT4; routes=$ROUTES4; ipt=iptables
  else gw=$GW6; ext=$EXT6; src=$NOSNAT6; routes=$ROUTES6; ipt=ip6tables; fi
  set -- $(ip -o route get $gw | awk "$DEV_SRC"); int_if=$1 int_ip=$2
  set -- $(ip -o route get $ext | awk "$DEV_SRC"); ext_if=$1 ext_ip=$2
  ip -$af route replace default via $gw table 1000
  for prio in 1001 1002 1003 1004; do while ip -$af rule del priority $prio 2>/dev/null; do :; done; done
  ip -$af rule add priority 1001 iif $int_if lookup default
  ip -$af rule add priority 1002 iif $ext_if lookup 1000
  ip -$af rule add priority 1003 iif lo from $int_ip lookup 1000
  ip -$af rule add priority 1004 iif lo from $ext_ip lookup default
  for cidr in $routes; do ip -$af route replace $cidr via $gw dev $int_if; done
  $ipt -t nat -N VEG-MASQUERADE 2>/dev/null || true
  $ipt -t nat -F PREROUTING; $ipt -t nat -F POSTROUTING; $ipt -t nat -F VEG-MASQUERADE
  $ipt -t nat -A PREROUTING -i $int_if -j MARK --set-xmark 0x4000/0x4000
  $ipt -t nat -A POSTROUTING -j VEG-MASQUERADE
  $ipt -t nat -A VEG-MASQUERADE -j MARK --set-xmark 0x0/0xffffffff
  $ipt -t nat -A VEG-MASQUERADE -j MASQUERADE --random-fully
  $ipt -t nat -I POSTROUTING -s $src -j RETURN
  $ipt -t nat -I POSTROUTING -d $src -j RETURN
done
sysctl -qw net.ipv4.conf.$int_if.rp_filter=0
"""


def shell_env(topo):
    return {
        "GW4": topo.internal_gateway[4], "EXT4": topo.external_gateway[4], "NOSNAT4": topo.nosnat_cidr[4],
        "GW6": topo.internal_gateway[6], "EXT6": topo.external_gateway[6], "NOSNAT6": topo.nosnat_cidr[6],
        "ROUTES4": " ".join(topo.agent_args()["ipv4"]["routes"]),
        "ROUTES6": " ".join(topo.agent_args()["ipv6"]["routes"]),
        "PATH": os.environ["PATH"],
    }


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def agent_run(topo, expect_changed):
    def run():
        for name, args in (("gateway_routing", topo.agent_args()), ("gateway_nat", topo.nat_args())):
            start = time.perf_counter()
            result = run_module(name, args)
            per_module[name].append(time.perf_counter() - start)
            assert not result["failed"] and result["changed"] == expect_changed, result
    per_module = {"gateway_routing": [], "gateway_nat": []}
    total = timed(run)
    return total, {k: v[0] for k, v in per_module.items()}


def shell_run(topo):
    def run():
        subprocess.run(["ip", "netns", "exec", topo.gateway, "bash", "-c", SHELL_SCRIPT],
                       env=shell_env(topo), check=True, capture_output=True, timeout=60)
    return timed(run)


def playbook_noop(topo, state_dir):
    env = ansible_env({
        "INTERNAL_GATEWAY_IPV4": topo.internal_gateway[4], "EXTERNAL_GATEWAY_IPV4": topo.external_gateway[4],
        "INTERNAL_GATEWAY_IPV6": topo.internal_gateway[6], "EXTERNAL_GATEWAY_IPV6": topo.external_gateway[6],
        "NO_SNAT_SOURCES_IPV4": topo.nosnat_cidr[4], "NO_SNAT_SOURCES_IPV6": topo.nosnat_cidr[6],
        "POLICY_ROUTES_IPV4": ",".join(topo.agent_args()["ipv4"]["routes"]),
        "POLICY_ROUTES_IPV6": ",".join(topo.agent_args()["ipv6"]["routes"]),
        "GATEWAY_AGENT_STATE_DIR": state_dir,
    })
    cmd = ["ip", "netns", "exec", topo.gateway, str(REPO / ".venv" / "bin" / "ansible-playbook"),
           "-i", "localhost,", str(REPO / "playbooks" / "agent.yml")]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)  # apply
    return timed(lambda: subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300))


def logic_noop(topo):
    """The no-op's work alone (read, diff), in this process: what is left without interpreter
    start-up and imports (pyroute2's import alone is ~0.2 s of the routing module)."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _nat, _netlink
    routing = _netlink.routing_from_params(dict(topo.agent_args(), state="present"))
    nat = _nat.nat_from_params(topo.nat_args())

    def run():
        assert not _netlink.reconcile(routing)["changed"]
        assert not _nat.reconcile(nat)["changed"]
    return timed(run)


def summary(values):
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "n": len(values)}


def report(out: dict) -> str:
    """build/bench/agent.md: medians (min / max) of the agent against the shell script."""
    rows = (("agent (gateway_routing + gateway_nat), apply", "agent_apply"), ("agent, no-op", "agent_noop"),
            ("gateway_routing, apply / no-op", ("routing_apply", "routing_noop")),
            ("gateway_nat, apply / no-op", ("nat_apply", "nat_noop")),
            ("the no-op's own work (read, diff) in-process", "logic_noop"),
            ("shell script, apply / rerun", ("shell_apply", "shell_rerun")))

    def cell(key):
        s = out[key]
        return f"{s['median']:.3f} s ({s['min']:.3f} / {s['max']:.3f})"
    lines = [f"| what ({out['agent_apply']['n']} runs) | median (min / max) |", "|---|---|"]
    for label, keys in rows:
        lines.append(f"| {label} | {' / '.join(cell(k) for k in ((keys,) if isinstance(keys, str) else keys))} |")
    lines += [f"| ansible-playbook agent.yml, no-op | {out['playbook_noop_s']:.3f} s |",
              f"| agent no-op / shell rerun | {out['noop_vs_shell_rerun']} |",
              f"| agent apply / shell apply | {out['apply_vs_shell_apply']} |",
              f"| each module's no-op <= {out['target_noop_s']} s | {out['per_module_noop_meets_target']} |",
              "", f"Load average (1 min) at the end: {out['load_avg_1m']:.1f}."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", default=str(REPO / "build" / "bench" / "agent.json"))
    args = parser.parse_args()

    state_dir = tempfile.mkdtemp(prefix=f"vegD{os.getpid()}-bench-")
    topo = GatewayTopology.create(f"vegD{os.getpid()}b", state_dir=state_dir)
    results = {k: [] for k in ("agent_apply", "agent_noop", "routing_apply", "routing_noop", "nat_apply",
                               "nat_noop", "logic_noop", "shell_apply", "shell_rerun")}
    try:
        for _run in range(args.runs):
            # interleaved, so load from other processes hits both sides alike
            topo.recreate_gateway()
            total, parts = agent_run(topo, expect_changed=True)
            results["agent_apply"].append(total)
            results["routing_apply"].append(parts["gateway_routing"])
            results["nat_apply"].append(parts["gateway_nat"])
            total, parts = agent_run(topo, expect_changed=False)
            results["agent_noop"].append(total)
            results["routing_noop"].append(parts["gateway_routing"])
            results["nat_noop"].append(parts["gateway_nat"])
            results["logic_noop"].append(logic_noop(topo))
            assert topo.ask(4, topo.snat_source[4]) == topo.external_ip[4]

            topo.recreate_gateway()
            results["shell_apply"].append(shell_run(topo))
            results["shell_rerun"].append(shell_run(topo))
            assert topo.ask(4, topo.snat_source[4]) == topo.external_ip[4]
        topo.recreate_gateway()
        playbook = playbook_noop(topo, state_dir)
    finally:
        topo.destroy()
        subprocess.run(["rm", "-rf", state_dir], check=False)

    out = {name: summary(values) for name, values in results.items()}
    out["playbook_noop_s"] = round(playbook, 3)
    out["noop_vs_shell_rerun"] = round(out["agent_noop"]["median"] / out["shell_rerun"]["median"], 2)
    out["apply_vs_shell_apply"] = round(out["agent_apply"]["median"] / out["shell_apply"]["median"], 2)
    out["target_noop_s"] = TARGET_NOOP_S
    out["per_module_noop_meets_target"] = max(out["routing_noop"]["median"], out["nat_noop"]["median"]) <= TARGET_NOOP_S
    out["agent_noop_meets_target"] = out["agent_noop"]["median"] <= TARGET_NOOP_S
    out["load_avg_1m"] = os.getloadavg()[0]
    path = pathlib.Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    path.with_suffix(".md").write_text(report(out))
    print(report(out))


if __name__ == "__main__":
    main()
