"""Stand-in for kube-ovn-controller v1.14 running a cluster's VpcEgressGateways (it cannot run
here: no Kube-OVN image, no container registry). It plays what the collection meets, through the
real kube-apiserver and the real NB, following v1.14.0's pkg/controller/vpc_egress_gateway.go:

- a Deployment ``kube-system/kube-ovn-controller`` with v1.14.0's image (or the one given), its pod
  made Ready by a ``NodeStandIn`` (no container runs), so that ``kube_ovn_info`` finds a running
  v1.14 controller;
- for every VpcEgressGateway of one namespace: the gateway Deployment as v1.14 builds it (the
  collection's builder, which copies v1.14's, with Kube-OVN's own image as v1.14 uses), then, once
  its pods run, the NB rows (written with ``ovn_egress_gateway``: the rows of a correct v1.14
  reconcile) and the status ``ready: true``, phase ``Completed``, condition ``Ready=True``;
- ``gc_port_groups()``: its start-up GC (``gcSecurityGroup``), which deletes the gateway's port group.

v1.14's known row bugs (#7247 a missing address set, #6927 an empty BFD session, BFD intervals
never updated, #6100 stale subnet CIDRs) are not played here: tests/functional/coexistence/
test_audit.py writes those rows into a real NB itself and checks the audit names each one.
"""
from __future__ import annotations

import threading
import time

from ansible_collections.kubeovn.egress_gateway.plugins.filter.workload import veg_instances, veg_workload
from support import kube
from support.ansible import run_module
from support.ovsdb import py_map

IMAGE = "docker.io/kubeovn/kube-ovn:v1.14.0"
LABELS = {"app": "kube-ovn-controller"}


class KubeOvnControllerStandIn:
    def __init__(self, cluster, nodes, namespace, nb, pod_ports=(), image=IMAGE):
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        self.apps = client.AppsV1Api(cluster.api_client())
        self.core = client.CoreV1Api(cluster.api_client())
        self.custom = client.CustomObjectsApi(cluster.api_client())
        self.cluster, self.namespace, self.nb, self.pod_ports = cluster, namespace, nb, list(pod_ports)
        self.image = image   # of its own Deployment (what tells the collection its version)
        self.node = kube.NodeStandIn(cluster, nodes, label_selector="app=kube-ovn-controller")
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kube-ovn-controller-stand-in", daemon=True)
        self._done: set[str] = set()

    def start(self):
        self.apps.create_namespaced_deployment("kube-system", {
            "metadata": {"name": "kube-ovn-controller"},
            "spec": {"replicas": 1, "selector": {"matchLabels": LABELS}, "template": {"metadata": {"labels": LABELS},
                     "spec": {"containers": [{"name": "kube-ovn-controller", "image": self.image}]}}}})
        self.node.start()
        deadline = time.monotonic() + 120
        while not (self.apps.read_namespaced_deployment("kube-ovn-controller", "kube-system").status.ready_replicas):
            assert time.monotonic() < deadline, "the kube-ovn-controller stand-in's pod not ready"
            time.sleep(0.3)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)
        self.node.stop()
        self.apps.delete_namespaced_deployment("kube-ovn-controller", "kube-system")

    def _run(self):
        while not self._stop.is_set():
            try:
                for veg in self.custom.list_namespaced_custom_object(
                        "kubeovn.io", "v1", self.namespace, "vpc-egress-gateways")["items"]:
                    self._reconcile(veg)
            except Exception as exc:  # pylint: disable=broad-except  # shown by the test, never hidden
                self.errors.append(repr(exc))
            self._stop.wait(0.3)

    def _reconcile(self, veg):
        name = veg["metadata"]["name"]
        vpc = self.custom.get_cluster_custom_object("kubeovn.io", "v1", "vpcs", veg["spec"].get("vpc") or "ovn-cluster")
        subnets = self.custom.list_cluster_custom_object("kubeovn.io", "v1", "subnets")["items"]
        plan = veg_workload(veg, vpc, subnets, self.image, veg["metadata"]["uid"])
        deployment = plan["deployment"]
        existing = self.apps.list_namespaced_deployment(self.namespace, field_selector=f"metadata.name={name}").items
        if not existing:
            self.apps.create_namespaced_deployment(self.namespace, deployment)
            return
        key = f"{name}/{veg['metadata']['generation']}"
        if key in self._done or not existing[0].status.ready_replicas:
            return
        pods = self.core.api_client.sanitize_for_serialization(
            self.core.list_namespaced_pod(self.namespace,
                                          label_selector=f"ovn.kubernetes.io/vpc-egress-gateway={name}").items)
        instances = veg_instances(pods, plan["external_provider"])
        written = run_module("ovn_egress_gateway", {
            "connection": self.nb.connection, "spec": veg, "router": plan["router"], "instances": instances,
            "pod_ports": self.pod_ports, "subnet_cidrs": plan["subnet_cidrs"],
            **({"bfd_port": plan["bfd_port"]} if veg["spec"].get("bfd", {}).get("enabled") else {})})
        if written.get("failed"):
            raise RuntimeError(written["msg"])
        status = {
            "ready": True, "phase": "Completed", "replicas": len(instances),
            "internalIPs": [ip for i in instances for ip in i["internal_ips"]],
            "externalIPs": [ip for i in instances for ip in i["external_ips"]],
            "workload": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment["metadata"]["name"],
                         "nodes": sorted({i["node"] for i in instances})},
            "conditions": [{"type": "Ready", "status": "True", "reason": "ReconcileSuccess",
                            "observedGeneration": veg["metadata"]["generation"],
                            "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]}
        self.custom.patch_namespaced_custom_object_status("kubeovn.io", "v1", self.namespace, "vpc-egress-gateways",
                                                          name, {"status": status})
        self._done.add(key)

    def gc_port_groups(self) -> list:
        return gc_port_groups_v114(self.nb)


def gc_port_groups_v114(nb) -> list:
    """kube-ovn-controller v1.14.0's start-up GC (pkg/controller/gc.go gcSecurityGroup): every port
    group except the deny-all and default security-group ones and those with ``external_ids:np``,
    whose ``external_ids:sg`` is not a SecurityGroup (there are none here), in one transaction."""
    keep = {"ovn.sg.kubeovn_deny_all", "ovn.sg.kubeovn_default"}
    doomed = [r for r in nb.select("Port_Group") if r["name"] not in keep and not py_map(r["external_ids"]).get("np")]
    if doomed:
        nb.transact(*[{"op": "delete", "table": "Port_Group", "where": [["_uuid", "==", ["uuid", r["_uuid"][1]]]]}
                      for r in doomed])
    return [r["name"] for r in doomed]
