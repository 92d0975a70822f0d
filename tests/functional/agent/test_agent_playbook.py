"""playbooks/agent.yml as a gateway pod's init container runs it: inside the gateway namespace,
configured only by Kube-OVN's environment variables, no control node, no netns option."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

from support import netns, processes
from support.ansible import REPO, ansible_env

pytestmark = [pytest.mark.netns, pytest.mark.slow]


def run_agent_inside(topo, env, check=True):
    """`ip netns exec <gateway> ansible-playbook playbooks/agent.yml` with the pod's environment."""
    cmd = ["ip", "netns", "exec", topo.gateway, str(REPO / ".venv" / "bin" / "ansible-playbook"),
           "-i", "localhost,", str(REPO / "playbooks" / "agent.yml")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(env), timeout=600, cwd=REPO,
                          check=False)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def recap_changed(proc):
    line = next(line for line in proc.stdout.splitlines() if line.startswith("localhost"))
    return int(line.split("changed=")[1].split()[0])


@pytest.fixture
def pod_env(gateway_topology):
    topo = gateway_topology
    state_dir = tempfile.mkdtemp(prefix=f"vegD{os.getpid()}-agent-")
    os.chmod(state_dir, 0o755)  # bfdd runs as frr
    env = {
        "INTERNAL_GATEWAY_IPV4": topo.internal_gateway[4], "EXTERNAL_GATEWAY_IPV4": topo.external_gateway[4],
        "INTERNAL_GATEWAY_IPV6": topo.internal_gateway[6], "EXTERNAL_GATEWAY_IPV6": topo.external_gateway[6],
        "NO_SNAT_SOURCES_IPV4": topo.nosnat_cidr[4], "NO_SNAT_SOURCES_IPV6": topo.nosnat_cidr[6],
        "POLICY_ROUTES_IPV4": f"{topo.snat_cidr[4]},{topo.nosnat_cidr[4]},{topo.bfd_ip[4]}",
        "POLICY_ROUTES_IPV6": f"{topo.snat_cidr[6]},{topo.nosnat_cidr[6]}",
        "BFD_PEER_IPS": topo.internal_gateway[4], "BFD_MIN_TX": "300", "BFD_MIN_RX": "100", "BFD_MULTI": "3",
        "GATEWAY_AGENT_STATE_DIR": state_dir,
    }
    yield topo, env
    run_agent_inside(topo, dict(env, GATEWAY_AGENT_STATE="absent"), check=False)
    shutil.rmtree(state_dir, ignore_errors=True)


def test_init_container_configures_and_a_restarted_pod_reconfigures(pod_env):
    topo, env = pod_env
    first = run_agent_inside(topo, env)
    assert recap_changed(first) == 3
    for version in (4, 6):
        assert topo.ask(version, topo.snat_source[version]) == topo.external_ip[version]
        assert topo.ask(version, topo.nosnat_source[version]) == topo.nosnat_source[version]
    config = open(os.path.join(env["GATEWAY_AGENT_STATE_DIR"], "bfdd", "_host", "bfdd.conf")).read()
    assert " peer 10.16.0.1 local-address 10.16.0.12\n" in config
    # transmit = minRX (what OVN asked to receive), receive = max(minTX, 1000)
    assert "  receive-interval 1000\n  transmit-interval 100\n" in config
    assert recap_changed(run_agent_inside(topo, env)) == 0

    # The namespace is recreated (a new pod, same name): nothing configured, and the old bfdd
    # still runs in the old namespace; a rerun restores everything and replaces that bfdd.
    pidfile = os.path.join(env["GATEWAY_AGENT_STATE_DIR"], "bfdd", "_host", "bfdd.pid")
    old_pid = int(open(pidfile).read())
    topo.recreate_gateway()
    assert topo.ask(4, topo.snat_source[4]).startswith("error")
    assert recap_changed(run_agent_inside(topo, env)) == 3
    for version in (4, 6):
        assert topo.ask(version, topo.snat_source[version]) == topo.external_ip[version]
    new_pid = int(open(pidfile).read())
    assert new_pid != old_pid and not processes.alive(old_pid)
    assert os.stat(f"/proc/{new_pid}/ns/net").st_ino == os.stat(f"/run/netns/{topo.gateway}").st_ino
    assert recap_changed(run_agent_inside(topo, env)) == 0


def test_bfdd_container_runs_only_the_responder(pod_env):
    topo, env = pod_env
    bfd_env = {"BFD_PEER_IPS": env["BFD_PEER_IPS"], "BFD_MIN_TX": "1000", "BFD_MIN_RX": "1000", "BFD_MULTI": "3",
               "POD_IPS": f"{topo.internal_ip[4]},{topo.internal_ip[6]}", "GATEWAY_AGENT_NETWORK": "false",
               "GATEWAY_AGENT_STATE_DIR": env["GATEWAY_AGENT_STATE_DIR"]}
    assert recap_changed(run_agent_inside(topo, bfd_env)) == 1
    config = open(os.path.join(env["GATEWAY_AGENT_STATE_DIR"], "bfdd", "_host", "bfdd.conf")).read()
    assert " peer 10.16.0.1 local-address 10.16.0.12\n" in config and "transmit-interval 1000" in config
    assert not [r for r in netns.ip(topo.gateway, "rule").splitlines() if r.startswith("100")]
    assert "VEG-MASQUERADE" not in netns.exec_in(topo.gateway, "iptables", "-t", "nat", "-S")
    assert recap_changed(run_agent_inside(topo, bfd_env)) == 0


def test_dual_stack_internal_with_ipv4_only_external_configures_only_ipv4(pod_env):
    """kube-ovn#6958: the Deployment hands over EXTERNAL_GATEWAY_IPV6="" when the external subnet
    is IPv4-only; the agent configures IPv4 and leaves IPv6 alone instead of failing."""
    topo, env = pod_env
    env = dict(env, EXTERNAL_GATEWAY_IPV6="", BFD_PEER_IPS="")
    assert recap_changed(run_agent_inside(topo, env)) == 2
    assert topo.ask(4, topo.snat_source[4]) == topo.external_ip[4]
    assert [r for r in netns.ip(topo.gateway, "-4", "rule").splitlines() if r.startswith("100")]
    assert not [r for r in netns.ip(topo.gateway, "-6", "rule").splitlines() if r.startswith("100")]
    assert "VEG-MASQUERADE" not in netns.exec_in(topo.gateway, "ip6tables", "-t", "nat", "-S")


@pytest.mark.parametrize("variable, value, field", [
    ("NO_SNAT_SOURCES_IPV4", "10.18.0.1/16", "ipv4.no_snat_sources[0]"),     # issue 12 class 9
    ("POLICY_ROUTES_IPV4", "10.17.0.0/16,10.17.0.1/16", "ipv4.routes[1]"),    # class 9
    ("INTERNAL_GATEWAY_IPV4", "10.16.0.1\n", "ipv4.internal_gateway"),        # class 1
    ("BFD_MULTI", "256", "detect_multiplier"),                               # class 4
])
def test_bad_environment_fails_naming_the_field_and_changes_nothing(pod_env, variable, value, field):
    topo, env = pod_env
    before = (netns.ip(topo.gateway, "rule"), netns.exec_in(topo.gateway, "iptables", "-t", "nat", "-S"))
    proc = run_agent_inside(topo, dict(env, **{variable: value}), check=False)
    assert proc.returncode != 0
    assert f'"field": "{field}"' in proc.stdout and f"{field}: " in proc.stdout, proc.stdout
    # Each task validates before it writes; earlier tasks of the play (routing, then NAT, then
    # bfdd) have run: what the failing task and those after it would write is unchanged.
    after = (netns.ip(topo.gateway, "rule"), netns.exec_in(topo.gateway, "iptables", "-t", "nat", "-S"))
    if variable in ("POLICY_ROUTES_IPV4", "INTERNAL_GATEWAY_IPV4"):
        assert after == before
    elif variable == "NO_SNAT_SOURCES_IPV4":
        assert after[1] == before[1]
