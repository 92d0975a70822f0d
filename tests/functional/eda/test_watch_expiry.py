"""The event source survives a watch that expires (410 Gone) on a real kube-apiserver.

A cluster of its own, whose kube-apiserver runs without its watch cache (``--watch-cache=false``:
watches go to etcd, as they do in a cluster whose cache has rolled past them), and etcd compacted
at its current revision, as its periodic compaction does. The rulebook runs with watches renewed
every 3 s (``egress_gateway_watch_seconds``): the next renewal of each watch asks for a
resourceVersion etcd no longer has and gets 410 Gone. The event source must list again, say so,
and still follow the cluster: a pod selected after the expiry joins the port group.
"""
from __future__ import annotations

import time

import pytest
from kubernetes import client

from eda_world import NODES, add_lsp, converged, expected_rows, running_world, veg
from support import kube

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]

EXPIRED = "watch expired (410 Gone), listing again"


@pytest.fixture
def cluster_without_watch_cache(tmp_path):
    with kube.running_cluster(tmp_path / "kube", watch_cache=False) as cluster:
        yield cluster


def test_expired_watches_are_listed_again_and_changes_after_them_arrive(cluster_without_watch_cache, tmp_path):
    cluster = cluster_without_watch_cache
    ns = "expiry"
    kube.create_namespace(cluster, ns)
    with running_world(cluster, tmp_path, rulebook_args=["-v"], egress_gateway_watch_seconds=3) as world:
        api, nb, rulebook = world["api"], world["nb"], world["rulebook"]
        gateway = veg(ns, "expiry", selectors=[{"podSelector": {"matchLabels": {"app": "expiry"}}}])
        api.gateway(gateway)
        instance = api.gateway_pod(ns, "expiry", "expiry-gw-0", NODES[0], "10.16.0.150")
        key = f"{ns}/expiry"
        converged(world, key, expected_rows(gateway, [instance], []), "the gateway's rows, no member yet")
        # move etcd on (objects nobody watches), then compact: every watch's version is gone
        core = client.CoreV1Api(cluster.api_client())
        for i in range(5):
            core.create_namespaced_config_map(ns, {"metadata": {"name": f"filler-{i}"}})
        revision = cluster.compact()
        deadline = time.monotonic() + 60
        while EXPIRED not in rulebook.log.read_text(errors="replace"):
            assert rulebook.alive() and time.monotonic() < deadline, \
                f"no 410 after compacting at {revision}:\n{rulebook.log.read_text()[-4000:]}"
            time.sleep(0.5)
        add_lsp(nb, world["switch"], f"late-1.{ns}")
        api.pod(ns, "late-1", {"app": "expiry"})
        converged(world, key, expected_rows(gateway, [instance], [f"late-1.{ns}"]), "late-1 joined after the relist")
