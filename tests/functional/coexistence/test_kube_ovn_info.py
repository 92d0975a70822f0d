"""kube_ovn_info against a real kube-apiserver: who runs the gateway, from what the cluster has.

No Kube-OVN runs here: the test creates a Deployment kube-system/kube-ovn-controller with the
image a Kube-OVN install has, and support.kube.NodeStandIn plays the node for its pod (bound,
Running, Ready through the API; no container runs), so the Deployment reports a ready replica.
"""
from __future__ import annotations

import json
import time

import pytest
from kubernetes import client

from support import kube
from support.ansible import run_module

pytestmark = [pytest.mark.kube, pytest.mark.slow]


def info(cluster, **args):
    return run_module("kube_ovn_info", {"kubeconfig": str(cluster.kubeconfig), "name": "gateway1",
                                        "namespace": "default", **args})


def test_mode_follows_the_kube_ovn_controller_that_runs(kube_cluster, kube_nodes):
    nobody = info(kube_cluster)
    assert not nobody["failed"], nobody
    assert nobody["mode"] == "collection" and nobody["controller"]["found"] is False
    assert nobody["crd_installed"] is True and nobody["object_exists"] is False
    assert nobody["reason"].startswith("no kube-ovn-controller is running (kube-system/kube-ovn-controller: not found)")

    apps = client.AppsV1Api(kube_cluster.api_client())
    labels = {"app": "kube-ovn-controller"}
    apps.create_namespaced_deployment("kube-system", {
        "metadata": {"name": "kube-ovn-controller"},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                 "spec": {"containers": [{"name": "kube-ovn-controller", "image": "docker.io/kubeovn/kube-ovn:v1.14.0"}]}}}})
    node = kube.NodeStandIn(kube_cluster, kube_nodes, label_selector="app=kube-ovn-controller").start()
    try:
        deadline = time.monotonic() + 120
        while not (apps.read_namespaced_deployment("kube-ovn-controller", "kube-system").status.ready_replicas or 0):
            assert time.monotonic() < deadline, "kube-ovn-controller's pod not ready"
            time.sleep(0.5)
        kube_ovn = info(kube_cluster)
        assert kube_ovn["mode"] == "kube-ovn", kube_ovn
        assert kube_ovn["controller"]["version"] == [1, 14, 0] and kube_ovn["controller"]["handles_vpc_egress_gateways"]
        refused = info(kube_cluster, mode="collection")
        assert refused["failed"] and refused["field"] == "egress_gateway_mode"
        assert "kube-ovn-controller v1.14.0 is running (kube-system/kube-ovn-controller" in refused["msg"]
        allowed = info(kube_cluster, mode="collection", writes_object=False)
        assert allowed["mode"] == "collection" and not allowed["failed"]
        assert allowed["controller"]["gc_deletes_port_groups"] is True, allowed

        apps.patch_namespaced_deployment("kube-ovn-controller", "kube-system", {"spec": {"template": {"spec": {
            "containers": [{"name": "kube-ovn-controller", "image": "docker.io/kubeovn/kube-ovn:v1.13.8"}]}}}})
        deadline = time.monotonic() + 120
        while info(kube_cluster)["controller"]["version"] != [1, 13, 8]:
            assert time.monotonic() < deadline, "the new image not seen"
            time.sleep(0.5)
        older = info(kube_cluster)
        assert older["mode"] == "collection" and older["controller"]["gc_deletes_port_groups"] is True, older
        assert not older["controller"]["handles_vpc_egress_gateways"]

        # an image without a release tag (a digest): no version to go by, so auto refuses to guess
        digest = "docker.io/kubeovn/kube-ovn@sha256:" + "0" * 64
        apps.patch_namespaced_deployment("kube-ovn-controller", "kube-system", {"spec": {"template": {"spec": {
            "containers": [{"name": "kube-ovn-controller", "image": digest}]}}}})
        deadline = time.monotonic() + 120
        while (untagged := info(kube_cluster, mode="kube-ovn"))["controller"].get("image") != digest:
            assert time.monotonic() < deadline, "the untagged image not seen"
            time.sleep(0.5)
        assert untagged["mode"] == "kube-ovn" and untagged["controller"]["version"] is None, untagged
        # (module warnings come back as ansible-core's warning records, not plain strings)
        assert "the gateway's fields are not checked against it" in json.dumps(untagged.get("warnings")), untagged
        guessed = info(kube_cluster)
        assert guessed["failed"] and guessed["field"] == "egress_gateway_mode", guessed
        assert f"cannot tell the version of kube-ovn-controller from its image '{digest}'" in guessed["msg"]
    finally:
        node.stop()
        apps.delete_namespaced_deployment("kube-ovn-controller", "kube-system")
