"""The event source's decisions (module_utils/_eda.py), pure: watch events and NB replicas built
from plain data, time passed in."""
import uuid

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _eda
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import Column, Snapshot
from ansible_collections.kubeovn.egress_gateway.tests.unit.plugins.module_utils.test_nb_rows import COLUMNS as NB_ROWS_COLUMNS
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway

# the row engine's test columns, plus the tables a gateway's drift reads
COLUMNS = dict(
    NB_ROWS_COLUMNS,
    BFD=dict(NB_ROWS_COLUMNS["BFD"], min_tx=Column("optional"), detect_mult=Column("optional")),
    Port_Group={"name": Column("scalar"), "ports": Column("set", "Logical_Switch_Port"), "external_ids": Column("map")},
    Address_Set={"name": Column("scalar"), "addresses": Column("set"), "external_ids": Column("map")},
    Logical_Switch_Port={"name": Column("scalar")},
)
ROUTER = uuid.UUID(int=1)


def veg(name, labels=None, generation=1, **extra):
    spec = {"externalSubnet": "ext", "selectors": [{"podSelector": {"matchLabels": labels or {"app": name}}}],
            "policies": [{"snat": True, "ipBlocks": ["10.18.0.0/16"]}]}
    spec.update(extra)
    return {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "generation": generation,
                         "resourceVersion": str(generation)}, "spec": spec}


def pod(name, labels, namespace="default", version=1, allocated=True):
    notes = {"ovn.kubernetes.io/logical_switch": "ovn-default"}
    if allocated:
        notes["ovn.kubernetes.io/allocated"] = "true"
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": notes,
                         "resourceVersion": str(version)},
            "spec": {"nodeName": "n1"}, "status": {"phase": "Running", "podIPs": [{"ip": "10.16.0.50"}]}}


def gateway_pod(gateway, node="n1", ip="10.16.0.10"):
    return {"metadata": {"name": f"{gateway}-0", "namespace": "default",
                         "labels": {"app": "vpc-egress-gateway", "ovn.kubernetes.io/vpc-egress-gateway": gateway}},
            "spec": {"nodeName": node}, "status": {"phase": "Running", "podIPs": [{"ip": ip}]}}


SUBNETS = [{"metadata": {"name": "ext"}, "spec": {"provider": "ext.default", "cidrBlock": "172.17.0.0/16"}},
           {"metadata": {"name": "ovn-default"}, "spec": {"cidrBlock": "10.16.0.0/16", "vpc": "ovn-cluster"}}]


def engine_with(gateways, pods=(), namespaces=({"metadata": {"name": "default", "labels": {}}},), now=0.0, **kw):
    engine = _eda.Engine(window=0.1, **kw)
    engine.replace("Namespace", list(namespaces), now)
    engine.replace("Subnet", SUBNETS, now)
    engine.replace("Vpc", [], now)
    engine.replace("GatewayPod", [gateway_pod(g["metadata"]["name"]) for g in gateways], now)
    engine.replace("VpcEgressGateway", list(gateways), now)
    engine.refresh()
    for watch in engine.wanted_watches():
        engine.replace("Pod", [p for p in pods if _selected_by(watch, p)], now, watch)
    engine.refresh()
    return engine


def _selected_by(watch, obj):
    labels = obj["metadata"]["labels"]
    return all(labels.get(k) == v for k, v in (part.split("=") for part in watch.selector.split(",") if part))


def nb_with(lsps, gateways_rows=()):
    """An NB replica holding these switch ports and exactly these desired rows."""
    rows = {table: {} for table in COLUMNS}
    by_name = {}
    for i, name in enumerate(lsps):
        by_name[name] = uuid.UUID(int=1000 + i)
        rows["Logical_Switch_Port"][by_name[name]] = {"name": name}
    router = {"name": "ovn-cluster", "policies": [], "ports": []}
    rows["Logical_Router"][ROUTER] = router
    n = 2000
    for desired in gateways_rows:
        for pg in desired["port_groups"]:
            n += 1
            rows["Port_Group"][uuid.UUID(int=n)] = {"name": pg["name"], "external_ids": pg["external_ids"],
                                                    "ports": [by_name[p] for p in pg["ports"] if p in by_name]}
        for address_set in desired["address_sets"]:
            n += 1
            rows["Address_Set"][uuid.UUID(int=n)] = dict(address_set)
        for policy in desired["policies"]:
            n += 1
            rows["Logical_Router_Policy"][uuid.UUID(int=n)] = {
                "priority": policy["priority"], "match": policy["match"], "action": policy["action"],
                "nexthops": policy["nexthops"], "bfd_sessions": [], "external_ids": policy["external_ids"]}
            router["policies"].append(uuid.UUID(int=n))
    return Snapshot(rows, COLUMNS)


def desired(engine, key):
    return engine.resolved[key].target.rows


def test_selector_text_is_the_server_side_syntax():
    gateway = parse_gateway({
        "metadata": {"name": "g"}, "spec": {"externalSubnet": "ext", "selectors": [{"podSelector": {
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]},
                                 {"key": "x", "operator": "NotIn", "values": ["1"]},
                                 {"key": "y", "operator": "Exists"}, {"key": "z", "operator": "DoesNotExist"}]}}]}})
    assert _eda.selector_text(gateway.selectors[0].pod_selector) == "app=web,tier in (a,b),x notin (1),y,!z"


def test_pod_watches_are_as_narrow_as_the_selectors():
    gateway = parse_gateway({"metadata": {"name": "g"}, "spec": {"externalSubnet": "ext", "selectors": [
        {"podSelector": {"matchLabels": {"app": "web"}}},
        {"namespaceSelector": {"matchLabels": {"team": "a"}}},
    ]}})
    namespaces = {"ns-a": {"team": "a"}, "ns-b": {"team": "b"}}
    assert _eda.pod_watches(gateway, namespaces) == {_eda.WatchKey("", "app=web"), _eda.WatchKey("ns-a", "")}


def test_a_burst_for_two_gateways_is_one_event_after_the_window():
    engine = engine_with([veg("gw1"), veg("gw2")])
    engine.set_nb(nb_with([]), 0.0)
    assert engine.due(0.05) == []          # still inside the window
    events = engine.due(0.2)
    assert [e["action"] for e in events] == ["rows"]
    assert [g["spec"]["metadata"]["name"] for g in events[0]["gateways"]] == ["gw1", "gw2"]
    assert any("create Port_Group" in r for r in events[0]["reasons"]["default/gw1"])


def test_no_event_while_the_nb_holds_exactly_the_wanted_rows():
    pods = [pod("web-1", {"app": "gw1"})]
    engine = engine_with([veg("gw1")], pods)
    engine.set_nb(nb_with(["web-1.default"], [desired(engine, "default/gw1")]), 0.0)
    assert desired(engine, "default/gw1")["port_groups"][0]["ports"] == ["web-1.default"]
    assert engine.due(1.0) == []


def test_changes_during_an_action_are_sent_together_when_it_has_landed():
    engine = engine_with([veg("gw1")])
    engine.set_nb(nb_with(["web-1.default"]), 0.0)
    (first,) = engine.due(0.2)
    sent_rows = desired(engine, "default/gw1")
    watch = _eda.WatchKey("", "app=gw1")
    for i in range(1, 4):                  # pods arrive while the action runs
        engine.apply("Pod", "ADDED", pod(f"web-{i}", {"app": "gw1"}, version=10 + i), 0.3, watch)
    engine.set_nb(nb_with([f"web-{i}.default" for i in range(1, 4)]), 0.35)
    assert engine.due(0.5) == []           # the first action has not landed
    engine.set_nb(nb_with([f"web-{i}.default" for i in range(1, 4)], [sent_rows]), 1.2)
    (second,) = engine.due(1.3)
    assert first["gateways"][0]["pod_ports"] == []
    assert second["gateways"][0]["pod_ports"] == ["web-1.default", "web-2.default", "web-3.default"]


def test_a_pod_the_selectors_do_not_match_changes_nothing():
    pods = [pod("web-1", {"app": "gw1"})]
    engine = engine_with([veg("gw1")], pods)
    engine.set_nb(nb_with(["web-1.default", "other.default"], [desired(engine, "default/gw1")]), 0.0)
    engine.due(1.0)
    engine.apply("Pod", "ADDED", pod("web-2", {"app": "gw1"}, allocated=False), 1.0, _eda.WatchKey("", "app=gw1"))
    assert engine.due(2.0) == []           # not allocated by Kube-OVN yet: not selected
    assert engine.wanted_ports() == {"web-1.default"}


def test_nothing_is_decided_before_every_watch_has_listed():
    engine = _eda.Engine(window=0.1)
    engine.replace("VpcEgressGateway", [veg("gw1")], 0.0)
    engine.replace("Subnet", SUBNETS, 0.0)
    engine.set_nb(nb_with([]), 0.0)
    assert engine.due(1.0) == []
    engine.replace("Namespace", [{"metadata": {"name": "default", "labels": {}}}], 1.0)
    engine.replace("Vpc", [], 1.0)
    engine.replace("GatewayPod", [gateway_pod("gw1")], 1.0)
    engine.refresh()
    assert engine.due(2.0) == []           # the gateway's pod watch has not listed yet
    engine.replace("Pod", [], 2.0, _eda.WatchKey("", "app=gw1"))
    assert [e["action"] for e in engine.due(3.0)] == ["rows"]
    engine.set_synced("Subnet", False, 3.0)   # an API outage holds the gateway
    engine.touch("default/gw1", "test", 3.0)
    assert engine.due(4.0) == []


def test_nb_outage_holds_rows_events():
    engine = engine_with([veg("gw1")])
    engine.set_nb(None, 0.0)
    assert engine.due(1.0) == []
    engine.set_nb(nb_with([]), 1.0)
    assert len(engine.due(2.0)) == 1


def test_relist_counts_every_difference_as_a_change():
    pods = [pod("web-1", {"app": "gw1"}), pod("web-2", {"app": "gw1"})]
    engine = engine_with([veg("gw1")], pods)
    engine.set_nb(nb_with(["web-1.default", "web-2.default"], [desired(engine, "default/gw1")]), 0.0)
    assert engine.due(1.0) == []
    engine.replace("Pod", pods[:1], 2.0, _eda.WatchKey("", "app=gw1"))   # web-2 went while the watch was down
    (event,) = engine.due(3.0)
    assert event["gateways"][0]["pod_ports"] == ["web-1.default"]
    assert "Pod default/web-2 deleted (resync)" in event["reasons"]["default/gw1"]


def test_an_invalid_gateway_is_reported_once_and_the_others_go_on():
    bad = veg("bad", replicas=99)
    engine = engine_with([veg("gw1"), bad])
    engine.set_nb(nb_with([]), 0.0)
    events = engine.due(1.0)
    assert [e["action"] for e in events] == ["rows", "invalid"]
    assert events[1]["field"] == "spec.replicas" and events[1]["value"] == 99
    assert [g["spec"]["metadata"]["name"] for g in events[0]["gateways"]] == ["gw1"]
    engine.set_nb(nb_with([]), 1.5)
    assert all(e["action"] != "invalid" for e in engine.due(40.0))


def test_an_action_that_does_not_converge_is_retried_with_a_growing_timeout():
    engine = engine_with([veg("gw1")], settle_timeout=10)
    engine.set_nb(nb_with([]), 0.0)
    assert len(engine.due(0.2)) == 1
    assert engine.due(5.0) == []
    assert len(engine.due(10.3)) == 1      # first timeout: 10 s
    assert engine.due(25.0) == []
    assert len(engine.due(30.4)) == 1      # second: 20 s


def test_managed_objects_are_deployed_then_removed_through_the_finalizer():
    engine = engine_with([veg("gw1")], manage_objects=True)
    engine.set_nb(nb_with([]), 0.0)
    (event,) = engine.due(0.2)
    assert event["action"] == "deploy" and event["object"]["metadata"]["name"] == "gw1"
    assert engine.due(1.0) == []           # in flight until the object shows the deployed generation
    deployed = veg("gw1")
    deployed["metadata"].update(finalizers=[_eda.FINALIZER], annotations={_eda.DEPLOYED_GENERATION: "1"},
                                resourceVersion="5")
    engine.apply("VpcEgressGateway", "MODIFIED", deployed, 2.0)
    engine.set_nb(nb_with([], [desired(engine, "default/gw1")]), 2.0)
    assert engine.due(3.0) == []
    deleting = veg("gw1")
    deleting["metadata"].update(finalizers=[_eda.FINALIZER], annotations={_eda.DEPLOYED_GENERATION: "1"},
                                deletionTimestamp="2026-12-02T03:00:00Z")
    engine.apply("VpcEgressGateway", "MODIFIED", deleting, 4.0)
    (removal,) = engine.due(5.0)
    assert removal["action"] == "remove" and removal["gateway"] == "default/gw1"


def test_an_edit_while_the_deploy_runs_is_deployed_when_that_deploy_lands():
    engine = engine_with([veg("gw1")], manage_objects=True)
    engine.set_nb(nb_with([]), 0.0)
    (first,) = engine.due(0.2)
    assert first["object"]["metadata"]["generation"] == 1
    edited = veg("gw1", generation=2, policies=[{"snat": True, "ipBlocks": ["10.19.0.0/16"]}])
    edited["metadata"].update(finalizers=[_eda.FINALIZER])
    engine.apply("VpcEgressGateway", "MODIFIED", edited, 1.0)
    assert engine.due(1.5) == []           # generation 1 is still being deployed
    landed = veg("gw1", generation=2, policies=[{"snat": True, "ipBlocks": ["10.19.0.0/16"]}])
    landed["metadata"].update(finalizers=[_eda.FINALIZER], annotations={_eda.DEPLOYED_GENERATION: "1"},
                              resourceVersion="7")
    engine.apply("VpcEgressGateway", "MODIFIED", landed, 2.0)
    (second,) = engine.due(2.2)            # at once, not after the first deploy's timeout
    assert second["action"] == "deploy" and second["object"]["metadata"]["generation"] == 2
    assert "VpcEgressGateway default/gw1 modified" in second["reasons"]


@pytest.mark.parametrize("kind,key,expected", [
    ("Namespace", "default", {"default/gw1"}),
    ("Subnet", "ext", {"default/gw1"}),
    ("Vpc", "vpc1", set()),
    ("Vpc", "ovn-cluster", {"default/gw1"}),
])
def test_which_gateways_an_object_affects(kind, key, expected):
    engine = engine_with([veg("gw1")])
    assert engine.affected(kind, key, None, {"metadata": {"name": key}}) == expected


def test_a_gateway_the_module_would_fail_on_goes_alone():
    engine = engine_with([veg("gw1"), veg("gw2", vpc="missing")])
    engine.set_nb(nb_with([]), 0.0)
    events = engine.due(1.0)
    assert [[g["spec"]["metadata"]["name"] for g in e["gateways"]] for e in events] == [["gw1"], ["gw2"]]
    assert events[1]["reasons"]["default/gw2"][0].startswith("error ")
