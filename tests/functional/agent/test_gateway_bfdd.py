"""gateway_bfdd: two FRR bfdd instances as BFD peers across a veth pair, real BFD packets."""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from support import netns, processes
from support.ansible import run_module

pytestmark = [pytest.mark.netns, pytest.mark.slow]

PEERS = {"a": ("10.99.0.1", "fd99::1"), "b": ("10.99.0.2", "fd99::2")}


@pytest.fixture
def state_root():
    """State dirs bfdd (running as frr) can reach: pytest's tmp_path is private to root."""
    root = tempfile.mkdtemp(prefix=f"vegD{os.getpid()}-bfd-")
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def bfd_pair(netns_factory, state_root):
    ns = {"a": netns_factory("bfa"), "b": netns_factory("bfb")}
    netns.veth(ns["a"], "eth0", ns["b"], "eth0")
    for side in ("a", "b"):
        netns.addr(ns[side], "eth0", f"{PEERS[side][0]}/24")
        netns.addr(ns[side], "eth0", f"{PEERS[side][1]}/64")
    dirs = {side: os.path.join(state_root, side) for side in ns}
    yield ns, dirs
    for side in ns:  # stop by pid even when a test failed half-way
        run_module("gateway_bfdd", {"netns": ns[side], "state": "absent", "state_dir": dirs[side]})


def bfdd_args(ns, dirs, side, **extra):
    other = "b" if side == "a" else "a"
    args = {"netns": ns[side], "state_dir": dirs[side], "peers": list(PEERS[other]),
            "local_addresses": list(PEERS[side]), "transmit_interval": 300, "receive_interval": 1000}
    args.update(extra)
    return args


def test_sessions_come_up_and_reruns_are_idempotent(bfd_pair):
    ns, dirs = bfd_pair
    first_a = run_module("gateway_bfdd", bfdd_args(ns, dirs, "a"))
    assert first_a["changed"] and first_a["pid"] and processes.alive(first_a["pid"]), first_a
    first_b = run_module("gateway_bfdd", bfdd_args(ns, dirs, "b", wait_up=15))
    assert first_b["changed"], first_b
    assert {s["peer"]: s["status"] for s in first_b["sessions"]} == {"10.99.0.1": "up", "fd99::1": "up"}
    assert {s["local"] for s in first_b["sessions"]} == {"10.99.0.2", "fd99::2"}
    up_a = run_module("gateway_bfdd", bfdd_args(ns, dirs, "a", wait_up=15))
    assert not up_a["changed"] and up_a["pid"] == first_a["pid"]
    assert all(s["status"] == "up" and s["transmit_interval"] == 300 and s["remote_transmit_interval"] == 300
               for s in up_a["sessions"]), up_a["sessions"]

    # Check mode with a changed interval predicts a restart and does nothing.
    preview = run_module("gateway_bfdd", bfdd_args(ns, dirs, "a", transmit_interval=200), check=True, diff=True)
    assert preview["changed"] and "transmit-interval 200" in preview["diff"]["after"]
    assert preview["pid"] == first_a["pid"] and processes.alive(first_a["pid"])

    changed = run_module("gateway_bfdd", bfdd_args(ns, dirs, "a", transmit_interval=200, wait_up=15))
    assert changed["changed"] and changed["pid"] != first_a["pid"] and not processes.alive(first_a["pid"])
    assert all(s["status"] == "up" and s["transmit_interval"] == 200 for s in changed["sessions"])

    restarted = run_module("gateway_bfdd", bfdd_args(ns, dirs, "a", transmit_interval=200, state="restarted"))
    assert restarted["changed"] and restarted["pid"] != changed["pid"]


def test_dead_peer_is_detected_and_absent_stops_by_pid(bfd_pair):
    ns, dirs = bfd_pair
    a = run_module("gateway_bfdd", bfdd_args(ns, dirs, "a"))
    b = run_module("gateway_bfdd", bfdd_args(ns, dirs, "b", wait_up=15))
    assert all(s["status"] == "up" for s in b["sessions"]), b
    stopped = run_module("gateway_bfdd", {"netns": ns["b"], "state": "absent", "state_dir": dirs["b"]})
    assert stopped["changed"] and not processes.alive(b["pid"]) and not os.path.exists(os.path.join(dirs["b"], "bfdd.conf"))
    assert not run_module("gateway_bfdd", {"netns": ns["b"], "state": "absent", "state_dir": dirs["b"]})["changed"]

    def all_down():
        sessions = run_module("gateway_bfdd", bfdd_args(ns, dirs, "a"))["sessions"]
        return all(s["status"] == "down" for s in sessions) and sessions
    assert netns.wait_for(all_down, timeout=10)
    assert processes.alive(a["pid"])


def test_missing_namespace_and_bad_input(netns_factory, tmp_path):
    missing = netns_factory("bfm") + "-missing"
    result = run_module("gateway_bfdd", {"netns": missing, "peers": ["10.99.0.1"], "state_dir": str(tmp_path)})
    assert result["failed"] and "does not exist" in result["msg"] and not netns.exists(missing)
    assert not os.path.exists(tmp_path / "bfdd.conf")
    ns = netns_factory("bfx")
    result = run_module("gateway_bfdd", {"netns": ns, "peers": ["10.99.0.300"], "state_dir": str(tmp_path)})
    assert result["failed"] and result["field"] == "peers[0]" and result["value"] == "10.99.0.300"
    result = run_module("gateway_bfdd", {"netns": ns, "peers": ["10.99.0.1"], "receive_interval": 0,
                                         "state_dir": str(tmp_path)})
    assert result["failed"] and result["field"] == "receive_interval"
    assert not os.path.exists(tmp_path / "bfdd.conf")


def test_a_bfdd_with_zero_sessions_is_restarted(bfd_pair):
    """kube-ovn#7048: bfdd alive, its sessions gone (removed here through its own vty), is restarted."""
    ns, dirs = bfd_pair
    first = run_module("gateway_bfdd", bfdd_args(ns, dirs, "a"))
    assert first["changed"] and len(first["sessions"]) == 2, first
    for peer, local in zip(PEERS["b"], PEERS["a"]):
        netns.sh("vtysh", "--vty_socket", dirs["a"], "-d", "bfdd", "-c", "configure terminal", "-c", "bfd",
                 "-c", f"no peer {peer} local-address {local}")
    # same configuration: only the missing sessions make it change
    assert run_module("gateway_bfdd", bfdd_args(ns, dirs, "a"), check=True)["changed"]
    again = run_module("gateway_bfdd", bfdd_args(ns, dirs, "a"))
    assert again["changed"] and again["pid"] != first["pid"] and not processes.alive(first["pid"])
    assert {s["peer"] for s in again["sessions"]} == set(PEERS["b"])
    assert not run_module("gateway_bfdd", bfdd_args(ns, dirs, "a"))["changed"]
