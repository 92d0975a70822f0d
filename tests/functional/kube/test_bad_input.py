"""Mistakes a user can make with the playbooks, each run through ansible-playbook from a directory
of the user's, against the real kube-apiserver and a real NB ovsdb-server: every one fails with
one line naming the variable, file or field and the value, with no Python or Jinja internals,
and neither the cluster nor the NB changes.

The cluster holds a deployed gateway (so "writes nothing" is checked against live objects) and
Kube-OVN's objects written by the test; the node stand-in (support/kube.py) plays the node.
"""
from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml
from kubernetes import client

from kube_helpers import run_collection_playbook
from support import nbworld
from support.ansible import REPO, ansible_env

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]

NOISE = ("Traceback", "Finalization of task args", "{{", "AnsibleFilterError", "jinja", "argument_spec_data")


def gateway(namespace, **spec):
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": "gateway1", "namespace": namespace},
            "spec": {"replicas": 1, "externalSubnet": f"macvlan-{namespace}",
                     "policies": [{"snat": True, "ipBlocks": ["10.18.0.0/16"]}], **spec}}


def mistakes(namespace):
    """(playbook, files to write, extra vars, what the one line must say)."""
    good = yaml.safe_dump(gateway(namespace))
    return [
        ("validate", {}, {}, "give the VpcEgressGateway as egress_gateway_manifest"),
        ("validate", {"g.yaml": good}, {"egress_gateway_manifest_file": "g.yaml", "egress_gateway_manifest": good},
         "exactly one of them (got both)"),
        ("validate", {}, {"egress_gateway_manifest_file": "missing.yaml"},
         "egress_gateway_manifest_file: no such file (looked in "),
        ("validate", {"g.yaml": "spec: [unclosed\n"}, {"egress_gateway_manifest_file": "g.yaml"},
         "g.yaml: is not valid YAML: line 2"),
        ("validate", {"g.yaml": "kind: Subnet\n---\nkind: NetworkAttachmentDefinition\n"},
         {"egress_gateway_manifest_file": "g.yaml"}, "g.yaml: has 0 VpcEgressGateway documents"),
        ("validate", {"g.yaml": "kind: Subnet\n---\n" + good + "---\n- a list\n"},
         {"egress_gateway_manifest_file": "g.yaml"}, "g.yaml: document 3 of 3: kind: is required"),
        ("validate", {"g.yaml": "kind: Subnet\n---\n" + yaml.safe_dump(gateway(namespace, replicas=11))},
         {"egress_gateway_manifest_file": "g.yaml"},
         "g.yaml (document 2 of 2): spec.replicas: must be between 0 and 10 (got 11)"),
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump(gateway(namespace, replicas=11))},
         "egress_gateway_manifest: spec.replicas: must be between 0 and 10 (got 11)"),
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump(
            gateway(namespace, policies=[{"snat": True, "ipBlocks": ["10.18.0.1/16"]}]))},
         "spec.policies[0].ipBlocks[0]: has host bits set; the network is 10.18.0.0/16 (got '10.18.0.1/16')"),
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump(
            gateway(namespace, replicas=2, internalIPs=["10.16.0.5"]))},
         "spec.internalIPs: has 1 entries but replicas is 2; give at least one address per replica (got ['10.16.0.5'])"),
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump({**gateway(namespace), "kind": "Deployment"})},
         "kind: must be VpcEgressGateway (got 'Deployment')"),
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump(
            {**gateway(namespace), "metadata": {"name": "Gateway_1", "namespace": namespace}})},
         "metadata.name: must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.') (got 'Gateway_1')"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_runtime": "docker"},
         "egress_gateway_runtime must be one of: agent, kube-ovn, got: docker"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_wait_timeout": "soon"},
         "'egress_gateway_wait_timeout' is of type str and we were unable to convert to int"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_nb_conection": "tcp:127.0.0.1:1"},
         "egress_gateway_nb_conection: no such variable (did you mean egress_gateway_nb_connection?)"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_nb_ca_cert": "/etc/ca.pem"},
         "egress_gateway_nb_ca_cert, _certificate and _private_key go together"),
        ("deploy", {}, {"egress_gateway_manifest": good,
                        "egress_gateway_nb_tls_secret": {"namespace": namespace, "name": "no-such-secret"}},
         f"egress_gateway_nb_tls_secret: Secret {namespace}/no-such-secret was not found"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_nb_connection": "",
                        "egress_gateway_nb_service": {"namespace": namespace, "name": "ovn-nb"}},
         f"Service {namespace}/ovn-nb (egress_gateway_nb_service) was not found"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_nb_connection": "",
                        "egress_gateway_nb_service": {"namespace": namespace, "name": "ovn-nb-headless"}},
         f"egress_gateway_nb_service: Service {namespace}/ovn-nb-headless has no cluster IP and port to reach the NB "
         'at (got clusterIP "None", 1 port(s)): set egress_gateway_nb_connection'),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_image": ""}, "egress_gateway_image is empty"),
        # the external network's objects: checked before the NAD, the Subnet or anything else is written
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_network_attachment": {
            "name": "eth1", "namespace": namespace, "master": "eth1\n"}},
         "egress_gateway_network_attachment.master: must be a Linux interface name of letters, digits, '-', '_' and '.' "
         "(got 'eth1\\n')"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_network_attachment": {
            "name": "eth1", "namespace": namespace, "master": "eth1 ! -s 1.2.3.4"}},
         "egress_gateway_network_attachment.master: is 17 bytes long; a Linux interface name has at most 15 "
         "(got 'eth1 ! -s 1.2.3.4')"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_external_subnet": {
            "provider": f"eth1.{namespace}\n", "cidr_block": "172.17.0.0/16"}},
         "egress_gateway_external_subnet.provider: must be a DNS-1123 subdomain (lower-case letters, digits, '-' and "
         f"'.') (got 'eth1.{namespace}\\n')"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_external_subnet": {
            "provider": f"eth1.{namespace}", "cidr_block": "172.17.0.1/16"}},
         "egress_gateway_external_subnet.cidr_block: has host bits set; the network is 172.17.0.0/16 (got '172.17.0.1/16')"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_external_subnet": {
            "provider": f"eth1.{namespace}", "cidr_block": "172.17.0.0/16", "gateway": "172.18.0.1"}},
         "egress_gateway_external_subnet.gateway: 172.18.0.1 is outside the subnet's 172.17.0.0/16"),
        ("deploy", {}, {"egress_gateway_manifest": good, "egress_gateway_external_subnet": {
            "provider": f"eth1.{namespace}", "cidr_block": "172.17.0.0/16",
            "exclude_ips": ["172.17.0.9..172.17.0.2"]}},
         "egress_gateway_external_subnet.exclude_ips[0]: the range's first address is after its last"),
        # the cluster's objects (not the manifest): checked against the Vpc and Subnets read, before
        # the external network or the VpcEgressGateway is written
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump(gateway(namespace, internalSubnet="no-such-subnet"))},
         "spec.internalSubnet: Subnet 'no-such-subnet' not found"),
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump(gateway(namespace, externalSubnet="no-such-subnet")),
                        "egress_gateway_external_subnet": {}},
         "spec.externalSubnet: Subnet 'no-such-subnet' not found"),
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump(
            gateway(namespace, policies=[{"snat": True, "subnets": ["no-such-subnet"]}]))},
         "spec.policies[0].subnets[0]: Subnet 'no-such-subnet' not found"),
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump(gateway(namespace, externalSubnet="subnet1")),
                        "egress_gateway_external_subnet": {}},
         "spec.externalSubnet: Subnet's spec.provider is 'ovn', not <nad name>.<nad namespace>"),
        ("deploy", {}, {"egress_gateway_manifest": yaml.safe_dump(gateway(namespace, nodeSelector=[
            {"matchLabels": {"egress": "nowhere"}}, {"matchExpressions": [{"key": "zone", "operator": "Gt",
                                                                          "values": ["9"]}]}]))},
         "spec.nodeSelector: matches no node of the cluster"),
        ("scale", {}, {"egress_gateway_manifest": good}, "egress_gateway_replicas: is required, the number of gateway "
         "instances 0-10 (got none)"),
        ("scale", {}, {"egress_gateway_manifest": good, "egress_gateway_replicas": 11},
         "egress_gateway_replicas: must be between 0 and 10 (got 11)"),
        ("scale", {}, {"egress_gateway_manifest": good, "egress_gateway_replicas": "three"},
         "egress_gateway_replicas: must be an integer (got 'three')"),
        ("remove", {}, {"egress_gateway_manifest": yaml.safe_dump({"metadata": {"namespace": namespace}})},
         "egress_gateway_manifest: name: is required (got None)"),
        ("status", {}, {"egress_gateway_manifest_file": "/nonexistent/g.yaml"},
         "egress_gateway_manifest_file: no such file (looked in /nonexistent) (got '/nonexistent/g.yaml')"),
    ]


def one_line(proc) -> str:
    """The failure message of the run: the msg of its one fatal line."""
    fatal = [line for line in proc.stdout.splitlines() if line.startswith("fatal: ")]
    assert len(fatal) == 1, proc.stdout
    return json.loads(fatal[0].split(" => ", 1)[1])["msg"]


def snapshot(cluster, namespace, nb):
    custom = client.CustomObjectsApi(cluster.api_client())
    apps = client.AppsV1Api(cluster.api_client())
    veg = custom.get_namespaced_custom_object("kubeovn.io", "v1", namespace, "vpc-egress-gateways", "gateway1")
    deployment = apps.read_namespaced_deployment("gateway1", namespace)
    return (veg["metadata"]["resourceVersion"], deployment.metadata.resource_version, nbworld.full_dump(nb))


def test_mistakes_fail_with_one_line_and_change_nothing(tmp_path, kube_cluster, kube_namespace, kube_ovn_objects,
                                                        node_stand_in, nb_new):
    nbworld.build(nb_new)
    base = {"egress_gateway_nb_connection": nb_new.connection, "egress_gateway_wait_delay": 1,
            "egress_gateway_image": "localhost/kubeovn-egress-gateway:0.1.0",
            "egress_gateway_network_attachment": {"name": "eth1", "namespace": kube_namespace, "master": "eth1"},
            "egress_gateway_external_subnet": {"provider": f"eth1.{kube_namespace}", "cidr_block": "172.17.0.0/16",
                                               "gateway": "172.17.0.1"}}
    run_collection_playbook(kube_cluster, "deploy", egress_gateway_manifest=yaml.safe_dump(gateway(kube_namespace)),
                            **base)
    client.CoreV1Api(kube_cluster.api_client()).create_namespaced_service(kube_namespace, {
        "metadata": {"name": "ovn-nb-headless"},
        "spec": {"clusterIP": "None", "ports": [{"name": "ovn-nb", "port": 6641}], "selector": {"app": "ovn-central"}}})
    before = snapshot(kube_cluster, kube_namespace, nb_new)
    env = ansible_env({"K8S_AUTH_KUBECONFIG": str(kube_cluster.kubeconfig)})
    cases = mistakes(kube_namespace)
    assert len(cases) >= 20
    for number, (playbook, files, variables, expected) in enumerate(cases):
        work = tmp_path / f"case{number}"
        work.mkdir()
        for name, text in files.items():
            (work / name).write_text(text)
        given = {**base, **variables} if playbook != "validate" else variables
        proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), f"kubeovn.egress_gateway.{playbook}",
                               "-e", json.dumps(given)], cwd=work, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        assert proc.returncode != 0, f"case {number} ({playbook} {variables}) passed\n{proc.stdout}"
        message = one_line(proc)
        assert expected in message, f"case {number}: {message!r} lacks {expected!r}"
        assert "\n" not in message and not any(n in message for n in NOISE), f"case {number}: {message!r}"
        assert not re.search(r"Traceback|Finalization of task args", proc.stdout + proc.stderr), proc.stdout
        assert snapshot(kube_cluster, kube_namespace, nb_new) == before, f"case {number} changed something"
    # removing needs the name and namespace only
    identity = {"metadata": {"name": "gateway1", "namespace": kube_namespace}}
    run_collection_playbook(kube_cluster, "remove", egress_gateway_manifest=yaml.safe_dump(identity),
                            egress_gateway_nb_connection=nb_new.connection)
    assert nbworld.owned_rows(nb_new, f"{kube_namespace}/gateway1") == {
        "BFD": [], "Logical_Router_Policy": [], "Port_Group": [], "Address_Set": []}
    assert not client.AppsV1Api(kube_cluster.api_client()).list_namespaced_deployment(kube_namespace).items
    # and the external network's objects with the whole manifest
    run_collection_playbook(kube_cluster, "remove", egress_gateway_manifest=yaml.safe_dump(gateway(kube_namespace)),
                            **base)
