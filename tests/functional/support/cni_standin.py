#!/usr/bin/env python3
"""STAND-IN for what cannot run on the test node: Kube-OVN's controller + CNI and Multus.

A pod watch (the controller part) and a CNI plugin (the test node's containerd calls it for every
pod sandbox, CNI spec 0.4.0) that together do what those three do for a pod in a Kube-OVN cluster
with Multus:

- **Kube-OVN controller (IPAM + NB)**, ``PodAddresses``: a watch that the harness (support/node.py)
  runs for the pods bound to its nodes, as v1.14's pkg/controller/pod.go does when a pod is added
  (``reconcileAllocateSubnets``, then ``reconcileRouteSubnets`` once it has a node): picks the
  pod's logical switch (annotation ``ovn.kubernetes.io/logical_switch``, else ``ovn-default``),
  allocates its address from that Subnet's ``spec.cidrBlock`` (one per family of a dual-stack
  ``v4,v6`` block, written ``v4,v6`` as Kube-OVN does; or from
  ``ovn.kubernetes.io/ip_pool``; the gateway and ``excludeIps`` are skipped, addresses of live
  pods are taken, as Kube-OVN's IPAM), creates the Logical_Switch_Port ``<pod>.<namespace>`` with
  ``addresses "<mac> <ip>"`` and Kube-OVN's ``external_ids`` (``pod``, ``ls``,
  ``vendor=kube-ovn``), then writes ``ovn.kubernetes.io/{ip_address,mac_address,cidr,gateway,
  logical_switch,allocated,routed}``. The same for the external network's provider
  ``<nad>.<namespace>`` (``<provider>.kubernetes.io/ip_address`` ..., no LSP: that Subnet is not
  an OVN switch). A terminating pod's LSP is removed at its deletion timestamp (the end of its
  grace period: at once for the gateway pods), a deleted pod's at once; its address is then free. So,
  as in Kube-OVN, the port exists before the kubelet starts the sandbox; Kube-OVN allocates even
  before the pod is scheduled, this stand-in once the real kube-scheduler bound it (milliseconds
  later), which keeps it off the pods of other stand-ins.
- **kube-ovn-cni** (CNI ADD): waits for ``ovn.kubernetes.io/routed`` (polled each second, as
  pkg/daemon/handler.go), then eth0 as a veth whose host end joins the data plane's integration bridge with
  ``external_ids:iface-id=<pod>.<namespace>``; MAC and addresses from the annotations (IPv6
  without duplicate address detection); the routes of ``ovn.kubernetes.io/routes`` and, per
  family, a default route via the subnet gateway unless some provider's routes annotation
  carries that family's default route (a gateway pod leaves through net1); before it
  returns it waits for ovn-controller's ``external_ids:ovn-installed`` on the OVS interface
  (polled every 0.5 s, as pkg/daemon/ovs_linux.go). CNI DEL unplugs; the LSP stays until the
  pod goes (the controller part removes it).
- **Multus**: for ``k8s.v1.cni.cncf.io/networks`` (``<ns>/<nad>``) it reads the
  NetworkAttachmentDefinition and runs its plugin - Debian's real ``macvlan`` - as ``net1`` with
  the address of ``<provider>.kubernetes.io/ip_address`` and the routes of
  ``<provider>.kubernetes.io/routes`` (static IPAM standing in for Kube-OVN's IPAM plugin). The
  NAD's ``master`` names a NIC of a real node; here the master is the harness's link into the
  external network's bridge (inside a namespace the harness made; nothing touches a real
  interface). Then it writes ``k8s.v1.cni.cncf.io/network-status`` as Multus does.

The network configuration (the file the harness writes into containerd's CNI conf dir) carries
``kubeconfig``, ``dataplane`` (the saved state of support/dataplane.py), ``external_netns`` /
``external_master`` and ``state_dir`` (one record per sandbox, for DEL). Errors are CNI error
JSON on stdout and exit 1, which the kubelet shows as the pod's sandbox failure.
"""
from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from support.dataplane import Dataplane, mac_for, run  # noqa: E402  pylint: disable=wrong-import-position

CNI_VERSION = "0.4.0"
CNI_PLUGINS = pathlib.Path("/usr/lib/cni")
NETWORKS = "k8s.v1.cni.cncf.io/networks"
NETWORK_STATUS = "k8s.v1.cni.cncf.io/network-status"
OVN = "ovn"
DEFAULT_ROUTES = {"0.0.0.0/0": 4, "default": 4, "::/0": 6}


class CniError(Exception):
    pass


def _clients(kubeconfig: str):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel

    api = config.new_client_from_config(config_file=kubeconfig)
    return client.CoreV1Api(api), client.CustomObjectsApi(api)


def _annotation_ips(pod, key: str) -> set:
    return set(filter(None, ((pod.metadata.annotations or {}).get(key) or "").split(",")))


def _allocate(subnet: dict, pool: str | None, taken: set, current: str | None) -> str:
    """Kube-OVN's IPAM in short: the pod's own earlier address, else the first free one of the
    ip_pool annotation (';'-separated), else of the subnet's CIDR minus gateway and excludeIps.
    A dual-stack subnet (``cidrBlock`` ``v4,v6``) gives one address per family, ``v4,v6`` as
    Kube-OVN writes them (and as a dual-stack ip_pool entry is written)."""
    def free(candidate: str) -> bool:
        return bool(candidate) and not set(candidate.split(",")) & taken

    if current and free(current):
        return current
    if pool:
        for candidate in pool.split(";"):
            if free(candidate.strip()):
                return candidate.strip()
        raise CniError(f"no free address in ip_pool {pool}")
    spec = subnet["spec"]
    excluded = set(spec.get("gateway", "").split(","))
    for item in spec.get("excludeIps") or []:
        first, _, last = item.partition("..")
        start, end = ipaddress.ip_address(first), ipaddress.ip_address(last or first)
        excluded.update(str(ipaddress.ip_address(a)) for a in range(int(start), int(end) + 1))
    addresses = []
    for cidr in spec["cidrBlock"].split(","):
        address = next((str(h) for h in ipaddress.ip_network(cidr).hosts()
                        if str(h) not in excluded and str(h) not in taken), None)
        if address is None:
            raise CniError(f"subnet {subnet['metadata']['name']} has no free address in {cidr}")
        addresses.append(address)
    return ",".join(addresses)


def _family(address: str) -> int:
    return ipaddress.ip_network(address, strict=False).version


def _by_family(text: str) -> dict:
    """{4: ..., 6: ...} of a Kube-OVN ``v4,v6`` annotation (addresses, CIDRs or gateways)."""
    return {_family(item): item for item in text.split(",") if item}


def _routes(annotations: dict, provider: str) -> list:
    text = annotations.get(f"{provider}.kubernetes.io/routes")
    return json.loads(text) if text else []


def _external_provider(annotations: dict, namespace: str) -> tuple | None:
    """(nad namespace, nad name, provider) of the pod's first Multus network, if any."""
    networks = annotations.get(NETWORKS, "").strip()
    if not networks:
        return None
    if networks.startswith("["):
        raise CniError("the stand-in reads the '<namespace>/<nad>' form of k8s.v1.cni.cncf.io/networks")
    nad_namespace, _, nad_name = networks.split(",")[0].strip().rpartition("/")
    nad_namespace = nad_namespace or namespace
    return nad_namespace, nad_name, f"{nad_name}.{nad_namespace}"


class PodAddresses:
    """The controller part (see the module doc): ``handle`` a pod as its add/update events do,
    ``forget`` it as its delete does, ``run`` the watch that calls them for the pods bound to
    ``node_names`` until ``stop`` is set. The ports it made are kept by pod uid: a relist forgets
    those whose pod is gone, and a port is removed only for the pod that has it (a pod recreated
    under the same name keeps its own, as in Kube-OVN's handleDeletePod). A pod it cannot
    address gets a Warning Event ``AcquireAddressFailed`` (``kubectl describe pod``), as Kube-OVN's."""

    ERRORS_KEPT = 20

    def __init__(self, kubeconfig: str, dp: Dataplane, node_names):
        self.core, self.custom = _clients(kubeconfig)
        self.dp, self.node_names = dp, set(node_names)
        self.ports: dict[str, str] = {}   # pod uid -> its Logical_Switch_Port
        self._lock = threading.Lock()
        self.errors: list[str] = []

    def handle(self, pod) -> None:
        if pod.metadata.deletion_timestamp:
            # Kube-OVN's enqueueUpdatePod: the delete is queued until the deletion timestamp (the
            # end of the grace period; at once for the gateway pods, whose grace is 0)
            delay = pod.metadata.deletion_timestamp.timestamp() - time.time()
            if delay > 0:
                threading.Timer(delay, self._safely, (self.forget, pod)).start()
            else:
                self.forget(pod)
            return
        if pod.spec.host_network or pod.metadata.uid in self.ports \
                or (pod.metadata.annotations or {}).get(f"{OVN}.kubernetes.io/routed") == "true":
            return
        try:
            patch = self._allocate(pod)
        except CniError as exc:   # the CNI part then waits in vain and says so
            self._failed(pod, str(exc))
            return
        with self._lock:
            self.ports[pod.metadata.uid] = f"{pod.metadata.name}.{pod.metadata.namespace}"
        try:
            self.core.patch_namespaced_pod(pod.metadata.name, pod.metadata.namespace,
                                           {"metadata": {"annotations": patch}})
        except Exception as exc:  # pylint: disable=broad-except  # gone meanwhile (404) or not: no port left
            self.forget(pod)
            if getattr(exc, "status", None) != 404:
                raise

    def forget(self, pod) -> None:
        self._drop(pod.metadata.uid, f"{pod.metadata.name}.{pod.metadata.namespace}")

    def _drop(self, uid: str, port: str) -> None:
        with self._lock:   # the watch and the delayed deletes
            port = self.ports.pop(uid, None) or port
            if port in self.ports.values():
                return
        self.dp.nbctl("--if-exists", "lsp-del", port, check=False)

    def _failed(self, pod, message: str) -> None:
        self._error(f"{pod.metadata.namespace}/{pod.metadata.name}: {message}")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.core.create_namespaced_event(pod.metadata.namespace, {
            "metadata": {"generateName": f"{pod.metadata.name}."},
            "involvedObject": {"kind": "Pod", "name": pod.metadata.name, "namespace": pod.metadata.namespace,
                               "uid": pod.metadata.uid, "apiVersion": "v1"},
            "reason": "AcquireAddressFailed", "message": message, "type": "Warning",
            "source": {"component": "kube-ovn-controller"}, "firstTimestamp": now, "lastTimestamp": now, "count": 1})

    def _error(self, message: str) -> None:
        self.errors = (self.errors + [message])[-self.ERRORS_KEPT:]

    def _safely(self, action, pod) -> None:
        """One pod's failure is recorded, never the end of the others' handling."""
        try:
            action(pod)
        except Exception as exc:  # pylint: disable=broad-except
            self._error(f"{pod.metadata.namespace}/{pod.metadata.name}: {exc}")

    def _allocate(self, pod) -> dict:
        name, namespace = pod.metadata.name, pod.metadata.namespace
        annotations = dict(pod.metadata.annotations or {})
        subnets = {s["metadata"]["name"]: s
                   for s in self.custom.list_cluster_custom_object("kubeovn.io", "v1", "subnets")["items"]}
        now = time.time()   # a terminating pod keeps its address until its deletion timestamp
        live = [p for p in self.core.list_pod_for_all_namespaces().items
                if not (p.metadata.deletion_timestamp and p.metadata.deletion_timestamp.timestamp() <= now)
                and (p.metadata.namespace, p.metadata.name) != (namespace, name)]
        switch = annotations.get(f"{OVN}.kubernetes.io/logical_switch") or "ovn-default"
        if switch not in subnets:
            raise CniError(f"logical switch {switch} of pod {namespace}/{name} has no Subnet")
        subnet = subnets[switch]
        taken = set().union(*(_annotation_ips(p, f"{OVN}.kubernetes.io/ip_address") for p in live))
        ip = _allocate(subnet, annotations.get(f"{OVN}.kubernetes.io/ip_pool"), taken,
                       annotations.get(f"{OVN}.kubernetes.io/ip_address"))
        patch = {f"{OVN}.kubernetes.io/ip_address": ip, f"{OVN}.kubernetes.io/mac_address": mac_for(ip.split(",")[0]),
                 f"{OVN}.kubernetes.io/cidr": subnet["spec"]["cidrBlock"],
                 f"{OVN}.kubernetes.io/gateway": subnet["spec"]["gateway"],
                 f"{OVN}.kubernetes.io/logical_switch": switch, f"{OVN}.kubernetes.io/allocated": "true"}
        external = _external_provider(annotations, namespace)
        if external:
            provider = external[2]
            candidates = [s for s in subnets.values() if s["spec"].get("provider") == provider]
            if not candidates:
                raise CniError(f"no Subnet has provider {provider}")
            taken = set().union(*(_annotation_ips(p, f"{provider}.kubernetes.io/ip_address") for p in live))
            ext_ip = _allocate(candidates[0], annotations.get(f"{provider}.kubernetes.io/ip_pool"), taken,
                               annotations.get(f"{provider}.kubernetes.io/ip_address"))
            patch.update({f"{provider}.kubernetes.io/ip_address": ext_ip,
                          f"{provider}.kubernetes.io/cidr": candidates[0]["spec"]["cidrBlock"],
                          f"{provider}.kubernetes.io/gateway": candidates[0]["spec"]["gateway"],
                          f"{provider}.kubernetes.io/logical_switch": candidates[0]["metadata"]["name"],
                          f"{provider}.kubernetes.io/allocated": "true"})
        lsp = f"{name}.{namespace}"
        self.dp.nbctl("--may-exist", "lsp-add", switch, lsp, "--", "lsp-set-addresses", lsp,
                      " ".join([mac_for(ip.split(",")[0]), *ip.split(",")]),
                      "--", "set", "Logical_Switch_Port", lsp, f"external_ids:pod={namespace}/{name}",
                      f"external_ids:ls={switch}", "external_ids:vendor=kube-ovn")
        patch[f"{OVN}.kubernetes.io/routed"] = "true"   # reconcileRouteSubnets: the pod has a node
        return patch

    def _relist(self) -> str:
        listed = self.core.list_pod_for_all_namespaces()
        ours = [pod for pod in listed.items if pod.spec.node_name in self.node_names]
        present = {pod.metadata.uid for pod in listed.items}
        with self._lock:
            known = dict(self.ports)
        for uid, port in known.items():   # deleted while no watch ran
            if uid not in present:
                self._drop(uid, port)
        for pod in ours:
            self._safely(self.handle, pod)
        return listed.metadata.resource_version

    def run(self, stop: threading.Event) -> None:
        """List, then watch from the last resourceVersion seen; list again only when the watch
        fails (410 Gone or a lost connection), as an informer does."""
        from kubernetes import watch  # pylint: disable=import-outside-toplevel

        version, delay = None, 0.2
        while not stop.is_set():
            try:
                if version is None:
                    version = self._relist()
                stream = watch.Watch()
                for event in stream.stream(self.core.list_pod_for_all_namespaces, timeout_seconds=5,
                                           resource_version=version):
                    pod = event["object"]
                    version = pod.metadata.resource_version
                    if pod.spec.node_name in self.node_names:
                        self._safely(self.forget if event["type"] == "DELETED" else self.handle, pod)
                    if stop.is_set():
                        break
                delay = 0.2
            except Exception as exc:  # pylint: disable=broad-except  # relist after a pause
                if not stop.is_set():
                    self._error(f"pod watch: {exc}")
                    version = None
                    time.sleep(delay)
                    delay = min(delay * 2, 5.0)


def _wait_routed(core, name: str, namespace: str, timeout=60):
    """kube-ovn-cni's wait for the controller: the pod's ``routed`` annotation, polled each second."""
    deadline = time.monotonic() + timeout
    while True:
        pod = core.read_namespaced_pod(name, namespace)
        if (pod.metadata.annotations or {}).get(f"{OVN}.kubernetes.io/routed") == "true":
            return pod
        if time.monotonic() > deadline:
            raise CniError(f"route is not ready for pod {namespace}/{name} provider {OVN} after {timeout}s "
                           "(see its AcquireAddressFailed events)")
        time.sleep(1)


def _pod_network(conf: dict, name: str, namespace: str) -> dict:
    """What the CNI part needs, from the annotations the controller part wrote."""
    core, custom = _clients(conf["kubeconfig"])
    annotations = dict(_wait_routed(core, name, namespace).metadata.annotations)
    out = {"ip": annotations[f"{OVN}.kubernetes.io/ip_address"], "cidr": annotations[f"{OVN}.kubernetes.io/cidr"],
           "gateway": annotations[f"{OVN}.kubernetes.io/gateway"], "annotations": annotations, "external": None}
    external = _external_provider(annotations, namespace)
    if external:
        nad_namespace, nad_name, provider = external
        nad = custom.get_namespaced_custom_object("k8s.cni.cncf.io", "v1", nad_namespace,
                                                  "network-attachment-definitions", nad_name)
        out["external"] = {"ip": annotations[f"{provider}.kubernetes.io/ip_address"],
                           "cidr": annotations[f"{provider}.kubernetes.io/cidr"],
                           "gateway": annotations[f"{provider}.kubernetes.io/gateway"],
                           "network": f"{nad_namespace}/{nad_name}", "provider": provider,
                           "nad_config": json.loads(nad["spec"]["config"])}
    return out


def _wait_ovn_installed(dp: Dataplane, host_if: str, timeout=30) -> None:
    deadline = time.monotonic() + timeout
    while dp.vsctl("--if-exists", "get", "Interface", host_if, "external_ids:ovn-installed",
                   check=False).strip('"') != "true":
        if time.monotonic() > deadline:
            raise CniError(f"ovs interface {host_if} is not ready after {timeout}s")
        time.sleep(0.5)


def _macvlan(conf: dict, command: str, container_id: str, netns: str, nad_config: dict, addresses=(),
             gateways=None, routes=()) -> dict:
    """Run Debian's macvlan plugin as Multus would, inside the external network's namespace
    (where the master link is)."""
    if nad_config.get("type") != "macvlan":
        raise CniError(f"the stand-in runs macvlan NADs only, not {nad_config.get('type')!r}")
    plugin_conf = {"cniVersion": CNI_VERSION, "name": nad_config.get("name", "net1"), "type": "macvlan",
                   "master": conf["external_master"], "mode": nad_config.get("mode", "bridge"),
                   "ipam": {"type": "static"}}
    if addresses:
        plugin_conf["ipam"] = {"type": "static",
                               "addresses": [{"address": address, "gateway": gateways[_family(address)]}
                                             for address, *_flags in addresses],
                               "routes": [{"dst": r["dst"], "gw": r["gw"]} for r in routes]}
    env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=container_id, CNI_NETNS=netns,
               CNI_IFNAME="net1", CNI_PATH=str(CNI_PLUGINS))
    proc = subprocess.run(["nsenter", f"--net=/run/netns/{conf['external_netns']}", str(CNI_PLUGINS / "macvlan")],
                          input=json.dumps(plugin_conf), capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise CniError(f"macvlan {command} failed: {proc.stdout.strip()} {proc.stderr.strip()}")
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def _host_ifname(dp: Dataplane, container_id: str) -> str:
    return f"{dp.prefix}{hashlib.sha256(container_id.encode()).hexdigest()}"[:15]


def cmd_add(conf: dict, args: dict) -> dict:
    dp = Dataplane.load(conf["dataplane"])
    name, namespace = args["K8S_POD_NAME"], args["K8S_POD_NAMESPACE"]
    container_id, netns_path = os.environ["CNI_CONTAINERID"], os.environ["CNI_NETNS"]
    netns = pathlib.Path(netns_path).name
    state_dir = pathlib.Path(conf["state_dir"])
    state_dir.mkdir(parents=True, exist_ok=True)
    ipam = _pod_network(conf, name, namespace)
    lsp = f"{name}.{namespace}"
    ips, cidrs, gateways = ipam["ip"].split(","), _by_family(ipam["cidr"]), _by_family(ipam["gateway"])
    mac = mac_for(ips[0])
    record = {"pod": f"{namespace}/{name}", "netns": netns_path, "lsp": lsp,
              "host_if": _host_ifname(dp, container_id), "external": None}
    (state_dir / f"{container_id}.json").write_text(json.dumps(record))
    with open(state_dir / "netns.list", "a") as seen:   # every sandbox's netns, for Nodes.stop()
        seen.write(netns_path + "\n")

    host_if = record["host_if"]
    run("ip", "link", "add", "eth0", "netns", netns, "type", "veth", "peer", "name", host_if, "netns", dp.ovs_ns)
    run("ip", "link", "set", "eth0", "address", mac, netns=netns)
    for address in _interface_addresses(ips, cidrs):
        run("ip", "addr", "add", *address, "dev", "eth0", netns=netns)
    for ns, dev in ((netns, "eth0"), (dp.ovs_ns, host_if)):
        # the userspace datapath does not fill in checksums that veth offload leaves out
        run("ethtool", "-K", dev, "tx", "off", "rx", "off", netns=ns)
        run("ip", "link", "set", dev, "up", netns=ns)
    run("ip", "link", "set", "lo", "up", netns=netns)
    dp.vsctl("add-port", dp.bridge, host_if, "--", "set", "Interface", host_if, f"external_ids:iface-id={lsp}",
             f"external_ids:pod_name={name}", f"external_ids:pod_namespace={namespace}")
    _wait_ovn_installed(dp, host_if)
    annotations = ipam["annotations"]
    for route in _routes(annotations, OVN):
        gateway = route.get("gw") or gateways[_family(route["dst"])]
        run("ip", "route", "replace", route["dst"], "via", gateway, "dev", "eth0", netns=netns)
    providers = [OVN] + ([ipam["external"]["provider"]] if ipam["external"] else [])
    defaults = {DEFAULT_ROUTES[r["dst"]] for p in providers for r in _routes(annotations, p)
                if r["dst"] in DEFAULT_ROUTES}
    for family in sorted(set(gateways) - defaults):   # a gateway pod's default leaves through net1
        run("ip", f"-{family}", "route", "add", "default", "via", gateways[family], "dev", "eth0", netns=netns)

    status = [{"name": "kube-ovn", "interface": "eth0", "ips": ips, "mac": mac, "default": True, "dns": {}}]
    external = ipam["external"]
    if external:
        routes = _routes(annotations, external["provider"])
        result = _macvlan(conf, "ADD", container_id, netns_path, external["nad_config"],
                          _interface_addresses(external["ip"].split(","), _by_family(external["cidr"])),
                          _by_family(external["gateway"]), routes)
        record["external"] = external["nad_config"]
        (state_dir / f"{container_id}.json").write_text(json.dumps(record))
        net1 = next((i for i in result.get("interfaces", []) if i.get("name") == "net1"), {})
        status.append({"name": external["network"], "interface": "net1", "ips": external["ip"].split(","),
                       "mac": net1.get("mac", ""), "dns": {}})
    core, _custom = _clients(conf["kubeconfig"])
    core.patch_namespaced_pod(name, namespace, {"metadata": {"annotations": {NETWORK_STATUS: json.dumps(status)}}})
    return {"cniVersion": CNI_VERSION,
            "interfaces": [{"name": "eth0", "mac": mac, "sandbox": netns_path}],
            "ips": [{"version": str(_family(ip)), "address": f"{ip}/{cidrs[_family(ip)].split('/')[1]}",
                     "gateway": gateways[_family(ip)], "interface": 0} for ip in ips],
            "dns": {}}


def _interface_addresses(ips: list, cidrs: dict) -> list:
    """``ip addr add`` arguments per address: its subnet's prefix length, and for IPv6 no duplicate
    address detection (the address is the pod's alone, and usable at once, as Kube-OVN's CNI sets it)."""
    return [(f"{ip}/{cidrs[_family(ip)].split('/')[1]}", *(("nodad",) if _family(ip) == 6 else ()))
            for ip in ips]


def cmd_del(conf: dict, _args: dict) -> dict:
    container_id = os.environ["CNI_CONTAINERID"]
    path = pathlib.Path(conf["state_dir"]) / f"{container_id}.json"
    if not path.exists():
        return {}
    record = json.loads(path.read_text())
    dp = Dataplane.load(conf["dataplane"])
    if record.get("external") and os.environ.get("CNI_NETNS"):
        with contextlib.suppress(CniError):
            _macvlan(conf, "DEL", container_id, os.environ["CNI_NETNS"], record["external"])
    dp.vsctl("--if-exists", "del-port", dp.bridge, record["host_if"], check=False)
    run("ip", "link", "del", record["host_if"], netns=dp.ovs_ns, check=False)
    path.unlink()
    return {}


def main() -> int:
    command = os.environ.get("CNI_COMMAND", "")
    if command == "VERSION":
        print(json.dumps({"cniVersion": CNI_VERSION, "supportedVersions": ["0.3.0", "0.3.1", CNI_VERSION]}))
        return 0
    conf = json.loads(sys.stdin.read())
    args = dict(item.split("=", 1) for item in os.environ.get("CNI_ARGS", "").split(";") if "=" in item)
    try:
        if command == "ADD":
            print(json.dumps(cmd_add(conf, args)))
        elif command == "DEL":
            cmd_del(conf, args)
        elif command != "CHECK":
            raise CniError(f"unknown CNI_COMMAND {command!r}")
    except Exception as exc:  # pylint: disable=broad-except  # every failure is a CNI error for the kubelet
        print(json.dumps({"cniVersion": CNI_VERSION, "code": 100, "msg": f"kube-ovn stand-in: {exc}"}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
