# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the single-row NB modules (ovn_port_group, ovn_lr_policy, ovn_nb_info); run by
`make bench` (hack/bench.sh nb).

A private NB (OVN 25.03 schema, unix socket) holding 0 and then 50,000 logical switch ports.
Each figure is the median of --runs runs of a real module process (first apply, then the no-op
rerun), with its peak RSS, compared in the same run with:

  floor     a module that only parses its arguments and exits (Python + AnsibleModule start-up)
  nbctl     25.03 ovn-nbctl doing the same change (--db, no daemon): it reads the tables it
            needs whole, e.g. every logical switch port to resolve port names
  full      a python-ovs client that monitors every table whole, the cost a module would pay
            without "monitor only what is needed"

Results: build/bench/nb.json and build/bench/nb.md. Timings are never asserted; the script fails
only when a module does not do what it should (a rerun that changes something).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "build" / "collections"), str(REPO / "tests" / "functional")]

from support import OVN_BIN  # noqa: E402
from support.ansible import ansible_env  # noqa: E402
from support.ovsdb import NbDatabase  # noqa: E402

OUT = REPO / "build" / "bench"
NBCTL = OVN_BIN / "ovn-nbctl"
MODULES = REPO / "plugins" / "modules"

FLOOR_MODULE = """
from ansible.module_utils.basic import AnsibleModule
AnsibleModule(argument_spec=dict(connection=dict(type="str"), name=dict(type="str"),
              ports=dict(type="list", elements="str"))).exit_json(changed=False)
"""

FULL_MONITOR = """
import json, sys
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovsdb import NbConnection
tables = json.load(open(sys.argv[2]))["tables"]
with NbConnection(sys.argv[1], {t: None for t in tables}, timeout=120) as conn:
    print(len(conn.idl.tables["Logical_Switch_Port"].rows))
"""


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def timed(cmd, stdin=None):
    """(stdout, seconds) of one process; its peak RSS is measured by rss_of() in a separate run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ansible_env())
    out, err = proc.communicate(stdin)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed ({proc.returncode}):\n{out}\n{err}")
    return out, seconds


def rss_of(cmd, stdin=None):
    """Peak RSS (MiB) of one process: os.wait4 reaps it and returns its own rusage."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            text=True, env=ansible_env())
    if stdin:
        proc.stdin.write(stdin)
    proc.stdin.close()
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_maxrss / 1024


def module(name, args):
    return [sys.executable, str(MODULES / f"{name}.py")], json.dumps({"ANSIBLE_MODULE_ARGS": args})


def median(samples):
    return round(statistics.median(samples), 4)


def populate(nb, lsps):
    ls = nb.insert("Logical_Switch", {"name": "ls0"})
    nb.insert("Logical_Router", {"name": "lr0"})
    chunk = 500   # one argv string of ovsdb-client must stay under 128 KiB
    for start in range(0, lsps, chunk):
        names = [f"pod{i}.default" for i in range(start, min(lsps, start + chunk))]
        ops = [{"op": "insert", "table": "Logical_Switch_Port", "row": {"name": n}, "uuid-name": f"p{i}"}
               for i, n in enumerate(names)]
        ops.append({"op": "mutate", "table": "Logical_Switch", "where": [["_uuid", "==", ["uuid", ls]]],
                    "mutations": [["ports", "insert", ["set", [["named-uuid", f"p{i}"] for i in range(len(names))]]]]})
        nb.transact(*ops)
    if lsps == 0:   # the module needs ports to name
        for i in range(10):
            nb.insert("Logical_Switch_Port", {"name": f"pod{i}.default"}, parent=("Logical_Switch", ls, "ports"))


def measure(nb, runs, workdir):
    db = nb.connection
    nbctl_db = f"--db={db}"
    ports = [f"pod{i}.default" for i in range(10)]
    floor_path = workdir / "floor.py"
    floor_path.write_text(FLOOR_MODULE)
    full_path = workdir / "full.py"
    full_path.write_text(FULL_MONITOR)
    cases = {}

    def case(label, make_cmd, rss_cmd=None):
        samples = []
        for run in range(runs):
            cmd, stdin = make_cmd(run)
            samples.append(timed(cmd, stdin)[1])
        cmd, stdin = (rss_cmd or make_cmd)(runs)
        cases[label] = {"seconds": median(samples), "rss_mib": round(rss_of(cmd, stdin), 1)}
        log(f"  {label:28s} {cases[label]['seconds']:.3f}s  {cases[label]['rss_mib']:.0f} MiB")

    floor_args = json.dumps({"ANSIBLE_MODULE_ARGS": {"connection": db, "name": "x", "ports": ports}})
    case("floor", lambda run: ([sys.executable, str(floor_path)], floor_args))
    case("full monitor (python-ovs)", lambda run: ([sys.executable, str(full_path), db, str(nb.schema)], None))

    # port groups: a new group per run (first apply), then a no-op rerun of the last one
    case("ovn_port_group first", lambda run: module("ovn_port_group", {"connection": db, "name": f"pg{run}",
                                                                       "ports": ports}))
    out, _seconds = timed(*module("ovn_port_group", {"connection": db, "name": "pg0", "ports": ports}))
    if json.loads(out)["changed"]:
        raise SystemExit("ovn_port_group rerun changed something")
    case("ovn_port_group no-op", lambda run: module("ovn_port_group", {"connection": db, "name": "pg0",
                                                                       "ports": ports}))
    case("ovn-nbctl pg-add", lambda run: ([str(NBCTL), nbctl_db, "pg-add", f"nbctl-pg{run}", *ports], None),
         lambda run: ([str(NBCTL), nbctl_db, "pg-add", f"nbctl-pg{run}", *ports], None))

    def policy(run):
        return {"connection": db, "router": "lr0", "priority": 1000 + run, "match": f"ip4.src == 10.{run}.0.0/16",
                "action": "reroute", "nexthops": ["10.255.0.1"]}
    case("ovn_lr_policy first", lambda run: module("ovn_lr_policy", policy(run)))
    case("ovn_lr_policy no-op", lambda run: module("ovn_lr_policy", policy(0)))
    case("ovn-nbctl lr-policy-add", lambda run: ([str(NBCTL), nbctl_db, "--may-exist", "lr-policy-add", "lr0",
                                                  str(2000 + run), f"ip4.src == 10.{run}.0.0/16", "reroute",
                                                  "10.255.0.1"], None),
         lambda run: ([str(NBCTL), nbctl_db, "--may-exist", "lr-policy-add", "lr0", "3000", "ip4", "allow"], None))
    case("ovn_nb_info", lambda run: module("ovn_nb_info", {"connection": db, "router": "lr0"}))
    case("ovn-nbctl lr-policy-list", lambda run: ([str(NBCTL), nbctl_db, "lr-policy-list", "lr0"], None))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="0,50000")
    opts = parser.parse_args()
    results = {"runs": opts.runs, "sizes": {}}
    for size in [int(s) for s in opts.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="vegB-bench-") as tmp:
            nb = NbDatabase(pathlib.Path(tmp), "7.11.0").start_standalone()
            try:
                log(f"NB with {size} logical switch ports")
                populate(nb, size)
                results["sizes"][size] = measure(nb, opts.runs, pathlib.Path(tmp))
            finally:
                nb.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "nb.json").write_text(json.dumps(results, indent=2))
    lines = ["# NB modules benchmark", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; medians of {opts.runs} runs of a "
             "real process; peak RSS of one run. Ratios against the floor (Python + AnsibleModule) of the same "
             "NB size.", ""]
    for size, cases in results["sizes"].items():
        floor = cases["floor"]["seconds"]
        lines += [f"## {size:,} logical switch ports", "", "| what | s | x floor | peak RSS MiB |", "|---|---:|---:|---:|"]
        lines += [f"| {label} | {c['seconds']:.3f} | {c['seconds'] / floor:.2f} | {c['rss_mib']:.0f} |"
                  for label, c in cases.items()]
        lines.append("")
    (OUT / "nb.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
