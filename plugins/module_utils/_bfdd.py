# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The BFD responder of a gateway instance: FRR's bfdd, alone (no zebra), one per namespace.

PRIVATE to the collection: not a public API.

Everything of one instance lives in its state directory: ``bfdd.conf``, ``bfdd.pid``, the vty
socket ``bfdd.vty`` (``vtysh --vty_socket DIR -d bfdd``), the control socket ``bfdd.sock``,
``bfdd.log``. bfdd is started inside the namespace (entered with flags=0, never created) as
``bfdd -d -u frr -g frr -f CONF -i PIDFILE -z DIR/zserv.api --vty_socket DIR --bfdctl DIR/bfdd.sock
-A 127.0.0.1 -P 0`` (no vty TCP port; zebra is absent, bfdd runs without it). It is stopped by the
pid in its pid file, and only when that process is a bfdd started with this configuration file.

Intervals: Kube-OVN's beacon uses the spec's minRX/minTX (1000 ms by default). Toward OVN, FRR's
``receive-interval`` below 1000 ms made sessions flap (OVN answers FRR's Poll, then goes quiet for
~0.8 s; at 100 ms they never came up in docs/bfd.md), so the defaults are ``receive-interval 1000``
and ``transmit-interval`` = the spec's minRX (what OVN asked to receive): OVN detects a dead
gateway after multiplier x max(its min_rx, our transmit-interval).
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
import time

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _process
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import parse_ip
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, shown
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import state_dir as check_state_dir
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._netlink import STATE_ROOT, agent_state_dir, entered, netns_identity

BFDD = "/usr/lib/frr/bfdd"
VTYSH = "vtysh"
START_TIMEOUT = 5.0
STOP_TIMEOUT = 5.0


def default_state_dir(netns, state_root=STATE_ROOT):
    return agent_state_dir(netns, "bfdd", state_root)


def paths(state_dir):
    return {
        "dir": state_dir,
        "config": os.path.join(state_dir, "bfdd.conf"),
        "pidfile": os.path.join(state_dir, "bfdd.pid"),
        "zserv": os.path.join(state_dir, "zserv.api"),
        "ctl": os.path.join(state_dir, "bfdd.sock"),
        "log": os.path.join(state_dir, "bfdd.log"),
    }


# FRR bfdd's ranges (bfdd/bfdd_cli.c): intervals 10-60000 ms; Detect Mult is 8 bits (RFC 5880
# section 4.1), FRR takes 2-255.
INTERVAL_RANGE = (10, 60000)
MULTIPLIER_RANGE = (2, 255)


def validate_interval(value, field, low=INTERVAL_RANGE[0], high=INTERVAL_RANGE[1]):
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise EgressGatewayError(f"{field}: must be an integer from {low} to {high} (got {shown(value)})",
                                 field=field, value=value)
    return value


def sessions_from_params(params):
    """[(peer, local address or None)]: each peer paired with the local address of its family."""
    locals_by_version = {}
    for index, address in enumerate(params.get("local_addresses") or []):
        local = parse_ip(address, f"local_addresses[{index}]")
        locals_by_version.setdefault(local.version, str(local))
    sessions = []
    for index, peer in enumerate(params.get("peers") or []):
        address = parse_ip(peer, f"peers[{index}]")
        sessions.append((str(address), locals_by_version.get(address.version)))
    if not sessions:
        raise EgressGatewayError(f"peers: at least one BFD peer (the VPC BFD port IP) is needed "
                                 f"(got {shown(params.get('peers'))})", field="peers", value=params.get("peers"))
    return sessions


def bfdd_from_params(params):
    """The validated module options (no I/O): what ``reconcile`` works from."""
    config = {key: params.get(key) for key in ("netns", "state", "user", "group", "bfdd", "vtysh", "wait_up")}
    config["state_dir"] = check_state_dir(params.get("state_dir") or default_state_dir(params.get("netns")),
                                          "state_dir")
    if config["state"] != "absent":
        config["sessions"] = sessions_from_params(params)
        config["receive_interval"] = validate_interval(params["receive_interval"], "receive_interval")
        config["transmit_interval"] = validate_interval(params["transmit_interval"], "transmit_interval")
        config["detect_multiplier"] = validate_interval(params["detect_multiplier"], "detect_multiplier",
                                                        *MULTIPLIER_RANGE)
    wait = params.get("wait_up") or 0
    if wait < 0:
        raise EgressGatewayError(f"wait_up: must be 0 or a positive number of seconds (got {shown(wait)})",
                                 field="wait_up", value=wait)
    return config


def config_text(sessions, receive_interval, transmit_interval, detect_multiplier, log_file):
    lines = [f"log file {log_file} informational", "!", "bfd"]
    for peer, local in sessions:
        lines.append(f" peer {peer}" + (f" local-address {local}" if local else ""))
        lines += [f"  detect-multiplier {detect_multiplier}", f"  receive-interval {receive_interval}",
                  f"  transmit-interval {transmit_interval}", " !"]
    lines.append("!")
    return "\n".join(lines) + "\n"


def running(state):
    """(pid, argv) of the bfdd started with this state dir's configuration, or (None, None)."""
    return _process.running(state["pidfile"], lambda argv: argv[0].endswith("bfdd") and state["config"] in argv)


def running_pid(state):
    return running(state)[0]


def _prepare_dir(state, user, group):
    os.makedirs(state["dir"], exist_ok=True)
    try:
        uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError as exc:
        raise EgressGatewayError(f"user/group {user}:{group} does not exist (Debian package frr creates frr:frr)",
                                 field="user", value=user) from exc
    # mode first: once the directory is frr's, root without CAP_FOWNER (the gateway pod's bfdd
    # container) may no longer change it
    os.chmod(state["dir"], 0o750)
    os.chown(state["dir"], uid, gid)


def write_config(state, text):
    tmp = f"{state['config']}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, state["config"])


def start(netns, state, bfdd, user, group):
    for stale in (state["pidfile"], os.path.join(state["dir"], "bfdd.vty"), state["ctl"]):
        if os.path.exists(stale):
            os.unlink(stale)
    argv = [bfdd, "-d", "-u", user, "-g", group, "-f", state["config"], "-i", state["pidfile"],
            "-z", state["zserv"], "--vty_socket", state["dir"], "--bfdctl", state["ctl"],
            "-A", "127.0.0.1", "-P", "0"]
    with entered(netns):
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        except FileNotFoundError as exc:
            raise EgressGatewayError(f"{bfdd} not found: install the Debian package frr", field="bfdd",
                                     value=bfdd) from exc
    if proc.returncode != 0:
        raise EgressGatewayError(f"bfdd failed to start (rc={proc.returncode}): {proc.stderr.strip()}")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        pid = running_pid(state)
        if pid and os.path.exists(os.path.join(state["dir"], "bfdd.vty")):
            return pid
        time.sleep(0.02)
    raise EgressGatewayError(f"bfdd did not come up within {START_TIMEOUT} s; see {state['log']}")


def stop(state):
    pid, argv = running(state)
    if pid is None:
        return False
    _process.stop(pid, argv, STOP_TIMEOUT)
    return True


def sessions_status(state, vtysh=VTYSH):
    """``show bfd peers json`` of this bfdd, reduced to what callers use."""
    proc = subprocess.run([vtysh, "--vty_socket", state["dir"], "-d", "bfdd", "-c", "show bfd peers json"],
                          capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        raise EgressGatewayError(f"vtysh could not query bfdd in {state['dir']}: {proc.stderr.strip()}")
    keys = ("peer", "local", "status", "diagnostic", "remote-diagnostic", "uptime", "downtime",
            "receive-interval", "transmit-interval", "detect-multiplier", "remote-receive-interval",
            "remote-transmit-interval", "remote-detect-multiplier")
    return [{k.replace("-", "_"): peer[k] for k in keys if k in peer} for peer in json.loads(proc.stdout or "[]")]


def wait_up(state, timeout, vtysh=VTYSH):
    deadline = time.monotonic() + timeout
    while True:
        sessions = sessions_status(state, vtysh)
        if sessions and all(s.get("status") == "up" for s in sessions):
            return sessions
        if time.monotonic() > deadline:
            return sessions
        time.sleep(0.2)


def reconcile(config, check_mode=False):
    """present / absent / restarted of the validated ``config`` (bfdd_from_params); the module result."""
    netns, state_name = config["netns"], config["state"]
    state = paths(config["state_dir"])
    result = {"state_dir": state["dir"], "config_file": state["config"], "pid": None, "sessions": []}
    pid = running_pid(state)
    have_config = _process.read_file(state["config"])

    if state_name == "absent":
        result["changed"] = pid is not None or have_config is not None
        result["diff"] = {"before": have_config or "", "after": ""}
        if not check_mode and result["changed"]:
            stop(state)
            for name in ("config", "pidfile", "ctl", "log"):
                if os.path.exists(state[name]):
                    os.unlink(state[name])
            vty = os.path.join(state["dir"], "bfdd.vty")
            if os.path.exists(vty):
                os.unlink(vty)
            if os.path.isdir(state["dir"]) and not os.listdir(state["dir"]):
                os.rmdir(state["dir"])
        return result

    if netns is not None:
        with entered(netns):  # fails now, before writing, when the namespace is missing
            pass
    want_config = config_text(config["sessions"], config["receive_interval"], config["transmit_interval"],
                              config["detect_multiplier"], state["log"])
    # A bfdd left in an older namespace of the same name (the namespace was recreated) is stale.
    stale_netns = pid is not None and _process.netns_of(pid) != netns_identity(netns)
    restart = state_name == "restarted" or pid is None or stale_netns or have_config != want_config
    if not restart and not sessions_status(state, config["vtysh"]):
        # kube-ovn#7048: a bfdd that is alive but reports no session answers nobody; restart it.
        restart = True
    result["changed"] = restart
    result["diff"] = {"before": have_config or "", "after": want_config}
    if check_mode or not restart:
        result["pid"] = pid
    else:
        _prepare_dir(state, config["user"], config["group"])
        write_config(state, want_config)
        stop(state)
        result["pid"] = start(netns, state, config["bfdd"], config["user"], config["group"])
    if result["pid"] is not None:
        if config.get("wait_up"):
            result["sessions"] = wait_up(state, config["wait_up"], config["vtysh"])
        else:
            result["sessions"] = sessions_status(state, config["vtysh"])
    return result
