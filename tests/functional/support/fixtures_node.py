"""Fixtures: a Kubernetes cluster whose pods really run, on the single-machine OVN data plane.

``kube_node_world`` (one per test module): the OVN 25.03 data plane (support/dataplane.py, plus
``subnet2`` 10.18.0.0/16 for the seed document's ipBlocks), its own kube-apiserver with
**Kube-OVN v1.14's own CRD manifests** (../shared/reference/upstream/) and the collection's
NetworkAttachmentDefinition CRD (Multus' is not in that file), three real nodes (containerd +
kubelet each, one kube-scheduler: support/node.py) networked by the CNI stand-in, and the
objects Kube-OVN's controller would keep: the Vpc ``ovn-cluster`` (router ``lr0`` of the data
plane), the Subnets of its logical switches and their 31000 "allow" router policies. Gateway pods are scheduled by the real scheduler,
started by the real kubelets and run the gateway image (``make image``).
"""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
import tempfile

import pytest
import yaml

from support import kube
from support.ansible import REPO, run_playbook
from support.dataplane import (CLIENT_CIDR, CLIENT_CIDR6, CLIENT_GW, CLIENT_GW6, CLIENT_SWITCH, CHASSIS,
                               EXTERNAL_CIDR, EXTERNAL_CIDR6, EXTERNAL_GW, EXTERNAL_GW6, INTERNAL_CIDR, INTERNAL_CIDR6,
                               INTERNAL_GW, INTERNAL_GW6, INTERNAL_SWITCH, JOIN_CIDR, JOIN_CIDR6, JOIN_SWITCH,
                               NODE_EXTERNAL_IP, NODE_EXTERNAL_IP6, ROUTER, Dataplane, run)
from support.node import Nodes

UPSTREAM_CRDS = REPO.parent / "shared" / "reference" / "upstream" / "kube-ovn-v1.14.0-crd.yaml"
FORWARD_SWITCH, FORWARD_CIDR, FORWARD_GW = "subnet2", "10.18.0.0/16", "10.18.0.1"
# dual-stack worlds: an IPv6-only internal subnet, and an IPv6-only external one on the same
# network as the dual-stack NAD's (addresses from ::100 up, the dual-stack one's stay below)
V6_SWITCH, V6_CIDR, V6_GW = "subnet6", "fd00:10:19::/64", "fd00:10:19::1"
V6_NAD = "macvlan6"
VPC = "ovn-cluster"
NAD = "macvlan1"


def upstream_crds() -> list:
    path = pathlib.Path(os.environ.get("KUBE_OVN_CRDS", UPSTREAM_CRDS))
    if not path.exists():
        pytest.skip(f"Kube-OVN's CRD manifests not found at {path} (set KUBE_OVN_CRDS)")
    return [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "CustomResourceDefinition"]


class KubeNodeWorld:
    """What a test sees: ``dp`` (data plane), ``cluster``, ``nodes`` and helpers.

    ``dual_stack``: IPv6 beside IPv4 on the data plane (support/dataplane.py), the Subnets
    ``ovn-default`` and ``subnet1`` and the external network dual-stack (``v4,v6``, as Kube-OVN
    writes them; ``subnet2`` stays IPv4), the IPv6-only Subnet ``subnet6`` and external Subnet
    ``macvlan6`` (``external_network_vars_v6``), the VPC's BFD port with both addresses, and the
    API server with Kubernetes 1.20's IPv6DualStack gate, without which a pod keeps one IP only."""

    def __init__(self, workdir: pathlib.Path, dual_stack: bool = False):
        self.workdir = workdir
        self.dual_stack = dual_stack
        self.dp = Dataplane(workdir=workdir / "dp", prefix=f"vegK{os.getpid() % 100000}{'d' if dual_stack else ''}",
                            dual_stack=dual_stack)
        self.cluster = kube.Cluster(workdir / "kube", feature_gates="IPv6DualStack=true" if dual_stack else "")
        self.nodes = None

    def both(self, v4: str, v6: str) -> str:
        """A Kube-OVN ``v4,v6`` value in a dual-stack world, else the IPv4 one."""
        return f"{v4},{v6}" if self.dual_stack else v4

    def start(self):
        """The control plane, then the three nodes."""
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        self.start_control_plane()
        core = client.CoreV1Api(self.cluster.api_client())
        self.nodes = Nodes(self.cluster, self.dp, 3, workdir=self.workdir / "nodes",
                           labels={1: {"egress": "true"}, 2: {"egress": "true"}}).start()
        for name in self.nodes.names:
            # Kube-OVN's controller writes each node's OVN chassis; all nodes share this one
            core.patch_node(name, {"metadata": {"annotations": {"ovn.kubernetes.io/chassis": CHASSIS}}})
        return self

    def start_control_plane(self):
        """Data plane, apiserver with Kube-OVN's CRDs, the Vpc, Subnets and namespaces (no node)."""
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        self.dp.start()
        self.dp.add_switch(FORWARD_SWITCH, FORWARD_GW, FORWARD_CIDR)
        self.dp.count_leaks(FORWARD_CIDR)
        if self.dual_stack:
            self.dp.add_switch(V6_SWITCH, None, None, V6_GW, V6_CIDR)
        self.cluster.start()
        nad_crd = yaml.safe_load((kube.CRDS / "network-attachment-definitions.k8s.cni.cncf.io.yaml").read_text())
        kube.install_crds(self.cluster, documents=upstream_crds() + [nad_crd])
        custom = client.CustomObjectsApi(self.cluster.api_client())
        custom.create_cluster_custom_object("kubeovn.io", "v1", "vpcs", {
            "apiVersion": "kubeovn.io/v1", "kind": "Vpc", "metadata": {"name": VPC},
            "spec": {"bfdPort": {"enabled": True, "ip": self.both(INTERNAL_GW, INTERNAL_GW6)}}})
        custom.patch_cluster_custom_object_status("kubeovn.io", "v1", "vpcs", VPC, {"status": {
            "router": ROUTER, "defaultLogicalSwitch": INTERNAL_SWITCH, "default": True, "standby": True,
            "subnets": [INTERNAL_SWITCH, CLIENT_SWITCH, FORWARD_SWITCH, *([V6_SWITCH] if self.dual_stack else [])]}})
        for name, cidr, gateway in ((INTERNAL_SWITCH, self.both(INTERNAL_CIDR, INTERNAL_CIDR6),
                                     self.both(INTERNAL_GW, INTERNAL_GW6)),
                                    (CLIENT_SWITCH, self.both(CLIENT_CIDR, CLIENT_CIDR6), self.both(CLIENT_GW, CLIENT_GW6)),
                                    (FORWARD_SWITCH, FORWARD_CIDR, FORWARD_GW),
                                    *([(V6_SWITCH, V6_CIDR, V6_GW)] if self.dual_stack else [])):
            custom.create_cluster_custom_object("kubeovn.io", "v1", "subnets", {
                "apiVersion": "kubeovn.io/v1", "kind": "Subnet", "metadata": {"name": name},
                "spec": {"protocol": "Dual" if "," in cidr else "IPv6" if ":" in cidr else "IPv4",
                         "provider": "ovn", "cidrBlock": cidr,
                         "gateway": gateway, "vpc": VPC, "excludeIps": gateway.split(",")}})
        subnet_cidrs = [(INTERNAL_SWITCH, INTERNAL_CIDR), (CLIENT_SWITCH, CLIENT_CIDR),
                        (FORWARD_SWITCH, FORWARD_CIDR), (JOIN_SWITCH, JOIN_CIDR)]
        if self.dual_stack:
            subnet_cidrs += [(INTERNAL_SWITCH, INTERNAL_CIDR6), (CLIENT_SWITCH, CLIENT_CIDR6), (JOIN_SWITCH, JOIN_CIDR6),
                             (V6_SWITCH, V6_CIDR)]
        for name, cidr in subnet_cidrs:
            # Kube-OVN's controller gives every Subnet of a VPC a 31000 "allow" policy per family
            # (addCommonRoutesForSubnet): traffic inside the VPC never takes a gateway's reroute
            family = 6 if ":" in cidr else 4
            self.dp.nbctl("--", "--id=@p", "create", "Logical_Router_Policy", "priority=31000",
                          f'match="ip{family}.dst == {cidr}"', "action=allow", "external_ids:vendor=kube-ovn",
                          f"external_ids:subnet={name}", "--", "add", "Logical_Router", ROUTER, "policies", "@p")
        core = client.CoreV1Api(self.cluster.api_client())
        # API 1.20 does not set this label itself yet (1.21+ does); the seed's selector uses it
        for namespace in ("default", "other"):
            if namespace != "default":
                kube.create_namespace(self.cluster, namespace)
            core.patch_namespace(namespace, {"metadata": {"labels": {"kubernetes.io/metadata.name": namespace}}})
        return self

    def stop(self):
        if self.nodes:
            self.nodes.stop()
        self.cluster.stop()
        self.dp.stop()

    # ---- acting as a user ------------------------------------------------------------------
    def env(self) -> dict:
        return {"K8S_AUTH_KUBECONFIG": str(self.cluster.kubeconfig)}

    def playbook(self, name, check=True, **variables):
        """playbooks/<name>.yml of the collection (or a playbook path), as a user runs it, against
        this cluster and NB."""
        base = {"egress_gateway_nb_connection": self.dp.nb_remote, "egress_gateway_image": self.nodes.image,
                "egress_gateway_wait_delay": 2, "egress_gateway_wait_timeout": 240}
        path = name if isinstance(name, pathlib.Path) else REPO / "playbooks" / f"{name}.yml"
        return run_playbook(path, extra_vars={**base, **variables}, env=self.env(),
                            check=check)

    def external_network_vars(self) -> dict:
        return {"egress_gateway_network_attachment": {"name": NAD, "namespace": "default", "master": "eth1"},
                "egress_gateway_external_subnet": {
                    "name": NAD, "provider": f"{NAD}.default", "protocol": "Dual" if self.dual_stack else "IPv4",
                    "cidr_block": self.both(EXTERNAL_CIDR, EXTERNAL_CIDR6), "gateway": self.both(EXTERNAL_GW, EXTERNAL_GW6),
                    "exclude_ips": [f"{EXTERNAL_GW}..172.17.0.10", NODE_EXTERNAL_IP]
                    + ([f"{EXTERNAL_GW6}..fd00:172:17::10", NODE_EXTERNAL_IP6] if self.dual_stack else [])}}

    def external_network_vars_v6(self) -> dict:
        """The IPv6-only NAD and external Subnet of a dual-stack world."""
        return {"egress_gateway_network_attachment": {"name": V6_NAD, "namespace": "default", "master": "eth1"},
                "egress_gateway_external_subnet": {
                    "name": V6_NAD, "provider": f"{V6_NAD}.default", "protocol": "IPv6", "cidr_block": EXTERNAL_CIDR6,
                    "gateway": EXTERNAL_GW6, "exclude_ips": [f"{EXTERNAL_GW6}..fd00:172:17::ff", NODE_EXTERNAL_IP6]}}

    def core(self):
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        return client.CoreV1Api(self.cluster.api_client())

    def custom(self):
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        return client.CustomObjectsApi(self.cluster.api_client())

    def apps(self):
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        return client.AppsV1Api(self.cluster.api_client())

    def gateway_pods(self, name: str, namespace="default") -> list:
        pods = self.core().list_namespaced_pod(namespace, label_selector=f"ovn.kubernetes.io/vpc-egress-gateway={name}")
        return [p for p in pods.items if not p.metadata.deletion_timestamp]

    def wait_gone(self, name: str, timeout=120):
        """Until no pod of the gateway is left (terminating ones included)."""
        import time  # pylint: disable=import-outside-toplevel

        deadline = time.monotonic() + timeout
        while self.core().list_namespaced_pod(
                "default", label_selector=f"ovn.kubernetes.io/vpc-egress-gateway={name}").items:
            assert time.monotonic() < deadline, f"pods of {name} still there after {timeout}s"
            time.sleep(1)

    def nb_rows_of(self, name: str) -> dict:
        """The NB rows that carry the gateway's external id, by table."""
        key = f"external_ids:vpc-egress-gateway=default/{name}"
        return {table: self.dp.nbctl("--bare", "--columns=_uuid", "find", table, key).split()
                for table in ("Logical_Router_Policy", "Port_Group", "Address_Set", "BFD",
                              "Logical_Router_Static_Route")}

    def bfdd_pids(self, name: str) -> list[int]:
        """The bfdd processes of the gateway's pods (each in its pod's network namespace)."""
        pids = []
        for pod in self.gateway_pods(name):
            netns = self.nodes.pod_netns("default", pod.metadata.name)
            for pid in run("ip", "netns", "pids", netns).split():
                comm = pathlib.Path(f"/proc/{pid}/comm")
                if comm.exists() and comm.read_text().strip() == "bfdd":
                    pids.append(int(pid))
        return pids

    def veg(self, name: str, namespace="default") -> dict:
        return self.custom().get_namespaced_custom_object("kubeovn.io", "v1", namespace, "vpc-egress-gateways", name)

    def client_pod(self, name: str, namespace: str, switch: str, labels=None) -> dict:
        """A real pod on ``switch`` running the gateway image's ``sleep`` (see ``running``)."""
        self.core().create_namespaced_pod(namespace, {
            "metadata": {"name": name, "labels": labels or {"app": "client"},
                         "annotations": {"ovn.kubernetes.io/logical_switch": switch}},
            "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
                "name": "client", "image": self.nodes.image, "imagePullPolicy": "IfNotPresent",
                "command": ["sleep", "infinity"]}]}})
        return {"name": name, "namespace": namespace}

    def running(self, pod: dict, timeout=180) -> dict:
        import time  # pylint: disable=import-outside-toplevel

        deadline = time.monotonic() + timeout
        while True:
            obj = self.core().read_namespaced_pod(pod["name"], pod["namespace"])
            if obj.status.phase == "Running" and obj.status.pod_ip:
                return {**pod, "ip": obj.status.pod_ip, "node": obj.spec.node_name,
                        "netns": self.nodes.pod_netns(pod["namespace"], pod["name"])}
            if time.monotonic() > deadline:
                raise AssertionError(f"pod {pod} not Running after {timeout}s: {obj.status}; the CNI stand-in's "
                                     f"controller part: {self.nodes.addresses.errors[-5:] if self.nodes.addresses else []}")
            time.sleep(1)


@contextlib.contextmanager
def node_world(dual_stack: bool = False):
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"vegK{os.getpid()}-"))
    world = KubeNodeWorld(workdir, dual_stack=dual_stack)
    try:
        yield world.start()
    finally:
        world.stop()
        if not os.environ.get("VEGF_KEEP_WORKDIR"):
            import shutil  # pylint: disable=import-outside-toplevel

            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def kube_node_world():
    with node_world() as world:
        yield world


@pytest.fixture(scope="module")
def kube_node_world_dual_stack():
    with node_world(dual_stack=True) as world:
        yield world


def dump(obj) -> str:
    return json.dumps(obj, indent=1, default=str)
