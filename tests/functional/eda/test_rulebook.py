"""The rulebook keeps the gateways' NB rows exact: real kube-apiserver, real ovsdb-server (NB
schema 7.11.0), real ansible-rulebook running the collection's event source and reconcile playbook.

After each change the NB is read back with ovsdb-client (nbworld.owned_rows) and compared with what
the spec model wants for the cluster's state as the test wrote it. See eda_world for what stands in
for Kube-OVN and the kubelet.
"""
from __future__ import annotations

import pytest
from eda_world import (
    NODES, add_lsp, add_lsps, converged, del_lsps, expected_rows, members, nb_holds, port_group,
    veg, wait_for,
)

from support.kube_ovn_controller import gc_port_groups_v114

pytestmark = [pytest.mark.kube, pytest.mark.ovsdb, pytest.mark.slow]


def pods_labelled(app):
    return [{"podSelector": {"matchLabels": {"app": app}}}]


def start_gateway(world, ns, name, ip, **spec):
    """A VpcEgressGateway and its one running instance on the first node."""
    gateway = veg(ns, name, **spec)
    world["api"].gateway(gateway)
    return gateway, f"{ns}/{name}", world["api"].gateway_pod(ns, name, f"{name}-gw-0", NODES[0], ip)


def test_selected_pods_follow_create_relabel_delete_and_unselected_never_join(world, kube_namespace):
    api, nb, ns = world["api"], world["nb"], kube_namespace
    gateway, key, instance = start_gateway(world, ns, "web", "10.16.0.101", selectors=pods_labelled("web"))
    converged(world, key, expected_rows(gateway, [instance], []), "the gateway's rows, no member yet")

    add_lsps(nb, world["switch"], [f"db-1.{ns}", f"web-1.{ns}"])
    api.pod(ns, "db-1", {"app": "db"})          # not selected: it must never join
    api.pod(ns, "web-1", {"app": "web"})
    converged(world, key, expected_rows(gateway, [instance], [f"web-1.{ns}"]), "web-1 joined")
    assert members(nb, key) == [f"web-1.{ns}"]

    api.relabel(ns, "web-1", {"app": "other"})
    converged(world, key, expected_rows(gateway, [instance], []), "web-1 left after its relabel")
    api.relabel(ns, "web-1", {"app": "web"})
    converged(world, key, expected_rows(gateway, [instance], [f"web-1.{ns}"]), "web-1 back")

    api.delete_pod(ns, "web-1")
    del_lsps(nb, world["switch"], [f"web-1.{ns}"])
    converged(world, key, expected_rows(gateway, [instance], []), "web-1 gone")
    assert members(nb, key) == []


def test_a_relabelled_namespace_brings_its_pods_in_and_out(world, kube_namespace):
    api, nb, ns = world["api"], world["nb"], kube_namespace
    team = {"namespaceSelector": {"matchLabels": {"team": f"blue-{world['tag']}"}}}
    gateway, key, instance = start_gateway(world, ns, "team", "10.16.0.102", selectors=[team])
    add_lsp(nb, world["switch"], f"app-1.{ns}")
    api.pod(ns, "app-1", {"any": "thing"})
    converged(world, key, expected_rows(gateway, [instance], []), "rows without the namespace's pods")

    api.label_namespace(ns, {"team": f"blue-{world['tag']}"})
    converged(world, key, expected_rows(gateway, [instance], [f"app-1.{ns}"]), "the namespace's pod joined")
    api.label_namespace(ns, {"team": None})
    converged(world, key, expected_rows(gateway, [instance], []), "the namespace's pod left")


def test_a_policy_subnet_cidr_change_reaches_the_address_set(world, kube_namespace):
    """kube-ovn#6100: Kube-OVN v1.14 keeps the old CIDR in the address set."""
    api, ns = world["api"], kube_namespace
    subnet = f"vege-policy-{world['tag']}"
    api.subnet(subnet, "10.17.0.0/16")
    try:
        gateway, key, instance = start_gateway(world, ns, "sub", "10.16.0.103", policies=[{"snat": True, "subnets": [subnet]}])
        converged(world, key, expected_rows(gateway, [instance], [], {subnet: "10.17.0.0/16"}), "the first CIDR")
        api.set_subnet_cidr(subnet, "10.27.0.0/16")
        want = expected_rows(gateway, [instance], [], {subnet: "10.27.0.0/16"})
        assert (port_group(key) + ".ipv4", ["10.27.0.0/16"], "4") in want["Address_Set"]
        converged(world, key, want, "the address set with the new CIDR")
    finally:
        api.custom.delete_cluster_custom_object("kubeovn.io", "v1", "subnets", subnet)


def test_local_policies_follow_a_gateway_pod_replaced_on_another_node(world, kube_namespace):
    api, ns = world["api"], kube_namespace
    gateway = veg(ns, "local", trafficPolicy="Local", selectors=pods_labelled("l"))
    key = f"{ns}/local"
    api.gateway(gateway)
    first = api.gateway_pod(ns, "local", "local-gw-a", NODES[0], "10.16.0.104")
    want = expected_rows(gateway, [first], [])
    assert any(p[1] == 29150 and "node1" in p[2] for p in want["Logical_Router_Policy"])
    converged(world, key, want, "29150 policies for node1")

    api.delete_pod(ns, "local-gw-a")
    second = api.gateway_pod(ns, "local", "local-gw-b", NODES[1], "10.16.0.105")
    want = expected_rows(gateway, [second], [])
    assert any(p[1] == 29150 and "node2" in p[2] for p in want["Logical_Router_Policy"])
    converged(world, key, want, "29150 policies moved to node2 with the new instance")


def test_an_edited_gateway_is_applied_and_an_invalid_edit_keeps_its_rows(world, kube_namespace):
    api, ns = world["api"], kube_namespace
    gateway, key, instance = start_gateway(world, ns, "edit", "10.16.0.106", selectors=pods_labelled("e"))
    converged(world, key, expected_rows(gateway, [instance], []), "the first spec")

    edited = veg(ns, "edit", selectors=gateway["spec"]["selectors"],
                 policies=[{"snat": True, "ipBlocks": ["10.19.0.0/16", "10.20.0.0/16"]}])
    api.patch_gateway(ns, "edit", {"spec": {"policies": edited["spec"]["policies"]}})
    want = expected_rows(edited, [instance], [])
    converged(world, key, want, "the edited policies")

    # accepted by the API (v1.20 has no CEL rules) but not by the model: 2 replicas, 1 internal IP
    api.patch_gateway(ns, "edit", {"spec": {"replicas": 2, "internalIPs": ["10.16.0.200"]}})
    events = wait_for(lambda: [e for e in api.events_of(ns, "edit") if e.reason == "InvalidSpec"],
                      "a Warning Event on the invalid gateway")
    assert "spec.internalIPs" in events[0].message and "10.16.0.200" in events[0].message, events[0].message
    status = wait_for(lambda: api.get_gateway(ns, "edit").get("status", {}).get("conditions"),
                      "the status condition")
    assert status[0]["reason"] == "InvalidSpec" and "spec.internalIPs" in status[0]["message"]
    assert nb_holds(world["nb"], key, want)     # its rows stay as they were


def test_port_groups_deleted_by_kube_ovn_v114_gc_are_repaired(world, kube_namespace):
    api, nb, ns = world["api"], world["nb"], kube_namespace
    gateway, key, instance = start_gateway(world, ns, "gc", "10.16.0.107", selectors=pods_labelled("gc"))
    add_lsp(nb, world["switch"], f"gc-1.{ns}")
    api.pod(ns, "gc-1", {"app": "gc"})
    want = expected_rows(gateway, [instance], [f"gc-1.{ns}"])
    converged(world, key, want, "the gateway with its member")

    deleted = gc_port_groups_v114(nb)
    assert port_group(key) in deleted and "node.vege.node1" not in deleted
    converged(world, key, want, "the port group re-created with its member")


def test_nb_restart_and_rulebook_killed_mid_burst_converge(world, kube_namespace):
    api, nb, ns = world["api"], world["nb"], kube_namespace
    gateway, key, instance = start_gateway(world, ns, "burst", "10.16.0.108", selectors=pods_labelled("b"))
    converged(world, key, expected_rows(gateway, [instance], []), "the gateway")

    # the NB goes away and comes back (same database): the monitor reconnects and resyncs
    server = nb.servers[0]
    server.stop()
    names = [f"b-{i}" for i in range(10)]
    for name in names[:5]:
        api.pod(ns, name, {"app": "b"})
    server.start()
    add_lsps(nb, world["switch"], [f"{n}.{ns}" for n in names])
    converged(world, key, expected_rows(gateway, [instance], [f"{n}.{ns}" for n in names[:5]]),
              "the pods created while the NB was down")

    # a burst, and the rulebook killed in the middle of it
    rulebook = world["rulebook"]
    for name in names[5:]:
        api.pod(ns, name, {"app": "b"})
    rulebook.stop(sig=9)
    for name in names[:3]:
        api.delete_pod(ns, name)
    rulebook.start()
    final = [f"{n}.{ns}" for n in names[3:]]
    converged(world, key, expected_rows(gateway, [instance], final), "the burst after the restart")
