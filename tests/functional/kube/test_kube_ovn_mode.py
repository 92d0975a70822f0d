"""The egress_gateway role next to kube-ovn-controller v1.14 (mode auto -> kube-ovn), through
playbooks/deploy.yml against a real kube-apiserver and a real NB ovsdb-server.

kube-ovn-controller is played by support.kube_ovn_controller (see its docstring): it builds the
gateway Deployment with Kube-OVN's own image, writes the NB rows and the status; its start-up GC
deletes the port group. The role must write none of that: it applies the object, shows Kube-OVN's
status, and reports the GC'd port group as a deviation, writing it only when asked.
"""
from __future__ import annotations

import pytest
from kubernetes import client

from kube_helpers import client_pods, manifest, playbook_vars, recap, run_collection_playbook
from support import nbworld
from support.kube_ovn_controller import IMAGE, KubeOvnControllerStandIn

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]


def test_kube_ovn_runs_the_gateway_and_the_role_audits(
        kube_cluster, kube_namespace, kube_ovn_objects, kube_nodes, node_stand_in, nb_new):
    ns = kube_namespace
    ports = [f"client-1.{ns}", f"client-2.{ns}"]
    nbworld.build(nb_new, pods=ports)
    client_pods(kube_cluster, ns, ["client-1", "client-2"])
    client.CoreV1Api(kube_cluster.api_client()).patch_namespace(ns, {"metadata": {"labels": {"vege-test": "true"}}})
    key = f"{ns}/gateway1"
    variables = playbook_vars(nb_new, ns, manifest(ns))
    controller = KubeOvnControllerStandIn(kube_cluster, kube_nodes, ns, nb_new, pod_ports=ports).start()
    try:
        # a field newer than the cluster's Kube-OVN (v1.14.0): one line, nothing written
        before = nbworld.full_dump(nb_new)
        too_new = run_collection_playbook(kube_cluster, "deploy", check=False, **playbook_vars(
            nb_new, ns, manifest(ns, tolerations=[{"key": "egress", "operator": "Exists"}])))
        assert too_new.returncode != 0
        assert "spec.tolerations: needs Kube-OVN v1.14.17 or later; the cluster runs v1.14.0" in too_new.stdout, \
            too_new.stdout
        assert nbworld.full_dump(nb_new) == before and not custom_objects(kube_cluster, ns)

        deploy = run_collection_playbook(kube_cluster, "deploy", **variables)
        assert "kube-ovn-controller v1.14.0 is running" in deploy.stdout, deploy.stdout
        assert "Say who runs the gateway, mode kube-ovn" in deploy.stdout
        assert not controller.errors, controller.errors
        deployment = client.AppsV1Api(kube_cluster.api_client()).read_namespaced_deployment("gateway1", ns)
        # Kube-OVN's Deployment, never rewritten with the role's image
        assert {c.image for c in deployment.spec.template.spec.containers} == {IMAGE}
        assert deployment.metadata.generation == 1
        rows = nbworld.owned_rows(nb_new, key)
        assert rows["Port_Group"][0][1] == ports and "Completed" in deploy.stdout  # Kube-OVN's rows and status
        assert "rows, deviations 0]" in deploy.stdout and "rows are exactly the model's" in deploy.stdout

        assert rows["Port_Group"][0][0] in controller.gc_port_groups()
        after_gc = nbworld.full_dump(nb_new)
        audited = run_collection_playbook(kube_cluster, "deploy", **variables)
        assert recap(audited)["changed"] == 0, audited.stdout
        assert "Report the audit of kube-ovn-controller's rows, deviations 1]" in audited.stdout, audited.stdout
        assert "gcSecurityGroup" in audited.stdout and "egress_gateway_audit_repair=true" in audited.stdout
        assert nbworld.full_dump(nb_new) == after_gc, "the audit wrote to the NB"

        repaired = run_collection_playbook(kube_cluster, "deploy", **variables, egress_gateway_audit_repair=True)
        assert recap(repaired)["changed"] > 0 and "repaired (egress_gateway_audit_repair)" in repaired.stdout
        assert nbworld.owned_rows(nb_new, key) == rows
        assert client.AppsV1Api(kube_cluster.api_client()).read_namespaced_deployment(
            "gateway1", ns).metadata.generation == 1
    finally:
        controller.stop()


def test_an_untagged_controller_image_lets_a_newer_field_through_with_a_warning(
        kube_cluster, kube_namespace, kube_ovn_objects, kube_nodes, node_stand_in, nb_new):
    """kube-ovn-controller pinned by a digest has no version to compare with: in mode kube-ovn the
    role cannot refuse a field newer than the cluster's Kube-OVN, so it applies the object and says
    that it did not check (its CRD may drop the field)."""
    ns = kube_namespace
    ports = [f"client-1.{ns}"]
    nbworld.build(nb_new, pods=ports)
    client_pods(kube_cluster, ns, ["client-1"])
    client.CoreV1Api(kube_cluster.api_client()).patch_namespace(ns, {"metadata": {"labels": {"vege-test": "true"}}})
    digest = "docker.io/kubeovn/kube-ovn@sha256:" + "0" * 64
    tolerations = [{"key": "egress", "operator": "Exists"}]
    controller = KubeOvnControllerStandIn(kube_cluster, kube_nodes, ns, nb_new, pod_ports=ports, image=digest).start()
    try:
        deploy = run_collection_playbook(kube_cluster, "deploy", egress_gateway_mode="kube-ovn", **playbook_vars(
            nb_new, ns, manifest(ns, tolerations=tolerations)))
        assert "[WARNING]: cannot tell the version of kube-ovn-controller from its image" in deploy.stdout + deploy.stderr
        assert "the gateway's fields are not checked against it" in deploy.stdout + deploy.stderr
        (applied,) = custom_objects(kube_cluster, ns)
        assert applied["spec"]["tolerations"] == tolerations
        assert "Say who runs the gateway, mode kube-ovn" in deploy.stdout and not controller.errors, controller.errors
    finally:
        controller.stop()


def custom_objects(cluster, namespace) -> list:
    return client.CustomObjectsApi(cluster.api_client()).list_namespaced_custom_object(
        "kubeovn.io", "v1", namespace, "vpc-egress-gateways")["items"]
