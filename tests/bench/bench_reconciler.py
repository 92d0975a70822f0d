# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the gateway reconciler (ovn_egress_gateway); run by `make bench` (hack/bench.sh).

Every figure is compared with a baseline measured in the same run, on the same ovsdb-server
(a private NB with the OVN 25.03 schema on a unix socket):

  e2e    what a user feels: ansible-playbook wall time for one gateway and for 20 gateways in one
         play, first apply and no-op rerun, against an idempotent playbook of
         ansible.builtin.command ovn-nbctl tasks (25.03 ovn-nbctl, --db, no northd) writing the
         same rows (per row a query task and a change task that runs only when the row differs)
         and against an empty playbook (Ansible's own start-up).
  limit  the module's own work in-process (parse, plan, read, one transaction) against a bare
         read of the same tables (connect + monitor with the same conditions) and against that
         read plus one raw transaction that writes the same rows.
  scale  one gateway with 50 ipBlocks, 3 replicas, BFD on, and 100 / 1,000 / 10,000 / 50,000
         selected pods (their logical switch ports present in the NB): time and peak memory of
         the real module process (first apply and no-op), and the bare read at that size.

Results: build/bench/reconciler.json and build/bench/reconciler.md (the tables). Timings are
never asserted; the script fails only when a run does not do what it should (e.g. a rerun that
changes something, or the ovn-nbctl playbook writing different rows than the module).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "build" / "collections"), str(REPO / "tests" / "functional")]

from support import OVN_BIN  # noqa: E402
from support.ansible import ansible_env  # noqa: E402
from support.nbworld import BFD_PORT, ROUTER, add_ports, build, owned_rows  # noqa: E402
from support.ovsdb import NbDatabase  # noqa: E402

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovs_json import use_fast_json  # noqa: E402

# The module parses JSON-RPC with the fast parser; in-process measurements and the bare read
# baseline use it too, so the comparison is about the work done, not the JSON lexer.
use_fast_json()

OUT = REPO / "build" / "bench"
NBCTL = OVN_BIN / "ovn-nbctl"
MODULE = REPO / "plugins" / "modules" / "ovn_egress_gateway.py"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def median_of(fn, repeat):
    samples = [fn() for _run in range(repeat)]
    return statistics.median(samples), samples


# -- gateways -------------------------------------------------------------------------------------

def gateway(i, pods=2, blocks=1, replicas=2, bfd=True):
    """Module arguments of gateway number i (its own IPs, pods and CIDRs)."""
    name = f"gw{i:02d}"
    spec = {
        "apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas, "externalSubnet": "macvlan1",
            "bfd": {"enabled": bfd, "minRX": 100, "minTX": 100, "multiplier": 5},
            "selectors": [{"podSelector": {"matchLabels": {"egress": name}}}],
            "policies": [{"snat": True, "ipBlocks": [f"10.{100 + i}.{b}.0/24" for b in range(blocks)]}],
        },
    }
    instances = [{"name": f"{name}-{r}", "node": f"node{r}", "internal_ips": [f"10.16.{i}.{10 + r}"],
                  "external_ips": [f"172.17.{i}.{10 + r}"]} for r in range(replicas)]
    return {"spec": spec, "instances": instances, "pod_ports": [f"{name}-client-{p}.default" for p in range(pods)],
            "router": ROUTER, "bfd_port": BFD_PORT}


def key_of(gw):
    return f"default/{gw['spec']['metadata']['name']}"


def new_nb(tmp, pods):
    nb = NbDatabase(pathlib.Path(tempfile.mkdtemp(prefix="vegC-bench-", dir=tmp)), "7.11.0").start_standalone()
    world = build(nb, pods=(), cluster_policies=True, other_owners=False)
    add_ports(nb, world["switch"], pods)
    return nb


def module_with_rss(args):
    """The real module as Ansible runs it (a subprocess, args on stdin): (result, seconds, peak RSS MiB).

    The peak RSS comes from /usr/bin/time, which forks the module from its own small process:
    the rusage of a child forked from this (large) process would count this process's memory.
    """
    payload = json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=False, _ansible_diff=False)})
    with tempfile.NamedTemporaryFile("w+", suffix=".rss") as rss:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, sys.executable, str(MODULE)],
                              input=payload, capture_output=True, text=True, env=ansible_env(), check=False)
        seconds = time.perf_counter() - start
        kib = int(pathlib.Path(rss.name).read_text().split()[-1])
    result = json.loads(proc.stdout) if proc.stdout.strip() else {"failed": True, "msg": proc.stderr}
    return result, seconds, kib / 1024


# -- in-process: the module's own work vs a bare read ---------------------------------------------

def inprocess_reconcile(nb, gw, check=False):
    """What the module does, in this process: validate, plan, read, one transaction."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovsdb import NbConnection
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._reconcile import (
        Target, monitored_tables, reconcile)
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows

    start = time.perf_counter()
    parsed = parse_gateway(gw["spec"])
    rows = desired_rows(parsed, gw["router"], gw["bfd_port"], gw["instances"], gw["pod_ports"], {}, {})
    targets = [Target(parsed, rows, gw["bfd_port"])]
    tables, conditions = monitored_tables(targets)
    with NbConnection(nb.connection, tables, conditions=conditions,
                      optional_columns={"Logical_Router_Policy": ["bfd_sessions"]}) as conn:
        outcome = reconcile(conn, targets, check_mode=check)
    return time.perf_counter() - start, outcome["plan"]


def inprocess_absent(nb, gw):
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovsdb import NbConnection
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._reconcile import (
        Target, monitored_tables, reconcile)
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway

    targets = [Target(parse_gateway(gw["spec"]), None, gw["bfd_port"])]
    tables, conditions = monitored_tables(targets)
    with NbConnection(nb.connection, tables, conditions=conditions,
                      optional_columns={"Logical_Router_Policy": ["bfd_sessions"]}) as conn:
        reconcile(conn, targets)


def bare_read(nb, gw):
    """Read exactly what the module reads, nothing else: connect and monitor its tables with its
    conditions, and one select of the logical switch ports' _uuid and name."""
    import ovs.db.idl
    import ovs.jsonrpc
    import ovs.poller
    import ovs.stream

    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._reconcile import Target, monitored_tables
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway

    tables, conditions = monitored_tables([Target(parse_gateway(gw["spec"]), {}, gw["bfd_port"])])
    start = time.perf_counter()
    _error, stream = ovs.stream.Stream.open_block(ovs.stream.Stream.open(nb.connection))
    rpc = ovs.jsonrpc.Connection(stream)
    _error, reply = rpc.transact_block(ovs.jsonrpc.Message.create_request("get_schema", ["OVN_Northbound"]))
    rpc.close()
    helper = ovs.db.idl.SchemaHelper(schema_json=reply.result)
    for table, columns in tables.items():
        helper.register_columns(table, columns)
    idl = ovs.db.idl.Idl(nb.connection, helper)
    for table, cond in conditions.items():
        idl.cond_change(table, cond)
    while not (idl.has_ever_connected() and not idl.cond_changed and all(
            t.condition_state.new is None and t.condition_state.requested is None for t in idl.tables.values())):
        idl.run()
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.timer_wait(1)   # a replica update may already be buffered: poll, do not sleep on it
        poller.block()
    _error, stream = ovs.stream.Stream.open_block(ovs.stream.Stream.open(nb.connection))
    rpc = ovs.jsonrpc.Connection(stream)
    _error, reply = rpc.transact_block(ovs.jsonrpc.Message.create_request("transact", ["OVN_Northbound", {
        "op": "select", "table": "Logical_Switch_Port", "where": [], "columns": ["_uuid", "name"]}]))
    rpc.close()
    assert len(reply.result[0]["rows"]) >= len(gw["pod_ports"])
    seconds = time.perf_counter() - start
    idl.close()
    return seconds


def raw_transaction_ops(nb, gw):
    """The same rows as the module writes, as one OVSDB transact request (no engine, no checks)."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows

    rows = desired_rows(parse_gateway(gw["spec"]), gw["router"], gw["bfd_port"], gw["instances"], gw["pod_ports"],
                        {}, {})
    lsps = {r["name"]: r["_uuid"][1] for r in nb.select("Logical_Switch_Port")}
    router = next(r["_uuid"][1] for r in nb.select("Logical_Router") if r["name"] == ROUTER)

    def amap(ids):
        return ["map", sorted([k, v] for k, v in ids.items())]
    ops, policies = [], []
    for pg in rows["port_groups"]:
        ops.append({"op": "insert", "table": "Port_Group", "row": {
            "name": pg["name"], "ports": ["set", [["uuid", lsps[p]] for p in pg["ports"]]],
            "external_ids": amap(pg["external_ids"])}})
    for a in rows["address_sets"]:
        ops.append({"op": "insert", "table": "Address_Set", "row": {
            "name": a["name"], "addresses": ["set", a["addresses"]], "external_ids": amap(a["external_ids"])}})
    for i, b in enumerate(rows["bfd"]):
        ops.append({"op": "insert", "table": "BFD", "uuid-name": f"bfd{i}", "row": {
            "logical_port": b["logical_port"], "dst_ip": b["dst_ip"], "min_rx": b["min_rx"], "min_tx": b["min_tx"],
            "detect_mult": b["detect_mult"], "external_ids": amap(b["external_ids"])}})
    bfd_names = {(b["logical_port"], b["dst_ip"]): f"bfd{i}" for i, b in enumerate(rows["bfd"])}
    for i, p in enumerate(rows["policies"]):
        ops.append({"op": "insert", "table": "Logical_Router_Policy", "uuid-name": f"p{i}", "row": {
            "priority": p["priority"], "match": p["match"], "action": p["action"],
            "nexthops": ["set", p["nexthops"]],
            "bfd_sessions": ["set", [["named-uuid", bfd_names[s]] for s in p["bfd_sessions"]]],
            "external_ids": amap(p["external_ids"])}})
        policies.append(["named-uuid", f"p{i}"])
    ops.append({"op": "mutate", "table": "Logical_Router", "where": [["_uuid", "==", ["uuid", router]]],
                "mutations": [["policies", "insert", ["set", policies]]]})
    return ops


def raw_transaction(nb, ops):
    import ovs.jsonrpc
    import ovs.stream

    start = time.perf_counter()
    _error, stream = ovs.stream.Stream.open_block(ovs.stream.Stream.open(nb.connection))
    rpc = ovs.jsonrpc.Connection(stream)
    _error, reply = rpc.transact_block(ovs.jsonrpc.Message.create_request("transact", ["OVN_Northbound", *ops]))
    rpc.close()
    seconds = time.perf_counter() - start
    errors = [r for r in reply.result if isinstance(r, dict) and "error" in r]
    if errors:
        raise SystemExit(f"raw transaction failed: {errors}")
    return seconds


# -- playbooks ------------------------------------------------------------------------------------

def write_play(path, tasks, variables=None):
    play = [{"name": "bench", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": variables or {}, "tasks": tasks}]
    path.write_text(json.dumps(play, indent=1))   # JSON is YAML
    return path


def playbook_seconds(path, extra_env=None):
    env = ansible_env(dict({"ANSIBLE_STDOUT_CALLBACK": "json", "ANSIBLE_PYTHON_INTERPRETER": sys.executable},
                           **(extra_env or {})))
    start = time.perf_counter()
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", "localhost,", str(path)],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=3600, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{path} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    stats = json.loads(proc.stdout)["stats"].get("localhost", {})
    return seconds, stats


def module_play(tmp, nb, gateways):
    return write_play(tmp / "module.yml", [{
        "name": "Reconcile the gateway",
        "kubeovn.egress_gateway.ovn_egress_gateway": {
            "connection": nb.connection, "spec": "{{ item.spec }}", "instances": "{{ item.instances }}",
            "pod_ports": "{{ item.pod_ports }}", "router": "{{ item.router }}", "bfd_port": "{{ item.bfd_port }}"},
        "loop": "{{ gateways }}", "loop_control": {"label": "{{ item.spec.metadata.name }}"},
    }], {"gateways": gateways})


def module_list_play(tmp, nb, gateways):
    """The same gateways as ONE task (the module's gateways option): one process, one transaction."""
    return write_play(tmp / "module-list.yml", [{
        "name": "Reconcile every gateway",
        "kubeovn.egress_gateway.ovn_egress_gateway": {"connection": nb.connection, "gateways": "{{ gateways }}"},
    }], {"gateways": gateways})


def ovs_map_arg(column, ids):
    return column + "={" + ",".join(f'"{k}"="{v}"' for k, v in sorted(ids.items())) + "}"


def ovs_set_arg(column, values):
    return column + "=" + (",".join(f'"{v}"' for v in values) if values else "[]")


def nbctl_rows(gw):
    """Per row of the gateway: (label, query argv tail, change), change = (create head, create
    tail, update head, update tail, nexthops of the BFD sessions the row references or None).
    A create is head + [bfd_sessions=...] + tail; an update is update head + [uuid] + update tail
    + [bfd_sessions=...]; update head None: rewrite the row (destroy + create by name)."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows

    rows = desired_rows(parse_gateway(gw["spec"]), gw["router"], gw["bfd_port"], gw["instances"], gw["pod_ports"],
                        {}, {})
    out = []
    for pg in rows["port_groups"]:
        write = ["--", "--if-exists", "destroy", "Port_Group", pg["name"], "--", "pg-add", pg["name"], *pg["ports"],
                 "--", "set", "Port_Group", pg["name"], ovs_map_arg("external_ids", pg["external_ids"])]
        out.append(("pg " + pg["name"], ["--columns=_uuid,ports,external_ids", "find", "Port_Group",
                                         f"name={pg['name']}"], (write, [], None, [], None)))
    for a in rows["address_sets"]:
        write = ["--", "--if-exists", "destroy", "Address_Set", a["name"], "--", "create", "Address_Set",
                 f"name={a['name']}", ovs_set_arg("addresses", a["addresses"]),
                 ovs_map_arg("external_ids", a["external_ids"])]
        query = ["--columns=_uuid,addresses,external_ids", "find", "Address_Set", f"name={a['name']}"]
        out.append(("as " + a["name"], query, (write, [], None, [], None)))
    for b in rows["bfd"]:
        columns = [f"min_rx={b['min_rx']}", f"min_tx={b['min_tx']}", f"detect_mult={b['detect_mult']}",
                   ovs_map_arg("external_ids", b["external_ids"])]
        ident = [f"logical_port={b['logical_port']}", f"dst_ip={b['dst_ip']}"]
        out.append((f"bfd {b['dst_ip']}", ["--columns=_uuid,min_rx,min_tx,detect_mult,external_ids", "find", "BFD",
                                           *ident], (["create", "BFD", *ident, *columns], [], ["set", "BFD"], columns,
                                                     None)))
    out.append(("bfd lookup", None, None))
    for p in rows["policies"]:
        ident = [f"priority={p['priority']}", f'match="{p["match"]}"']
        columns = [f"action={p['action']}", ovs_set_arg("nexthops", p["nexthops"]),
                   ovs_map_arg("external_ids", p["external_ids"])]
        out.append((f"policy {p['priority']} {p['match']}",
                    ["--columns=_uuid,action,nexthops,bfd_sessions,external_ids", "find", "Logical_Router_Policy",
                     *ident],
                    (["--", "--id=@p", "create", "Logical_Router_Policy", *ident, *columns],
                     ["--", "add", "Logical_Router", gw["router"], "policies", "@p"],
                     ["set", "Logical_Router_Policy"], columns, p["nexthops"] if p["bfd_sessions"] else None)))
    return out


def nbctl_play(tmp, nb, gateways, expected):
    """The idempotent ovn-nbctl playbook: per row a query task, and a change task when it differs."""
    base = [str(NBCTL), f"--db={nb.connection}"]
    tasks, variables, n = [], {"nbctl": base}, 0
    for g, gw in enumerate(gateways):
        for label, query, change in nbctl_rows(gw):
            if query is None:     # the BFD rows' uuids, for the policies' bfd_sessions
                tasks.append({"name": f"{key_of(gw)} BFD uuids", "ansible.builtin.command": {"argv": base + [
                    "--format=csv", "--no-headings", "--data=bare", "--columns=_uuid,dst_ip", "find", "BFD",
                    f'external_ids:vpc-egress-gateway="{key_of(gw)}"']}, "register": "bfd_lookup",
                    "changed_when": False})
                continue
            create, create_tail, update, update_tail, hops = change
            variables.update({f"e{n}": expected[(g, label)], f"c{n}": create, f"ct{n}": create_tail,
                              f"u{n}": update, f"ut{n}": update_tail})
            sessions = "[]"
            if hops is not None:
                variables[f"h{n}"] = hops
                sessions = (f"['bfd_sessions=' + (bfd_lookup.stdout_lines | map('split', ',') | selectattr(1, 'in', h{n})"
                            " | map(attribute=0) | join(','))]")
            q = f"q{n}"
            tasks.append({"name": f"query {key_of(gw)} {label}", "ansible.builtin.command": {
                "argv": base + ["--bare", *query]}, "register": q, "changed_when": False})
            argv = (f"{{{{ nbctl + ((u{n} + [{q}.stdout_lines[0]] + ut{n} + {sessions}) if {q}.stdout and u{n} "
                    f"else (c{n} + {sessions} + ct{n})) }}}}")
            tasks.append({"name": f"write {key_of(gw)} {label}", "ansible.builtin.command": {"argv": argv},
                          "when": f"({q}.stdout | regex_replace('{UUID}', 'U')) != e{n}"})
            n += 1
    return write_play(tmp / "nbctl.yml", tasks, variables)


def expected_queries(nb, gateways):
    """What each query prints when the row is right (read after the module wrote it), uuids as U."""
    out = {}
    for g, gw in enumerate(gateways):
        for label, query, _change in nbctl_rows(gw):
            if query is not None:
                text = subprocess.run([str(NBCTL), f"--db={nb.connection}", "--bare", *query], capture_output=True,
                                      text=True, check=True).stdout.rstrip("\n")
                out[(g, label)] = re.sub(UUID, "U", text)
    return out


def e2e(tmp, count, repeat):
    """count gateways in one play: module vs ovn-nbctl playbook vs empty playbook."""
    pods = [p for g in range(count) for p in gateway(g)["pod_ports"]]
    nb = new_nb(tmp, pods)
    try:
        gateways = [gateway(g) for g in range(count)]
        empty = write_play(tmp / "empty.yml", [])
        empty_s, _samples = median_of(lambda: playbook_seconds(empty)[0], repeat)
        play = module_play(tmp, nb, gateways)
        first, rerun, want = [], [], None
        for _run in range(repeat):
            seconds, stats = playbook_seconds(play)
            assert stats["changed"] == 1, stats     # the one (looped) task
            first.append(seconds)
            seconds, stats = playbook_seconds(play)
            assert stats["changed"] == 0, stats
            rerun.append(seconds)
            want = {key_of(gw): owned_rows(nb, key_of(gw)) for gw in gateways}
            expected = expected_queries(nb, gateways)
            for gw in gateways:
                inprocess_absent(nb, gw)
        listed = module_list_play(tmp, nb, gateways)
        lfirst, lrerun = [], []
        for _run in range(repeat):
            seconds, stats = playbook_seconds(listed)
            assert stats["changed"] == 1, stats
            lfirst.append(seconds)
            assert {key_of(gw): owned_rows(nb, key_of(gw)) for gw in gateways} == want
            seconds, stats = playbook_seconds(listed)
            assert stats["changed"] == 0, stats
            lrerun.append(seconds)
            for gw in gateways:
                inprocess_absent(nb, gw)
        nbctl = nbctl_play(tmp, nb, gateways, expected)
        nfirst, nrerun = [], []
        for _run in range(repeat):
            seconds, stats = playbook_seconds(nbctl)
            nfirst.append(seconds)
            got = {key_of(gw): owned_rows(nb, key_of(gw)) for gw in gateways}
            assert got == want, "the ovn-nbctl playbook wrote other rows than the module"
            seconds, stats = playbook_seconds(nbctl)
            assert stats["changed"] == 0, stats
            nrerun.append(seconds)
            for gw in gateways:
                inprocess_absent(nb, gw)
        rows = sum(len(nbctl_rows(gw)) - 1 for gw in gateways)
        return {
            "gateways": count, "rows": rows, "nbctl_tasks": len(json.loads(nbctl.read_text())[0]["tasks"]),
            "empty_playbook_s": empty_s,
            "module_first_s": statistics.median(first), "module_rerun_s": statistics.median(rerun),
            "nbctl_first_s": statistics.median(nfirst), "nbctl_rerun_s": statistics.median(nrerun),
            "ratio_first": statistics.median(first) / statistics.median(nfirst),
            "ratio_rerun": statistics.median(rerun) / statistics.median(nrerun),
            "module_list_first_s": statistics.median(lfirst), "module_list_rerun_s": statistics.median(lrerun),
            "ratio_list_first": statistics.median(lfirst) / statistics.median(nfirst),
            "ratio_list_rerun": statistics.median(lrerun) / statistics.median(nrerun),
        }
    finally:
        nb.stop()


def limit(tmp, repeat):
    gw = gateway(0)
    nb = new_nb(tmp, gw["pod_ports"])
    try:
        read_s, _samples = median_of(lambda: bare_read(nb, gw), repeat)
        ops = raw_transaction_ops(nb, gw)
        txn = []
        for _run in range(repeat):
            txn.append(raw_transaction(nb, ops))
            inprocess_absent(nb, gw)
        first = []
        for _run in range(repeat):
            seconds, plan = inprocess_reconcile(nb, gw)
            assert plan.changed
            first.append(seconds)
            inprocess_absent(nb, gw)
        inprocess_reconcile(nb, gw)
        noop = []
        for _run in range(repeat):
            seconds, plan = inprocess_reconcile(nb, gw)
            assert not plan.changed
            noop.append(seconds)
        read_txn = read_s + statistics.median(txn)
        return {"bare_read_s": read_s, "raw_txn_s": statistics.median(txn), "read_plus_txn_s": read_txn,
                "module_noop_s": statistics.median(noop), "module_first_s": statistics.median(first),
                "ratio_noop_to_read": statistics.median(noop) / read_s,
                "ratio_first_to_read_plus_txn": statistics.median(first) / read_txn}
    finally:
        nb.stop()


def scale(tmp, sizes, repeat):
    out = []
    for pods in sizes:
        gw = gateway(0, pods=pods, blocks=50, replicas=3, bfd=True)
        log(f"scale: {pods} pods")
        nb = new_nb(tmp, gw["pod_ports"])
        try:
            args = dict(gw, connection=nb.connection)
            read_s, _samples = median_of(lambda: bare_read(nb, gw), repeat)
            first, first_rss, noop, noop_rss = [], [], [], []
            for _run in range(repeat):
                result, seconds, rss = module_with_rss(args)
                assert result.get("changed") and not result.get("failed"), result.get("msg")
                first.append(seconds)
                first_rss.append(rss)
                result, seconds, rss = module_with_rss(args)
                assert result.get("changed") is False, result.get("msg")
                noop.append(seconds)
                noop_rss.append(rss)
                inprocess_absent(nb, gw)
            inproc_first, _plan = inprocess_reconcile(nb, gw)
            inproc_noop, _plan = inprocess_reconcile(nb, gw)
            out.append({"pods": pods, "bare_read_s": read_s,
                        "module_first_s": statistics.median(first), "module_first_rss_mib": max(first_rss),
                        "module_noop_s": statistics.median(noop), "module_noop_rss_mib": max(noop_rss),
                        "inprocess_first_s": inproc_first, "inprocess_noop_s": inproc_noop})
        finally:
            nb.stop()
    # the module process failing at validation, before any connection: the share of Python and
    # Ansible start-up in the times above
    result, seconds, rss = module_with_rss({"spec": {"externalSubnet": "e"}, "name": "x"})
    assert result.get("failed"), result
    return {"sizes": out, "module_startup_s": seconds, "module_startup_rss_mib": rss}


# -- report ---------------------------------------------------------------------------------------

def table(results):
    lines = ["# Reconciler benchmark", "", f"Measured {results['date']} on {results['host']}; medians of "
             f"{results['repeat']} runs; ratios against baselines of the same run.", ""]
    if "e2e" in results:
        lines += ["## End to end (ansible-playbook wall time, s)", "",
                  "module: one task looped over the gateways; module list: one task with `gateways:` (one "
                  "transaction). ratio = module / ovn-nbctl playbook; net = the same after subtracting the empty "
                  "playbook (Ansible's start-up, paid by both).", "",
                  "| gateways | runs | rows | empty playbook | ovn-nbctl tasks | ovn-nbctl first | ovn-nbctl rerun "
                  "| module first | module rerun | ratio first | ratio rerun | net first | net rerun "
                  "| module list first | module list rerun | ratio first | ratio rerun |", "|" + "---:|" * 17]
        for e in results["e2e"]:
            empty = e["empty_playbook_s"]
            net = [(e[f"module_{k}_s"] - empty) / (e[f"nbctl_{k}_s"] - empty) for k in ("first", "rerun")]
            lines.append(f"| {e['gateways']} | {e['runs']} | {e['rows']} | {empty:.2f} | "
                         f"{e['nbctl_tasks']} | {e['nbctl_first_s']:.2f} | {e['nbctl_rerun_s']:.2f} | "
                         f"{e['module_first_s']:.2f} | {e['module_rerun_s']:.2f} | {e['ratio_first']:.3f} | "
                         f"{e['ratio_rerun']:.3f} | {net[0]:.3f} | {net[1]:.3f} | {e['module_list_first_s']:.2f} | "
                         f"{e['module_list_rerun_s']:.2f} | {e['ratio_list_first']:.3f} | {e['ratio_list_rerun']:.3f} |")
        lines.append("")
    if "limit" in results:
        m = results["limit"]
        lines += ["## Near the limit (in-process, one gateway, s)", "",
                  "| bare read | raw txn | read + txn | module no-op | module first | no-op / read | first / (read + txn) |",
                  "|---:|---:|---:|---:|---:|---:|---:|",
                  f"| {m['bare_read_s']:.4f} | {m['raw_txn_s']:.4f} | {m['read_plus_txn_s']:.4f} | "
                  f"{m['module_noop_s']:.4f} | {m['module_first_s']:.4f} | {m['ratio_noop_to_read']:.2f} | "
                  f"{m['ratio_first_to_read_plus_txn']:.2f} |", ""]
    if "scale" in results:
        s = results["scale"]
        lines += ["## Scale (50 ipBlocks, 3 replicas, BFD on; module process wall time and peak RSS)", "",
                  f"Module process start-up alone (fails at validation, no connection): {s['module_startup_s']:.2f} s, "
                  f"{s['module_startup_rss_mib']:.0f} MiB.", "",
                  "| pods | bare read s | first s | first MiB | no-op s | no-op MiB | in-process first s | "
                  "in-process no-op s |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in s["sizes"]:
            lines.append(f"| {r['pods']:,} | {r['bare_read_s']:.3f} | {r['module_first_s']:.2f} | "
                         f"{r['module_first_rss_mib']:.0f} | {r['module_noop_s']:.2f} | {r['module_noop_rss_mib']:.0f} | "
                         f"{r['inprocess_first_s']:.2f} | {r['inprocess_noop_s']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="e2e,limit,scale")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="100,1000,10000,50000")
    parser.add_argument("--many", type=int, default=20, help="gateways in the multi-gateway play")
    parser.add_argument("--report", action="store_true", help="only rewrite reconciler.md from reconciler.json")
    parser.add_argument("--many-repeat", type=int, default=1,
                        help="runs of the multi-gateway plays (the ovn-nbctl one has 17 tasks per gateway)")
    opts = parser.parse_args()
    sections = opts.sections.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    if opts.report:
        text = table(json.loads((OUT / "reconciler.json").read_text()))
        (OUT / "reconciler.md").write_text(text + "\n")
        print(text)
        return
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "host": os.uname().nodename,
               "repeat": opts.repeat, "ovn_nbctl": str(NBCTL)}
    with tempfile.TemporaryDirectory(prefix="vegC-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        if "e2e" in sections:
            results["e2e"] = []
            for count, repeat in ((1, opts.repeat), (opts.many, opts.many_repeat)):
                log(f"e2e: {count} gateway(s), {repeat} run(s)")
                results["e2e"].append(dict(e2e(tmp, count, repeat), runs=repeat))
        if "limit" in sections:
            log("limit")
            results["limit"] = limit(tmp, max(opts.repeat, 7))
        if "scale" in sections:
            results["scale"] = scale(tmp, [int(s) for s in opts.sizes.split(",")], opts.repeat)
    (OUT / "reconciler.json").write_text(json.dumps(results, indent=1))
    text = table(results)
    (OUT / "reconciler.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
