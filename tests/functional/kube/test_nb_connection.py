"""Reaching the NB (role ovn_nb, through the roles that use it): TLS from Kube-OVN's
``kube-ovn-tls`` Secret against a real ovsdb-server on ``pssl:`` with certificates made by
openssl, discovery from the ``ovn-nb`` Service, and the port-forward's failures, against the real
kube-apiserver.

Not here: a port-forward that carries NB traffic end to end. The API server forwards to the
kubelet of the pod's node, and this cluster has no kubelet (Node objects only, support/kube.py);
the tests below reach the API server's port-forward and show the one-line failures a user gets.
"""
from __future__ import annotations

import base64
import json

import pytest
from kubernetes import client

from kube_helpers import recap, run_role
from support import nbworld
from support.ansible import run_playbook

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb]


def secret(cluster, namespace, name, certs, client_cert="client"):
    data = {"cacert": certs["ca"], "cert": certs[client_cert]["cert"], "key": certs[client_cert]["key"]}
    client.CoreV1Api(cluster.api_client()).create_namespaced_secret(namespace, {
        "metadata": {"name": name},
        "data": {k: base64.b64encode(v.read_bytes()).decode() for k, v in data.items()}})


def port_names(nb):
    return sorted(p["name"] for p in nb.select("Logical_Router_Port"))


def test_vpc_bfd_port_over_tls_from_the_secret(tmp_path, kube_cluster, kube_namespace, kube_nodes, nb_tls, tls_certs):
    nbworld.build(nb_tls, bfd_port=False)
    secret(kube_cluster, kube_namespace, "kube-ovn-tls", tls_certs)
    secret(kube_cluster, kube_namespace, "rogue-tls", tls_certs, client_cert="rogue")
    args = {"vpc_bfd_port_nb_connection": nb_tls.connection, "vpc_bfd_port_ip": "10.255.255.255",
            "vpc_bfd_port_node_selector": {"matchLabels": {"egress": "true"}}}
    before = port_names(nb_tls)
    # a client certificate the NB's CA did not sign: refused, nothing written
    rogue = run_role(kube_cluster, "vpc_bfd_port", check=False, **args,
                     vpc_bfd_port_nb_tls_secret={"namespace": kube_namespace, "name": "rogue-tls"})
    assert rogue.returncode != 0 and port_names(nb_tls) == before
    tls = {"vpc_bfd_port_nb_tls_secret": {"namespace": kube_namespace, "name": "kube-ovn-tls"}}
    assert recap(run_role(kube_cluster, "vpc_bfd_port", **args, **tls))["changed"] == 1
    assert "bfd@ovn-cluster" in port_names(nb_tls)
    assert recap(run_role(kube_cluster, "vpc_bfd_port", **args, **tls))["changed"] == 0
    run_role(kube_cluster, "vpc_bfd_port", **args, **tls, vpc_bfd_port_state="absent")
    assert port_names(nb_tls) == before


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: kubeovn.egress_gateway.ovn_nb
    - ansible.builtin.stat:
        path: "{{ item }}"
      loop: "{{ [ovn_nb_params.ca_cert, ovn_nb_params.certificate, ovn_nb_params.private_key]
                if ovn_nb_params.ca_cert is defined else [] }}"
      register: files
    - ansible.builtin.include_role:
        name: kubeovn.egress_gateway.ovn_nb
      vars:
        ovn_nb_state: absent
    - ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'params': ovn_nb_params,
                      'modes': files.results | map(attribute='stat.mode') | list,
                      'gone': ovn_nb_params.ca_cert is not defined or
                              not (ovn_nb_params.ca_cert | dirname) is exists} | to_json }}"
"""


def run_ovn_nb(cluster, tmp_path, **variables):
    playbook = tmp_path / "nb.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "out.json"
    proc = run_playbook(playbook, extra_vars={"out": str(out), **variables},
                        env={"K8S_AUTH_KUBECONFIG": str(cluster.kubeconfig)}, check=False)
    return proc, (json.loads(out.read_text()) if proc.returncode == 0 else None)


def test_discovery_from_the_service_with_tls(tmp_path, kube_cluster, kube_namespace, tls_certs):
    core = client.CoreV1Api(kube_cluster.api_client())
    service = core.create_namespaced_service(kube_namespace, {
        "metadata": {"name": "ovn-nb"},
        "spec": {"ports": [{"name": "ovn-nb", "port": 6641, "targetPort": 6641}],
                 "selector": {"app": "ovn-central", "ovn-nb-leader": "true"}}})
    secret(kube_cluster, kube_namespace, "kube-ovn-tls", tls_certs)
    proc, out = run_ovn_nb(kube_cluster, tmp_path, ovn_nb_service={"namespace": kube_namespace, "name": "ovn-nb"},
                           ovn_nb_tls_secret={"namespace": kube_namespace, "name": "kube-ovn-tls"})
    assert proc.returncode == 0, proc.stdout
    assert out["params"]["connection"] == f"ssl:{service.spec.cluster_ip}:6641"
    assert out["modes"] == ["0600", "0600", "0600"] and out["gone"], out
    # without TLS the same Service is tcp:
    proc, out = run_ovn_nb(kube_cluster, tmp_path, ovn_nb_service={"namespace": kube_namespace, "name": "ovn-nb"})
    assert out["params"] == {"connection": f"tcp:{service.spec.cluster_ip}:6641", "timeout": 30}


def test_port_forward_failures_are_one_line(tmp_path, kube_cluster, kube_namespace, kube_nodes):
    proc = run_ovn_nb(kube_cluster, tmp_path, ovn_nb_discovery="port_forward",
                      ovn_nb_service={"namespace": kube_namespace, "name": "ovn-nb"})[0]
    assert proc.returncode != 0
    assert (f"no Running pod in namespace {kube_namespace} matches 'app=ovn-central,ovn-nb-leader=true' "
            "(got 0 pod(s): none)") in proc.stdout
    # a Running NB leader on a Node that has no kubelet: the API server cannot open the tunnel
    core = client.CoreV1Api(kube_cluster.api_client())
    core.create_namespaced_pod(kube_namespace, {
        "metadata": {"name": "ovn-central-0", "labels": {"app": "ovn-central", "ovn-nb-leader": "true"}},
        "spec": {"nodeName": kube_nodes[0], "containers": [{"name": "nb", "image": "none"}]}})
    core.patch_namespaced_pod_status("ovn-central-0", kube_namespace, {"status": {"phase": "Running"}})
    proc = run_ovn_nb(kube_cluster, tmp_path, ovn_nb_discovery="port_forward",
                      ovn_nb_service={"namespace": kube_namespace, "name": "ovn-nb"})[0]
    assert proc.returncode != 0
    fatal = [line for line in proc.stdout.splitlines() if line.startswith("fatal: ")]
    assert len(fatal) == 1 and f"port-forward to {kube_namespace}/ovn-central-0:6641 through the API server failed" \
        in fatal[0], proc.stdout
