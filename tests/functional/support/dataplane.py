"""A single-machine OVN with a real (userspace) data plane, for tests, `make demo` and `make bench`.

What runs (all from the OVN 25.03 private root that hack/install-ovn.sh provides):
NB and SB ovsdb-server, ovn-northd, the local conf.db ovsdb-server, ovs-vswitchd with the netdev
datapath and ovn-controller. ovs-vswitchd and ovn-controller run inside a network namespace of
their own ("<prefix>-ovs"), so the integration bridge and the datapath's tap devices never meet
another harness on this machine; the daemons talk over unix sockets in a private work dir.

The topology (names are inside this private OVN; Linux objects carry the per-run prefix):

    client "pods" --- subnet1 (10.17.0.0/16) ---+
                                                 lr0 --- ovn-default (10.16.0.0/16) --- gateways' eth0
    "node" host   --- join (100.64.0.0/16)  ---+        (BFD rows live on lr0's ovn-default port,
                                                         bound to this chassis by an HA_Chassis_Group)
    external network (a Linux bridge in the "ext" namespace, 172.17.0.0/16):
        ext host 172.17.0.1 (the gateways' next hop, runs the echo servers),
        gateways' net1 (172.17.0.1x), the node's external leg 172.17.0.254.

lr0's ordinary default route points at the node (100.64.0.2), which masquerades to the external
network: that is "the normal path". ``Dataplane(dual_stack=True)`` adds IPv6 to all of it: each
switch also has fd00:<its IPv4 /16's two first octets>::/64 (ovn-default fd00:10:16::/64, subnet1
fd00:10:17::/64, join fd00:100:64::/64), the external network fd00:172:17::/64 (ext host ::1,
node ::fe), and the ports get the IPv6 address given beside their IPv4 one. Traffic that an egress gateway should carry but that reaches
the node has leaked; the node counts such packets (`leaked_packets`).

Run as a script, this file is also the traffic tool used inside namespaces:
    python dataplane.py serve TCP_PORT UDP_PORT           (ext host: tells each peer its address)
    python dataplane.py connect HOST PORT COUNT           (TCP flows from distinct source ports)
    python dataplane.py probe HOST PORT INTERVAL SECONDS  (UDP echo probes, JSON timeline)
    python dataplane.py hop HOST TTL                      (the router at that TTL, as traceroute shows it)
and the harness's own lifecycle outside Python (molecule):
    python dataplane.py up STATE.json      (client c1, bare gateway g1; state saved to STATE.json)
    python dataplane.py down STATE.json    (stops what `up` started)
"""
from __future__ import annotations

import ipaddress
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ""):   # run as a script (see the docstring): make `support` importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from support import OVN_BIN, OVN_CACHE, processes  # noqa: E402

OVN_ROOT = OVN_CACHE / "25.03" / "root"
BFDD = "/usr/lib/frr/bfdd"
THIS = pathlib.Path(__file__).resolve()

ROUTER = "lr0"
INTERNAL_SWITCH = "ovn-default"
INTERNAL_CIDR = "10.16.0.0/16"
INTERNAL_GW = "10.16.0.1"
CLIENT_SWITCH = "subnet1"
CLIENT_CIDR = "10.17.0.0/16"
CLIENT_GW = "10.17.0.1"
JOIN_SWITCH = "join"
JOIN_GW = "100.64.0.1"
JOIN_CIDR = "100.64.0.0/16"
NODE_JOIN_IP = "100.64.0.2"
EXTERNAL_CIDR = "172.17.0.0/16"
EXTERNAL_GW = "172.17.0.1"
NODE_EXTERNAL_IP = "172.17.0.254"
CHASSIS = "chassis-1"
SENTINEL_IP = "10.16.255.254"
INTERNAL_CIDR6, INTERNAL_GW6 = "fd00:10:16::/64", "fd00:10:16::1"
CLIENT_CIDR6, CLIENT_GW6 = "fd00:10:17::/64", "fd00:10:17::1"
JOIN_CIDR6, JOIN_GW6, NODE_JOIN_IP6 = "fd00:100:64::/64", "fd00:100:64::1", "fd00:100:64::2"
EXTERNAL_CIDR6, EXTERNAL_GW6, NODE_EXTERNAL_IP6 = "fd00:172:17::/64", "fd00:172:17::1", "fd00:172:17::fe"
SENTINEL_IP6 = "fd00:10:16::fffe"
# The router port that reaches the gateways: stock OVN runs BFD only from such a port.
BFD_PORT = f"{ROUTER}-{INTERNAL_SWITCH}"
HA_GROUP = f"{BFD_PORT}-ha"


class HarnessError(RuntimeError):
    pass


def run(*cmd, check=True, netns=None, env=None, timeout=60):
    cmd = [str(c) for c in cmd]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise HarnessError(f"{' '.join(cmd)} failed (rc={proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def _iptables(cidr: str) -> str:
    return "ip6tables" if ":" in cidr else "iptables"


def mac_for(ip: str) -> str:
    """0a:58 and the address's last four bytes (an IPv4 address's own), as Kube-OVN's MACs."""
    return "0a:58:%02x:%02x:%02x:%02x" % tuple(ipaddress.ip_address(ip).packed[-4:])


class Dataplane(processes.Harness):
    """One OVN with its namespaces. start() brings it up; stop() removes everything it made."""

    def __init__(self, workdir: str | os.PathLike | None = None, prefix: str | None = None,
                 dual_stack: bool = False):
        self.prefix = prefix or f"vegF{os.getpid()}"
        self.dual_stack = dual_stack
        if len(self.prefix) > 11:
            raise HarnessError(f"prefix {self.prefix!r} too long for interface names")
        self.own_workdir = workdir is None
        self.workdir = pathlib.Path(workdir or tempfile.mkdtemp(prefix=f"{self.prefix}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o711)  # bfdd runs as frr and keeps its sockets below
        self.env = dict(os.environ, OVS_RUNDIR=str(self.workdir), OVS_LOGDIR=str(self.workdir),
                        OVS_DBDIR=str(self.workdir), OVN_RUNDIR=str(self.workdir),
                        OVS_PKGDATADIR=str(OVN_ROOT / "usr/share/openvswitch"))
        self.netns: list[str] = []          # created by us, removed in stop()
        self.pids: dict[str, int] = {}      # name -> pid of a process we started
        self.ports: dict[str, dict] = {}    # namespace name -> {"lsp", "ip", "mac", "veth"}
        self.bfdd: dict[str, dict] = {}     # namespace name -> {"pid", "dir"}
        self.servers: dict[str, subprocess.Popen] = {}
        self.bridge = f"{self.prefix}br"
        self.ovs_ns = self.ns("ovs")
        self.ext_ns = self.ns("ext")
        self.node_ns = self.ns("node")
        self.tcp_port = 8080
        self.udp_port = 8081

    # ---- names -------------------------------------------------------------------------
    def ns(self, short: str) -> str:
        return f"{self.prefix}-{short}"

    @property
    def nb_remote(self) -> str:
        return f"unix:{self.workdir / 'nb.sock'}"

    @property
    def sb_remote(self) -> str:
        return f"unix:{self.workdir / 'sb.sock'}"

    # ---- daemon CLIs ---------------------------------------------------------------------
    def nbctl(self, *args, check=True):
        return run(OVN_BIN / "ovn-nbctl", f"--db={self.nb_remote}", *args, check=check, env=self.env).strip()

    def sbctl(self, *args, check=True):
        return run(OVN_BIN / "ovn-sbctl", f"--db={self.sb_remote}", *args, check=check, env=self.env).strip()

    def vsctl(self, *args, check=True):
        return run(OVN_BIN / "ovs-vsctl", f"--db=unix:{self.workdir / 'conf.sock'}", *args,
                   check=check, env=self.env).strip()

    def appctl(self, target: str, *args, check=True):
        return run(OVN_BIN / "ovs-appctl", "-t", self.workdir / target, *args, check=check, env=self.env).strip()

    def _daemon(self, name: str, binary: str, *args, netns=None):
        pidfile = self.workdir / f"{name}.pid"
        run(OVN_BIN / binary, "--detach", f"--pidfile={pidfile}", f"--log-file={self.workdir / name}.log",
            *args, netns=netns, env=self.env)
        for _attempt in range(100):
            if pidfile.exists() and pidfile.read_text().strip():
                self.pids[name] = int(pidfile.read_text())
                return
            time.sleep(0.02)
        raise HarnessError(f"{name} wrote no pid file")

    # ---- lifecycle -------------------------------------------------------------------------
    def _start(self):
        w = self.workdir
        for ns in (self.ovs_ns, self.ext_ns, self.node_ns):
            self._add_netns(ns)
        run("ip", "link", "set", "lo", "up", netns=self.ovs_ns)
        share_ovn = OVN_ROOT / "usr/share/ovn"
        share_ovs = OVN_ROOT / "usr/share/openvswitch"
        for db, schema in (("nb", share_ovn / "ovn-nb.ovsschema"), ("sb", share_ovn / "ovn-sb.ovsschema"),
                           ("conf", share_ovs / "vswitch.ovsschema")):
            run(OVN_BIN / "ovsdb-tool", "create", w / f"{db}.db", schema, env=self.env)
            self._daemon(f"ovsdb-{db}", "ovsdb-server", w / f"{db}.db", f"--remote=punix:{w / db}.sock",
                         f"--unixctl={w / db}.ctl")
        self.vsctl("--no-wait", "init")
        self._daemon("ovs-vswitchd", "ovs-vswitchd", f"unix:{w / 'conf.sock'}", f"--unixctl={w / 'ovs-vswitchd.ctl'}",
                     netns=self.ovs_ns)
        self._daemon("ovn-northd", "ovn-northd", f"--ovnnb-db={self.nb_remote}", f"--ovnsb-db={self.sb_remote}",
                     f"--unixctl={w / 'ovn-northd.ctl'}")
        self.vsctl("set", "open", ".",
                   f"external_ids:system-id={CHASSIS}", f"external_ids:ovn-remote={self.sb_remote}",
                   "external_ids:ovn-encap-type=geneve", "external_ids:ovn-encap-ip=127.0.0.1",
                   "external_ids:ovn-bridge-datapath-type=netdev", f"external_ids:ovn-bridge={self.bridge}")
        self.vsctl("--may-exist", "add-br", self.bridge, "--", "set", "bridge", self.bridge, "datapath_type=netdev",
                   "fail-mode=secure", "other_config:disable-in-band=true")
        self._daemon("ovn-controller", "ovn-controller", f"unix:{w / 'conf.sock'}", f"--unixctl={w / 'ovn-controller.ctl'}",
                     netns=self.ovs_ns)
        self._logical_topology()
        self._external_network()
        self._node()
        self.wait_chassis()

    def _logical_topology(self):
        nb = self.nbctl
        nb("lr-add", ROUTER)
        for switch, gw, cidr, gw6, cidr6 in (
                (INTERNAL_SWITCH, INTERNAL_GW, INTERNAL_CIDR, INTERNAL_GW6, INTERNAL_CIDR6),
                (CLIENT_SWITCH, CLIENT_GW, CLIENT_CIDR, CLIENT_GW6, CLIENT_CIDR6),
                (JOIN_SWITCH, JOIN_GW, JOIN_CIDR, JOIN_GW6, JOIN_CIDR6)):
            self.add_switch(switch, gw, cidr, *((gw6, cidr6) if self.dual_stack else ()))
        # Stock OVN sends BFD only from a router port bound to a chassis.
        nb("ha-chassis-group-add", HA_GROUP)
        nb("ha-chassis-group-add-chassis", HA_GROUP, CHASSIS, "100")
        group = nb("--bare", "--columns=_uuid", "find", "HA_Chassis_Group", f"name={HA_GROUP}")
        nb("set", "Logical_Router_Port", BFD_PORT, f"ha_chassis_group={group}")
        # The router's ordinary route: the normal path out of the VPC, through the node.
        nb("lr-route-add", ROUTER, "0.0.0.0/0", NODE_JOIN_IP)
        if self.dual_stack:
            nb("lr-route-add", ROUTER, "::/0", NODE_JOIN_IP6)

    def add_switch(self, switch: str, gw: str | None, cidr: str | None, gw6: str | None = None,
                   cidr6: str | None = None):
        """A logical switch on the router (its router port has the gateway address of each family
        given: IPv4, IPv6 or both)."""
        lrp = f"{ROUTER}-{switch}"
        self.nbctl("ls-add", switch)
        networks = ([f"{gw}/{cidr.split('/')[1]}"] if gw else []) + ([f"{gw6}/{cidr6.split('/')[1]}"] if gw6 else [])
        self.nbctl("lrp-add", ROUTER, lrp, mac_for(gw or gw6), *networks)
        self.nbctl("lsp-add", switch, f"{switch}-{ROUTER}", "--", "lsp-set-type", f"{switch}-{ROUTER}", "router",
                   "--", "lsp-set-addresses", f"{switch}-{ROUTER}", "router",
                   "--", "lsp-set-options", f"{switch}-{ROUTER}", f"router-port={lrp}")

    def count_leaks(self, source: str):
        """Count VPC packets from ``source`` that take the router's ordinary route (see leaked_packets)."""
        run(_iptables(source), "-t", "raw", "-A", "PREROUTING", "-i", "eth0", "-s", source, "-j", "ACCEPT",
            netns=self.node_ns)

    def _external_network(self):
        ext = self.ext_ns
        run("ip", "link", "add", "br0", "type", "bridge", netns=ext)
        run("ip", "link", "set", "br0", "up", netns=ext)
        run("ip", "addr", "add", f"{EXTERNAL_GW}/16", "dev", "br0", netns=ext)
        if self.dual_stack:
            run("ip", "-6", "addr", "add", f"{EXTERNAL_GW6}/64", "dev", "br0", "nodad", netns=ext)
        log = open(self.workdir / "ext-server.log", "w")
        self.servers["ext"] = subprocess.Popen(
            ["ip", "netns", "exec", ext, sys.executable, str(THIS), "serve", str(self.tcp_port), str(self.udp_port)],
            stdout=log, stderr=subprocess.STDOUT)
        self.pids["ext-server"] = self.servers["ext"].pid
        deadline = time.time() + 10
        while "listening" not in (self.workdir / "ext-server.log").read_text():
            if time.time() > deadline or self.servers["ext"].poll() is not None:
                raise HarnessError("external echo server did not start")
            time.sleep(0.05)

    def attach_external(self, netns: str, ip: str, ifname="net1", short=None, ip6: str | None = None):
        """Give netns a leg on the external network (a veth into the ext namespace's bridge)."""
        peer = f"{self.prefix}{short or netns.rsplit('-', 1)[-1]}x"[:15]
        run("ip", "link", "add", ifname, "netns", netns, "type", "veth", "peer", "name", peer, "netns", self.ext_ns)
        run("ip", "link", "set", peer, "master", "br0", "up", netns=self.ext_ns)
        run("ip", "addr", "add", f"{ip}/16", "dev", ifname, netns=netns)
        if ip6:
            run("ip", "-6", "addr", "add", f"{ip6}/64", "dev", ifname, "nodad", netns=netns)
        run("ip", "link", "set", ifname, "up", netns=netns)
        return peer

    def _node(self):
        node = self.node_ns
        v6 = self.dual_stack
        self.add_port(JOIN_SWITCH, "node", NODE_JOIN_IP, JOIN_GW, create_ns=False, netns=node, default_route=False,
                      ip6=NODE_JOIN_IP6 if v6 else None)
        self.attach_external(node, NODE_EXTERNAL_IP, ifname="ext0", short="node", ip6=NODE_EXTERNAL_IP6 if v6 else None)
        run("ip", "route", "add", "10.0.0.0/8", "via", JOIN_GW, netns=node)
        run("ip", "route", "add", "default", "via", EXTERNAL_GW, netns=node)
        run("sysctl", "-qw", "net.ipv4.ip_forward=1", netns=node)
        # Counts VPC traffic that took the normal path (a leak when a gateway should carry it).
        self.count_leaks(CLIENT_CIDR)
        run("iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "ext0", "-j", "MASQUERADE", netns=node)
        if v6:
            for cidr in (INTERNAL_CIDR6, CLIENT_CIDR6):
                run("ip", "-6", "route", "add", cidr, "via", JOIN_GW6, netns=node)
            run("ip", "-6", "route", "add", "default", "via", EXTERNAL_GW6, netns=node)
            run("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", netns=node)
            self.count_leaks(CLIENT_CIDR6)
            run("ip6tables", "-t", "nat", "-A", "POSTROUTING", "-o", "ext0", "-j", "MASQUERADE", netns=node)

    def _add_netns(self, name):
        run("ip", "netns", "add", name)
        self.netns.append(name)
        run("ip", "link", "set", "lo", "up", netns=name)

    def add_port(self, switch: str, short: str, ip: str, gateway: str, *, create_ns=True, netns=None,
                 default_route=True, ifname="eth0", lsp=None, ip6: str | None = None, gateway6: str | None = None):
        """A namespace ("pod") on a logical switch port: veth into br-int with iface-id=<lsp>;
        ``ip6``/``gateway6``: its IPv6 address and default route as well (dual_stack)."""
        netns = netns or self.ns(short)
        if create_ns:
            self._add_netns(netns)
        lsp = lsp or f"{short}.{switch}"
        host_if = f"{self.prefix}{short}"[:15]
        mac = mac_for(ip)
        run("ip", "link", "add", ifname, "netns", netns, "type", "veth", "peer", "name", host_if, "netns", self.ovs_ns)
        run("ip", "link", "set", ifname, "address", mac, netns=netns)
        run("ip", "addr", "add", f"{ip}/16", "dev", ifname, netns=netns)
        for ns, dev in ((netns, ifname), (self.ovs_ns, host_if)):
            # The userspace datapath does not fill in checksums that veth offload leaves out.
            run("ethtool", "-K", dev, "tx", "off", "rx", "off", netns=ns)
            run("ip", "link", "set", dev, "up", netns=ns)
        if default_route:
            run("ip", "route", "add", "default", "via", gateway, netns=netns)
        if ip6:
            run("ip", "-6", "addr", "add", f"{ip6}/64", "dev", ifname, "nodad", netns=netns)
            if default_route and gateway6:
                run("ip", "-6", "route", "add", "default", "via", gateway6, netns=netns)
        self.nbctl("lsp-add", switch, lsp, "--", "lsp-set-addresses", lsp, " ".join([mac, ip] + ([ip6] if ip6 else [])))
        self.vsctl("add-port", self.bridge, host_if, "--", "set", "Interface", host_if, f"external_ids:iface-id={lsp}")
        self.ports[netns] = {"lsp": lsp, "ip": ip, "mac": mac, "veth": host_if, "ifname": ifname, "switch": switch}
        if ip6:
            self.ports[netns]["ip6"] = ip6
        return netns

    def add_client(self, short: str, ip: str, ip6: str | None = None) -> str:
        return self.add_port(CLIENT_SWITCH, short, ip, CLIENT_GW, ip6=ip6, gateway6=CLIENT_GW6)

    def add_gateway_instance(self, short: str, internal_ip: str, external_ip: str,
                             internal_ip6: str | None = None, external_ip6: str | None = None) -> str:
        """A gateway instance's namespace: eth0 on ovn-default, net1 on the external network.
        Addresses only; routing/NAT/BFD are the agent's job (or configure_gateway_by_hand)."""
        netns = self.add_port(INTERNAL_SWITCH, short, internal_ip, INTERNAL_GW, default_route=False, ip6=internal_ip6)
        self.attach_external(netns, external_ip, ip6=external_ip6)
        # What the CNI gives a gateway pod: the default route out of the external network.
        run("ip", "route", "add", "default", "via", EXTERNAL_GW, netns=netns)
        self.ports[netns]["external_ip"] = external_ip
        for source in (CLIENT_CIDR, CLIENT_CIDR6 if internal_ip6 else None):
            if source:
                run(_iptables(source), "-t", "raw", "-A", "PREROUTING", "-i", "eth0", "-s", source, "-m", "comment",
                    "--comment", "vegF-count", "-j", "ACCEPT", netns=netns)
        if external_ip6:
            run("ip", "-6", "route", "add", "default", "via", EXTERNAL_GW6, netns=netns)
            self.ports[netns]["external_ip6"] = external_ip6
        return netns

    def configure_gateway_by_hand(self, netns: str, snat_sources=(CLIENT_CIDR,)):
        """Routing and SNAT of a gateway instance with plain ip/iptables (harness self-test and the
        benchmark's fixed setup; the collection's agent does this in the tests and the demo)."""
        run("ip", "route", "replace", "10.0.0.0/8", "via", INTERNAL_GW, netns=netns)
        run("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.eth0.rp_filter=0", netns=netns)
        for source in snat_sources:
            run("iptables", "-t", "nat", "-A", "POSTROUTING", "-s", source, "-o", "net1", "-j", "MASQUERADE",
                netns=netns)

    def add_sentinel(self, short="sen", ip=SENTINEL_IP) -> str:
        """A namespace on the BFD port's subnet for the BFD sentinel (docs/bfd.md)."""
        return self.add_port(INTERNAL_SWITCH, short, ip, INTERNAL_GW, default_route=False,
                             ip6=SENTINEL_IP6 if self.dual_stack else None)

    def standalone_inventory(self, spec: dict, instances: list[str], sentinel: str | None = None,
                             pod_ports: list[str] | None = None, **extra_vars) -> dict:
        """An inventory for playbooks/standalone.yml: the instance namespaces (and the sentinel) as
        hosts with a local connection, the NB of this harness, this topology's addresses."""
        def both(port, key):
            return ",".join(a for a in (port.get(key), port.get(f"{key}6")) if a)

        def host(netns):
            port = self.ports[netns]
            entry = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                     "standalone_gateway_netns": netns, "standalone_gateway_internal_ip": both(port, "ip"),
                     "standalone_gateway_node": port.get("node", CHASSIS)}
            if "external_ip" in port:
                entry["standalone_gateway_external_ip"] = both(port, "external_ip")
            entry.update(port.get("hostvars", {}))
            return entry

        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        variables = {
            "standalone_gateway_manifest": spec,
            "standalone_gateway_nb_connection": self.nb_remote,
            "standalone_gateway_router": ROUTER,
            "standalone_gateway_bfd_port": BFD_PORT,
            "standalone_gateway_bfd_peer_ips": [INTERNAL_GW] + ([INTERNAL_GW6] if self.dual_stack else []),
            "standalone_gateway_internal_gateway": INTERNAL_GW + (f",{INTERNAL_GW6}" if self.dual_stack else ""),
            "standalone_gateway_external_gateway": EXTERNAL_GW + (f",{EXTERNAL_GW6}" if self.dual_stack else ""),
            "standalone_gateway_subnet_cidrs": {CLIENT_SWITCH: CLIENT_CIDR + (f",{CLIENT_CIDR6}" if self.dual_stack else "")},
            "standalone_gateway_pod_ports": pod_ports or [],
            "standalone_gateway_state_dir": str(self.workdir / "agent"),
        }
        variables.update(extra_vars)
        return {"all": {
            "hosts": {"localhost": local},
            "children": {
                "egress_gateway_instances": {"hosts": {n.rsplit("-", 1)[-1]: host(n) for n in instances}},
                "egress_gateway_bfd_sentinel": {"hosts": {sentinel.rsplit("-", 1)[-1]: host(sentinel)} if sentinel else {}},
            },
            "vars": variables}}

    def wait_chassis(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if CHASSIS in self.sbctl("--bare", "--columns=name", "list", "Chassis", check=False):
                run(OVN_BIN / "ovn-nbctl", f"--db={self.nb_remote}", "--wait=hv", "--timeout=20", "sync", env=self.env)
                return
            time.sleep(0.1)
        raise HarnessError("ovn-controller did not register its chassis")

    def sync(self):
        """Wait until ovn-controller has applied everything in NB."""
        self.nbctl("--wait=hv", "--timeout=30", "sync")

    # ---- BFD responders (FRR bfdd alone, no zebra) -----------------------------------------
    def start_bfdd(self, netns: str, peer: str = INTERNAL_GW, local: str | None = None,
                   transmit_ms=100, receive_ms=1000, multiplier=3):
        local = local or self.ports[netns]["ip"]
        rundir = self.workdir / f"bfdd-{netns}"
        rundir.mkdir(exist_ok=True)
        shutil.chown(rundir, "frr", "frr")
        conf = rundir / "bfdd.conf"
        conf.write_text(f"bfd\n peer {peer} local-address {local}\n  receive-interval {receive_ms}\n"
                        f"  transmit-interval {transmit_ms}\n  detect-multiplier {multiplier}\n  no shutdown\n"
                        f" !\n!\n")
        pidfile = rundir / "bfdd.pid"
        run(BFDD, "-d", "-u", "frr", "-g", "frr", "-f", conf, "-i", pidfile, "-z", rundir / "zserv.api",
            "--vty_socket", rundir, "--bfdctl", rundir / "bfdd.sock", "-A", "127.0.0.1", "-P", "0", netns=netns)
        for _attempt in range(100):
            if pidfile.exists() and pidfile.read_text().strip():
                self.bfdd[netns] = {"pid": int(pidfile.read_text()), "dir": rundir}
                return self.bfdd[netns]["pid"]
            time.sleep(0.02)
        raise HarnessError(f"bfdd in {netns} wrote no pid file")

    def stop_bfdd(self, netns: str, sig=signal.SIGTERM):
        entry = self.bfdd.pop(netns, None)
        if entry:
            processes.stop([entry["pid"]], sig)

    def bfd_status(self) -> dict[str, str]:
        """dst_ip -> status of every NB BFD row."""
        out = self.nbctl("--format=json", "--columns=dst_ip,status", "list", "BFD")
        return {row[0]: (row[1] if isinstance(row[1], str) else "") for row in json.loads(out)["data"]}

    def wait_bfd(self, wanted: dict[str, str], timeout=30) -> float:
        start = time.time()
        while time.time() - start < timeout:
            status = self.bfd_status()
            if all(status.get(ip) == state for ip, state in wanted.items()):
                return time.time() - start
            time.sleep(0.1)
        raise HarnessError(f"BFD did not reach {wanted}: {self.bfd_status()}")

    # ---- failures we inject ------------------------------------------------------------------
    def link(self, netns: str, up: bool):
        """Take an instance's OVN-side veth down/up (the instance loses its internal link)."""
        run("ip", "link", "set", self.ports[netns]["veth"], "up" if up else "down", netns=self.ovs_ns)

    # ---- traffic -------------------------------------------------------------------------
    def tcp_sources(self, netns: str, count=32, host=EXTERNAL_GW, timeout=30) -> list[str]:
        """Open `count` TCP connections to the ext host; return the source address it saw for each
        ("" for a connection that failed)."""
        out = run(sys.executable, THIS, "connect", host, self.tcp_port, count, netns=netns, timeout=timeout)
        return json.loads(out)

    def wait_sources(self, netns: str, wanted: set, timeout=30, count=24, host=EXTERNAL_GW, pause=0.0) -> set:
        """The sources of ``count`` TCP flows, again until they are exactly ``wanted`` (BFD state
        changes take a moment) or ``timeout`` passed; the last ones seen."""
        deadline = time.monotonic() + timeout
        while True:
            seen = set(self.tcp_sources(netns, count, host=host))
            if seen == wanted or time.monotonic() > deadline:
                return seen
            time.sleep(pause)

    def hop(self, netns: str, ttl: int, host=EXTERNAL_GW) -> str:
        """The router that answers a datagram from ``netns`` with TTL ``ttl`` (a traceroute hop)."""
        return run(sys.executable, THIS, "hop", host, ttl, netns=netns, timeout=30).strip()

    def probe(self, netns: str, seconds: float, interval=0.01, host=EXTERNAL_GW) -> subprocess.Popen:
        """Start UDP echo probes in the background; .communicate() gives a JSON timeline."""
        return subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, str(THIS), "probe", host,
                                 str(self.udp_port), str(interval), str(seconds)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def leaked_packets(self, source: str = CLIENT_CIDR) -> int:
        """VPC client packets from ``source`` that reached the node (the router's ordinary route)."""
        out = run(_iptables(source), "-t", "raw", "-L", "PREROUTING", "-v", "-x", "-n", netns=self.node_ns)
        for line in out.splitlines():
            fields = line.split()
            if len(fields) > 7 and fields[2] == "ACCEPT" and fields[7] == source:
                return int(fields[0])
        raise HarnessError(f"leak counter for {source} missing on the node")

    def forwarded_packets(self, netns: str) -> int:
        """Client packets (both families) that entered a gateway instance's namespace on its internal link."""
        total = 0
        for tool in ("iptables", "ip6tables"):
            out = run(tool, "-t", "raw", "-L", "PREROUTING", "-v", "-x", "-n", netns=netns)
            total += sum(int(line.split()[0]) for line in out.splitlines() if "vegF-count" in line)
        return total

    # ---- teardown -------------------------------------------------------------------------
    def started_bfdd(self) -> list[int]:
        """Pids of every bfdd configured under this harness's work dir: ours and the ones the
        collection's agent started for our namespaces (a test that fails leaves them running)."""
        pids = []
        for proc in pathlib.Path("/proc").iterdir():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except (FileNotFoundError, ProcessLookupError, NotADirectoryError, PermissionError):
                continue
            if argv and argv[0].endswith(b"bfdd") and any(str(self.workdir).encode() in a for a in argv):
                pids.append(int(proc.name))
        return pids

    def stop(self):
        self.bfdd.clear()
        processes.stop(self.started_bfdd(), signal.SIGKILL)
        for proc in self.servers.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        if "ext-server" in self.pids:  # a harness loaded from a saved state: not our child
            processes.stop([self.pids.pop("ext-server")], signal.SIGKILL)
        # br-int is a persistent tap: delete it while ovs-vswitchd still runs.
        if "ovs-vswitchd" in self.pids:
            self.vsctl("--if-exists", "del-br", self.bridge, check=False)
        processes.stop([self.pids.pop(name) for name in ("ovn-controller", "ovn-northd", "ovs-vswitchd")
                       if name in self.pids], signal.SIGTERM)
        processes.stop([self.pids.pop(name) for name in ("ovsdb-conf", "ovsdb-sb", "ovsdb-nb") if name in self.pids],
                       signal.SIGTERM)
        for netns in reversed(self.netns):
            run("ip", "netns", "del", netns, check=False)
        self.netns.clear()
        if self.own_workdir and not os.environ.get("VEGF_KEEP_WORKDIR"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    # ---- a harness that outlives its process (molecule's prepare and cleanup) -------------------
    def save(self, path: str | os.PathLike) -> None:
        state = {"prefix": self.prefix, "workdir": str(self.workdir), "own_workdir": self.own_workdir,
                 "netns": self.netns, "pids": self.pids, "ports": self.ports, "nb": self.nb_remote}
        pathlib.Path(path).write_text(json.dumps(state, indent=1))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Dataplane":
        state = json.loads(pathlib.Path(path).read_text())
        dp = cls(workdir=state["workdir"], prefix=state["prefix"])
        dp.own_workdir, dp.netns, dp.pids, dp.ports = state["own_workdir"], state["netns"], state["pids"], state["ports"]
        return dp

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---- the traffic tool (runs inside namespaces) ---------------------------------------------
def _serve(tcp_port: int, udp_port: int) -> None:
    import selectors
    sel = selectors.DefaultSelector()
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("0.0.0.0", tcp_port))
    tcp.listen(512)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", udp_port))
    tcps, udps = [tcp], [udp]
    if socket.has_ipv6:
        # IPv6 apart (v6only), so an IPv4 peer is still reported as a.b.c.d
        tcp6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        tcp6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        tcp6.bind(("::", tcp_port))
        tcp6.listen(512)
        udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        udp6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        udp6.bind(("::", udp_port))
        tcps.append(tcp6)
        udps.append(udp6)
    for sock in tcps + udps:
        sel.register(sock, selectors.EVENT_READ)
    print("listening", flush=True)
    while True:
        for key, _events in sel.select():
            if key.fileobj in tcps:
                conn, peer = key.fileobj.accept()
                try:
                    conn.sendall(peer[0].encode() + b"\n")
                finally:
                    conn.close()
            else:
                data, peer = key.fileobj.recvfrom(2048)
                key.fileobj.sendto(peer[0].encode() + b" " + data, peer)


def _connect(host: str, port: int, count: int) -> list[str]:
    seen = []
    for _flow in range(count):
        try:
            with socket.create_connection((host, port), timeout=2) as conn:
                seen.append(conn.makefile().readline().strip())
        except OSError:
            seen.append("")
    return seen


def _hop(host: str, ttl: int, tries=3) -> str:
    """What ``traceroute -n -f TTL -m TTL HOST`` prints as the hop: the source of the ICMP time
    exceeded that a UDP datagram sent with that TTL draws ("" when none came)."""
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    icmp.settimeout(1.0)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    udp.bind(("0.0.0.0", 0))
    our_port = udp.getsockname()[1]
    for attempt in range(tries):
        udp.sendto(b"hop", (host, 33434 + attempt))
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                packet, (source, _port) = icmp.recvfrom(2048)
            except socket.timeout:
                break
            header = (packet[0] & 0x0F) * 4
            inner = packet[header + 8:]             # the datagram the ICMP quotes
            inner_udp = inner[(inner[0] & 0x0F) * 4:] if inner else b""
            if packet[header] == 11 and len(inner_udp) >= 2 and int.from_bytes(inner_udp[:2], "big") == our_port:
                return source
    return ""


def _probe(host: str, port: int, interval: float, seconds: float) -> dict:
    """Send a numbered UDP probe every `interval`; record (send time, reply time, replier's view of our
    source) for each. One 5-tuple, so OVN's ECMP keeps it on one gateway while that one lives.
    SIGTERM ends the run early, with the timeline so far (a probe around an action of unknown length)."""
    ended = []
    signal.signal(signal.SIGTERM, lambda *_args: ended.append(True))
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sent: dict[int, float] = {}
    replies: dict[int, tuple[float, str]] = {}
    start = time.monotonic()
    seq = 0
    next_send = start

    def collect_replies():
        try:
            while True:
                data = sock.recv(2048)
                source, _sep, number = data.decode().partition(" ")
                replies.setdefault(int(number), (time.monotonic() - start, source))
        except BlockingIOError:
            pass

    while True:
        now = time.monotonic()
        if now - start >= seconds or ended:
            break
        if now >= next_send:
            sent[seq] = now - start
            try:
                sock.sendto(str(seq).encode(), (host, port))
            except OSError:
                pass
            seq += 1
            next_send += interval
        collect_replies()
        time.sleep(min(0.001, max(0.0, next_send - time.monotonic())))
    time.sleep(0.2)  # the last replies still on their way
    collect_replies()
    return {"interval": interval, "epoch": time.time() - (time.monotonic() - start),
            "probes": [[seq, t, *(replies.get(seq) or (None, None))] for seq, t in sorted(sent.items())]}


def outage(timeline: dict, after: float = 0.0) -> dict:
    """From a probe timeline: the longest run of lost probes sent at or after `after` (seconds into
    the run), as {"lost": n, "window": seconds from the last answered probe before it to the first
    answered one after it, "from": source before, "to": source after}."""
    best = {"lost": 0, "window": 0.0, "from": None, "to": None}
    last_ok = None
    run_start = None
    lost = 0
    for _seq, sent, replied, source in timeline["probes"]:
        if replied is None:
            if sent >= after:
                if run_start is None:
                    run_start = last_ok
                lost += 1
            continue
        if lost and run_start is not None and lost > best["lost"]:
            best = {"lost": lost, "window": sent - run_start[0], "from": run_start[1], "to": source}
        lost = 0
        run_start = None
        last_ok = (sent, source)
    if lost and lost > best["lost"]:
        best = {"lost": lost, "window": None, "from": run_start[1] if run_start else None, "to": None}
    return best


if __name__ == "__main__":
    verb = sys.argv[1]
    if verb == "serve":
        _serve(int(sys.argv[2]), int(sys.argv[3]))
    elif verb == "connect":
        print(json.dumps(_connect(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    elif verb == "hop":
        print(_hop(sys.argv[2], int(sys.argv[3])))
    elif verb == "up":
        harness = Dataplane().start()
        try:
            harness.add_client("c1", "10.17.0.10")
            harness.add_gateway_instance("g1", "10.16.0.101", "172.17.0.11")
            harness.sync()
        except BaseException:
            harness.stop()
            raise
        harness.save(sys.argv[2])
        print(json.dumps({"nb": harness.nb_remote, "client": harness.ns("c1"), "gateway": harness.ns("g1"),
                          "workdir": str(harness.workdir)}))
    elif verb == "down":
        Dataplane.load(sys.argv[2]).stop()
    elif verb == "probe":
        print(json.dumps(_probe(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))))
    else:
        raise SystemExit(f"unknown verb {verb}")
