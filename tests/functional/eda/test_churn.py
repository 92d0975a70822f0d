"""Churn: 500 pods created, relabelled and deleted in bursts across the gateways, and one gateway the
churn never touches. The final NB holds exactly the rows the spec model wants for every gateway (no
duplicate row: the comparison is of sorted lists), and not one row of the untouched gateway was
written (OVSDB's ``_version`` of each of its rows is the same before and after).

Same world as test_rulebook (see eda_world for what stands in for Kube-OVN and the kubelet).
"""
from __future__ import annotations

import pytest
from eda_world import NODES, add_lsps, converged, del_lsps, expected_rows, veg

from support.ovsdb import py_map

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]

CHURNED = 4          # gateways c0..c3 take the churn; c4 is never touched
PODS = 500
BURST = 100


def row_versions(nb, key) -> dict:
    """Every row the gateway owns, by uuid, with its OVSDB _version (changes on any write)."""
    return {(table, r["_uuid"][1]): r["_version"][1]
            for table in ("BFD", "Logical_Router_Policy", "Port_Group", "Address_Set")
            for r in nb.select(table) if py_map(r["external_ids"]).get("vpc-egress-gateway") == key}


def test_500_pods_in_bursts_across_gateways_end_exact_and_leave_the_untouched_one_alone(world, kube_namespace):
    api, nb, ns = world["api"], world["nb"], kube_namespace
    gateways = {}
    for i in range(CHURNED + 1):
        name = f"c{i}"
        gateway = veg(ns, name, selectors=[{"podSelector": {"matchLabels": {"churn": name}}}])
        api.gateway(gateway)
        gateways[name] = (gateway, api.gateway_pod(ns, name, f"{name}-gw-0", NODES[i % 2], f"10.16.0.{120 + i}"))
    untouched = f"c{CHURNED}"
    quiet = [f"q-{i}" for i in range(5)]
    add_lsps(nb, world["switch"], [f"{p}.{ns}" for p in quiet])
    for pod in quiet:
        api.pod(ns, pod, {"churn": untouched})
    labels = {pod: untouched for pod in quiet}

    def want(name):
        gateway, instance = gateways[name]
        return expected_rows(gateway, [instance], sorted(f"{p}.{ns}" for p, g in labels.items() if g == name))

    for name in gateways:
        converged(world, f"{ns}/{name}", want(name), f"gateway {name} before the churn")
    before = row_versions(nb, f"{ns}/{untouched}")

    pods = [f"p-{i}" for i in range(PODS)]
    for start in range(0, PODS, BURST):
        burst = pods[start:start + BURST]
        add_lsps(nb, world["switch"], [f"{p}.{ns}" for p in burst])
        for n, pod in enumerate(burst):
            labels[pod] = f"c{(start + n) % CHURNED}"
            api.pod(ns, pod, {"churn": labels[pod]})
    moving = pods[::2]                           # every other pod moves to the next churned gateway
    for start in range(0, len(moving), 50):
        for pod in moving[start:start + 50]:
            labels[pod] = f"c{(int(labels[pod][1:]) + 1) % CHURNED}"
            api.relabel(ns, pod, {"churn": labels[pod]})
        # then a burst of deletions: every third pod of pods[start:start + 50], none of which a
        # later burst relabels (those are pods[2 * (start + 50):])
        deleted = pods[start:start + 50:3]
        for pod in deleted:
            api.delete_pod(ns, pod)
            del labels[pod]
        del_lsps(nb, world["switch"], [f"{p}.{ns}" for p in deleted])

    for name in gateways:
        converged(world, f"{ns}/{name}", want(name), f"gateway {name} after the churn")
    assert sum(1 for g in labels.values() if g != untouched) > 300, "the churn left most pods selected"
    assert row_versions(nb, f"{ns}/{untouched}") == before, "a row of the untouched gateway was written"
