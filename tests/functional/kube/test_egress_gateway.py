"""The whole gateway through playbooks deploy/scale/status/remove, against a real kube-apiserver and
a real OVN NB ovsdb-server.

What plays Kube-OVN here (there is no Kube-OVN controller, kubelet, scheduler or CNI): the test
writes the Vpc/Subnet objects with the status Kube-OVN would report, creates the selected client
pods and their logical switch ports, and the ``node_stand_in`` fixture binds the gateway pods to
Node objects and writes their podIPs, Ready condition and Multus network-status through the API.
Everything the collection reads and writes goes through the real API server and the real NB.
"""
from __future__ import annotations

import re
import time

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from kube_helpers import client_pods, manifest, playbook_vars, recap, run_collection_playbook
from support import nbworld

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]


def read(kube_cluster, namespace):
    custom = client.CustomObjectsApi(kube_cluster.api_client())
    apps = client.AppsV1Api(kube_cluster.api_client())
    veg = custom.get_namespaced_custom_object("kubeovn.io", "v1", namespace, "vpc-egress-gateways", "gateway1")
    deployment = apps.read_namespaced_deployment("gateway1", namespace)
    return veg, deployment


def nexthops(nb, key):
    rows = nbworld.owned_rows(nb, key)
    reroutes = [p for p in rows["Logical_Router_Policy"] if p[1] == 29100]
    assert len(reroutes) == 2, rows
    return reroutes[0][4], sorted(b[1] for b in rows["BFD"])


def test_deploy_rerun_scale_status_remove(kube_cluster, kube_namespace, kube_ovn_objects, node_stand_in, nb_new):
    nbworld.build(nb_new, pods=(f"client-1.{kube_namespace}", f"client-2.{kube_namespace}"))
    client_pods(kube_cluster, kube_namespace, ["client-1", "client-2", "client-3"])  # client-3 has no LSP
    key = f"{kube_namespace}/gateway1"
    others_before = nbworld.not_owned_dump(nb_new, key)
    variables = playbook_vars(nb_new, kube_namespace, manifest(kube_namespace))

    deploy = run_collection_playbook(kube_cluster, "deploy", **variables)
    assert "Wait for the ready instances of gateway1 (1)" in deploy.stdout
    veg, deployment = read(kube_cluster, kube_namespace)
    assert deployment.spec.replicas == 1
    assert deployment.metadata.owner_references[0].uid == veg["metadata"]["uid"]
    assert deployment.spec.template.spec.containers[0].name == "bfdd"
    assert deployment.spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"] == f"{kube_namespace}/eth1"
    status = veg["status"]
    assert status["phase"] == "Completed" and status["ready"] is True
    assert status["replicas"] == 1 and len(status["internalIPs"]) == 1 and len(status["externalIPs"]) == 1
    assert status["labelSelector"] == "app=vpc-egress-gateway,ovn.kubernetes.io/vpc-egress-gateway=gateway1"
    assert status["workload"]["nodes"][0] in node_stand_in.nodes
    hops, bfd = nexthops(nb_new, key)
    assert hops == status["internalIPs"] and bfd == status["internalIPs"]
    rows = nbworld.owned_rows(nb_new, key)
    assert rows["Port_Group"][0][1] == [f"client-1.{kube_namespace}", f"client-2.{kube_namespace}"]
    assert rows["Address_Set"] == [(f"VEG.{nbworld_hash(key)}.ipv4", ["10.17.0.0/16", "10.18.0.0/16"], "4")]
    # the status table as the default callback prints it: every cell under its heading
    header = next(line for line in deploy.stdout.splitlines() if '"NAME ' in line)
    row = next(line for line in deploy.stdout.splitlines() if '"gateway1 ' in line)
    for heading, cell in (("PHASE", "Completed"), ("INTERNAL IPS", status["internalIPs"][0]),
                          ("EXTERNAL IPS", status["externalIPs"][0]), ("WORKING NODES", status["workload"]["nodes"][0])):
        assert row.index(cell) == header.index(heading), f"{cell} not under {heading}:\n{header}\n{row}"

    rerun = run_collection_playbook(kube_cluster, "deploy", **variables)
    assert recap(rerun)["changed"] == 0, rerun.stdout
    assert recap(run_collection_playbook(kube_cluster, "deploy", "--check", **variables))["changed"] == 0

    nb_before_check = nbworld.full_dump(nb_new)
    checked = run_collection_playbook(kube_cluster, "scale", "--check", "--diff", **variables, egress_gateway_replicas=3)
    assert recap(checked)["changed"] > 0
    assert read(kube_cluster, kube_namespace)[1].spec.replicas == 1
    assert nbworld.full_dump(nb_new) == nb_before_check

    for replicas in (3, 1):
        scaled = run_collection_playbook(kube_cluster, "scale", **variables, egress_gateway_replicas=replicas)
        assert recap(scaled)["changed"] > 0
        veg, deployment = read(kube_cluster, kube_namespace)
        assert deployment.spec.replicas == replicas and veg["spec"]["replicas"] == replicas
        assert veg["status"]["replicas"] == replicas and veg["status"]["ready"] is True
        hops, bfd = nexthops(nb_new, key)
        assert len(hops) == replicas and hops == sorted(veg["status"]["internalIPs"]) and bfd == hops

    status_run = run_collection_playbook(kube_cluster, "status", egress_gateway_manifest=variables["egress_gateway_manifest"])
    assert recap(status_run)["changed"] == 0
    assert "Completed" in status_run.stdout and hops[0] in status_run.stdout

    run_collection_playbook(kube_cluster, "remove", **variables)
    assert nbworld.owned_rows(nb_new, key) == {"BFD": [], "Logical_Router_Policy": [], "Port_Group": [], "Address_Set": []}
    assert nbworld.not_owned_dump(nb_new, key) == others_before
    custom = client.CustomObjectsApi(kube_cluster.api_client())
    apps = client.AppsV1Api(kube_cluster.api_client())
    core = client.CoreV1Api(kube_cluster.api_client())
    for lookup in (lambda: custom.get_namespaced_custom_object("kubeovn.io", "v1", kube_namespace,
                                                               "vpc-egress-gateways", "gateway1"),
                   lambda: apps.read_namespaced_deployment("gateway1", kube_namespace),
                   lambda: custom.get_namespaced_custom_object("k8s.cni.cncf.io", "v1", kube_namespace,
                                                               "network-attachment-definitions", "eth1"),
                   lambda: custom.get_cluster_custom_object("kubeovn.io", "v1", "subnets", f"macvlan-{kube_namespace}")):
        with pytest.raises(ApiException) as gone:
            lookup()
        assert gone.value.status == 404
    assert not apps.list_namespaced_replica_set(kube_namespace).items
    deadline = time.monotonic() + 30
    while core.list_namespaced_pod(kube_namespace, label_selector="app=vpc-egress-gateway").items:
        assert time.monotonic() < deadline, "gateway pods left behind"
        time.sleep(0.5)
    # the client pods are not the gateway's
    assert len(core.list_namespaced_pod(kube_namespace, label_selector="app=client").items) == 3


def nbworld_hash(key):
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:12]


def test_bad_spec_changes_nothing(kube_cluster, kube_namespace, kube_ovn_objects, node_stand_in, nb_new):
    nbworld.build(nb_new)
    variables = playbook_vars(nb_new, kube_namespace, manifest(kube_namespace))
    run_collection_playbook(kube_cluster, "deploy", **variables)
    veg_before, deployment_before = read(kube_cluster, kube_namespace)
    nb_before = nbworld.full_dump(nb_new)
    for bad_spec, field in (({"replicas": 11}, "spec.replicas"),
                            ({"policies": [{"snat": True, "ipBlocks": ["10.18.0.1/16"]}]}, "spec.policies[0].ipBlocks[0]"),
                            ({"internalIPs": ["10.16.0.5"], "replicas": 2}, "spec.internalIPs")):
        bad = run_collection_playbook(kube_cluster, "deploy", check=False,
                                      **{**variables, "egress_gateway_manifest": yaml.safe_dump(
                                          manifest(kube_namespace, **bad_spec))})
        assert bad.returncode != 0 and field in bad.stdout, bad.stdout
        veg, deployment = read(kube_cluster, kube_namespace)
        assert veg["spec"] == veg_before["spec"] and veg["metadata"]["generation"] == veg_before["metadata"]["generation"]
        assert deployment.metadata.generation == deployment_before.metadata.generation
        assert nbworld.full_dump(nb_new) == nb_before
    # a subnet that does not exist: found while reading the cluster, still before any write
    missing = run_collection_playbook(kube_cluster, "deploy", check=False, **{
        **variables, "egress_gateway_manifest": yaml.safe_dump(manifest(
            kube_namespace, policies=[{"snat": True, "subnets": ["no-such-subnet"]}])),
        "egress_gateway_manage_resource": False})
    assert missing.returncode != 0 and "no-such-subnet" in missing.stdout
    assert nbworld.full_dump(nb_new) == nb_before
    # no image anywhere (no role default): stops before the first read or write, naming the variable
    no_image = run_collection_playbook(kube_cluster, "deploy", check=False, **{
        **variables, "egress_gateway_image": "",
        "egress_gateway_manifest": yaml.safe_dump(manifest(kube_namespace, replicas=2))})
    assert no_image.returncode != 0 and "egress_gateway_image is empty" in no_image.stdout, no_image.stdout
    assert "make image" in no_image.stdout
    veg, deployment = read(kube_cluster, kube_namespace)
    assert veg["spec"] == veg_before["spec"] and deployment.metadata.generation == deployment_before.metadata.generation
    assert nbworld.full_dump(nb_new) == nb_before
    run_collection_playbook(kube_cluster, "remove", **variables)


def test_not_ready_in_time(kube_cluster, kube_namespace, kube_ovn_objects, node_stand_in, nb_new):
    """4 replicas on 3 nodes: the anti-affinity leaves one pod Pending (the stand-in binds like the
    scheduler would). The role shows its waiting, reconciles OVN with the 3 instances it has (as
    Kube-OVN does), writes phase Processing, and fails naming the Deployment, the counts and the
    pod that is not ready (the stand-in writes no scheduler condition for it, so it says so)."""
    nbworld.build(nb_new)
    key = f"{kube_namespace}/gateway1"
    variables = {**playbook_vars(nb_new, kube_namespace, manifest(kube_namespace, replicas=4)),
                 "egress_gateway_wait_timeout": 6, "egress_gateway_wait_delay": 2}
    slow = run_collection_playbook(kube_cluster, "deploy", check=False, **variables)
    assert slow.returncode != 0
    assert f"{kube_namespace}/gateway1: 3/4 ready" in slow.stdout and "RETRYING" not in slow.stdout
    assert f"Deployment {kube_namespace}/gateway1: 3/4 ready after 6s" in slow.stdout
    assert re.search(r"pod gateway1-\S+ \(Pending\): not ready", slow.stdout), slow.stdout
    assert slow.stdout.count("[ERROR]") == 1, slow.stdout
    veg, deployment = read(kube_cluster, kube_namespace)
    assert veg["status"]["phase"] == "Processing" and veg["status"]["ready"] is False
    assert veg["status"]["conditions"][0]["reason"] == "Processing"
    hops, bfd = nexthops(nb_new, key)
    assert len(hops) == 3 and hops == sorted(veg["status"]["internalIPs"]) and bfd == hops
    run_collection_playbook(kube_cluster, "remove", **variables)
    assert nbworld.owned_rows(nb_new, key)["BFD"] == []
