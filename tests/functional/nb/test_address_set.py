"""ovn_address_set against a real ovsdb-server (both NB schema generations)."""
import pytest

from support.ansible import run_module
from support.ovsdb import ovs_map, ovs_set, py_map, py_set

pytestmark = pytest.mark.ovsdb

OURS = {"vendor": "kube-ovn", "vpc-egress-gateway": "default/g1", "af": "4"}


def rows(nb, name):
    return nb.select("Address_Set", [["name", "==", name]])


def test_create_rerun_update_remove(nb):
    other = nb.insert("Address_Set", {"name": "other", "addresses": ovs_set(["192.0.2.1"]),
                                      "external_ids": ovs_map({"owner": "someone-else"})})

    def others():
        return [r for r in nb.select("Address_Set") if r["name"] == "other"]

    snapshot = others()
    args = {"connection": nb.connection, "name": "VEG.x.ipv4",
            "addresses": ["10.0.2.7", "10.0.1.0/24", "10.0.1.0/24"], "external_ids": OURS}

    check = run_module("ovn_address_set", args, check=True, diff=True)
    assert check["changed"] and not check["failed"], check
    assert check["diff"]["after"]["Address_Set VEG.x.ipv4"]["addresses"] == ["10.0.1.0/24", "10.0.2.7"]
    assert rows(nb, "VEG.x.ipv4") == []          # check mode wrote nothing

    created = run_module("ovn_address_set", args, diff=True)
    assert created["changed"], created
    (row,) = rows(nb, "VEG.x.ipv4")
    assert sorted(py_set(row["addresses"])) == ["10.0.1.0/24", "10.0.2.7"]
    assert py_map(row["external_ids"]) == OURS
    assert created["address_set"]["uuid"] == row["_uuid"][1]

    again = run_module("ovn_address_set", args)
    assert again["changed"] is False, again

    # update: only differing columns; external_ids merged by default
    nb.update("Address_Set", row["_uuid"][1], {"external_ids": ovs_map(dict(OURS, keep="me"))})
    updated = run_module("ovn_address_set", dict(args, addresses=["fd00::1", "fd00:0:0:0::/64"]), diff=True)
    assert updated["changed"]
    (row,) = rows(nb, "VEG.x.ipv4")
    assert sorted(py_set(row["addresses"])) == ["fd00::/64", "fd00::1"]
    assert py_map(row["external_ids"]) == dict(OURS, keep="me")
    assert updated["diff"]["before"]["Address_Set VEG.x.ipv4"]["addresses"] == ["10.0.1.0/24", "10.0.2.7"]

    replace = dict(args, addresses=["fd00::1", "fd00::/64"], external_ids_mode="replace")
    replaced = run_module("ovn_address_set", replace)
    assert replaced["changed"]
    assert py_map(rows(nb, "VEG.x.ipv4")[0]["external_ids"]) == OURS

    removed = run_module("ovn_address_set", {"connection": nb.connection, "name": "VEG.x.ipv4", "state": "absent"},
                         check=True)
    assert removed["changed"] and rows(nb, "VEG.x.ipv4")
    removed = run_module("ovn_address_set", {"connection": nb.connection, "name": "VEG.x.ipv4", "state": "absent"})
    assert removed["changed"] and rows(nb, "VEG.x.ipv4") == []
    assert run_module("ovn_address_set", {"connection": nb.connection, "name": "VEG.x.ipv4",
                                          "state": "absent"})["changed"] is False
    assert others() == snapshot and others()[0]["_uuid"][1] == other


@pytest.mark.parametrize("bad", ["10.0.0.1/24", "10.0.0.300", "nonsense", "10.0.0.0/33"])
def test_bad_address_writes_nothing(nb, bad):
    out = run_module("ovn_address_set", {"connection": nb.connection, "name": "s", "addresses": ["10.0.0.1", bad]})
    assert out["failed"] and out["field"] == "addresses[1]" and bad in out["msg"], out
    assert rows(nb, "s") == []
