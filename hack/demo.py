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
import signal
import subprocess
import sys
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "functional"))

from support.ansible import ansible_env  # noqa: E402
from support.dataplane import ROUTER, SENTINEL_IP, Dataplane, outage  # noqa: E402

BUILD = REPO / "build" / "demo"
START = time.time()


def say(text=""):
    print(f"[{time.time() - START:5.1f}s] {text}" if text else "", flush=True)


def section(title):
    print(f"\n=== {title} ===", flush=True)


def playbook(inventory: pathlib.Path, *extra: str) -> None:
    cmd = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(inventory),
           str(REPO / "playbooks" / "standalone.yml"), *extra]
    say("$ ansible-playbook -i build/demo/inventory.yml playbooks/standalone.yml " + " ".join(extra))
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ansible_env(),
                          cwd=REPO) as proc:
        try:
            stdout, stderr = proc.communicate()
        except BaseException:  # Ctrl-C or SIGTERM: stop the playbook before the harness goes
            proc.terminate()
            proc.wait(10)
            raise
    with (BUILD / "ansible.log").open("a") as log:
        log.write(stdout + stderr)
    if proc.returncode:
        print(stdout[-4000:], stderr[-2000:])
        raise SystemExit(f"the playbook failed (rc={proc.returncode}); full log in build/demo/ansible.log")
    lines = stdout.splitlines()
    # The status table the role prints, and the recap.
    for i, line in enumerate(lines):
        if "Gateway status" in line and "=> {" in lines[i + 1]:
            end = lines.index("}", i + 1)
            body = "\n".join([lines[i + 1].split("=> ", 1)[1], *lines[i + 2:end + 1]])
            for row in json.loads(body)["msg"]:
                print("    " + row)
    recap = lines[lines.index(next(x for x in lines if x.startswith("PLAY RECAP"))) + 1:]
    for line in recap:
        if line.strip():
            print("    " + " ".join(line.split()))


def main():
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "ansible.log").write_text("")
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
        playbook(inventory)
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
        back = time.time()
        while dp.ports[victim]["external_ip"] not in dp.tcp_sources(client, 8) and time.time() - back < 30:
            pass
        say(f"link back: new flows use {victim.rsplit('-', 1)[-1]} again after {time.time() - back:.1f} s")

        section("6. Remove the gateway")
        playbook(inventory, "-e", "standalone_gateway_state=absent")
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
        main()
    except KeyboardInterrupt:
        sys.exit(130)
