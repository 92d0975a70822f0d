"""ovn_bfd_sentinel against a real ovsdb-server: the sentinel's BFD row and its never-matching
policy in one transaction, recognised by their external_ids alone; rows of other owners, even
with the sentinel's identity, are never changed (an independent read after every run)."""
import pytest

from support.ansible import run_module
from support.ovsdb import ovs_map, py_map, py_set

pytestmark = pytest.mark.ovsdb

PORT = "lr0-ls0"
SENTINEL_IDS = {"vendor": "kubeovn.egress_gateway", "bfd-sentinel": PORT}
THEIRS = {"vendor": "someone-else"}


@pytest.fixture
def lr(nb_new):
    nb = nb_new
    lr = nb.insert("Logical_Router", {"name": "lr0"})
    other = nb.insert("Logical_Router", {"name": "lr1"})
    # another router's priority 1 "0" policy and a gateway's BFD row on the same port: not ours
    nb.insert("Logical_Router_Policy", {"priority": 1, "match": "0", "action": "allow",
                                        "external_ids": ovs_map(THEIRS)}, parent=("Logical_Router", other, "policies"))
    nb.insert("BFD", {"logical_port": PORT, "dst_ip": "10.0.1.11", "external_ids": ovs_map(THEIRS)})
    return nb, lr


def args(nb, **params):
    return dict({"connection": nb.connection, "router": "lr0", "logical_port": PORT}, **params)


def theirs(nb):
    return sorted((r for table in ("BFD", "Logical_Router_Policy") for r in nb.select(table)
                   if py_map(r["external_ids"]).get("vendor") != SENTINEL_IDS["vendor"]), key=lambda r: r["_uuid"][1])


def sentinel_rows(nb):
    def ours(table):
        return [r for r in nb.select(table) if py_map(r["external_ids"]) == SENTINEL_IDS]
    return ours("BFD"), ours("Logical_Router_Policy")


def test_present_writes_the_row_and_the_policy_that_runs_it(lr):
    nb, router = lr
    before = theirs(nb)
    check = run_module("ovn_bfd_sentinel", args(nb, dst_ip="10.0.1.250"), check=True, diff=True)
    assert check["changed"] and sentinel_rows(nb) == ([], []), check
    out = run_module("ovn_bfd_sentinel", args(nb, dst_ip="10.0.1.250"), diff=True)
    assert out["changed"] and out["bfd"]["dst_ip"] == "10.0.1.250" and out["bfd"]["status"] is None, out
    (bfd,), (policy,) = sentinel_rows(nb)
    assert (bfd["logical_port"], bfd["dst_ip"], bfd["min_rx"], bfd["min_tx"], bfd["detect_mult"]) == \
        (PORT, "10.0.1.250", 100, 1000, 3)
    assert (policy["priority"], policy["match"], policy["action"], py_set(policy["nexthops"])) == \
        (1, "0", "reroute", ["10.0.1.250"])
    assert py_set(policy["bfd_sessions"]) == [bfd["_uuid"][1]]
    (lr0,) = nb.select("Logical_Router", [["name", "==", "lr0"]])
    assert py_set(lr0["policies"]) == [policy["_uuid"][1]]
    assert run_module("ovn_bfd_sentinel", args(nb, dst_ip="10.0.1.250"))["changed"] is False
    assert theirs(nb) == before


def test_another_address_replaces_the_sentinel_and_absent_removes_only_it(lr):
    nb, _router = lr
    before = theirs(nb)
    run_module("ovn_bfd_sentinel", args(nb, dst_ip="10.0.1.250"))
    out = run_module("ovn_bfd_sentinel", args(nb, dst_ip="10.0.1.251", min_rx=300))
    assert out["changed"], out
    (bfd,), (policy,) = sentinel_rows(nb)
    assert (bfd["dst_ip"], bfd["min_rx"], py_set(policy["nexthops"])) == ("10.0.1.251", 300, ["10.0.1.251"])
    assert py_set(policy["bfd_sessions"]) == [bfd["_uuid"][1]]
    gone = run_module("ovn_bfd_sentinel", args(nb, state="absent"), diff=True)
    assert gone["changed"] and sentinel_rows(nb) == ([], []), gone
    (lr0,) = nb.select("Logical_Router", [["name", "==", "lr0"]])
    assert py_set(lr0["policies"]) == []
    assert run_module("ovn_bfd_sentinel", args(nb, state="absent"))["changed"] is False
    assert theirs(nb) == before


@pytest.mark.parametrize("taken, value", [
    ({"table": "BFD", "row": {"logical_port": PORT, "dst_ip": "10.0.1.11"}}, f"BFD {PORT} 10.0.1.11"),
    ({"table": "Logical_Router_Policy", "row": {"priority": 1, "match": "0", "action": "drop"}},
     "Logical_Router_Policy 1 0 @lr0"),
])
def test_an_identity_taken_by_another_owner_fails_and_writes_nothing(lr, taken, value):
    nb, router = lr
    if taken["table"] == "Logical_Router_Policy":
        nb.insert("Logical_Router_Policy", taken["row"], parent=("Logical_Router", router, "policies"))
    dst_ip = taken["row"].get("dst_ip", "10.0.1.250")
    before = theirs(nb)
    out = run_module("ovn_bfd_sentinel", args(nb, dst_ip=dst_ip))
    assert out["failed"] and (out["field"], out["value"]) == (taken["table"], value), out
    assert "is not this port's BFD sentinel's" in out["msg"], out
    assert "\n" not in out["msg"]
    assert sentinel_rows(nb) == ([], []) and theirs(nb) == before


def test_an_nb_without_bfd_sessions_on_policies_refuses_the_sentinel_but_removes_nothing_quietly(nb):
    nb.insert("Logical_Router", {"name": "lr0"})
    absent = run_module("ovn_bfd_sentinel", args(nb, state="absent"))
    assert not absent["failed"] and absent["changed"] is False, absent
    present = run_module("ovn_bfd_sentinel", args(nb, dst_ip="10.0.1.250"))
    if nb.schema_version == "7.0.0":
        assert present["failed"] and "OVN 24.03" in present["msg"] and "\n" not in present["msg"], present
        assert nb.select("BFD") == [] and nb.select("Logical_Router_Policy") == []
    else:
        assert present["changed"] and not present["failed"], present
