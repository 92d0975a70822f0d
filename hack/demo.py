"""The demo behind `make demo` (hack/demo.sh): what the collection does, on real packets.

1. A one-machine OVN 25.03 (tests/functional/support/dataplane.py): router lr0, a client "pod"
   on subnet1, two bare gateway namespaces, an external host, a BFD sentinel.
2. playbooks/standalone.yml deploys hack/demo/gateway.yml onto the two namespaces.
3. The status table, the router's policies and BFD sessions.
4. 16 TCP flows from the client, by the source address the external host saw.
5. The instance carrying a probe flow loses its link; how long traffic was interrupted.
6. The gateway is removed with the same playbook; the harness is torn down (also on failure/Ctrl-C).
"""
from __future__ import annotations

import collections
import json
import pathlib
import shutil
import signal
import sys
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "functional"))

from support.ansible import ansible_env  # noqa: E402
from support.dataplane import ROUTER, SENTINEL_IP, Dataplane, outage  # noqa: E402

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


def standalone():
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "ansible.log").write_text("")
    shutil.rmtree(BUILD / "runner", ignore_errors=True)
    (BUILD / "runner").mkdir()
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
        say(f"NB/SB ovsdb-server, ovn-northd, ovs-vswitchd (netdev), ovn-controller up; work dir {dp.workdir}")
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
        for line in dp.nbctl("lr-policy-list", ROUTER).splitlines():
            print("    " + " ".join(line.split()) if not line.startswith("Routing") else "    " + line)
        for ip, state in sorted(dp.bfd_status().items()):
            print(f"    BFD {ip:15} {state}{'   (sentinel)' if ip == SENTINEL_IP else ''}")

        section("4. The client's TCP flows, by the source address the external host saw")
        seen = collections.Counter(dp.tcp_sources(client, 16))
        for source, count in sorted(seen.items()):
            print(f"    {source:15} {count:2} flows {'#' * count}")
        if len(seen) != 2 or "" in seen:
            raise SystemExit("expected the flows to leave through both gateways")

        section("5. Take the instance carrying a flow down (link down) and measure the interruption")
        probe = dp.probe(client, seconds=4.0)
        time.sleep(1.0)
        before = {g: dp.forwarded_packets(g) for g in gateways}
        time.sleep(0.3)
        victim = max(gateways, key=lambda g: dp.forwarded_packets(g) - before[g])
        failed_at = time.time()
        dp.link(victim, up=False)
        say(f"UDP probes every 10 ms; {victim.rsplit('-', 1)[-1]} ({dp.ports[victim]['external_ip']}) carried them: link down")
        timeline = json.loads(probe.communicate()[0])
        result = outage(timeline, after=failed_at - timeline["epoch"] - 0.05)
        if result["window"] is None:
            raise SystemExit(f"traffic did not come back: {result}")
        say(f"traffic interrupted for {result['window'] * 1000:.0f} ms ({result['lost']} probes lost), "
            f"then left through {result['to']}")
        print("    BFD: " + ", ".join(f"{ip} {state}" for ip, state in sorted(dp.bfd_status().items())))
        dp.link(victim, up=True)
        waited = wait_for(lambda: dp.ports[victim]["external_ip"] in dp.tcp_sources(client, 8), 30)
        say(f"link back: new flows use {victim.rsplit('-', 1)[-1]} again after {waited:.1f} s")

        section("6. Remove the gateway")
        playbook(REPO / "playbooks" / "standalone.yml",
                 "-i build/demo/inventory.yml playbooks/standalone.yml -e standalone_gateway_state=absent",
                 inventory, {"standalone_gateway_state": "absent"})
        rows = {t: len(dp.nbctl("--bare", "--columns=_uuid", "list", t).split())
                for t in ("Logical_Router_Policy", "BFD", "Port_Group", "Address_Set")}
        say(f"rows left in NB: {rows}; the client's flows leave as "
            f"{sorted(set(dp.tcp_sources(client, 4)))} again")
    finally:
        section("Cleanup")
        dp.stop()
        say("namespaces, daemons and bridges of this demo removed")


if __name__ == "__main__":
    try:
        {"standalone": standalone}[sys.argv[1] if len(sys.argv) > 1 else "standalone"]()
    except KeyboardInterrupt:
        sys.exit(130)
