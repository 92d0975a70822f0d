"""Failover benchmark on the single-machine OVN data plane (tests/functional/support/dataplane.py).

Two gateway instances carry a client's traffic with ECMP; BFD runs from the router port to FRR's
bfdd in each instance, with a BFD sentinel on the same port (docs/bfd.md). A UDP echo flow (one
5-tuple, so one gateway at a time) is probed every 10 ms. The instance carrying it is failed:

  link     its internal link goes down (cable, node or pod network gone);
  process  its bfdd is SIGKILLed, the link and the kernel's forwarding stay up (what a crashed
           bfdd container leaves behind in a pod).

The loss window is the time from the last answered probe before the failure to the first answered
probe after it; "moved" is the time from the failure to the first probe answered through the other
instance. Then the instance is brought back and we time how long until new TCP flows leave
through it again ("return"). Results: build/bench/failover.json, failover.md and failover.png.

    python tests/bench/bench_failover.py [--runs 10] [--bfd 100x3 --bfd 1000x3] [--stability SECONDS]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import signal
import statistics
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "functional"))

from support import dataplane as dp_mod  # noqa: E402
from support.dataplane import BFD_PORT, CLIENT_CIDR, INTERNAL_GW, ROUTER, Dataplane, outage  # noqa: E402

GATEWAYS = (("g1", "10.16.0.101", "172.17.0.11"), ("g2", "10.16.0.102", "172.17.0.12"))
SENTINEL_IP = "10.16.255.254"


def build(dp: Dataplane, interval: int, mult: int, frr_rx: int, frr_tx: int):
    """Raw NB rows of the stock router-port layout (the same rows the reconciler writes)."""
    client = dp.add_client("c1", "10.17.0.10")
    gws = []
    for short, internal, external in GATEWAYS:
        ns = dp.add_gateway_instance(short, internal, external)
        dp.configure_gateway_by_hand(ns)
        gws.append(ns)
    sentinel = dp.add_port(dp_mod.INTERNAL_SWITCH, "sen", SENTINEL_IP, INTERNAL_GW, default_route=False)
    bfd = {}
    for ip in [g[1] for g in GATEWAYS] + [SENTINEL_IP]:
        bfd[ip] = dp.nbctl("create", "BFD", f"logical_port={BFD_PORT}", f"dst_ip={ip}", f"min_tx={interval}",
                           f"min_rx={interval}", f"detect_mult={mult}")
    hops = ",".join(f'"{g[1]}"' for g in GATEWAYS)
    sessions = ",".join(bfd[g[1]] for g in GATEWAYS)
    dp.nbctl("--", "--id=@p", "create", "Logical_Router_Policy", "priority=29100",
             f'match="ip4.src == {CLIENT_CIDR}"', "action=reroute", f"nexthops=[{hops}]",
             f"bfd_sessions=[{sessions}]", "--", "add", "Logical_Router", ROUTER, "policies", "@p")
    dp.nbctl("lr-policy-add", ROUTER, "29090", f"ip4.src == {CLIENT_CIDR}", "drop")
    dp.nbctl("--", "--id=@r", "create", "Logical_Router_Static_Route", f"ip_prefix={SENTINEL_IP}/32",
             f"nexthop={SENTINEL_IP}", f"output_port={BFD_PORT}", f"bfd={bfd[SENTINEL_IP]}",
             "--", "add", "Logical_Router", ROUTER, "static_routes", "@r")
    dp.sync()
    for ns in gws + [sentinel]:
        dp.start_bfdd(ns, transmit_ms=frr_tx, receive_ms=frr_rx, multiplier=mult)
    dp.wait_bfd({ip: "up" for ip in bfd}, timeout=60)
    return client, gws


def carrier(dp: Dataplane, gws) -> str:
    """The instance the probe flow goes through right now (its forwarded counter moves)."""
    before = {g: dp.forwarded_packets(g) for g in gws}
    time.sleep(0.3)
    moved = [g for g in gws if dp.forwarded_packets(g) - before[g] >= 10]
    if len(moved) != 1:
        raise RuntimeError(f"probe flow not on exactly one instance: {moved}")
    return moved[0]


def fail(dp: Dataplane, ns: str, mode: str):
    if mode == "link":
        dp.link(ns, False)
    else:
        dp.stop_bfdd(ns, signal.SIGKILL)


def restore(dp: Dataplane, ns: str, mode: str, frr_rx: int, frr_tx: int, mult: int):
    if mode == "link":
        dp.link(ns, True)
    else:
        dp.start_bfdd(ns, transmit_ms=frr_tx, receive_ms=frr_rx, multiplier=mult)


def one_run(dp, client, gws, mode, interval, mult, frr_rx, frr_tx) -> dict:
    settle = max(2.0, interval * mult / 1000 * 2)
    probe = dp.probe(client, seconds=1.0 + settle + 1.0)
    time.sleep(0.6)
    victim = carrier(dp, gws)
    failed_at = time.time()
    fail(dp, victim, mode)
    timeline = json.loads(probe.communicate()[0])
    failed_in_run = failed_at - timeline["epoch"]
    result = outage(timeline, after=failed_in_run - 0.05)
    external = dp.ports[victim]["external_ip"]
    moved = next((sent - failed_in_run for _seq, sent, replied, source in timeline["probes"]
                  if sent >= failed_in_run and replied is not None and source != external), None)
    restored_at = time.time()
    restore(dp, victim, mode, frr_rx, frr_tx, mult)
    returned = None
    while time.time() - restored_at < 30:
        if external in dp.tcp_sources(client, 8):
            returned = time.time() - restored_at
            break
    dp.wait_bfd({dp.ports[g]["ip"]: "up" for g in gws}, timeout=30)
    return {"mode": mode, "victim": victim, "lost": result["lost"], "window": result["window"],
            "moved_to": result["to"], "moved": moved, "return": returned}


def stability(dp: Dataplane, seconds: float) -> int:
    """Status changes of the gateways' BFD rows while nothing fails (flaps)."""
    last = dp.bfd_status()
    changes = 0
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(0.05)
        now = dp.bfd_status()
        changes += sum(1 for ip, state in now.items() if last.get(ip) != state)
        last = now
    return changes


def summarise(runs) -> dict:
    windows = [r["window"] for r in runs if r["window"] is not None]
    returns = [r["return"] for r in runs if r["return"] is not None]
    moved = [r["moved"] for r in runs if r["moved"] is not None]
    return {
        "runs": len(runs),
        "window_median": statistics.median(windows) if windows else None,
        "window_max": max(windows) if windows else None,
        "unrecovered": sum(1 for r in runs if r["window"] is None),
        "lost_median": statistics.median(r["lost"] for r in runs) if runs else None,
        "moved_median": statistics.median(moved) if moved else None,
        "moved_max": max(moved) if moved else None,
        "return_median": statistics.median(returns) if returns else None,
        "return_max": max(returns) if returns else None,
    }


def fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def failover_plot(results: dict, modes: dict, path: pathlib.Path, title: str, line: tuple, width=8):
    """A box plot per BFD setting and failure: ``modes`` maps a run's mode to (the run's figure,
    its label); ``line`` (seconds, label) is drawn across. Shared with bench_kube."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels, data = [], []
    for res in results["configs"].values():
        for mode, (key, text) in modes.items():
            values = [r[key] for r in res["runs"] if r["mode"] == mode and r[key] is not None]
            if values:
                labels.append(f"BFD {res['ovn_min_rx']} ms x {res['multiplier']}\n{text}")
                data.append(values)
    fig, ax = plt.subplots(figsize=(width, 4.2))
    ax.boxplot(data)
    for i, values in enumerate(data, start=1):
        ax.scatter([i] * len(values), values, s=12, alpha=0.6, color="tab:blue", zorder=3)
    ax.set_xticks(range(1, len(labels) + 1), labels, fontsize=8)
    ax.axhline(line[0], color="tab:red", linestyle="--", linewidth=1, label=line[1])
    ax.set_ylabel("seconds")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot(results: dict, path: pathlib.Path):
    """The loss window when the link goes down, and the time until the flow moved when only bfdd
    dies (nothing is lost then: the instance still forwards)."""
    runs = len(next(iter(results["configs"].values()))["runs"]) // 2 if results["configs"] else 0
    failover_plot(results, {"link": ("window", "link down:\ntraffic lost for"),
                            "process": ("moved", "bfdd killed:\nflow moved after")}, path,
                  f"Egress gateway failover, OVN {results['ovn']} + FRR bfdd, {runs} runs each",
                  (1.0, "1 s (the seed's promise)"))


def report(results: dict, modes) -> str:
    """build/bench/failover.md: one row per BFD setting."""
    lines = ["| BFD (OVN min_rx x multiplier) | link down: lost, median / max (probes lost) "
             "| bfdd killed: lost / moved after, median / max | back, median / max | flaps in steady state | runs |",
             "|---|---|---|---|---|---|"]
    for spec, entry in results["configs"].items():
        link, proc = entry.get("link"), entry.get("process")
        lines.append(
            f"| {entry['ovn_min_rx']} ms x {entry['multiplier']} "
            f"| {fmt(link['window_median'])} / {fmt(link['window_max'])} s ({link['lost_median']}) "
            f"| {proc['lost_median']} / {fmt(proc['moved_median'])} / {fmt(proc['moved_max'])} s "
            f"| {fmt(link['return_median'])} / {fmt(link['return_max'])} s "
            f"| {entry.get('flaps', '-')} in {entry.get('stability_seconds', 0):.0f} s "
            f"| {link['runs']} + {proc['runs']} ({link['unrecovered'] + proc['unrecovered']} unrecovered) |"
            if link and proc else f"| {spec} | modes run: {', '.join(modes)} | | | | |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--bfd", action="append", help="OVN interval x multiplier, e.g. 100x3 (repeatable)")
    parser.add_argument("--modes", default="link,process")
    parser.add_argument("--frr-rx", type=int, default=1000, help="FRR receive-interval (ms)")
    parser.add_argument("--frr-tx", type=int, default=0, help="FRR transmit-interval (ms; 0 = the OVN interval)")
    parser.add_argument("--stability", type=float, default=0, help="also count BFD flaps over this many seconds")
    parser.add_argument("--output", default=str(REPO / "build" / "bench" / "failover.json"))
    args = parser.parse_args(argv)
    results = {"ovn": "25.03", "frr_receive_interval": args.frr_rx, "configs": {}}
    for spec in args.bfd or ["100x3", "1000x3"]:
        interval, mult = (int(x) for x in spec.split("x"))
        frr_tx = args.frr_tx or interval
        with Dataplane() as dp:
            client, gws = build(dp, interval, mult, args.frr_rx, frr_tx)
            entry = {"ovn_min_rx": interval, "multiplier": mult, "frr_transmit_interval": frr_tx,
                     "frr_receive_interval": args.frr_rx, "runs": []}
            if args.stability:
                entry["flaps"] = stability(dp, args.stability)
                entry["stability_seconds"] = args.stability
                print(f"{spec}: {entry['flaps']} BFD status changes in {args.stability:.0f} s with nothing failing",
                      flush=True)
            for mode in args.modes.split(","):
                for i in range(args.runs):
                    run = one_run(dp, client, gws, mode, interval, mult, args.frr_rx, frr_tx)
                    entry["runs"].append(run)
                    print(f"{spec} {mode} #{i + 1}: window {fmt(run['window'])} s, {run['lost']} probes lost, "
                          f"moved after {fmt(run['moved'])} s, back in {fmt(run['return'])} s", flush=True)
                entry[mode] = summarise([r for r in entry["runs"] if r["mode"] == mode])
        results["configs"][spec] = entry
    out = pathlib.Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    plot(results, out.with_suffix(".png"))
    out.with_suffix(".md").write_text(report(results, args.modes.split(",")))
    print("\nconfig   mode     lost median/max   moved median/max   back median/max   runs")
    for spec, entry in results["configs"].items():
        for mode in args.modes.split(","):
            s = entry[mode]
            print(f"{spec:8} {mode:8} {fmt(s['window_median'])}/{fmt(s['window_max'])}       "
                  f"{fmt(s['moved_median'])}/{fmt(s['moved_max'])}        {fmt(s['return_median'])}/{fmt(s['return_max'])}"
                  f"       {s['runs']} ({s['unrecovered']} unrecovered)")
    print(f"results: {out} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
