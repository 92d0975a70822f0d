"""Fixtures: the single-machine OVN data plane (support/dataplane.py) with the standalone playbook.

``egress_world`` (one per test module, it takes ~1 s to start and a few seconds per deployment):
the harness with two clients on subnet1 (c1 10.17.0.10, c2 10.17.0.20), three bare gateway
namespaces (g1..g3: addresses only, as a CNI leaves a pod) and a BFD sentinel namespace.
``egress_world.deploy(spec, instances)`` runs playbooks/standalone.yml against them, as a user would.
"""
from __future__ import annotations

import copy
import os

import pytest
import yaml

from support.ansible import REPO, run_playbook
from support.dataplane import OVN_BIN, Dataplane

PLAYBOOK = REPO / "playbooks" / "standalone.yml"
GATEWAYS = {"g1": ("10.16.0.101", "172.17.0.11"), "g2": ("10.16.0.102", "172.17.0.12"),
            "g3": ("10.16.0.103", "172.17.0.13")}
CLIENTS = {"c1": "10.17.0.10", "c2": "10.17.0.20"}


def gateway_spec(name="gateway1", bfd=True, interval=300, **spec) -> dict:
    """A VpcEgressGateway on the harness's router: SNAT for subnet1 unless `policies` is given.
    BFD at 300 ms x 3 by default: tests assert where traffic goes, not how fast (make bench does),
    and a starved bfdd on a busy 2-core machine must not flap a session at 100 ms."""
    body = {"vpc": "lr0", "replicas": 2, "externalSubnet": "external",
            "policies": [{"snat": True, "subnets": ["subnet1"]}]}
    if bfd:
        body["bfd"] = {"enabled": True, "minRX": interval, "minTX": interval, "multiplier": 3}
    body.update(spec)
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": name, "namespace": "default"}, "spec": body}


class EgressWorld:
    """``clients``: short name -> IPv4 address, or (IPv4, IPv6); ``gateways``: short name ->
    (internal, external) IPv4 addresses, or (internal, external, internal IPv6, external IPv6)."""

    def __init__(self, dp: Dataplane, clients: dict | None = None, gateways: dict | None = None):
        self.dp = dp
        clients, gateways = clients or CLIENTS, gateways or GATEWAYS
        self.clients = {short: dp.add_client(short, *((ip,) if isinstance(ip, str) else ip))
                        for short, ip in clients.items()}
        self.gateways = {short: dp.add_gateway_instance(short, *addrs) for short, addrs in gateways.items()}
        self.sentinel = dp.add_sentinel()
        self.external_ip = {short: addrs[1] for short, addrs in gateways.items()}
        dp.sync()

    def lsp(self, client: str) -> str:
        return self.dp.ports[self.clients[client]]["lsp"]

    def deploy(self, spec: dict, instances=("g1", "g2"), absent=(), state="present", sentinel=True,
               **variables):
        """Run the standalone playbook; `absent` instances are listed with instance_state absent."""
        names = list(instances) + list(absent)
        inventory = self.dp.standalone_inventory(copy.deepcopy(spec), [self.gateways[n] for n in names],
                                                 self.sentinel if sentinel else None,
                                                 standalone_gateway_state=state, **variables)
        hosts = inventory["all"]["children"]["egress_gateway_instances"]["hosts"]
        for name in absent:
            hosts[name]["standalone_gateway_instance_state"] = "absent"
        path = self.dp.workdir / "inventory.yml"
        path.write_text(yaml.safe_dump(inventory))
        result = run_playbook(PLAYBOOK, "-i", str(path))
        self.dp.sync()  # until ovn-controller has the new flows
        return result

    def sources(self, client="c1", count=24) -> set[str]:
        """The source addresses the external host saw for `count` TCP flows of a client."""
        return set(self.dp.tcp_sources(self.clients[client], count))

    def policies(self) -> list[tuple[int, str, str, str]]:
        """(priority, match, action, nexthops) of every policy on the router, read with ovn-nbctl."""
        rows = []
        for line in self.dp.nbctl("lr-policy-list", "lr0").splitlines()[1:]:
            fields = line.split()
            action_at = next(i for i, f in enumerate(fields) if f in ("reroute", "drop", "allow"))
            rows.append((int(fields[0]), " ".join(fields[1:action_at]), fields[action_at],
                         " ".join(fields[action_at + 1:])))
        return rows


@pytest.fixture(scope="module")
def egress_world():
    if os.geteuid() != 0:
        pytest.skip("the OVN data plane needs root (network namespaces)")
    if not (OVN_BIN / "ovn-northd").exists():
        pytest.fail("OVN 25.03 is not installed: run `make install` (hack/install-ovn.sh)")
    dp = Dataplane()  # its own dir under /tmp: bfdd (user frr) must reach its sockets there
    dp.start()
    try:
        yield EgressWorld(dp)
    finally:
        dp.stop()
