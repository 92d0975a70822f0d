"""Roles network_attachment and external_subnet against the real kube-apiserver: the objects of
Kube-OVN's egress gateway documentation, idempotent, removable, and bad input changes nothing."""
from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kube_helpers import recap, run_role

pytestmark = [pytest.mark.kube]


def nad(cluster, namespace, name):
    return client.CustomObjectsApi(cluster.api_client()).get_namespaced_custom_object(
        "k8s.cni.cncf.io", "v1", namespace, "network-attachment-definitions", name)


def subnet(cluster, name):
    return client.CustomObjectsApi(cluster.api_client()).get_cluster_custom_object("kubeovn.io", "v1", "subnets", name)


def test_network_attachment(kube_cluster, kube_namespace):
    args = {"network_attachment_name": "eth1", "network_attachment_namespace": kube_namespace,
            "network_attachment_master": "eth1"}
    first = run_role(kube_cluster, "network_attachment", **args)
    assert recap(first)["changed"] == 1
    config = json.loads(nad(kube_cluster, kube_namespace, "eth1")["spec"]["config"])
    assert config == {"cniVersion": "0.3.0", "type": "macvlan", "master": "eth1", "mode": "bridge",
                      "ipam": {"type": "kube-ovn", "server_socket": "/run/openvswitch/kube-ovn-daemon.sock",
                               "provider": f"eth1.{kube_namespace}"}}
    assert recap(run_role(kube_cluster, "network_attachment", **args))["changed"] == 0
    run_role(kube_cluster, "network_attachment", **{**args, "network_attachment_mode": "private"})
    assert json.loads(nad(kube_cluster, kube_namespace, "eth1")["spec"]["config"])["mode"] == "private"
    bad = run_role(kube_cluster, "network_attachment", check=False, **{**args, "network_attachment_mode": "nope"})
    assert bad.returncode != 0 and "network_attachment_mode" in bad.stdout
    assert json.loads(nad(kube_cluster, kube_namespace, "eth1")["spec"]["config"])["mode"] == "private"
    assert recap(run_role(kube_cluster, "network_attachment", **args, network_attachment_state="absent"))["changed"] == 1
    with pytest.raises(ApiException) as gone:
        nad(kube_cluster, kube_namespace, "eth1")
    assert gone.value.status == 404


def test_external_subnet(kube_cluster, kube_namespace):
    name = f"macvlan-{kube_namespace}"
    args = {"external_subnet_name": name, "external_subnet_provider": f"eth1.{kube_namespace}",
            "external_subnet_cidr_block": "172.17.0.0/16", "external_subnet_gateway": "172.17.0.1",
            "external_subnet_exclude_ips": ["172.17.0.2..172.17.0.10"]}
    assert recap(run_role(kube_cluster, "external_subnet", **args))["changed"] == 1
    spec = subnet(kube_cluster, name)["spec"]
    assert spec == {"protocol": "IPv4", "provider": f"eth1.{kube_namespace}", "cidrBlock": "172.17.0.0/16",
                    "gateway": "172.17.0.1", "excludeIps": ["172.17.0.2..172.17.0.10"]}
    assert recap(run_role(kube_cluster, "external_subnet", **args))["changed"] == 0
    bad = run_role(kube_cluster, "external_subnet", check=False, **{**args, "external_subnet_provider": "ovn",
                                                                    "external_subnet_gateway": "172.17.0.254"})
    assert bad.returncode != 0 and "<nad name>.<nad namespace>" in bad.stdout
    assert subnet(kube_cluster, name)["spec"]["gateway"] == "172.17.0.1"
    run_role(kube_cluster, "external_subnet", **args, external_subnet_state="absent")
    with pytest.raises(ApiException) as gone:
        subnet(kube_cluster, name)
    assert gone.value.status == 404
