"""ovn_port_group, ovn_bfd and ovn_lr_policy against a real ovsdb-server (both schema generations).

Every module run is followed by an independent read (ovsdb-client); rows of other owners must
stay byte-identical through every operation.
"""
import pytest

from support.ansible import run_module
from support.ovsdb import ovs_map, ovs_set, py_map, py_set

pytestmark = pytest.mark.ovsdb

OURS = {"vendor": "kube-ovn", "vpc-egress-gateway": "default/g1", "af": "4"}
THEIRS = {"vendor": "someone-else"}


@pytest.fixture
def topo(nb):
    """lr0 with a foreign policy, ls0 with ports p1..p4, a foreign port group and BFD row."""
    ls = nb.insert("Logical_Switch", {"name": "ls0"})
    ports = {f"p{i}": nb.insert("Logical_Switch_Port", {"name": f"p{i}"}, parent=("Logical_Switch", ls, "ports"))
             for i in range(1, 5)}
    lr = nb.insert("Logical_Router", {"name": "lr0"})
    nb.insert("Logical_Router_Policy", {"priority": 29100, "match": "ip4.src == 1.1.1.1", "action": "allow",
                                        "external_ids": ovs_map(THEIRS)}, parent=("Logical_Router", lr, "policies"))
    nb.insert("Port_Group", {"name": "theirs", "ports": ovs_set([["uuid", ports["p1"]]]),
                             "external_ids": ovs_map(THEIRS)})
    nb.insert("BFD", {"logical_port": "lrp-x", "dst_ip": "10.0.0.99", "external_ids": ovs_map(THEIRS)})
    return {"ports": ports, "lr": lr, "foreign": lambda: foreign(nb), "theirs": foreign(nb)}


def foreign(nb):
    """Canonical text of every row that is not ours."""
    out = {}
    for table in ("Logical_Router_Policy", "Port_Group", "BFD", "Address_Set"):
        out[table] = sorted((r for r in nb.select(table) if py_map(r["external_ids"]).get("vendor") != "kube-ovn"),
                            key=lambda r: r["_uuid"][1])
    return out


def conn(nb, **args):
    return dict(args, connection=nb.connection)


def test_port_group(nb, topo):
    args = conn(nb, name="VEG.x", ports=["p2", "p3"], external_ids=OURS)
    check = run_module("ovn_port_group", args, check=True, diff=True)
    assert check["changed"] and check["diff"]["after"]["Port_Group VEG.x"]["ports"] == ["p2", "p3"], check
    assert nb.select("Port_Group", [["name", "==", "VEG.x"]]) == []
    out = run_module("ovn_port_group", args)
    (row,) = nb.select("Port_Group", [["name", "==", "VEG.x"]])
    assert sorted(py_set(row["ports"])) == sorted([topo["ports"]["p2"], topo["ports"]["p3"]])
    assert out["port_group"]["uuid"] == row["_uuid"][1]
    assert run_module("ovn_port_group", args)["changed"] is False
    out = run_module("ovn_port_group", dict(args, ports=["p3", "p4"]), diff=True)
    assert out["diff"]["before"]["Port_Group VEG.x"]["ports"] == ["p2", "p3"]   # members shown by name
    assert out["diff"]["after"]["Port_Group VEG.x"]["ports"] == ["p3", "p4"]
    (row,) = nb.select("Port_Group", [["name", "==", "VEG.x"]])
    assert sorted(py_set(row["ports"])) == sorted([topo["ports"]["p3"], topo["ports"]["p4"]])
    bad = run_module("ovn_port_group", dict(args, ports=["p3", "nope"]))
    assert bad["failed"] and "nope" in bad["msg"], bad
    assert sorted(py_set(nb.select("Port_Group", [["name", "==", "VEG.x"]])[0]["ports"])) == \
        sorted([topo["ports"]["p3"], topo["ports"]["p4"]])
    assert run_module("ovn_port_group", conn(nb, name="VEG.x", state="absent"))["changed"]
    assert nb.select("Port_Group", [["name", "==", "VEG.x"]]) == []
    assert topo["foreign"]() == topo["theirs"]


def test_bfd(nb, topo):
    args = conn(nb, logical_port="bfd@lr0", dst_ip="10.255.0.11", min_rx=1000, min_tx=100, detect_mult=3,
                external_ids=OURS)
    assert run_module("ovn_bfd", args, check=True)["changed"]
    assert nb.select("BFD", [["logical_port", "==", "bfd@lr0"]]) == []
    out = run_module("ovn_bfd", args)
    (row,) = nb.select("BFD", [["logical_port", "==", "bfd@lr0"]])
    assert (row["min_rx"], row["min_tx"], row["detect_mult"]) == (1000, 100, 3)
    assert out["bfd"]["uuid"] == row["_uuid"][1] and out["bfd"]["status"] is None
    assert run_module("ovn_bfd", args)["changed"] is False
    # OVN sets the status; the module reports it
    nb.update("BFD", row["_uuid"][1], {"status": "up"})
    out = run_module("ovn_bfd", dict(args, min_rx=500), diff=True)
    assert out["changed"] and out["bfd"]["status"] == "up"
    assert out["diff"]["before"]["BFD bfd@lr0 10.255.0.11"]["min_rx"] == 1000
    assert out["diff"]["after"]["BFD bfd@lr0 10.255.0.11"]["min_rx"] == 500
    (row,) = nb.select("BFD", [["logical_port", "==", "bfd@lr0"]])
    assert row["min_rx"] == 500 and row["min_tx"] == 100
    assert run_module("ovn_bfd", conn(nb, logical_port="bfd@lr0", dst_ip="10.255.0.11", state="absent"))["changed"]
    assert nb.select("BFD", [["logical_port", "==", "bfd@lr0"]]) == []
    assert topo["foreign"]() == topo["theirs"]


def test_lr_policy(nb, topo):
    match = "ip4.src == $VEG.x.ipv4"
    args = conn(nb, router="lr0", priority=29100, match=match, action="reroute",
                nexthops=["10.255.0.12", "10.255.0.11"], external_ids=OURS)
    check = run_module("ovn_lr_policy", args, check=True, diff=True)
    assert check["changed"] and f"Logical_Router_Policy 29100 {match} @lr0" in check["diff"]["after"], check
    assert len(nb.select("Logical_Router_Policy")) == 1
    out = run_module("ovn_lr_policy", args)
    (row,) = nb.select("Logical_Router_Policy", [["match", "==", match]])
    (lr,) = nb.select("Logical_Router")
    assert row["_uuid"][1] in py_set(lr["policies"])
    assert sorted(py_set(row["nexthops"])) == ["10.255.0.11", "10.255.0.12"] and row["action"] == "reroute"
    assert out["policy"]["uuid"] == row["_uuid"][1]
    assert run_module("ovn_lr_policy", args)["changed"] is False
    # in place: the row keeps its uuid
    out = run_module("ovn_lr_policy", dict(args, action="drop", nexthops=[]), diff=True)
    assert out["changed"] and out["policy"]["uuid"] == row["_uuid"][1]
    (row2,) = nb.select("Logical_Router_Policy", [["match", "==", match]])
    assert row2["_uuid"] == row["_uuid"] and row2["action"] == "drop" and py_set(row2["nexthops"]) == []
    # unknown router: error, nothing written
    bad = run_module("ovn_lr_policy", dict(args, router="nope"))
    assert bad["failed"] and "nope" in bad["msg"] and "Logical_Router" in bad["msg"], bad
    assert len(nb.select("Logical_Router_Policy")) == 2
    bad = run_module("ovn_lr_policy", dict(args, nexthops=[]))
    assert bad["failed"] and bad["field"] == "nexthops"
    assert run_module("ovn_lr_policy", conn(nb, router="lr0", priority=29100, match=match, state="absent"))["changed"]
    assert nb.select("Logical_Router_Policy", [["match", "==", match]]) == []
    (lr,) = nb.select("Logical_Router")
    assert len(py_set(lr["policies"])) == 1
    assert topo["foreign"]() == topo["theirs"]


def test_lr_policy_bfd_sessions(nb, topo):
    bfd = run_module("ovn_bfd", conn(nb, logical_port="lrp0", dst_ip="10.255.0.11", external_ids=OURS))["bfd"]
    args = conn(nb, router="lr0", priority=29100, match="ip4.src == $a", action="reroute",
                nexthops=["10.255.0.11", "10.255.0.12"], external_ids=OURS,
                bfd_sessions=[bfd["uuid"], {"logical_port": "lrp0", "dst_ip": "10.255.0.11"}])
    out = run_module("ovn_lr_policy", args, diff=True)
    if nb.schema_version == "7.0.0":
        assert out["failed"] and "OVN 24.03" in out["msg"] and "7.0.0" in out["msg"], out
        assert nb.select("Logical_Router_Policy", [["match", "==", "ip4.src == $a"]]) == []
        # an empty list is fine on an old schema
        assert not run_module("ovn_lr_policy", dict(args, bfd_sessions=[]))["failed"]
        return
    assert out["changed"] and out["policy"]["bfd_sessions"] == ["lrp0 10.255.0.11"], out
    (row,) = nb.select("Logical_Router_Policy", [["match", "==", "ip4.src == $a"]])
    assert py_set(row["bfd_sessions"]) == [bfd["uuid"]]
    assert run_module("ovn_lr_policy", args)["changed"] is False
    missing = run_module("ovn_lr_policy", dict(args, bfd_sessions=[{"logical_port": "lrp0", "dst_ip": "10.9.9.9"}]))
    assert missing["failed"] and "10.9.9.9" in missing["msg"]
    assert topo["foreign"]() == topo["theirs"]


@pytest.mark.parametrize("want_of, table", [
    (lambda R: R.Want("Logical_Router_Policy", {"priority": 10, "match": "ip4"}, {"action": "allow"},
                      parent=R.ref("Logical_Router", name="lr0")), "Logical_Router_Policy"),
    (lambda R: R.Want("Address_Set", {"name": "race"}, {"addresses": ["10.0.0.1"]}), "Address_Set"),
])
def test_a_stale_read_never_makes_a_duplicate(nb, want_of, table):
    """Two clients read before either writes (the race of two runs of one task): the second
    commit fails its verify (policies) or the name index (address set), re-reads, re-plans and
    writes nothing."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _nb_rows as R
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovsdb import NbConnection

    nb.insert("Logical_Router", {"name": "lr0"})
    tables = {"Logical_Router": ["name", "policies"], "Logical_Router_Policy": None, "Address_Set": None}
    with NbConnection(nb.connection, tables, timeout=10) as first, \
            NbConnection(nb.connection, tables, timeout=10) as second:
        stale = second.snapshot()          # read before the first client writes
        assert first.converge([want_of(R)]).changed
        snapshots = iter([stale])
        real_snapshot = second.snapshot
        second.snapshot = lambda: next(snapshots, None) or real_snapshot()
        plan = second.converge([want_of(R)])
        assert not plan.changed            # re-planned on fresh data: nothing left to do
    assert len(nb.select(table)) == 1
