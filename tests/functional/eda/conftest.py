"""The ``world`` of the rulebook tests: one NB, the external subnet, two nodes and ansible-rulebook
running the collection's rulebook (module scope: one rulebook per test module)."""
from __future__ import annotations

import os

import pytest
from eda_world import EXTERNAL_SUBNET, NODES, Api, Rulebook, build_nb

from support import kube
from support.ovsdb import SCHEMAS, NbDatabase


@pytest.fixture(scope="module")
def world(kube_cluster, tmp_path_factory):
    """One NB, the external and policy subnets, two nodes, and the rulebook running."""
    workdir = tmp_path_factory.mktemp("eda")
    nb = NbDatabase(workdir, "7.11.0")
    assert SCHEMAS["7.11.0"].exists(), "run hack/install-ovn.sh"
    nb.start_standalone()
    nb.uuids = build_nb(nb)
    api = Api(kube_cluster)
    tag = str(os.getpid())
    api.subnet(EXTERNAL_SUBNET, "172.17.0.0/16", provider=f"{EXTERNAL_SUBNET}.kube-system")
    api.subnet("ovn-default", "10.16.0.0/16")
    for node in NODES:
        kube.add_node(kube_cluster, node)
    rulebook = Rulebook(workdir, kube_cluster, nb.connection).start()
    try:
        yield {"nb": nb, "api": api, "rulebook": rulebook, "tag": tag, "switch": nb.uuids["switch"]}
    finally:
        rulebook.stop()
        nb.stop()
        for node in NODES:
            api.core.delete_node(node)
        for name in (EXTERNAL_SUBNET, "ovn-default"):
            api.custom.delete_cluster_custom_object("kubeovn.io", "v1", "subnets", name)
