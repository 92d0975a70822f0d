"""The kube-apiserver harness itself: CRDs accept the seed document's objects, Deployments get pods,
and the node stand-in (no kubelet here: it writes pod status and annotations through the API)
makes them Ready."""
from __future__ import annotations

import json
import time

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from support import kube

pytestmark = [pytest.mark.kube]


def test_custom_resources_round_trip(kube_cluster, kube_namespace):
    """A custom-resource write is what crashed the unpatched apiserver (reflect2 under Go >= 1.18)."""
    custom = client.CustomObjectsApi(kube_cluster.api_client())
    body = {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": "gateway1", "namespace": kube_namespace},
            "spec": {"externalSubnet": "macvlan1", "policies": [{"snat": True, "ipBlocks": ["10.18.0.0/16"]}]}}
    custom.create_namespaced_custom_object("kubeovn.io", "v1", kube_namespace, "vpc-egress-gateways", body)
    stored = custom.get_namespaced_custom_object("kubeovn.io", "v1", kube_namespace, "vpc-egress-gateways", "gateway1")
    # CRD defaults applied by the server, as Kube-OVN's CRD does
    assert stored["spec"]["replicas"] == 1
    assert stored["spec"]["trafficPolicy"] == "Cluster"
    assert stored["spec"]["policies"][0]["snat"] is True
    custom.patch_namespaced_custom_object_status(
        "kubeovn.io", "v1", kube_namespace, "vpc-egress-gateways", "gateway1",
        {"status": {"replicas": 1, "labelSelector": "app=vpc-egress-gateway", "phase": "Completed", "ready": True}})
    scale = custom.get_namespaced_custom_object_scale("kubeovn.io", "v1", kube_namespace, "vpc-egress-gateways",
                                                      "gateway1")
    assert scale["spec"]["replicas"] == 1 and scale["status"]["selector"] == "app=vpc-egress-gateway"
    with pytest.raises(ApiException) as bad:
        custom.create_namespaced_custom_object("kubeovn.io", "v1", kube_namespace, "vpc-egress-gateways", {
            **body, "metadata": {"name": "too-many", "namespace": kube_namespace},
            "spec": {**body["spec"], "replicas": 11}})
    assert bad.value.status == 422


def test_deployment_pods_made_ready_by_the_stand_in(kube_cluster, kube_namespace, node_stand_in, kube_nodes):
    apps = client.AppsV1Api(kube_cluster.api_client())
    core = client.CoreV1Api(kube_cluster.api_client())
    labels = {"app": "vpc-egress-gateway", "ovn.kubernetes.io/vpc-egress-gateway": "g"}
    apps.create_namespaced_deployment(kube_namespace, {
        "metadata": {"name": "g", "labels": labels},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels,
                                           "annotations": {"k8s.v1.cni.cncf.io/networks": "default/eth1",
                                                           "eth1.default.kubernetes.io/ip_pool": "172.17.0.21;172.17.0.22"}},
                              "spec": {"terminationGracePeriodSeconds": 0,
                                       "containers": [{"name": "gateway", "image": "none"}]}}}})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = apps.read_namespaced_deployment(name="g", namespace=kube_namespace).status
        if status.ready_replicas == 2 and status.available_replicas == 2:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"deployment not ready: {status}; stand-in errors {node_stand_in.errors}")
    pods = core.list_namespaced_pod(kube_namespace).items
    assert sorted(p.spec.node_name for p in pods) == sorted(kube_nodes[:2]) or len({p.spec.node_name for p in pods}) == 2
    externals = sorted(json.loads(p.metadata.annotations[kube.NETWORK_STATUS])[1]["ips"][0] for p in pods)
    assert externals == ["172.17.0.21", "172.17.0.22"]
    # scale down: the pod is deleted at once (the stand-in confirms what a kubelet would)
    apps.patch_namespaced_deployment_scale("g", kube_namespace, {"spec": {"replicas": 1}})
    deadline = time.monotonic() + 60
    while len(core.list_namespaced_pod(kube_namespace).items) != 1:
        assert time.monotonic() < deadline, "scaled-down pod not removed"
        time.sleep(0.5)


def test_service_account_tokens(kube_cluster, kube_namespace):
    token = kube_cluster.service_account_token(kube_namespace, "automation")
    core = client.CoreV1Api(kube_cluster.api_client(token))
    with pytest.raises(ApiException) as denied:
        core.list_namespaced_pod(kube_namespace)
    assert denied.value.status == 403
