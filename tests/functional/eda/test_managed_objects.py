"""The VpcEgressGateway object as the source of truth (``egress_gateway_manage_objects: true``):
applied -> deployed, edited -> updated, deleted while the rulebook is down -> cleaned up through
the collection's finalizer once it is back.

Real kube-apiserver (with its controller-manager: Deployments make ReplicaSets make pods), real
ovsdb-server, real ansible-rulebook running the collection's rulebook, which runs the
``egress_gateway`` role. The gateway pods are scheduled and "run" by ``support.kube.NodeStandIn``
(no container runs; see its docstring); see eda_world for the rest of what stands in for Kube-OVN.
"""
from __future__ import annotations

import json

import pytest
from eda_world import EXTERNAL_SUBNET, NODES, converged, expected_rows, running_world, veg, wait_for
from kubernetes.client.rest import ApiException

from support import kube, nbworld

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]

FINALIZER = "egress-gateway.kubeovn.io/ansible-cleanup"
NAD_NAMESPACE = "kube-system"


@pytest.fixture(scope="module")
def managed(kube_cluster, tmp_path_factory):
    """The rulebook with managed objects, the external network's NAD, and the node stand-in."""
    with running_world(kube_cluster, tmp_path_factory.mktemp("eda-managed"), egress_gateway_manage_objects=True,
                       # no container runs here (node stand-in): any image name does
                       egress_gateway_image="localhost/kubeovn-egress-gateway:0.1.0") as world:
        kube.kube_ovn_objects(kube_cluster)  # the Vpc ovn-cluster with its status (defaultLogicalSwitch)
        world["api"].custom.create_namespaced_custom_object(
            "k8s.cni.cncf.io", "v1", NAD_NAMESPACE, "network-attachment-definitions", {
                "apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
                "metadata": {"name": EXTERNAL_SUBNET, "namespace": NAD_NAMESPACE},
                "spec": {"config": json.dumps({"cniVersion": "0.3.1", "type": "macvlan", "master": "eth1",
                                               "ipam": {"type": "kube-ovn",
                                                        "provider": f"{EXTERNAL_SUBNET}.{NAD_NAMESPACE}"}})}})
        stand_in = kube.NodeStandIn(kube_cluster, NODES, external_pool=[f"172.17.0.{i}" for i in range(100, 200)])
        stand_in.start()
        try:
            yield world
        finally:
            stand_in.stop()
            world["api"].custom.delete_namespaced_custom_object(
                "k8s.cni.cncf.io", "v1", NAD_NAMESPACE, "network-attachment-definitions", EXTERNAL_SUBNET)


def instances_of(api, ns, name) -> list:
    """The gateway's running pods as instances, read from the API (what the stand-in assigned)."""
    pods = api.core.list_namespaced_pod(ns, label_selector=f"ovn.kubernetes.io/vpc-egress-gateway={name}").items
    out = []
    for pod in pods:
        notes = pod.metadata.annotations or {}
        if pod.metadata.deletion_timestamp or pod.status.phase != "Running" or "ovn.kubernetes.io/ip_address" not in notes:
            continue
        out.append({"name": pod.metadata.name, "node": pod.spec.node_name,
                    "internal_ips": notes["ovn.kubernetes.io/ip_address"].split(","), "external_ips": []})
    return sorted(out, key=lambda i: i["name"])


def deployment_exists(api, ns, name) -> bool:
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    try:
        client.AppsV1Api(api.cluster.api_client()).read_namespaced_deployment(name, ns)
        return True
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise


def gateway_or_none(api, ns, name):
    try:
        return api.get_gateway(ns, name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def test_applied_edited_and_deleted_while_down(managed, kube_namespace):
    api, nb, ns = managed["api"], managed["nb"], kube_namespace
    key = f"{ns}/obj"
    gateway = veg(ns, "obj", selectors=[{"podSelector": {"matchLabels": {"app": "o"}}}])
    api.gateway(gateway)

    def completed():
        obj = api.get_gateway(ns, "obj")
        return obj if obj.get("status", {}).get("phase") == "Completed" else None

    obj = wait_for(completed, "the object deployed (status phase Completed)")
    assert FINALIZER in obj["metadata"]["finalizers"]
    assert deployment_exists(api, ns, "obj")
    instances = wait_for(lambda: instances_of(api, ns, "obj"), "the gateway's running pod")
    converged(managed, key, expected_rows(gateway, instances, []), "the rows of the applied object")

    # edited: the new policies reach the NB (the Deployment rolls, so the instances may change)
    policies = [{"snat": True, "ipBlocks": ["10.19.0.0/16", "10.20.0.0/16"]}]
    api.patch_gateway(ns, "obj", {"spec": {"policies": policies}})
    edited = veg(ns, "obj", selectors=gateway["spec"]["selectors"], policies=policies)
    wait_for(lambda: nbworld.owned_rows(nb, key) == expected_rows(edited, instances_of(api, ns, "obj"), []),
             "the rows of the edited object")
    generation = api.get_gateway(ns, "obj")["metadata"]["generation"]
    wait_for(lambda: api.get_gateway(ns, "obj")["metadata"]["annotations"].get(
        "egress-gateway.kubeovn.io/deployed-generation") == str(generation), "the deployed generation recorded")

    # deleted while the rulebook is down: the finalizer holds the object until the rulebook is back
    managed["rulebook"].stop()
    api.delete_gateway(ns, "obj")
    held = api.get_gateway(ns, "obj")
    assert held["metadata"].get("deletionTimestamp") and FINALIZER in held["metadata"]["finalizers"]
    assert nbworld.owned_rows(nb, key)["Logical_Router_Policy"], "the rows stay while nobody cleans up"
    managed["rulebook"].start()
    wait_for(lambda: gateway_or_none(api, ns, "obj") is None, "the object gone after the cleanup")
    assert not deployment_exists(api, ns, "obj")
    assert nbworld.owned_rows(nb, key) == {"BFD": [], "Logical_Router_Policy": [], "Port_Group": [], "Address_Set": []}
