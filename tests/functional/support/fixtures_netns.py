"""Fixtures: network namespaces for the gateway agent (and anyone who needs namespaces).

``netns_factory`` makes namespaces named ``vegD<pid>n<k>-<role>`` and deletes exactly those.
``gateway_topology`` is the agent's test bench, dual-stack, with real packets:

    client ns  gw0 10.16.0.1/16 fd16::1/64         (plays the OVN router and the pods)
               on lo: 10.17.0.5 (SNAT policy)  10.18.0.5 (forward, no SNAT)  fd17::5  fd18::5
       |  veth
    gateway ns eth0 10.16.0.12/16 fd16::12/64      (internal)
               net1 172.17.0.11/16 fd72::11/64     (external; default route via 172.17.0.1 / fd72::1,
       |  veth                                       what the CNI would install)
    external ns gw1 172.17.0.1/16 fd72::1/64, clientip servers on 198.51.100.10 and 2001:db8:100::10,
               a route back to the no-SNAT sources only (SNAT'd replies need the gateway's NAT)
"""
from __future__ import annotations

import dataclasses
import itertools
import os

import pytest

from support import netns

PREFIX = f"vegD{os.getpid()}"
_counter = itertools.count()


@pytest.fixture
def netns_factory():
    """Call with a role name (``"gw"``) to get a fresh namespace; all are deleted at teardown."""
    made = []
    base = f"{PREFIX}n{next(_counter)}"

    def make(role: str) -> str:
        name = netns.create(f"{base}-{role}")
        made.append(name)
        return name

    yield make
    for name in reversed(made):
        netns.delete(name)


@dataclasses.dataclass
class GatewayTopology:
    client: str
    gateway: str
    external: str
    state_dir: str = ""
    _servers: list = dataclasses.field(default_factory=list)
    servers: dict = dataclasses.field(default_factory=lambda: {4: "198.51.100.10", 6: "2001:db8:100::10"})
    port: int = 8080
    internal_gateway = {4: "10.16.0.1", 6: "fd16::1"}
    external_gateway = {4: "172.17.0.1", 6: "fd72::1"}
    internal_ip = {4: "10.16.0.12", 6: "fd16::12"}
    external_ip = {4: "172.17.0.11", 6: "fd72::11"}
    snat_source = {4: "10.17.0.5", 6: "fd17::5"}
    nosnat_source = {4: "10.18.0.5", 6: "fd18::5"}
    snat_cidr = {4: "10.17.0.0/16", 6: "fd17::/64"}
    nosnat_cidr = {4: "10.18.0.0/16", 6: "fd18::/64"}
    bfd_ip = {4: "10.255.0.1", 6: "fd16:ffff::1"}

    def build_gateway(self) -> None:
        """(Re)create the gateway namespace and its two links, as a new pod would get them."""
        netns.create(self.gateway)
        netns.veth(self.gateway, "eth0", self.client, "gw0")
        netns.veth(self.gateway, "net1", self.external, "gw1")
        for version, prefix in ((4, 16), (6, 64)):
            netns.addr(self.gateway, "eth0", f"{self.internal_ip[version]}/{prefix}")
            netns.addr(self.gateway, "net1", f"{self.external_ip[version]}/{prefix}")
            netns.addr(self.client, "gw0", f"{self.internal_gateway[version]}/{prefix}")
            netns.addr(self.external, "gw1", f"{self.external_gateway[version]}/{prefix}")
            netns.ip(self.gateway, f"-{version}", "route", "add", "default", "via", self.external_gateway[version])
            netns.ip(self.client, f"-{version}", "route", "replace", "default", "via", self.internal_ip[version])
            netns.ip(self.external, f"-{version}", "route", "replace", self.nosnat_cidr[version],
                     "via", self.external_ip[version])

    @classmethod
    def create(cls, base: str, state_dir: str = "") -> "GatewayTopology":
        """Namespaces ``<base>-cl``, ``<base>-gw``, ``<base>-ex``, addresses, clientip servers."""
        topo = cls(client=f"{base}-cl", gateway=f"{base}-gw", external=f"{base}-ex", state_dir=state_dir)
        try:
            netns.create(topo.client)
            netns.create(topo.external)
            for version, host in ((4, 32), (6, 128)):
                netns.addr(topo.client, "lo", f"{topo.snat_source[version]}/{host}")
                netns.addr(topo.client, "lo", f"{topo.nosnat_source[version]}/{host}")
                netns.addr(topo.external, "lo", f"{topo.servers[version]}/{host}")
            topo.build_gateway()
            topo._servers = [netns.ClientIPServer(topo.external, topo.servers[v], topo.port) for v in (4, 6)]
        except Exception:
            topo.destroy()
            raise
        return topo

    def destroy(self) -> None:
        for server in self._servers:
            server.stop()
        for name in (self.gateway, self.client, self.external):
            netns.delete(name)

    def recreate_gateway(self) -> None:
        """A new namespace of the same name. The old one may live on (a process still in it holds
        it), so its links are removed from the peer side first."""
        netns.ip(self.client, "link", "del", "gw0", check=False)
        netns.ip(self.external, "link", "del", "gw1", check=False)
        netns.delete(self.gateway)
        self.build_gateway()

    def ask(self, version: int, source: str) -> str:
        return netns.ask_clientip(self.client, self.servers[version], self.port, source, timeout=3)

    def agent_args(self, versions=(4, 6), no_snat=True) -> dict:
        args = {"netns": self.gateway}
        for version in versions:
            args[f"ipv{version}"] = {
                "internal_gateway": self.internal_gateway[version],
                "external_gateway": self.external_gateway[version],
                "routes": [self.snat_cidr[version], self.nosnat_cidr[version], self.bfd_ip[version]],
            }
        return args

    def nat_args(self, versions=(4, 6), no_snat=True) -> dict:
        args = {"netns": self.gateway, "internal_iface": "eth0", "state_dir": self.state_dir}
        for version in versions:
            args[f"ipv{version}"] = {"no_snat_sources": [self.nosnat_cidr[version]] if no_snat else []}
        return args


@pytest.fixture
def gateway_topology(tmp_path):
    topo = GatewayTopology.create(f"{PREFIX}n{next(_counter)}", state_dir=str(tmp_path / "agent-state"))
    yield topo
    topo.destroy()
