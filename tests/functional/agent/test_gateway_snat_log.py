"""gateway_snat_log with real flows: client ns -> gateway ns (SNAT) -> external ns.

The flows server in the external namespace reports the address and port it saw, so each flow's
translated side is known independently of conntrack; the record must show exactly those flows
that crossed the gateway's SNAT, with the right mapping, at start and end, and nothing else
(the no-SNAT sources, the gateway's own traffic).
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _snat_record
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import SNAT_RECORD
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._discovery import workload_plan
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._snat_log import subscribed
from support import netns, processes
from support.ansible import run_module, run_playbook

pytestmark = pytest.mark.netns

FLOWS = pathlib.Path(__file__).resolve().parents[1] / "support" / "flows.py"
PORT = 9090


@pytest.fixture
def flow_servers(gateway_topology):
    """The topology with a flows server per family in the external namespace."""
    topo = gateway_topology
    servers = []
    for version in (4, 6):
        proc = subprocess.Popen(["ip", "netns", "exec", topo.external, sys.executable, str(FLOWS), "serve",
                                 topo.servers[version], str(PORT)], stdout=subprocess.PIPE, text=True)
        servers.append(proc)
        assert proc.stdout.readline().startswith("ready")
    yield topo
    for proc in servers:
        proc.terminate()
        proc.wait()


@pytest.fixture
def snat_gateway(flow_servers):
    """... with routing and SNAT configured by the modules."""
    topo = flow_servers
    for name, args in (("gateway_routing", topo.agent_args()), ("gateway_nat", topo.nat_args())):
        result = run_module(name, args)
        assert not result["failed"], result
    return topo


def flows(topo, protocol, version, source, count):
    out = netns.exec_in(topo.client, sys.executable, str(FLOWS), "run", protocol, topo.servers[version], str(PORT),
                        source, str(count), timeout=120)
    made = [json.loads(line) for line in out.splitlines()]
    assert len(made) == count and all(not f["seen"].startswith("error") for f in made), made
    return made


def end_all_flows(topo):
    """End every tracked flow now (TCP would otherwise stay in TIME_WAIT for 2 minutes)."""
    for family in ("ipv4", "ipv6"):
        netns.exec_in(topo.gateway, "conntrack", "-D", "-f", family, check=False)


def read_records(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_records(path, count):
    records = netns.wait_for(lambda: len(read_records(path)) >= count and read_records(path), timeout=30)
    return records or read_records(path)


def log_args(topo, tmp_path, **extra):
    return {"netns": topo.gateway, "state_dir": str(tmp_path / "snat-log"), "output": str(tmp_path / "snat.jsonl"),
            **extra}


def mapping(record):
    return (record["protocol"], record["source"], record["source_port"], record["translated"],
            record["translated_port"], record["destination"], record["destination_port"])


def test_every_snat_flow_is_recorded_at_start_and_end_and_nothing_else(snat_gateway, tmp_path):
    topo = snat_gateway
    result = run_module("gateway_snat_log", log_args(topo, tmp_path, instance="gw-0"))
    assert not result["failed"] and result["changed"] and result["pid"], result

    made = []
    for version in (4, 6):
        made += flows(topo, "tcp", version, topo.snat_source[version], 5)
        made += flows(topo, "udp", version, topo.snat_source[version], 3)
        # forwarded without SNAT: crossed the gateway, but no mapping to record
        for flow in flows(topo, "tcp", version, topo.nosnat_source[version], 2):
            assert flow["seen"] == topo.nosnat_source[version]
    # the gateway's own connection: MASQUERADE --random-fully translates its port, a mapping too
    own = json.loads(netns.exec_in(topo.gateway, sys.executable, str(FLOWS), "run", "tcp", topo.servers[4],
                                   str(PORT), topo.external_ip[4], "1"))
    made.append(own)
    end_all_flows(topo)

    records = wait_records(pathlib.Path(result["output"]), 2 * len(made))
    expected = {(f["protocol"], f["source"], f["source_port"], f["seen"], f["seen_port"], f["destination"],
                 f["destination_port"]) for f in made}
    assert all(f["seen"] in topo.external_ip.values() for f in made)
    assert own["seen_port"] != own["source_port"]
    starts = [mapping(r) for r in records if r["event"] == "start"]
    ends = {mapping(r): r for r in records if r["event"] == "end"}
    assert sorted(starts) == sorted(expected)
    assert set(ends) == expected and len(records) == 2 * len(made)
    for record in records:
        assert record["instance"] == "gw-0" and record["time"].endswith("Z")
    for record in ends.values():
        assert record["start"] <= record["time"] and record["duration"] >= 0

    again = run_module("gateway_snat_log", log_args(topo, tmp_path, instance="gw-0"))
    assert not again["changed"] and again["pid"] == result["pid"]


def test_filters_and_rate_limit(snat_gateway, tmp_path):
    topo = snat_gateway
    result = run_module("gateway_snat_log", log_args(topo, tmp_path, protocols=["tcp"],
                                                     sources=[topo.snat_cidr[4]]))
    assert not result["failed"], result
    kept = flows(topo, "tcp", 4, topo.snat_source[4], 3)
    flows(topo, "udp", 4, topo.snat_source[4], 2)
    flows(topo, "tcp", 6, topo.snat_source[6], 2)
    end_all_flows(topo)
    records = wait_records(pathlib.Path(result["output"]), 6)
    assert sorted({r["source_port"] for r in records}) == sorted(f["source_port"] for f in kept)
    assert {(r["protocol"], r["source"]) for r in records} == {("tcp", topo.snat_source[4])} and len(records) == 6

    # one flow per 1000 s, bursts of 2: the first two flows (start and end); the rest only counted
    output = tmp_path / "limited.jsonl"
    args = log_args(topo, tmp_path, output=str(output), rate_limit=0.001, burst=2)
    limited = run_module("gateway_snat_log", args)
    assert limited["changed"] and limited["pid"] != result["pid"]
    made = flows(topo, "tcp", 4, topo.snat_source[4], 6)
    end_all_flows(topo)
    wait_records(output, 4)
    assert run_module("gateway_snat_log", dict(args, state="absent"))["changed"]  # the count comes out at exit
    records = read_records(output)
    recorded = [r for r in records if r["event"] != "suppressed"]
    assert sorted((r["event"], r["source_port"]) for r in recorded) == sorted(
        (event, f["source_port"]) for f in made[:2] for event in ("start", "end"))
    # the four other flows' starts and ends (an end without a recorded start is a flow to the limit)
    assert sum(r["records"] for r in records if r["event"] == "suppressed") == 8


def test_absent_stops_the_recorder_and_its_ulogd(snat_gateway, tmp_path):
    topo = snat_gateway
    args = log_args(topo, tmp_path)
    check = run_module("gateway_snat_log", args, check=True)
    assert check["changed"] and check["pid"] is None and not (tmp_path / "snat-log").exists()
    result = run_module("gateway_snat_log", args)
    children = pathlib.Path(f"/proc/{result['pid']}/task/{result['pid']}/children")
    ulogd_pids = [int(p) for p in children.read_text().split()]
    assert len(ulogd_pids) == 1 and processes.alive(ulogd_pids[0])

    gone = run_module("gateway_snat_log", dict(args, state="absent"))
    assert gone["changed"]
    assert not processes.alive(result["pid"]) and not processes.alive(ulogd_pids[0])
    assert not (tmp_path / "snat-log" / "snat_log.pid").exists()
    assert not run_module("gateway_snat_log", dict(args, state="absent"))["changed"]


def test_bad_options_fail_naming_the_option_and_write_nothing(gateway_topology, tmp_path):
    topo = gateway_topology
    for extra, field in (({"sources": ["10.0.0.0/8", "10.0.0.300"]}, "sources[1]"),
                         ({"rate_limit": -5}, "rate_limit"),
                         ({"ulogd": "/nonexistent/ulogd"}, "ulogd"),
                         ({"netns": f"{topo.gateway}-missing"}, "netns")):
        result = run_module("gateway_snat_log", dict(log_args(topo, tmp_path), **extra))
        assert result["failed"] and result.get("field") == field, result
        assert not (tmp_path / "snat-log").exists()


def test_gateway_agent_role_turns_the_record_on_and_off(flow_servers, tmp_path):
    topo = flow_servers
    output = tmp_path / "role-snat.jsonl"
    playbook = tmp_path / "snat.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  vars:\n"
        "    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n  roles:\n    - role: kubeovn.egress_gateway.gateway_agent\n")
    base = {"gateway_agent_netns": topo.gateway, "gateway_agent_state_dir": str(tmp_path / "agent"),
            "gateway_agent_ipv4": topo.agent_args((4,))["ipv4"] | {"no_snat_sources": [topo.nosnat_cidr[4]]},
            "gateway_agent_ipv6": topo.agent_args((6,))["ipv6"] | {"no_snat_sources": [topo.nosnat_cidr[6]]},
            "gateway_agent_snat_log_output": str(output), "gateway_agent_snat_log_protocols": ["tcp"]}
    run_playbook(playbook, "-i", "localhost,", "-c", "local", extra_vars=dict(base, gateway_agent_snat_log_enabled=True))
    pidfile = tmp_path / "agent" / "snat-log" / topo.gateway / "snat_log.pid"
    pid = int(pidfile.read_text())
    made = flows(topo, "tcp", 4, topo.snat_source[4], 2)
    end_all_flows(topo)
    records = wait_records(output, 4)
    assert sorted((r["event"], r["source_port"], r["translated"]) for r in records) == sorted(
        (event, f["source_port"], topo.external_ip[4]) for f in made for event in ("start", "end"))

    run_playbook(playbook, "-i", "localhost,", "-c", "local", extra_vars=dict(base, gateway_agent_snat_log_enabled=False))
    assert not processes.alive(pid) and not pidfile.exists()


def test_snat_log_container_command_records_to_stdout(snat_gateway, tmp_path):
    """The gateway pod's snat-log container command (the Deployment's), with the program from
    this checkout instead of the image's copy: the record comes out on stdout."""
    topo = snat_gateway
    plan = workload_plan(parse_gateway({
        "metadata": {"name": "gw", "namespace": "default"},
        "spec": {"externalSubnet": "ext", "internalSubnet": "int", "policies": [{"snat": True, "ipBlocks": ["10.17.0.0/16"]}]}}),
        None, [{"metadata": {"name": "int"}, "spec": {"gateway": "10.16.0.1"}},
               {"metadata": {"name": "ext"}, "spec": {"gateway": "172.17.0.1", "provider": "ext.default"}}],
        "ee:1", "", "agent", {"protocols": ["udp"]})
    command = plan["deployment"]["spec"]["template"]["spec"]["containers"][-1]["command"]
    assert command[2] == SNAT_RECORD
    command = [sys.executable, "-I", _snat_record.__file__, *command[3:]]
    command[command.index("--work-dir") + 1] = str(tmp_path)
    proc = subprocess.Popen(["ip", "netns", "exec", topo.gateway, *command], stdout=subprocess.PIPE, text=True)
    try:
        assert netns.wait_for(lambda: subscribed(proc.pid), timeout=30)  # ip netns exec exec'd the recorder
        made = flows(topo, "udp", 6, topo.snat_source[6], 2) + flows(topo, "udp", 4, topo.snat_source[4], 1)
        flows(topo, "tcp", 4, topo.snat_source[4], 1)  # filtered out
        end_all_flows(topo)
        lines = []
        while len(lines) < 6:
            lines.append(json.loads(proc.stdout.readline()))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert sorted((r["event"], r["source"], r["source_port"], r["translated"], r["translated_port"]) for r in lines) == \
        sorted((event, f["source"], f["source_port"], f["seen"], f["seen_port"]) for f in made for event in ("start", "end"))
