"""Event-Driven Ansible benchmark (hack/bench.sh eda): build/bench/eda.json and eda.md.

Real kube-apiserver, real ovsdb-server, real ansible-rulebook running the collection's rulebook.
Kube-OVN and the kubelet are played by the benchmark as in tests/functional/eda (eda_world): it
inserts each pod's Logical_Switch_Port, then creates the pod with Kube-OVN's annotations.

- latency: a new selected pod's LSP existing -> the LSP in the gateway's port group (seen by a
  python-ovs monitor of the benchmark), p50/p95, with a breakdown from the source's log line and
  Ansible's log (ANSIBLE_LOG_PATH, millisecond timestamps): event delivery (LSP -> the source saw
  the change), coalescing window, action start (event -> ansible-playbook's PLAY line),
  playbook to the module's task, module + NB transaction (task start -> membership seen);
- a burst of pods: how many actions it cost;
- repair: kube-ovn-controller v1.14's GC deletes the port groups -> the port group is back with
  its members;
- scale: N pods over G gateways: the event source's memory (the source run alone beside the
  rulebook, /proc VmHWM), the latency at that scale, and rerunning deploy instead at that scale;
- baseline: the same change made by rerunning the reconcile step by hand
  (ansible-playbook playbooks/reconcile.yml with the same event), as a ratio;
- the rows task itself: ansible-playbook running one gateway's (no-op) rows task as the module
  ovn_egress_gateway and as veg_nb_rows (the same task in ansible-playbook's process, what
  reconcile.yml runs), wall time of each, as a ratio.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tests" / "functional"), str(REPO / "tests" / "functional" / "eda"),
                str(REPO / "build" / "collections")]

# pylint: disable=wrong-import-position
from eda_world import (  # noqa: E402
    EXTERNAL_SUBNET, ROUTER, Api, Rulebook, add_lsp, add_lsps, build_nb, port_group, veg,
)

from support import kube  # noqa: E402
from support.ansible import ansible_env  # noqa: E402
from support.kube_ovn_controller import gc_port_groups_v114  # noqa: E402
from support.ovsdb import NbDatabase  # noqa: E402

OUT = REPO / "build" / "bench"
SOURCE = REPO / "extensions" / "eda" / "plugins" / "event_source" / "gateway_events.py"
EVENT_LINE = re.compile(r"event rows for (\S+?) \(first change ([0-9.]+), emitted ([0-9.]+)\)")
ANSIBLE_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*?\| (PLAY|TASK) \[(.*)\]")


class Members(threading.Thread):
    """A python-ovs monitor of Port_Group/Logical_Switch_Port: when each LSP first became a member."""

    def __init__(self, remote, schema):
        super().__init__(daemon=True)
        import ovs.db.idl  # pylint: disable=import-outside-toplevel

        helper = ovs.db.idl.SchemaHelper(location=str(schema))
        helper.register_columns("Port_Group", ["name", "ports"])
        helper.register_columns("Logical_Switch_Port", ["name"])
        self.idl = ovs.db.idl.Idl(remote, helper)
        self.joined = {}       # lsp name -> first time in a VEG port group
        self.groups = {}       # port group name -> time it (re)appeared
        self.stop = threading.Event()

    def run(self):
        import ovs.poller  # pylint: disable=import-outside-toplevel

        seqno = None
        while not self.stop.is_set():
            self.idl.run()
            if self.idl.change_seqno != seqno:
                seqno, now = self.idl.change_seqno, time.time()
                present = set()
                for row in self.idl.tables["Port_Group"].rows.values():
                    if row.name.startswith("VEG."):
                        present.add(row.name)
                        self.groups.setdefault(row.name, now)
                        for port in row.ports:
                            self.joined.setdefault(port.name, now)
                for name in set(self.groups) - present:
                    del self.groups[name]
            poller = ovs.poller.Poller()
            self.idl.wait(poller)
            poller.timer_wait(100)
            poller.block()

    def wait_joined(self, name, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if name in self.joined:
                return self.joined[name]
            time.sleep(0.005)
        raise RuntimeError(f"{name} never joined a port group")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values):
    return {"p50": round(statistics.median(values), 3), "p95": round(percentile(values, 95), 3),
            "max": round(max(values), 3), "n": len(values)}


PARTS = ("delivery", "window", "action_start", "playbook", "module_and_transaction")


def parts(rows):
    """{part: summary} of the latency breakdown of the samples that have it."""
    return {part: summary([r[part] for r in rows if part in r]) for part in PARTS if any(part in r for r in rows)}


def breakdown_text(latency, figure="p50"):
    return ", ".join(f"{part} {latency[part][figure]:.3f} s" for part in PARTS if part in latency)


def ansible_log_times(path):
    """[(epoch, PLAY|TASK, name)] from Ansible's log (local time, milliseconds)."""
    out = []
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        match = ANSIBLE_LINE.match(line)
        if match:
            stamp = datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            out.append((stamp, match.group(2), match.group(3)))
    return out


def source_events(log):
    return [(m.group(1), float(m.group(2)), float(m.group(3)))
            for m in EVENT_LINE.finditer(log.read_text(errors="replace"))]


class Bench:
    def __init__(self, workdir):
        self.workdir = workdir
        self.cluster = kube.Cluster(workdir / "kube").start()
        kube.install_crds(self.cluster)
        self.nb = NbDatabase(workdir, "7.11.0").start_standalone()
        self.switch = build_nb(self.nb)["switch"]
        self.api = Api(self.cluster)
        self.api.subnet(EXTERNAL_SUBNET, "172.17.0.0/16", provider=f"{EXTERNAL_SUBNET}.kube-system")
        self.api.subnet("ovn-default", "10.16.0.0/16")
        for node in ("bench-node1", "bench-node2"):
            kube.add_node(self.cluster, node)
        self.ns = "bench"
        kube.create_namespace(self.cluster, self.ns)
        self.members = Members(self.nb.connection, self.nb.schema)
        self.members.start()
        self.ansible_log = workdir / "ansible.log"
        os.environ["ANSIBLE_LOG_PATH"] = str(self.ansible_log)
        self.rulebook = Rulebook(workdir, self.cluster, self.nb.connection)
        self.rulebook_args = ["-v"]
        self.nad_made = False

    def start_rulebook(self):
        self.rulebook.start(extra_args=self.rulebook_args)

    def gateways(self, count, start_ip=100):
        out = []
        for i in range(count):
            name = f"g{i}"
            self.api.gateway(veg(self.ns, name, selectors=[{"podSelector": {"matchLabels": {"app": name}}}]))
            self.api.gateway_pod(self.ns, name, f"{name}-gw", "bench-node1", f"10.16.{1 + i // 200}.{start_ip + i % 100}")
            out.append(name)
        for name in out:
            self.wait_group(f"{self.ns}/{name}")
        return out

    def wait_group(self, key, timeout=120):
        deadline = time.time() + timeout
        while port_group(key) not in self.members.groups:
            if time.time() > deadline:
                raise RuntimeError(f"no port group for {key}")
            time.sleep(0.05)

    def latency(self, gateway, samples, prefix, pause):
        rows = []
        for i in range(samples):
            pod = f"{prefix}-{i}"
            lsp = f"{pod}.{self.ns}"
            add_lsp(self.nb, self.switch, lsp)
            t_lsp = time.time()
            self.api.pod(self.ns, pod, {"app": gateway})
            joined = self.members.wait_joined(lsp)
            rows.append({"pod": pod, "lsp": t_lsp, "joined": joined, "latency": joined - t_lsp})
            time.sleep(pause)
        self._breakdown(rows)
        return rows

    def _breakdown(self, rows):
        events = source_events(self.rulebook.log)
        ansible = ansible_log_times(self.ansible_log)
        for row in rows:
            mine = [e for e in events if row["lsp"] - 0.5 <= e[1] <= row["joined"]]
            if not mine:
                continue
            first, emitted = mine[-1][1:]
            plays = [t for t, kind, name in ansible if kind == "PLAY" and emitted <= t <= row["joined"]]
            tasks = [t for t, kind, name in ansible if kind == "TASK" and name.startswith("Write the NB rows")
                     and emitted <= t <= row["joined"]]
            row["delivery"] = max(0.0, first - row["lsp"])
            row["window"] = emitted - first
            if plays and tasks:
                row["action_start"] = plays[-1] - emitted
                row["playbook"] = tasks[-1] - plays[-1]
                row["module_and_transaction"] = row["joined"] - tasks[-1]

    def burst(self, gateway, count):
        before = self.rulebook.actions()
        names = [f"burst-{i}" for i in range(count)]
        add_lsps(self.nb, self.switch, [f"{n}.{self.ns}" for n in names])
        t0 = time.time()
        for name in names:
            self.api.pod(self.ns, name, {"app": gateway})
        last = max(self.members.wait_joined(f"{n}.{self.ns}") for n in names)
        time.sleep(3)
        return {"pods": count, "seconds_to_all_members": round(last - t0, 3),
                "actions": self.rulebook.actions() - before}

    def repair(self, key, runs):
        times = []
        for run in range(runs):
            deleted_at = time.time()
            deleted = gc_port_groups_v114(self.nb)
            assert port_group(key) in deleted
            while port_group(key) in self.members.groups and self.members.groups[port_group(key)] <= deleted_at:
                time.sleep(0.005)
            deadline = time.time() + 60
            while port_group(key) not in self.members.groups:
                if time.time() > deadline:
                    raise RuntimeError("port group not repaired")
                time.sleep(0.005)
            times.append(self.members.groups[port_group(key)] - deleted_at)
            print(f"repair {run + 1}/{runs}: {times[-1]:.2f} s", flush=True)
            time.sleep(1.5)
        return times

    def scale(self, pods, gateways):
        names = [f"s{i}" for i in range(gateways)]
        for i, name in enumerate(names):
            self.api.gateway(veg(self.ns, name, selectors=[{"podSelector": {"matchLabels": {"app": name}}}]))
            self.api.gateway_pod(self.ns, name, f"{name}-gw", "bench-node2", f"10.16.5.{10 + i}")
        per = pods // gateways
        lsps = [f"sp{g}-{i}.{self.ns}" for g in range(gateways) for i in range(per)]
        add_lsps(self.nb, self.switch, lsps, chunk=500)
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda gi: self.api.pod(self.ns, f"sp{gi[0]}-{gi[1]}", {"app": names[gi[0]]}),
                          [(g, i) for g in range(gateways) for i in range(per)]))
        created = time.time() - t0
        last = max(self.members.wait_joined(lsp, timeout=900) for lsp in lsps)
        return names, {"pods": per * gateways, "gateways": gateways, "api_create_seconds": round(created, 1),
                       "all_members_after_s": round(last - t0, 1)}

    def source_alone(self):
        """The event source run by itself (same arguments), for its memory."""
        args = {"nb_connection": self.nb.connection, "kubeconfig": str(self.cluster.kubeconfig)}
        log = open(self.workdir / "source.log", "wb")  # pylint: disable=consider-using-with
        proc = subprocess.Popen([str(REPO / ".venv" / "bin" / "python"), str(SOURCE), json.dumps(args)],
                                stdout=subprocess.DEVNULL, stderr=log, env=ansible_env())
        return proc

    def deploy_baseline(self, runs, prefix="deploy"):
        """The same change by rerunning deploy: a new selected pod, then ``ansible-playbook
        kubeovn.egress_gateway.deploy`` of its gateway (the rulebook is stopped meanwhile). The
        gateway's pods come from the Deployment the role writes, run by support.kube.NodeStandIn."""
        from support.ansible import run_playbook  # pylint: disable=import-outside-toplevel

        if not self.nad_made:
            self.api.custom.create_namespaced_custom_object(
                "k8s.cni.cncf.io", "v1", "kube-system", "network-attachment-definitions",
                {"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
                 "metadata": {"name": EXTERNAL_SUBNET}, "spec": {"config": "{}"}})
            self.nad_made = True
        stand_in = kube.NodeStandIn(self.cluster, ["bench-node1", "bench-node2"],
                                    label_selector="ovn.kubernetes.io/vpc-egress-gateway=d0").start()
        manifest = self.workdir / "d0.json"
        manifest.write_text(json.dumps(veg(self.ns, "d0", internalSubnet="ovn-default",
                                           selectors=[{"podSelector": {"matchLabels": {"app": "d0"}}}])))
        env = {"K8S_AUTH_KUBECONFIG": str(self.cluster.kubeconfig)}
        variables = {"egress_gateway_manifest_file": str(manifest), "egress_gateway_nb_connection": self.nb.connection,
                     "egress_gateway_image": "localhost/kubeovn-egress-gateway:0.1.0"}
        times = []
        try:
            run_playbook(REPO / "playbooks" / "deploy.yml", extra_vars=variables, env=env)
            for i in range(runs):
                pod = f"{prefix}-{i}"
                add_lsp(self.nb, self.switch, f"{pod}.{self.ns}")
                t0 = time.time()
                self.api.pod(self.ns, pod, {"app": "d0"})
                run_playbook(REPO / "playbooks" / "deploy.yml", extra_vars=variables, env=env)
                self.members.wait_joined(f"{pod}.{self.ns}", timeout=5)
                times.append(time.time() - t0)     # what a user waits for: the whole run
        finally:
            stand_in.stop()
        return times

    def rows_task(self, runs):
        """{task: [wall seconds of ansible-playbook]} for one gateway's rows, written once, then
        again (no change) ``runs`` times by each task, alternating."""
        item = {"spec": veg(self.ns, "rows-task"), "router": ROUTER, "pod_ports": [],
                "instances": [{"name": "rows-task-gw", "node": "bench-node1", "internal_ips": ["10.16.9.9"],
                               "external_ips": []}]}
        books = {}
        for task in ("ovn_egress_gateway", "veg_nb_rows"):
            books[task] = self.workdir / f"rows-{task}.yml"
            books[task].write_text(json.dumps([{
                "hosts": "localhost", "connection": "local", "gather_facts": False,
                "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                "tasks": [{"name": "rows", f"kubeovn.egress_gateway.{task}": {
                    "connection": self.nb.connection, "gateways": [item]}}]}]))
        times = {task: [] for task in books}
        for run in range(runs + 1):
            for task, book in books.items():
                t0 = time.time()
                subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", "localhost,", str(book)],
                               check=True, capture_output=True, env=ansible_env())
                if run:   # the first run writes the rows
                    times[task].append(time.time() - t0)
        return times

    def rss_of(self, pid):
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
        return {k: int(re.search(rf"^{k}:\s+(\d+)", status, re.M).group(1)) / 1024 for k in ("VmRSS", "VmHWM")}

    def close(self):
        self.rulebook.stop()
        self.members.stop.set()
        self.nb.stop()
        self.cluster.stop()


def report(result: dict) -> str:
    """build/bench/eda.md from eda.json."""
    lat = result["latency"]
    lines = ["| what | p50 | p95 | max | n |", "|---|---:|---:|---:|---:|",
             *(f"| {label} | {s['p50']:.3f} s | {s['p95']:.3f} s | {s['max']:.3f} s | {s['n']} |" for label, s in (
                 ("a new selected pod's LSP -> member of the port group", lat["total"]),
                 ("port group deleted as kube-ovn-controller v1.14's GC does -> repaired", result["repair"]),
                 ("rerunning playbooks/deploy.yml instead (the baseline)", result["deploy_rerun"]))),
             "", f"Breakdown of the p50 latency: {breakdown_text(lat)}. Deploy rerun / event p50: "
             f"{result['ratio_deploy_to_event_p50']}. A burst of {result['burst']['pods']} pods: all members after "
             f"{result['burst']['seconds_to_all_members']} s in {result['burst']['actions']} actions."]
    if "rows_task" in result:
        rows = result["rows_task"]
        lines += ["", f"The rows task alone (ansible-playbook wall time, a no-op write, p50 of "
                  f"{rows['veg_nb_rows']['n']}): as the module ovn_egress_gateway {rows['ovn_egress_gateway']['p50']:.3f} s, "
                  f"as veg_nb_rows in ansible-playbook's process {rows['veg_nb_rows']['p50']:.3f} s; "
                  f"module / veg_nb_rows: {rows['ratio_module_to_controller_p50']}."]
    if "scale" in result:
        scale = result["scale"]
        lines += ["", f"At {scale['pods']} pods over {scale['gateways']} gateways: all members "
                  f"{scale['all_members_after_s']} s after the API writes began ({scale['api_create_seconds']} s of "
                  f"writes); then a new pod's latency p50 {scale['latency']['p50']:.3f} s, p95 "
                  f"{scale['latency']['p95']:.3f} s (each part's p95: {breakdown_text(scale['latency'], 'p95')}); "
                  f"RSS of the event source alone "
                  f"{scale['source_alone_mib']['VmRSS']:.0f} MiB, of the ansible-rulebook process "
                  f"{scale['rulebook_process_mib']['VmRSS']:.0f} MiB."]
        if "deploy_rerun" in scale:
            lines[-1] += (f" Rerunning playbooks/deploy.yml instead at that scale: p50 {scale['deploy_rerun']['p50']:.3f} s "
                          f"(n {scale['deploy_rerun']['n']}), {scale['ratio_deploy_to_event_p95']} times the event's p95.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--scale-pods", type=int, default=10000)
    parser.add_argument("--scale-gateways", type=int, default=20)
    parser.add_argument("--repair-runs", type=int, default=5)
    parser.add_argument("--deploy-runs", type=int, default=3)
    parser.add_argument("--rows-task-runs", type=int, default=10)
    parser.add_argument("--report", action="store_true", help="only rewrite eda.md from eda.json")
    args = parser.parse_args()
    if args.report:
        (OUT / "eda.md").write_text(report(json.loads((OUT / "eda.json").read_text())))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"vegE{os.getpid()}-bench-eda-"))
    bench = Bench(workdir)
    result = {"machine": {"cpus": os.cpu_count()}}
    try:
        bench.start_rulebook()
        (gateway,) = bench.gateways(1)
        rows = bench.latency(gateway, args.samples, "lat", pause=2.0)
        result["latency"] = {"total": summary([r["latency"] for r in rows]), "samples": rows}
        result["latency"].update(parts(rows))
        result["burst"] = bench.burst(gateway, 50)
        print(json.dumps({"latency": result["latency"]["total"], "burst": result["burst"]}), flush=True)
        result["repair"] = summary(bench.repair(f"{bench.ns}/{gateway}", args.repair_runs))
        bench.rulebook.stop()
        manual = bench.deploy_baseline(args.deploy_runs)
        bench.start_rulebook()
        result["deploy_rerun"] = summary(manual)
        result["ratio_deploy_to_event_p50"] = round(statistics.median(manual) / result["latency"]["total"]["p50"], 2)
        tasks = bench.rows_task(args.rows_task_runs)
        result["rows_task"] = {task: summary(values) for task, values in tasks.items()}
        result["rows_task"]["ratio_module_to_controller_p50"] = round(
            result["rows_task"]["ovn_egress_gateway"]["p50"] / result["rows_task"]["veg_nb_rows"]["p50"], 2)
        if args.scale_pods:
            alone = bench.source_alone()
            names, result["scale"] = bench.scale(args.scale_pods, args.scale_gateways)
            time.sleep(5)
            rows = bench.latency(names[0], 10, "scale-lat", pause=2.0)
            result["scale"]["latency"] = {**summary([r["latency"] for r in rows]), **parts(rows)}
            result["scale"]["source_alone_mib"] = bench.rss_of(alone.pid)
            result["scale"]["rulebook_process_mib"] = bench.rss_of(bench.rulebook.proc.pid)
            bench.rulebook.stop()
            at_scale = bench.deploy_baseline(args.deploy_runs, prefix="deploy-scale")
            result["scale"]["deploy_rerun"] = summary(at_scale)
            result["scale"]["ratio_deploy_to_event_p95"] = round(
                statistics.median(at_scale) / result["scale"]["latency"]["p95"], 2)
            alone.terminate()
            alone.wait(timeout=30)
    finally:
        bench.close()
    (OUT / "eda.json").write_text(json.dumps(result, indent=1))
    (OUT / "eda.md").write_text(report(result))
    print(json.dumps({k: v for k, v in result.items() if k != "latency"} | {
        "latency": {k: v for k, v in result["latency"].items() if k != "samples"}}, indent=1))


if __name__ == "__main__":
    main()
