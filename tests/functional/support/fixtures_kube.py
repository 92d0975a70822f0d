"""Fixtures: a real Kubernetes API server (etcd + kube-apiserver + kube-controller-manager on 127.0.0.1).

``kube_cluster`` (session): one cluster for the whole run, with the collection's CRDs installed
(NetworkAttachmentDefinition, Subnet, Vpc, IPPool, VpcEgressGateway from roles/egress_gateway/files/crds).
``kube_namespace``: a fresh namespace per test, deleted afterwards.
``kube_nodes``: Node objects ``vegE-<k>-node<i>`` created through the API (no kubelet runs them).
``node_stand_in``: a thread that plays the node's part for gateway pods - scheduler, kubelet,
Multus and the Kube-OVN CNI are NOT running here; it binds the Pending pods to those Node objects
and writes the pod status (podIPs, Ready) and the Multus/Kube-OVN annotations through the API
(see support/kube.py ``NodeStandIn``). No container runs anywhere.
"""
from __future__ import annotations

import itertools
import os
import pathlib
import tempfile

import pytest

from support import kube

_counter = itertools.count()


@pytest.fixture(scope="session")
def kube_cluster():
    """A real kube-apiserver with the collection's CRDs; ``.kubeconfig`` has an admin token."""
    with kube.running_cluster(pathlib.Path(tempfile.mkdtemp(prefix=f"vegE{os.getpid()}-kube-"))) as cluster:
        yield cluster


@pytest.fixture
def kube_ovn_objects(kube_cluster):
    """The default VPC (with a BFD port) and the subnets, as Kube-OVN reports them (kube.kube_ovn_objects)."""
    kube.kube_ovn_objects(kube_cluster)


@pytest.fixture
def kube_namespace(kube_cluster):
    """A namespace of its own for one test (deleted at teardown; pods go at once, no kubelet)."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    core = client.CoreV1Api(kube_cluster.api_client())
    name = f"vege-{os.getpid()}-{next(_counter)}"
    kube.create_namespace(kube_cluster, name, {"vege-test": "true"})
    yield name
    for pod in core.list_namespaced_pod(name).items:
        core.delete_namespaced_pod(pod.metadata.name, name, grace_period_seconds=0)
    core.delete_namespace(name)


@pytest.fixture
def kube_nodes(kube_cluster):
    """Three Node objects (Ready, hostname labels) registered through the API; deleted afterwards."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    core = client.CoreV1Api(kube_cluster.api_client())
    base = f"vege-{next(_counter)}"
    names = [f"{base}-node{i}" for i in range(1, 4)]
    for i, name in enumerate(names):
        kube.add_node(kube_cluster, name, {"egress": "true" if i < 2 else "false"})
    yield names
    for name in names:
        core.delete_node(name)


@pytest.fixture
def node_stand_in(kube_cluster, kube_nodes):
    """Plays scheduler + kubelet + Multus + Kube-OVN CNI for gateway pods, through the API only."""
    stand_in = kube.NodeStandIn(kube_cluster, kube_nodes).start()
    yield stand_in
    stand_in.stop()
