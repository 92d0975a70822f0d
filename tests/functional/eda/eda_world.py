"""A cluster for the Event-Driven Ansible tests: real kube-apiserver, real ovsdb-server, real ansible-rulebook.

What stands in for what cannot run here, plainly:
- Kube-OVN's controller and CNI: the tests write what they would. A selected pod is an API object
  created with the annotations Kube-OVN writes once it has allocated the pod
  (``ovn.kubernetes.io/allocated``, ``logical_switch``), and its Logical_Switch_Port
  ``<pod>.<namespace>`` is inserted into the NB by the test (Kube-OVN creates the LSP before it
  annotates the pod: the tests do the same, LSP first).
- kubelet and scheduler: no container runs. Gateway pods are created bound to a Node object
  (``spec.nodeName``) and the test writes the status a kubelet reports (Running, podIPs).
- kube-ovn-controller v1.14's start-up GC of port groups: ``gc_port_groups_v114``
  (support.kube_ovn_controller).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import time

from support import kube
from support.nbworld import owned_rows
from support.ovsdb import SCHEMAS, NbDatabase, ovs_map, py_set
from support.rulebook import Rulebook

ROUTER = "ovn-cluster"
SWITCH = "ovn-default"
EXTERNAL_SUBNET = "vege-ext"
# generous: on a loaded 2-core machine one ansible-rulebook action took 20 s (its start alone 9 s)
CONVERGE_TIMEOUT = 240
NODES = ("vege-node1", "vege-node2")


def port_group(key: str) -> str:
    return "VEG." + hashlib.sha256(key.encode()).hexdigest()[:12]


def wait_for(predicate, what, timeout=CONVERGE_TIMEOUT, interval=0.2):
    """Poll until ``predicate()`` is truthy (the end state is asserted, never a duration)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


# -- the NB, written as Kube-OVN would --------------------------------------------------------------

def build_nb(nb) -> dict:
    """The VPC router, the pods' switch, and a node port group Kube-OVN keeps (``np`` set)."""
    router = nb.insert("Logical_Router", {"name": ROUTER})
    switch = nb.insert("Logical_Switch", {"name": SWITCH})
    nb.insert("Port_Group", {"name": "node.vege.node1", "external_ids": ovs_map({"np": "node/vege-node1"})})
    return {"router": router, "switch": switch}


def add_lsp(nb, switch, name):
    nb.transact({"op": "insert", "table": "Logical_Switch_Port", "row": {"name": name}, "uuid-name": "p"},
                {"op": "mutate", "table": "Logical_Switch", "where": [["_uuid", "==", ["uuid", switch]]],
                 "mutations": [["ports", "insert", ["set", [["named-uuid", "p"]]]]]})


def add_lsps(nb, switch, names, chunk=250):
    names = list(names)
    for start in range(0, len(names), chunk):
        part = names[start:start + chunk]
        ops = [{"op": "insert", "table": "Logical_Switch_Port", "row": {"name": n}, "uuid-name": f"p{i}"}
               for i, n in enumerate(part)]
        ops.append({"op": "mutate", "table": "Logical_Switch", "where": [["_uuid", "==", ["uuid", switch]]],
                    "mutations": [["ports", "insert", ["set", [["named-uuid", f"p{i}"] for i in range(len(part))]]]]})
        nb.transact(*ops)


def del_lsps(nb, switch, names):
    wanted = set(names)
    uuids = [r["_uuid"][1] for r in nb.select("Logical_Switch_Port") if r["name"] in wanted]
    if uuids:
        nb.transact({"op": "mutate", "table": "Logical_Switch", "where": [["_uuid", "==", ["uuid", switch]]],
                     "mutations": [["ports", "delete", ["set", [["uuid", u] for u in uuids]]]]})


def members(nb, key) -> list | None:
    """The port group's members by LSP name (None: no such port group)."""
    names = {r["_uuid"][1]: r["name"] for r in nb.select("Logical_Switch_Port")}
    for row in nb.select("Port_Group", [["name", "==", port_group(key)]]):
        return sorted(names.get(u, u) for u in py_set(row["ports"]))
    return None


def expected_rows(veg: dict, instances: list, pod_ports: list, subnet_cidrs: dict | None = None) -> dict:
    """What the spec model wants, in nbworld.owned_rows' form (port group members: the ports given)."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import (  # pylint: disable=import-outside-toplevel
        parse_gateway,
    )
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import (  # pylint: disable=import-outside-toplevel
        desired_rows,
    )

    rows = desired_rows(parse_gateway(veg), ROUTER, None, instances, pod_ports, subnet_cidrs or {}, {})
    return {
        "BFD": [],
        "Logical_Router_Policy": sorted((ROUTER, p["priority"], p["match"], p["action"], sorted(p["nexthops"]), [],
                                         p["external_ids"]["af"]) for p in rows["policies"]),
        "Port_Group": sorted((pg["name"], sorted(pg["ports"])) for pg in rows["port_groups"]),
        "Address_Set": sorted((a["name"], sorted(a["addresses"]), a["external_ids"]["af"])
                              for a in rows["address_sets"]),
    }


def nb_holds(nb, key, want) -> bool:
    return owned_rows(nb, key) == want


def converged(world, key, want, what):
    """Wait until the NB holds ``want`` for the gateway; show the rulebook's log if it never does."""
    try:
        wait_for(lambda: nb_holds(world["nb"], key, want), what)
    except AssertionError:
        print(world["rulebook"].log.read_text(errors="replace")[-6000:])
        raise


# -- the API, written as Kube-OVN and a kubelet would --------------------------------------------------

class Api:
    def __init__(self, cluster):
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        self.cluster = cluster
        self.core = client.CoreV1Api(cluster.api_client())
        self.custom = client.CustomObjectsApi(cluster.api_client())

    def subnet(self, name, cidr, provider="ovn", vpc=ROUTER):
        body = {"apiVersion": "kubeovn.io/v1", "kind": "Subnet", "metadata": {"name": name},
                "spec": {"cidrBlock": cidr, "provider": provider, "vpc": vpc, "protocol": "IPv4"}}
        self.custom.create_cluster_custom_object("kubeovn.io", "v1", "subnets", body)

    def set_subnet_cidr(self, name, cidr):
        self.custom.patch_cluster_custom_object("kubeovn.io", "v1", "subnets", name, {"spec": {"cidrBlock": cidr}})

    def gateway(self, veg):
        ns = veg["metadata"]["namespace"]
        return self.custom.create_namespaced_custom_object("kubeovn.io", "v1", ns, "vpc-egress-gateways", veg)

    def patch_gateway(self, ns, name, patch):
        return self.custom.patch_namespaced_custom_object("kubeovn.io", "v1", ns, "vpc-egress-gateways", name, patch)

    def get_gateway(self, ns, name):
        return self.custom.get_namespaced_custom_object("kubeovn.io", "v1", ns, "vpc-egress-gateways", name)

    def delete_gateway(self, ns, name):
        self.custom.delete_namespaced_custom_object("kubeovn.io", "v1", ns, "vpc-egress-gateways", name)

    def pod(self, ns, name, labels):
        """A pod as Kube-OVN leaves it once allocated (its LSP exists: create it first)."""
        self.core.create_namespaced_pod(ns, {
            "metadata": {"name": name, "labels": labels,
                         "annotations": {"ovn.kubernetes.io/allocated": "true",
                                         "ovn.kubernetes.io/logical_switch": SWITCH}},
            "spec": {"containers": [{"name": "c", "image": "stand-in"}]}})

    def relabel(self, ns, name, labels):
        self.core.patch_namespaced_pod(name, ns, {"metadata": {"labels": labels}})

    def delete_pod(self, ns, name):
        self.core.delete_namespaced_pod(name, ns, grace_period_seconds=0)

    def gateway_pod(self, ns, gateway, name, node, ip):
        """A gateway instance: bound to ``node``, with the status a kubelet would report."""
        self.core.create_namespaced_pod(ns, {
            "metadata": {"name": name, "labels": {"app": "vpc-egress-gateway",
                                                  "ovn.kubernetes.io/vpc-egress-gateway": gateway}},
            "spec": {"nodeName": node, "containers": [{"name": "gateway", "image": "stand-in"}]}})
        self.core.patch_namespaced_pod_status(name, ns, {"status": {
            "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
            "conditions": [{"type": "Ready", "status": "True"}]}})
        return {"name": name, "node": node, "internal_ips": [ip], "external_ips": []}

    def label_namespace(self, ns, labels):
        self.core.patch_namespace(ns, {"metadata": {"labels": labels}})

    def events_of(self, ns, name):
        return [e for e in self.core.list_namespaced_event(ns).items if e.involved_object.name == name]


def veg(ns, name, **spec):
    body = {"externalSubnet": EXTERNAL_SUBNET, "policies": [{"snat": True, "ipBlocks": ["10.18.0.0/16"]}]}
    body.update(spec)
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": name, "namespace": ns}, "spec": body}


# -- the world -----------------------------------------------------------------------------------------

@contextlib.contextmanager
def running_world(kube_cluster, workdir, rulebook_args=(), **rulebook_vars):
    """One NB, the external and policy subnets, two nodes, and the rulebook running with
    ``rulebook_vars`` (its vars.yml); everything it made is removed afterwards."""
    nb = NbDatabase(workdir, "7.11.0")
    assert SCHEMAS["7.11.0"].exists(), "run hack/install-ovn.sh"
    nb.start_standalone()
    nb.uuids = build_nb(nb)
    api = Api(kube_cluster)
    # other tests of the same cluster may have left ovn-default (kube.kube_ovn_objects): kept as found
    existing = {s["metadata"]["name"] for s in api.custom.list_cluster_custom_object("kubeovn.io", "v1", "subnets")["items"]}
    made = [name for name in (EXTERNAL_SUBNET, "ovn-default") if name not in existing]
    if EXTERNAL_SUBNET in made:
        api.subnet(EXTERNAL_SUBNET, "172.17.0.0/16", provider=f"{EXTERNAL_SUBNET}.kube-system")
    if "ovn-default" in made:
        api.subnet("ovn-default", "10.16.0.0/16")
    for node in NODES:
        kube.add_node(kube_cluster, node)
    rulebook = Rulebook(workdir, kube_cluster, nb.connection, **rulebook_vars).start(extra_args=rulebook_args)
    try:
        yield {"nb": nb, "api": api, "rulebook": rulebook, "tag": str(os.getpid()), "switch": nb.uuids["switch"]}
    finally:
        rulebook.stop()
        nb.stop()
        for node in NODES:
            api.core.delete_node(node)
        for name in made:
            api.custom.delete_cluster_custom_object("kubeovn.io", "v1", "subnets", name)
