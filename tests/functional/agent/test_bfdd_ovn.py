"""gateway_bfdd against OVN 25.03's own BFD (support/dataplane.py): the documented defaults keep
the session up and steady; stopping the responder takes the session down in OVN.

A changed interval is applied to the running bfdd (300 ms, which holds toward OVN per docs/bfd.md;
100 ms is not used here: toward OVN 25.03 it flapped or never came up in our trials, which is
OVN's timing, not this collection's). Its flap count is printed for the record, not asserted.
"""
from __future__ import annotations

import os
import time

import pytest

from support.ansible import run_module
from support.dataplane import BFD_PORT, INTERNAL_GW, OVN_BIN, SENTINEL_IP, Dataplane

pytestmark = [pytest.mark.dataplane, pytest.mark.slow]

GATEWAY_IP = "10.16.0.101"


def watch_bfd(dp, ip):
    """A BFD row for ip on the BFD port, and a route that uses it so OVN runs the session (as
    the 29100 policy's bfd_sessions would)."""
    bfd = dp.nbctl("create", "BFD", f"logical_port={BFD_PORT}", f"dst_ip={ip}", "min_tx=100",
                   "min_rx=100", "detect_mult=3")
    dp.nbctl("--", "--id=@r", "create", "Logical_Router_Static_Route", f"ip_prefix={ip}/32",
             f"nexthop={ip}", f"output_port={BFD_PORT}", f"bfd={bfd}",
             "--", "add", "Logical_Router", "lr0", "static_routes", "@r")


@pytest.fixture(scope="module")
def ovn_bfd():
    """One gateway instance, plus the BFD sentinel of docs/bfd.md: OVN 25.03 processes BFD
    timeouts only while some BFD packet arrives, so without an always-alive peer a stopped
    responder's session may stay `up`."""
    if not (OVN_BIN / "ovn-northd").exists():
        pytest.fail("OVN 25.03 is not installed: run `make install` (hack/install-ovn.sh)")
    dp = Dataplane()
    dp.start()
    sentinel_args = None
    try:
        netns = dp.add_gateway_instance("bf1", GATEWAY_IP, "172.17.0.11")
        watch_bfd(dp, GATEWAY_IP)
        sentinel_args = {"netns": dp.add_sentinel(), "state_dir": str(dp.workdir / "sentinel-bfdd"),
                         "peers": [INTERNAL_GW], "local_addresses": [SENTINEL_IP], "transmit_interval": 100}
        watch_bfd(dp, SENTINEL_IP)
        dp.sync()
        assert not run_module("gateway_bfdd", sentinel_args)["failed"]
        yield dp, netns, str(dp.workdir / "agent-bfdd")
    finally:
        run_module("gateway_bfdd", {"netns": netns, "state": "absent", "state_dir": str(dp.workdir / "agent-bfdd")})
        if sentinel_args:
            run_module("gateway_bfdd", dict(sentinel_args, state="absent"))
        dp.stop()


def flaps(dp, seconds):
    last, changes, end = dp.bfd_status()[GATEWAY_IP], 0, time.time() + seconds
    while time.time() < end:
        time.sleep(0.05)
        now = dp.bfd_status()[GATEWAY_IP]
        changes += now != last
        last = now
    return changes


def test_defaults_hold_the_session_and_absent_takes_it_down(ovn_bfd):
    dp, netns, state_dir = ovn_bfd
    os.makedirs(os.path.dirname(state_dir), exist_ok=True)
    args = {"netns": netns, "state_dir": state_dir, "peers": [INTERNAL_GW], "local_addresses": [GATEWAY_IP],
            "transmit_interval": 100, "wait_up": 30}
    started = run_module("gateway_bfdd", args)
    assert started["changed"] and [s["status"] for s in started["sessions"]] == ["up"], started
    assert started["sessions"][0]["receive_interval"] == 1000  # the documented default
    dp.wait_bfd({GATEWAY_IP: "up"}, timeout=30)
    assert flaps(dp, 10) == 0
    assert not run_module("gateway_bfdd", args)["changed"]

    faster = run_module("gateway_bfdd", dict(args, receive_interval=300))
    assert faster["changed"]
    assert faster["sessions"][0]["receive_interval"] == 300
    dp.wait_bfd({GATEWAY_IP: "up"}, timeout=30)
    print(f"\nFRR receive-interval 300 toward OVN: {flaps(dp, 10)} status changes in 10 s")

    stopped = run_module("gateway_bfdd", {"netns": netns, "state": "absent", "state_dir": state_dir})
    assert stopped["changed"]
    dp.wait_bfd({GATEWAY_IP: "down"}, timeout=30)
