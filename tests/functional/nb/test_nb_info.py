"""ovn_nb_info reads what the other modules (and other owners) wrote, filtered on the server."""
import pytest

from support.ansible import run_module
from support.ovsdb import ovs_map

pytestmark = pytest.mark.ovsdb

OURS = {"vendor": "kube-ovn", "vpc-egress-gateway": "default/g1"}


def test_nb_info(nb):
    c = {"connection": nb.connection}
    ls = nb.insert("Logical_Switch", {"name": "ls0"})
    for name in ("a.default", "b.default"):
        nb.insert("Logical_Switch_Port", {"name": name}, parent=("Logical_Switch", ls, "ports"))
    nb.insert("Logical_Router", {"name": "lr0"})
    lr1 = nb.insert("Logical_Router", {"name": "lr1"})
    nb.insert("Logical_Router_Policy", {"priority": 100, "match": "1", "action": "allow",
                                        "external_ids": ovs_map({"vendor": "x"})},
              parent=("Logical_Router", lr1, "policies"))
    assert not run_module("ovn_port_group", dict(c, name="VEG.x", ports=["a.default", "b.default"],
                                                 external_ids=OURS))["failed"]
    assert not run_module("ovn_address_set", dict(c, name="VEG.x.ipv4", addresses=["10.0.0.0/24"],
                                                  external_ids=OURS))["failed"]
    bfd = run_module("ovn_bfd", dict(c, logical_port="bfd@lr0", dst_ip="10.255.0.11", external_ids=OURS))["bfd"]
    nb.update("BFD", bfd["uuid"], {"status": "up"})
    new_schema = nb.schema_version != "7.0.0"
    for prio, action in ((29090, "drop"), (29100, "reroute")):
        args = dict(c, router="lr0", priority=prio, match="ip4.src == $VEG.x.ipv4", action=action,
                    nexthops=["10.255.0.11"] if action == "reroute" else [], external_ids=OURS)
        if new_schema and action == "reroute":
            args["bfd_sessions"] = [bfd["uuid"]]
        assert not run_module("ovn_lr_policy", args)["failed"]

    info = run_module("ovn_nb_info", dict(c, router="lr0", external_ids=OURS), check=True)
    assert not info["failed"] and info["changed"] is False, info
    assert [(p["priority"], p["action"]) for p in info["policies"]] == [(29100, "reroute"), (29090, "drop")]
    reroute = info["policies"][0]
    assert reroute["router"] == "lr0" and reroute["nexthops"] == ["10.255.0.11"]
    assert reroute["external_ids"] == OURS and len(reroute["uuid"]) == 36
    if new_schema:
        assert reroute["bfd_sessions"] == [{"uuid": bfd["uuid"], "logical_port": "bfd@lr0",
                                            "dst_ip": "10.255.0.11", "status": "up"}]
    assert [(b["dst_ip"], b["status"]) for b in info["bfd"]] == [("10.255.0.11", "up")]
    assert info["address_sets"][0]["addresses"] == ["10.0.0.0/24"]
    assert [(g["name"], g["ports"]) for g in info["port_groups"]] == [("VEG.x", ["a.default", "b.default"])]

    everything = run_module("ovn_nb_info", c)
    assert {p["router"] for p in everything["policies"]} == {"lr0", "lr1"}
    other = run_module("ovn_nb_info", dict(c, external_ids={"vendor": "nobody"}, gather=["policies", "bfd"]))
    assert other["policies"] == [] and other["bfd"] == [] and "address_sets" not in other
    missing = run_module("ovn_nb_info", dict(c, router="nope"))
    assert missing["failed"] and "nope" in missing["msg"]
