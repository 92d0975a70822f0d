"""The shipped ClusterRole is enough for deploy/scale/remove, and one permission less fails with a
message that names the permission (real kube-apiserver with RBAC, real NB ovsdb-server; the node's
part is played through the API by the node stand-in, see support/kube.py)."""
from __future__ import annotations

import copy

import pytest
import yaml
from kubernetes import client

from kube_helpers import REPO, recap, run_collection_playbook
from support import nbworld
from test_egress_gateway import manifest, playbook_vars

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]

CLUSTER_ROLE = REPO / "roles" / "egress_gateway" / "files" / "rbac" / "automation-clusterrole.yaml"


def bind(kube_cluster, namespace, account, role_body):
    rbac = client.RbacAuthorizationV1Api(kube_cluster.api_client())
    rbac.create_cluster_role(role_body)
    rbac.create_cluster_role_binding({
        "metadata": {"name": role_body["metadata"]["name"]},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_body["metadata"]["name"]},
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]})
    token = kube_cluster.service_account_token(namespace, account)
    return kube_cluster.kubeconfig_for(token, kube_cluster.workdir / f"kubeconfig-{account}-{namespace}", account)


def shipped_role(suffix):
    body = yaml.safe_load(CLUSTER_ROLE.read_text())
    body["metadata"]["name"] += f"-{suffix}"
    return body


def test_shipped_role_is_enough(kube_cluster, kube_namespace, kube_ovn_objects, node_stand_in, nb_new):
    nbworld.build(nb_new)
    kubeconfig = bind(kube_cluster, kube_namespace, "automation", shipped_role(kube_namespace))
    variables = playbook_vars(nb_new, kube_namespace, manifest(kube_namespace))
    run_collection_playbook(kube_cluster, "deploy", kubeconfig=kubeconfig, **variables)
    rerun = run_collection_playbook(kube_cluster, "deploy", kubeconfig=kubeconfig, **variables)
    assert recap(rerun)["changed"] == 0
    run_collection_playbook(kube_cluster, "scale", kubeconfig=kubeconfig, **variables, egress_gateway_replicas=2)
    assert client.AppsV1Api(kube_cluster.api_client()).read_namespaced_deployment(
        "gateway1", kube_namespace).spec.replicas == 2
    run_collection_playbook(kube_cluster, "status", kubeconfig=kubeconfig,
                            egress_gateway_manifest=variables["egress_gateway_manifest"])
    run_collection_playbook(kube_cluster, "remove", kubeconfig=kubeconfig, **variables)
    assert nbworld.owned_rows(nb_new, f"{kube_namespace}/gateway1")["Logical_Router_Policy"] == []
    assert not client.AppsV1Api(kube_cluster.api_client()).list_namespaced_deployment(kube_namespace).items


@pytest.mark.parametrize("resource, verb", [("vpc-egress-gateways/status", "patch"), ("deployments", "create"),
                                            ("subnets", "list")])
def test_one_permission_less_names_it(kube_cluster, kube_namespace, kube_ovn_objects, node_stand_in, nb_new,
                                      resource, verb):
    nbworld.build(nb_new)
    body = shipped_role(kube_namespace)
    for rule in body["rules"]:
        if resource in rule["resources"] and verb in rule["verbs"]:
            rule["resources"] = [r for r in rule["resources"] if r != resource]
            body["rules"].append({**copy.deepcopy(rule), "resources": [resource],
                                  "verbs": [v for v in rule["verbs"] if v != verb]})
            break
    else:
        pytest.fail(f"{verb} {resource} is not in the shipped role")
    body["rules"] = [rule for rule in body["rules"] if rule["resources"]]
    kubeconfig = bind(kube_cluster, kube_namespace, "automation", body)
    variables = playbook_vars(nb_new, kube_namespace, manifest(kube_namespace))
    failed = run_collection_playbook(kube_cluster, "deploy", check=False, kubeconfig=kubeconfig, **variables)
    assert failed.returncode != 0
    assert f'cannot {verb} resource \\"{resource.split("/")[0]}' in failed.stdout or \
        f'cannot {verb} resource "{resource.split("/")[0]}' in failed.stdout, failed.stdout
    run_collection_playbook(kube_cluster, "remove", **variables)  # as admin
