"""Every ``ansible-playbook`` command printed in README.md and roles/*/README.md, run exactly as
printed from a directory outside the repository (the user's), against the real kube-apiserver
and a real NB ovsdb-server.

The files a command names come from the README when it shows them (a yaml block headed
``# <file>``), else from tests/functional/kube/data/. What differs from a user's machine is only
the environment: K8S_AUTH_KUBECONFIG points at the test cluster, and the NB address a README
shows as an example (tcp:10.96.0.10:6641, a ClusterIP that does not exist here) is this test's NB.
No Kube-OVN controller runs: the cluster has Kube-OVN's objects written by the test, the external
network's NetworkAttachmentDefinition and Subnet as a user's cluster would, and the node
stand-in (support/kube.py NodeStandIn) plays kubelet/Multus/CNI for the gateway pods.
"""
from __future__ import annotations

import os
import subprocess

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kube_helpers import HERE, REPO
from support import nbworld
from support import readme
from support.ansible import ansible_env

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]

# The playbooks these tests can run here; the standalone one needs the OVN data plane and the
# namespaces its README names (tests/functional/e2e runs it through the same inventory shape).
KUBE_PLAYBOOKS = {f"kubeovn.egress_gateway.{p}" for p in ("validate", "deploy", "scale", "status", "remove")}
EXAMPLE_NB = "tcp:10.96.0.10:6641"


def playbook_of(command) -> str:
    return next((a for a in command.argv[1:] if a.startswith("kubeovn.egress_gateway.")), "")


def test_the_readmes_print_commands():
    commands = readme.collect(REPO)[0]
    assert {playbook_of(c) for c in commands} >= KUBE_PLAYBOOKS, [str(c) for c in commands]


def external_network(cluster):
    """What the README's gateway needs beside it: NAD eth1 and Subnet macvlan1 (as in Kube-OVN's doc)."""
    custom = client.CustomObjectsApi(cluster.api_client())
    for create, args in (
            (custom.create_namespaced_custom_object, ("k8s.cni.cncf.io", "v1", "default", "network-attachment-definitions", {
                "apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
                "metadata": {"name": "eth1", "namespace": "default"},
                "spec": {"config": '{"cniVersion": "0.3.0", "type": "macvlan", "master": "eth1", "mode": "bridge",'
                                   ' "ipam": {"type": "kube-ovn", "provider": "eth1.default"}}'}})),
            (custom.create_cluster_custom_object, ("kubeovn.io", "v1", "subnets", {
                "apiVersion": "kubeovn.io/v1", "kind": "Subnet", "metadata": {"name": "macvlan1"},
                "spec": {"protocol": "IPv4", "provider": "eth1.default", "cidrBlock": "172.17.0.0/16",
                         "gateway": "172.17.0.1"}}))):
        try:
            create(*args)
        except ApiException as exc:
            if exc.status != 409:
                raise


def test_readme_commands_run_as_printed(tmp_path, kube_cluster, kube_ovn_objects, node_stand_in, nb_new):
    commands, shown = readme.collect(REPO)
    runnable = [c for c in commands if playbook_of(c) in KUBE_PLAYBOOKS]
    nbworld.build(nb_new)
    external_network(kube_cluster)
    work = tmp_path / "work"   # the user's directory: not the repository
    work.mkdir()
    for command in runnable:
        for arg in command.argv:
            name = arg.split("=", 1)[1] if arg.startswith("egress_gateway_manifest_file=") else None
            if name and not (work / name).exists():
                (work / name).write_text(shown.get(name) or (HERE / "data" / name).read_text())
    env = ansible_env({"K8S_AUTH_KUBECONFIG": str(kube_cluster.kubeconfig),
                       "ANSIBLE_INVENTORY": str(_inventory(tmp_path, nb_new))})
    ran = []
    try:
        for command in runnable:
            argv = [a.replace(EXAMPLE_NB, nb_new.connection) for a in command.argv]
            proc = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
            assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
            ran.append(playbook_of(command))
    finally:
        subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), "kubeovn.egress_gateway.remove",
                        "-e", "egress_gateway_manifest_file=gateway1.yaml"], cwd=work, env=env,
                       capture_output=True, check=False, timeout=600)
    assert set(ran) == KUBE_PLAYBOOKS
    assert os.path.realpath(work) != os.path.realpath(REPO)


def _inventory(tmp_path, nb):
    """The user's inventory: localhost, where their NB is and the gateway image they pushed (the
    README's commands that do not name them rely on the inventory, or on the ovn-nb Service)."""
    path = tmp_path / "inventory.yml"
    path.write_text(
        "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
        f"      egress_gateway_nb_connection: {nb.connection}\n"
        "      egress_gateway_image: localhost/kubeovn-egress-gateway:0.1.0\n")
    return path
