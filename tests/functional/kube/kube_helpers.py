"""Running the collection's roles and playbooks against the test kube-apiserver."""
from __future__ import annotations

import pathlib
import re

import yaml
from kubernetes import client

from support.ansible import run_playbook

HERE = pathlib.Path(__file__).parent
REPO = HERE.parents[2]
ROLE_PLAYBOOK = HERE / "playbooks" / "role.yml"


def recap(proc) -> dict:
    """The PLAY RECAP counters of localhost (ok, changed, failed ...)."""
    match = re.search(r"^localhost\s+:\s+(.*)$", proc.stdout, re.M)
    assert match, proc.stdout
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def run_role(cluster, role: str, check: bool = True, kubeconfig=None, **variables):
    """Run roles/<role> with ``variables``; K8S_AUTH_KUBECONFIG points at the test cluster."""
    env = {"K8S_AUTH_KUBECONFIG": str(kubeconfig or cluster.kubeconfig)}
    return run_playbook(ROLE_PLAYBOOK, extra_vars={"role_under_test": role, **variables}, env=env, check=check)


def run_collection_playbook(cluster, name: str, *args: str, check: bool = True, kubeconfig=None, **variables):
    """Run playbooks/<name>.yml of the collection against the test cluster (args: e.g. --check)."""
    env = {"K8S_AUTH_KUBECONFIG": str(kubeconfig or cluster.kubeconfig)}
    return run_playbook(REPO / "playbooks" / f"{name}.yml", *args, extra_vars=variables, env=env, check=check)


def client_pods(kube_cluster, namespace, names):
    """Pods the selector matches, as Kube-OVN would have annotated them (address allocated)."""
    core = client.CoreV1Api(kube_cluster.api_client())
    for name in names:
        core.create_namespaced_pod(namespace, {
            "metadata": {"name": name, "labels": {"app": "client"},
                         "annotations": {"ovn.kubernetes.io/allocated": "true",
                                         "ovn.kubernetes.io/logical_switch": "ovn-default"}},
            "spec": {"containers": [{"name": "c", "image": "none"}]}})


def manifest(namespace, replicas=1, **spec):
    return {
        "apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
        "metadata": {"name": "gateway1", "namespace": namespace},
        "spec": {
            "replicas": replicas, "externalSubnet": f"macvlan-{namespace}",
            "bfd": {"enabled": True, "minRX": 1000, "minTX": 1000, "multiplier": 3},
            "selectors": [{"podSelector": {"matchLabels": {"app": "client"}},
                           "namespaceSelector": {"matchLabels": {"vege-test": "true"}}}],
            "policies": [{"snat": True, "subnets": ["subnet1"]}, {"snat": False, "ipBlocks": ["10.18.0.0/16"]}],
            **spec,
        },
    }


def playbook_vars(nb, namespace, gateway):
    return {
        "egress_gateway_manifest": yaml.safe_dump(gateway),
        "egress_gateway_nb_connection": nb.connection,
        # no container runs here (node stand-in): any image name does
        "egress_gateway_image": "localhost/kubeovn-egress-gateway:0.1.0",
        "egress_gateway_wait_timeout": 90,
        "egress_gateway_wait_delay": 1,
        # no ovn-northd / ovn-controller behind this NB: BFD rows never get a status to wait for
        # (the wait itself: tests/functional/reconciler, e2e_kube on the real data plane)
        "egress_gateway_bfd_wait": 0,
        "egress_gateway_network_attachment": {"name": "eth1", "namespace": namespace, "master": "eth1"},
        "egress_gateway_external_subnet": {"provider": f"eth1.{namespace}", "cidr_block": "172.17.0.0/16",
                                           "gateway": "172.17.0.1"},
    }
