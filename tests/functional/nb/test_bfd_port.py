"""ovn_bfd_port, both layouts, against a real ovsdb-server (both schema generations)."""
import pytest

from support.ansible import run_module
from support.ovsdb import ovs_map, py_map, py_set

pytestmark = pytest.mark.ovsdb


@pytest.fixture
def lr0(nb):
    return nb.insert("Logical_Router", {"name": "lr0"})


def group(nb, name):
    rows = nb.select("HA_Chassis_Group", [["name", "==", name]])
    if not rows:
        return None
    (row,) = rows
    chassis = {}
    for uuid in py_set(row["ha_chassis"]):
        (ch,) = nb.select("HA_Chassis", [["_uuid", "==", ["uuid", uuid]]])
        chassis[ch["chassis_name"]] = ch["priority"]
    return {"uuid": row["_uuid"][1], "chassis": chassis, "external_ids": py_map(row["external_ids"])}


def port(nb, name):
    rows = nb.select("Logical_Router_Port", [["name", "==", name]])
    return rows[0] if rows else None


def test_dedicated(nb, lr0):
    foreign = nb.insert("HA_Chassis_Group", {"name": "theirs", "external_ids": ovs_map({"vendor": "x"})})
    foreign_before = nb.dump("HA_Chassis_Group")
    args = {"connection": nb.connection, "router": "lr0", "networks": ["10.255.255.254/24"],
            "chassis": ["node1", "node2", "node3"]}
    check = run_module("ovn_bfd_port", args, check=True, diff=True)
    assert check["changed"] and "Logical_Router_Port bfd@lr0 @lr0" in check["diff"]["after"], check
    assert port(nb, "bfd@lr0") is None and group(nb, "bfd@lr0") is None
    out = run_module("ovn_bfd_port", args)
    assert out["changed"], out
    lrp = port(nb, "bfd@lr0")
    g = group(nb, "bfd@lr0")
    assert py_map(lrp["options"]) == {"bfd-only": "true"}
    assert py_set(lrp["networks"]) == ["10.255.255.254/24"]
    assert lrp["ha_chassis_group"] == ["uuid", g["uuid"]]
    assert g["chassis"] == {"node1": 100, "node2": 99, "node3": 98}
    assert g["external_ids"] == {"vendor": "kube-ovn", "lrp": "bfd@lr0"}
    (lr,) = nb.select("Logical_Router")
    assert py_set(lr["ports"]) == [lrp["_uuid"][1]]
    assert out["port"]["uuid"] == lrp["_uuid"][1] and out["ha_chassis_group"]["chassis"] == g["chassis"]
    assert run_module("ovn_bfd_port", args)["changed"] is False
    # new chassis set: node3 leaves the group, node4 joins, priorities follow the order
    out = run_module("ovn_bfd_port", dict(args, chassis=["node4", {"name": "node1", "priority": 7}]), diff=True)
    assert out["changed"]
    assert group(nb, "bfd@lr0")["chassis"] == {"node4": 100, "node1": 7}
    assert len(nb.select("HA_Chassis")) == 2   # removed chassis rows are gone, not orphaned
    # absent: port and group in one transaction (referential integrity)
    out = run_module("ovn_bfd_port", {"connection": nb.connection, "router": "lr0", "state": "absent"})
    assert out["changed"] and not out["failed"], out
    assert port(nb, "bfd@lr0") is None and group(nb, "bfd@lr0") is None and nb.select("HA_Chassis") == []
    assert py_set(nb.select("Logical_Router")[0]["ports"]) == []
    assert nb.dump("HA_Chassis_Group") == foreign_before and foreign
    assert run_module("ovn_bfd_port", {"connection": nb.connection, "router": "lr0", "state": "absent"})[
        "changed"] is False


def test_router_port_layout(nb, lr0):
    nb.insert("Logical_Router_Port", {"name": "lr0-gw", "mac": "0a:00:00:00:00:01",
                                      "networks": ["set", ["10.0.0.1/24"]]},
              parent=("Logical_Router", lr0, "ports"))
    before = port(nb, "lr0-gw")
    args = {"connection": nb.connection, "router": "lr0", "layout": "router_port", "name": "lr0-gw",
            "chassis": [{"name": "chassis-a", "priority": 20}, {"name": "chassis-b", "priority": 10}]}
    out = run_module("ovn_bfd_port", args)
    assert out["changed"], out
    g = group(nb, "lr0-gw")
    after = port(nb, "lr0-gw")
    assert after["_uuid"] == before["_uuid"] and after["ha_chassis_group"] == ["uuid", g["uuid"]]
    assert after["networks"] == before["networks"] and after["mac"] == before["mac"]
    assert g["chassis"] == {"chassis-a": 20, "chassis-b": 10}
    assert run_module("ovn_bfd_port", args)["changed"] is False
    missing = run_module("ovn_bfd_port", dict(args, name="nope"))
    assert missing["failed"] and "nope" in missing["msg"] and group(nb, "nope") is None
    out = run_module("ovn_bfd_port", dict(args, state="absent"))
    assert out["changed"], out
    after = port(nb, "lr0-gw")
    assert after["ha_chassis_group"] == ["set", []] and group(nb, "lr0-gw") is None
    assert after["_uuid"] == before["_uuid"]     # the router port itself stays
