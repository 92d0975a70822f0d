"""A 3-member RAFT NB on loopback: modules find the leader, and survive the leader being killed."""
import concurrent.futures
import time

import pytest

from support.ansible import run_module

pytestmark = [pytest.mark.ovsdb, pytest.mark.slow]

OURS = {"vendor": "kube-ovn", "vpc-egress-gateway": "default/g1"}


def policy_args(nb, i):
    return {"connection": nb.connection, "router": "lr0", "priority": 1000 + i, "match": f"ip4.src == 10.0.{i}.0/24",
            "action": "reroute", "nexthops": [f"10.255.0.{i + 1}"], "external_ids": OURS, "timeout": 60}


def set_args(nb, i):
    return {"connection": nb.connection, "name": f"VEG.c{i}", "addresses": [f"10.1.{i}.0/24"],
            "external_ids": OURS, "timeout": 60}


def test_writes_go_to_the_leader(nb_cluster):
    nb = nb_cluster
    nb.insert("Logical_Router", {"name": "lr0"})
    # the first remote listed is a follower: the module must still write (to the leader)
    leader = nb.leader()
    followers = [s for s in nb.servers if s is not leader]
    remotes = nb.connection.split(",")
    order = [remotes[nb.servers.index(s)] for s in followers + [leader]]
    out = run_module("ovn_address_set", dict(set_args(nb, 0), connection=",".join(order)))
    assert out["changed"] and not out["failed"], out
    assert len(nb.select("Address_Set", [["name", "==", "VEG.c0"]])) == 1


def test_leader_killed_while_modules_run(nb_cluster):
    nb = nb_cluster
    nb.insert("Logical_Router", {"name": "lr0"})
    jobs = [("ovn_lr_policy", policy_args(nb, i)) for i in range(8)] + \
           [("ovn_address_set", set_args(nb, i)) for i in range(8)]
    killed = {}

    def kill_leader_soon():
        time.sleep(0.4)
        leader = nb.leader()
        killed["name"], killed["pid"] = leader.name, leader.pid
        leader.kill()       # SIGKILL by pid: no clean handover

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        killer = pool.submit(kill_leader_soon)
        results = list(pool.map(lambda job: run_module(*job), jobs))
        killer.result()
    assert killed, "the leader was not killed"
    failed = [r for r in results if r["failed"]]
    assert not failed, failed
    new_leader = nb.leader()
    assert new_leader is not None and new_leader.name != killed["name"]

    # converged: every row exactly once, and a rerun changes nothing
    policies = nb.select("Logical_Router_Policy")
    assert sorted(p["priority"] for p in policies) == list(range(1000, 1008))
    (lr,) = nb.select("Logical_Router")
    assert len(lr["policies"][1]) == 8
    sets = [s["name"] for s in nb.select("Address_Set")]
    assert sorted(sets) == sorted(f"VEG.c{i}" for i in range(8))
    for name, args in jobs:
        assert run_module(name, args)["changed"] is False


def test_leader_killed_between_read_and_commit(nb_cluster):
    """The engine's retry path, deterministically: connected and read, then the leader dies."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _nb_rows, _ovsdb

    nb = nb_cluster
    nb.insert("Logical_Router", {"name": "lr0"})
    want = _nb_rows.Want("Logical_Router_Policy", {"priority": 7, "match": "ip4"}, {"action": "allow"},
                         parent=_nb_rows.ref("Logical_Router", name="lr0"))
    tables = {"Logical_Router": ["name", "policies"], "Logical_Router_Policy": None}
    with _ovsdb.NbConnection(nb.connection, tables, timeout=60) as conn:
        statuses = []
        commit = conn.commit

        def recording_commit(build):
            status, txn = commit(build)
            statuses.append(status)
            return status, txn

        conn.commit = recording_commit
        nb.leader().kill()
        plan = conn.converge([want])
        assert plan.changed and plan.uuids
        assert statuses[0] == "try again" and statuses[-1] == "success", statuses
    assert len(nb.select("Logical_Router_Policy")) == 1
