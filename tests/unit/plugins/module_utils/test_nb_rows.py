"""The NB row engine's plan and diff, pure (no database): Snapshot built from plain rows."""
import os
import pathlib
import re
import subprocess
import sys
import uuid

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _nb_rows
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import (
    Column, Pending, Snapshot, Want, owned_by, plan, ref)

U = {name: uuid.UUID(int=i + 1) for i, name in enumerate(
    ["lr0", "lr1", "pol_ours", "pol_theirs", "pol_lr1", "bfd1", "bfd_theirs", "hcg", "ch1", "ch2", "lrp"])}
OURS = {"vendor": "kube-ovn", "vpc-egress-gateway": "ns/g"}

COLUMNS = {
    "Logical_Router": {"name": Column("scalar"), "policies": Column("set", "Logical_Router_Policy"),
                       "ports": Column("set", "Logical_Router_Port")},
    "Logical_Router_Policy": {"priority": Column("scalar"), "match": Column("scalar"), "action": Column("scalar"),
                              "nexthops": Column("set"), "bfd_sessions": Column("set", "BFD"),
                              "external_ids": Column("map")},
    "BFD": {"logical_port": Column("scalar"), "dst_ip": Column("scalar"), "min_rx": Column("optional"),
            "external_ids": Column("map")},
    "HA_Chassis_Group": {"name": Column("scalar"), "ha_chassis": Column("set", "HA_Chassis"),
                         "external_ids": Column("map")},
    "HA_Chassis": {"chassis_name": Column("scalar"), "priority": Column("scalar")},
    "Logical_Router_Port": {"name": Column("scalar"), "ha_chassis_group": Column("optional", "HA_Chassis_Group")},
}


def policy(prio, match, ids, action="allow", nexthops=(), bfd=()):
    return {"priority": prio, "match": match, "action": action, "nexthops": list(nexthops),
            "bfd_sessions": list(bfd), "external_ids": ids}


@pytest.fixture
def snap():
    return Snapshot({
        "Logical_Router": {
            U["lr0"]: {"name": "lr0", "policies": [U["pol_ours"], U["pol_theirs"]], "ports": [U["lrp"]]},
            U["lr1"]: {"name": "lr1", "policies": [U["pol_lr1"]], "ports": []},
        },
        "Logical_Router_Policy": {
            U["pol_ours"]: policy(29100, "m", OURS, "reroute", ["10.0.0.2", "10.0.0.1"], [U["bfd1"]]),
            U["pol_theirs"]: policy(29100, "other", {"vendor": "x"}),
            U["pol_lr1"]: policy(29100, "m2", OURS),
        },
        "BFD": {U["bfd1"]: {"logical_port": "p", "dst_ip": "10.0.0.1", "min_rx": None, "external_ids": OURS},
                U["bfd_theirs"]: {"logical_port": "p", "dst_ip": "10.0.0.9", "min_rx": 5, "external_ids": {}}},
        "HA_Chassis_Group": {U["hcg"]: {"name": "g", "ha_chassis": [U["ch1"], U["ch2"]], "external_ids": {}}},
        "HA_Chassis": {U["ch1"]: {"chassis_name": "c1", "priority": 100},
                       U["ch2"]: {"chassis_name": "c2", "priority": 99}},
        "Logical_Router_Port": {U["lrp"]: {"name": "bfd@lr0", "ha_chassis_group": U["hcg"]}},
    }, COLUMNS)


LR0 = ref("Logical_Router", name="lr0")


def ours_policy(**columns):
    base = {"action": "reroute", "nexthops": ["10.0.0.1", "10.0.0.2"],
            "bfd_sessions": [ref("BFD", logical_port="p", dst_ip="10.0.0.1")], "external_ids": OURS}
    base.update(columns)
    return Want("Logical_Router_Policy", {"priority": 29100, "match": "m"}, base, parent=LR0)


def test_unchanged_ignores_set_order(snap):
    p = plan(snap, [ours_policy()])
    assert not p.changed and p.diff() == {"before": {}, "after": {}}
    assert p.rows[ours_policy().ref]["uuid"] == str(U["pol_ours"])


def test_update_writes_only_differing_columns_and_shows_refs_by_name(snap):
    p = plan(snap, [ours_policy(nexthops=["10.0.0.1"])])
    (change,) = p.changes
    assert change.action == "update" and change.columns == {"nexthops": ["10.0.0.1"]}
    label = "Logical_Router_Policy 29100 m @lr0"
    assert p.diff()["before"][label]["nexthops"] == ["10.0.0.1", "10.0.0.2"]
    assert p.diff()["after"][label]["nexthops"] == ["10.0.0.1"]
    assert p.diff()["after"][label]["bfd_sessions"] == ["p 10.0.0.1"]


def test_identity_is_scoped_to_the_parent(snap):
    """lr1 has a policy with another match; the same key under lr1 is a new row, not lr0's."""
    want = Want("Logical_Router_Policy", {"priority": 29100, "match": "m"}, {"action": "allow"},
                parent=ref("Logical_Router", name="lr1"))
    (change,) = plan(snap, [want]).changes
    assert change.action == "create" and change.parent == ("Logical_Router", U["lr1"], "policies")


def test_references_to_rows_created_in_the_same_plan(snap):
    bfd = Want("BFD", {"logical_port": "p", "dst_ip": "10.0.0.3"}, {"external_ids": OURS})
    pol = ours_policy(nexthops=["10.0.0.3"], bfd_sessions=[ref("BFD", logical_port="p", dst_ip="10.0.0.3")])
    p = plan(snap, [pol, bfd])
    by_action = {c.table: c for c in p.changes}
    assert by_action["BFD"].action == "create"
    assert by_action["Logical_Router_Policy"].columns["bfd_sessions"] == [Pending(bfd.ref)]
    assert by_action["BFD"].ref == bfd.ref and p.rows[bfd.ref]["uuid"] is None
    assert p.diff()["after"]["Logical_Router_Policy 29100 m @lr0"]["bfd_sessions"] == ["BFD p 10.0.0.3"]


def test_rows_are_keyed_by_reference_labels_are_for_display(snap):
    """Two wants whose labels read alike are still two rows: the plan is keyed by Ref."""
    group = ref("HA_Chassis_Group", name="g")
    wants = [Want("HA_Chassis_Group", {"name": "g"}, {}),
             Want("HA_Chassis", {"chassis_name": "c1"}, {"priority": 100}, parent=group),
             Want("HA_Chassis", {"chassis_name": "c2"}, {"priority": 98}, parent=group)]
    p = plan(snap, wants)
    assert set(p.rows) == {w.ref for w in wants}
    assert p.rows[wants[2].ref]["priority"] == 98 and p.rows[wants[2].ref]["uuid"] == str(U["ch2"])
    assert [c.label for c in p.changes] == ["HA_Chassis c2 @g"] and p.changes[0].ref == wants[2].ref


def test_snapshot_loads_a_table_on_first_use_only():
    loaded = []

    def load(table):
        loaded.append(table)
        return {U["lr0"]: {"name": "lr0", "policies": [], "ports": []}}
    lazy = Snapshot({}, {"Logical_Router": COLUMNS["Logical_Router"]}, load)
    assert lazy.find("Logical_Router", {"name": "lr0"}) == [U["lr0"]]
    assert lazy.rows("Logical_Router") is lazy.rows("Logical_Router") and loaded == ["Logical_Router"]
    with pytest.raises(EgressGatewayError, match="not monitored"):
        lazy.rows("BFD")


def test_the_planner_never_imports_python_ovs():
    """_nb_rows is pure: importing it and planning loads no python-ovs module."""
    code = ("import sys\n"
            "from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _nb_rows\n"
            "snap = _nb_rows.Snapshot({'Address_Set': {}}, {'Address_Set': {'name': _nb_rows.Column('scalar')}})\n"
            "assert _nb_rows.plan(snap, [_nb_rows.Want('Address_Set', {'name': 'a'})]).changed\n"
            "print(sorted(m for m in sys.modules if m == 'ovs' or m.startswith('ovs.')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert out.stdout.strip() == "[]", out
    source = pathlib.Path(_nb_rows.__file__).read_text()
    assert not re.search(r"^\s*(import|from)\s+ovs\b", source, re.M)


def test_unknown_reference_and_unknown_parent_fail(snap):
    with pytest.raises(EgressGatewayError, match="unknown BFD 'p 10.9.9.9'"):
        plan(snap, [ours_policy(bfd_sessions=[ref("BFD", logical_port="p", dst_ip="10.9.9.9")])])
    with pytest.raises(EgressGatewayError, match="unknown Logical_Router 'nope'"):
        plan(snap, [Want("Logical_Router_Policy", {"priority": 1, "match": "x"}, {"action": "drop"},
                         parent=ref("Logical_Router", name="nope"))])
    with pytest.raises(EgressGatewayError, match="unknown Logical_Router_Port 'x'"):
        plan(snap, [Want("Logical_Router_Port", {"name": "x"}, {}, parent=LR0, create=False)])


def test_owned_deletes_spare_other_owners_and_wanted_rows(snap):
    owned = {"Logical_Router_Policy": owned_by(**OURS), "BFD": owned_by(**OURS)}
    p = plan(snap, [ours_policy()], owned=owned)
    deleted = {(c.table, c.uuid) for c in p.changes if c.action == "delete"}
    # lr1's policy is ours and not wanted; lr0's wanted one and every foreign row stay
    assert deleted == {("Logical_Router_Policy", U["pol_lr1"])}
    (change,) = p.changes
    assert change.parent == ("Logical_Router", U["lr1"], "policies") and change.label.endswith("@lr1")
    assert p.diff()["after"] == {} and list(p.diff()["before"]) == ["Logical_Router_Policy 29100 m2 @lr1"]


def test_merge_keeps_other_keys_replace_does_not(snap):
    merged = plan(snap, [Want("BFD", {"logical_port": "p", "dst_ip": "10.0.0.9"}, {"external_ids": {"a": "1"}},
                              merge=("external_ids",))])
    assert merged.changes[0].columns == {"external_ids": {"a": "1"}}
    snap.rows("BFD")[U["bfd_theirs"]]["external_ids"] = {"keep": "x"}
    merged = plan(snap, [Want("BFD", {"logical_port": "p", "dst_ip": "10.0.0.9"}, {"external_ids": {"a": "1"}},
                              merge=("external_ids",))])
    assert merged.changes[0].columns == {"external_ids": {"keep": "x", "a": "1"}}
    replaced = plan(snap, [Want("BFD", {"logical_port": "p", "dst_ip": "10.0.0.9"}, {"external_ids": {"a": "1"}})])
    assert replaced.changes[0].columns == {"external_ids": {"a": "1"}}


def test_absent_deletes_only_the_identified_row(snap):
    p = plan(snap, [Want("BFD", {"logical_port": "p", "dst_ip": "10.0.0.9"}, state="absent"),
                    Want("BFD", {"logical_port": "p", "dst_ip": "10.7.7.7"}, state="absent")])
    assert [(c.action, c.uuid) for c in p.changes] == [("delete", U["bfd_theirs"])]


def test_prune_children_and_group_port_delete_together(snap):
    group = ref("HA_Chassis_Group", name="g")
    p = plan(snap, [Want("HA_Chassis_Group", {"name": "g"}, {}, prune_children=True),
                    Want("HA_Chassis", {"chassis_name": "c2"}, {"priority": 100}, parent=group),
                    Want("HA_Chassis", {"chassis_name": "c3"}, {"priority": 50}, parent=group)])
    summary = sorted((c.action, c.label) for c in p.changes)
    assert summary == [("create", "HA_Chassis c3 @g"), ("delete", "HA_Chassis c1 @g"),
                       ("update", "HA_Chassis c2 @g")]
    gone = plan(snap, [Want("HA_Chassis_Group", {"name": "g"}, state="absent"),
                       Want("Logical_Router_Port", {"name": "bfd@lr0"}, parent=LR0, state="absent")])
    lrp = [c for c in gone.changes if c.table == "Logical_Router_Port"][0]
    assert lrp.parent == ("Logical_Router", U["lr0"], "ports")


def test_duplicates_of_an_identity_are_deleted_only_when_owned(snap):
    dup = uuid.UUID(int=99)
    snap.rows("Logical_Router_Policy")[dup] = policy(29100, "m", OURS)
    snap.rows("Logical_Router")[U["lr0"]]["policies"].append(dup)
    assert not plan(snap, [ours_policy()]).changed
    p = plan(snap, [ours_policy()], owned={"Logical_Router_Policy": owned_by(**OURS)})
    deleted = sorted(str(c.uuid) for c in p.changes)
    assert str(dup) in deleted and str(U["pol_ours"]) not in deleted
