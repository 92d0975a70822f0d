"""Fields after Kube-OVN v1.14 through the deploy playbook, against the real kube-apiserver and a real
NB ovsdb-server: resources (v1.15.5) on the gateway container, IPPools (release-1.16) the
addresses come from, podAntiAffinity Preferred (master) letting replicas share a node with Local
routing to the set of that node's instances; and an unknown pool, or a pool of another subnet,
failing with one line that names field and pool before anything is written.

The node stand-in (support/kube.py) plays scheduler, kubelet, Multus and Kube-OVN's IPAM (it
allocates from the IPPool a pod's ip_pool annotation names).
"""
from __future__ import annotations

import collections
import json
import subprocess

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kube_helpers import playbook_vars, run_collection_playbook
from support import nbworld
from support.ansible import REPO, ansible_env
from ansible_collections.kubeovn.egress_gateway.tests.functional.support.data.invalid_gateways import VALID_RESOURCES

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]

INTERNAL_POOL_IPS = ["10.16.0.210", "10.16.0.211", "10.16.0.212", "10.16.0.213"]
EXTERNAL_POOL_IPS = ["172.17.0.208/30", "172.17.0.212/30"]  # hosts .209, .210, .213, .214


def manifest(namespace, **spec):
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": "gateway1", "namespace": namespace},
            "spec": {"replicas": 1, "externalSubnet": f"macvlan-{namespace}",
                     "policies": [{"snat": True, "ipBlocks": ["10.18.0.0/16"]}], **spec}}


@pytest.fixture
def ip_pools(kube_cluster, kube_namespace):
    """An internal pool in ovn-default and an external one in the gateway's external subnet
    (cluster-scoped: named after the test's namespace)."""
    custom = client.CustomObjectsApi(kube_cluster.api_client())
    pools = {"internal": (f"{kube_namespace}-internal", "ovn-default", INTERNAL_POOL_IPS),
             "external": (f"{kube_namespace}-external", f"macvlan-{kube_namespace}", EXTERNAL_POOL_IPS)}
    for name, subnet, ips in pools.values():
        custom.create_cluster_custom_object("kubeovn.io", "v1", "ippools", {
            "apiVersion": "kubeovn.io/v1", "kind": "IPPool", "metadata": {"name": name},
            "spec": {"subnet": subnet, "ips": ips}})
    yield {k: v[0] for k, v in pools.items()}
    for name, _subnet, _ips in pools.values():
        custom.delete_cluster_custom_object("kubeovn.io", "v1", "ippools", name)


def test_pools_resources_and_preferred_anti_affinity(kube_cluster, kube_namespace, kube_ovn_objects, node_stand_in,
                                                     nb_new, ip_pools):
    nbworld.build(nb_new)
    key = f"{kube_namespace}/gateway1"
    resources = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": 1, "memory": "128Mi"}}
    # four replicas on three nodes: only Preferred lets them all run
    gateway = manifest(kube_namespace, replicas=4, trafficPolicy="Local", podAntiAffinity="Preferred",
                       internalIPPool=ip_pools["internal"], externalIPPool=ip_pools["external"], resources=resources)
    run_collection_playbook(kube_cluster, "deploy", **playbook_vars(nb_new, kube_namespace, gateway))

    apps = client.AppsV1Api(kube_cluster.api_client())
    template = apps.read_namespaced_deployment("gateway1", kube_namespace).to_dict()["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["ovn.kubernetes.io/ip_pool"] == ip_pools["internal"]
    assert annotations[f"eth1.{kube_namespace}.kubernetes.io/ip_pool"] == ip_pools["external"]
    container = template["spec"]["containers"][0]
    assert container["name"] == "gateway"
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "64Mi"},
                                      "limits": {"cpu": "1", "memory": "128Mi"}, "claims": None}
    anti = template["spec"]["affinity"]["pod_anti_affinity"]
    assert anti["required_during_scheduling_ignored_during_execution"] is None
    assert anti["preferred_during_scheduling_ignored_during_execution"][0]["weight"] == 100

    pods = client.CoreV1Api(kube_cluster.api_client()).list_namespaced_pod(
        kube_namespace, label_selector="app=vpc-egress-gateway").items
    internal = sorted(p.status.pod_ip for p in pods)
    assert len(pods) == 4 and set(internal) <= set(INTERNAL_POOL_IPS)
    external = sorted(p.metadata.annotations[f"eth1.{kube_namespace}.kubernetes.io/ip_address"] for p in pods)
    assert set(external) <= {"172.17.0.209", "172.17.0.210", "172.17.0.213", "172.17.0.214"}
    by_node = collections.defaultdict(list)
    for pod in pods:
        by_node[pod.spec.node_name].append(pod.status.pod_ip)
    assert sorted(len(v) for v in by_node.values()) == [1, 1, 2]

    rows = nbworld.owned_rows(nb_new, key)
    local = {}
    for _router, priority, match, _action, hops, _sessions, _af in rows["Logical_Router_Policy"]:
        if priority == 29150:
            local.setdefault(match.split(" && ")[0], hops)
    assert local == {f"ip4.src == $node.{node.replace('-', '.')}_ip4": sorted(ips) for node, ips in by_node.items()}
    reroutes = {tuple(hops) for _r, priority, _m, _a, hops, _s, _af in rows["Logical_Router_Policy"]
                if priority == 29100}
    assert reroutes == {tuple(internal)}
    run_collection_playbook(kube_cluster, "remove", **playbook_vars(nb_new, kube_namespace, gateway))


def one_line(proc) -> str:
    fatal = [line for line in proc.stdout.splitlines() if line.startswith("fatal: ")]
    assert len(fatal) == 1, proc.stdout
    return json.loads(fatal[0].split(" => ", 1)[1])["msg"]


def test_an_unknown_pool_or_one_of_another_subnet_fails_before_anything_is_written(
        tmp_path, kube_cluster, kube_namespace, kube_ovn_objects, nb_new, ip_pools):
    nbworld.build(nb_new)
    nb_before = nbworld.full_dump(nb_new)
    custom = client.CustomObjectsApi(kube_cluster.api_client())
    env = ansible_env({"K8S_AUTH_KUBECONFIG": str(kube_cluster.kubeconfig)})
    cases = [
        ({"internalIPPool": "no-such-pool"},
         "spec.internalIPPool: IPPool not found (kubectl get ippool: a cluster-scoped Kube-OVN object) "
         "(got 'no-such-pool')"),
        ({"externalIPPool": ip_pools["internal"]},
         f"spec.externalIPPool: IPPool's spec.subnet is 'ovn-default', not the gateway's external subnet "
         f"'macvlan-{kube_namespace}' (got '{ip_pools['internal']}')"),
        ({"internalIPPool": ip_pools["external"]},
         f"spec.internalIPPool: IPPool's spec.subnet is 'macvlan-{kube_namespace}', not the gateway's internal "
         f"subnet 'ovn-default' (got '{ip_pools['external']}')"),
    ]
    for number, (spec, expected) in enumerate(cases):
        given = playbook_vars(nb_new, kube_namespace, manifest(kube_namespace, **spec))
        proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), "kubeovn.egress_gateway.deploy",
                               "-e", json.dumps(given)], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        assert proc.returncode != 0, proc.stdout
        assert one_line(proc) == expected, f"case {number}"
        with pytest.raises(ApiException) as missing:
            custom.get_namespaced_custom_object("kubeovn.io", "v1", kube_namespace, "vpc-egress-gateways", "gateway1")
        assert missing.value.status == 404
        assert not custom.list_namespaced_custom_object("k8s.cni.cncf.io", "v1", kube_namespace,
                                                        "network-attachment-definitions")["items"]
        with pytest.raises(ApiException):
            custom.get_cluster_custom_object("kubeovn.io", "v1", "subnets", f"macvlan-{kube_namespace}")
        assert not client.AppsV1Api(kube_cluster.api_client()).list_namespaced_deployment(kube_namespace).items
        assert nbworld.full_dump(nb_new) == nb_before


def test_the_api_server_agrees_with_the_model_on_resources(kube_cluster, kube_namespace):
    """The Deployment of every resources the model accepts is valid to the real API server
    (a dry-run create: validated, not stored); each one the catalogue refuses, put into the
    container as it is, the API server refuses too."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import (
        WorkloadContext, build_deployment,
    )
    from ansible_collections.kubeovn.egress_gateway.tests.functional.support.data.invalid_gateways import CASES

    apps = client.AppsV1Api(kube_cluster.api_client())
    ctx = WorkloadContext(image="ee:1", internal_subnet="ovn-default", internal_gateway="10.16.0.1",
                          external_provider=f"eth1.{kube_namespace}", external_gateway="172.17.0.1")

    def deployment(spec_resources, raw=None):
        gateway = parse_gateway(manifest(kube_namespace, resources=spec_resources))
        body = build_deployment(gateway, ctx)
        if raw is not None:
            body["spec"]["template"]["spec"]["containers"][0]["resources"] = raw
        return body

    for resources in [*VALID_RESOURCES, {}]:
        apps.create_namespaced_deployment(kube_namespace, deployment(resources), dry_run="All")
    refused = [c for c in CASES if c.field.startswith("spec.resources") and isinstance(c.gateway, dict)
               and isinstance(c.gateway["spec"]["resources"], dict)
               and set(c.gateway["spec"]["resources"]) <= {"limits", "requests", "claims"}]
    assert len(refused) >= 15
    accepted_by_the_api = []
    for case in refused:
        try:
            apps.create_namespaced_deployment(kube_namespace, deployment({}, case.gateway["spec"]["resources"]),
                                              dry_run="All")
            accepted_by_the_api.append(case.id)
        except (ApiException, ValueError):
            pass
    # Stricter than the API server (1.20 here) on purpose: a quantity beyond what the scheduler and
    # kubelet count in int64; a hugepages size that is no size (no node has such pages: Pending for
    # ever); claims (1.20 drops the field; from 1.26 the API refuses a claim that names no entry
    # of the pod's spec.resourceClaims, and a gateway pod has none).
    assert accepted_by_the_api == ["resources-too-large", "resources-hugepages-bad-size", "resources-claims"]
    assert not apps.list_namespaced_deployment(kube_namespace).items
