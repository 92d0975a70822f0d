# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SNAT record process of a gateway instance: configuration and process, by pid.

PRIVATE to the collection: not a public API.

The record itself is ``_snat_record.py`` (stdlib only, ulogd2 underneath). This file validates
the options, copies that program into the instance's state directory (default
``/run/kubeovn-egress-gateway/snat-log/<netns>``: ``snat_record.py``, ``snat_log.pid``,
``snat_log.err``, ulogd2's ``ulogd.conf`` and ``ulogd.log``) and starts it inside the namespace
(entered, never created). It counts as running only when the pid in the pid file runs that copy
with the wanted arguments; otherwise it is (re)started. Start returns once ulogd2's conntrack
event socket is subscribed, so no flow after the module returned is missed. Stop is by that pid;
the recorder stops its ulogd, and a ulogd left behind (the recorder was SIGKILLed) is stopped by
its pid too.
"""
from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
import time

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _process, _snat_record
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._process import read_file
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import parse_cidr
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import state_dir as check_state_dir
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._netlink import agent_state_dir, entered, netns_identity

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
NETLINK_NETFILTER = 12


def default_state_dir(netns):
    return agent_state_dir(netns, "snat-log")


def paths(state_dir):
    return {
        "dir": state_dir,
        "program": os.path.join(state_dir, "snat_record.py"),
        "pidfile": os.path.join(state_dir, "snat_log.pid"),
        "err": os.path.join(state_dir, "snat_log.err"),
        "ulogd_conf": os.path.join(state_dir, "ulogd.conf"),
        "ulogd_log": os.path.join(state_dir, "ulogd.log"),
        "output": os.path.join(state_dir, "snat.jsonl"),
    }


OPTIONS = {"rate_limit": 0, "burst": 100, "protocols": [], "sources": [], "destinations": [], "events": [],
           "instance": None}


def record_options(params, prefix=""):
    """The recorder's filter and limit options (command line) from OPTIONS-shaped ``params``;
    errors name ``<prefix><option>``."""
    unknown = sorted(set(params) - set(OPTIONS))
    if prefix and unknown:
        raise EgressGatewayError(f"{prefix}{unknown[0]}: unknown option (known: {', '.join(OPTIONS)})",
                                 field=f"{prefix}{unknown[0]}", value=params[unknown[0]])
    params = {**OPTIONS, **{k: v for k, v in params.items() if v is not None}}
    rate, burst = params["rate_limit"], params["burst"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0:
        raise EgressGatewayError(f"{prefix}rate_limit: {rate!r} must be a number of flows per second >= 0 "
                                 "(0: no limit)", field=f"{prefix}rate_limit", value=rate)
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise EgressGatewayError(f"{prefix}burst: {burst!r} must be an integer >= 1", field=f"{prefix}burst",
                                 value=burst)
    args = ["--rate-limit", f"{float(rate):g}", "--burst", str(burst)]
    for index, protocol in enumerate(params["protocols"]):
        if protocol not in _snat_record.PROTOCOLS.values():
            raise EgressGatewayError(f"{prefix}protocols[{index}]: {protocol!r} is not one of "
                                     f"{', '.join(_snat_record.PROTOCOLS.values())}",
                                     field=f"{prefix}protocols[{index}]", value=protocol)
        args += ["--protocol", protocol]
    for option, flag in (("sources", "--source"), ("destinations", "--destination")):
        for index, value in enumerate(params[option]):
            args += [flag, parse_cidr(value, f"{prefix}{option}[{index}]")]
    for index, event in enumerate(params["events"]):
        if event not in ("start", "end"):
            raise EgressGatewayError(f"{prefix}events[{index}]: {event!r} is not start or end",
                                     field=f"{prefix}events[{index}]", value=event)
        args += ["--event", event]
    if params["instance"]:
        args += ["--instance", str(params["instance"])]
    return args


def running(state):
    """(pid, argv) of the recorder started from this state dir's program, or (None, None)."""
    return _process.running(state["pidfile"], lambda argv: state["program"] in argv[:3])


def subscribed(pid):
    """True when a child of pid (ulogd) holds a NETLINK_NETFILTER socket joined to groups."""
    for child in _process.children(pid):
        try:
            inodes = {os.readlink(f"/proc/{child}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{child}/fd")}
            with open(f"/proc/{child}/net/netlink", encoding="ascii") as handle:
                rows = [line.split() for line in handle.readlines()[1:]]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if any(int(row[1]) == NETLINK_NETFILTER and int(row[3], 16) and row[9] in inodes for row in rows):
            return True
    return False


def start(netns, state, argv):
    with open(state["err"], "a", encoding="utf-8") as err, entered(netns):
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                stderr=err, start_new_session=True, close_fds=True)
    with open(state["pidfile"], "w", encoding="ascii") as handle:
        handle.write(f"{proc.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EgressGatewayError(f"the SNAT recorder exited (rc={proc.returncode}): "
                                     f"{(read_file(state['err']) or '').strip()[-500:]}")
        if subscribed(proc.pid):
            return proc.pid
        time.sleep(0.02)
    raise EgressGatewayError(f"ulogd did not subscribe to conntrack events within {START_TIMEOUT} s; "
                             f"see {state['err']} and {state['ulogd_log']}")


def stop(state):
    pid, argv = running(state)
    if pid is None:
        return False
    children = [(child, _process.cmdline(child)) for child in _process.children(pid)]
    _process.stop(pid, argv, STOP_TIMEOUT)
    for child, child_argv in children:
        if child_argv and _process.cmdline(child) == child_argv:
            _process.stop(child, child_argv, STOP_TIMEOUT)
    return True


def snat_log_from_params(params):
    """The validated module options (no I/O): what ``reconcile`` works from."""
    netns = params.get("netns")
    state_dir = check_state_dir(params.get("state_dir") or default_state_dir(netns), "state_dir")
    config = {key: params.get(key) for key in ("netns", "state", "ulogd", "output")}
    config.update(state_dir=state_dir, python=params.get("python") or sys.executable,
                  options=record_options({k: params.get(k) for k in OPTIONS}) if params["state"] != "absent" else [])
    return config


def reconcile(config, check_mode=False):
    """present / absent / restarted of the validated ``config`` (snat_log_from_params); the module result."""
    netns = config["netns"]
    state = paths(config["state_dir"])
    output = config["output"] or state["output"]
    result = {"state_dir": state["dir"], "output": output, "pid": None}
    pid, have_argv = running(state)

    if config["state"] == "absent":
        have_program = read_file(state["program"])
        result["changed"] = pid is not None or have_program is not None
        result["diff"] = {"before": " ".join(have_argv or []), "after": ""}
        if result["changed"] and not check_mode:
            stop(state)
            for name in ("program", "pidfile", "err", "ulogd_conf", "ulogd_log"):
                if os.path.exists(state[name]):
                    os.unlink(state[name])
        return result

    if netns is not None:
        with entered(netns):  # fails now, before writing, when the namespace is missing
            pass
    ulogd = config["ulogd"]
    if not shutil.which(ulogd):
        raise EgressGatewayError(f"ulogd: {ulogd} not found: install the Debian packages ulogd2 ulogd2-json",
                                 field="ulogd", value=ulogd)
    if not _snat_record.plugin_dir():
        raise EgressGatewayError("ulogd: ulogd2's NFCT, IP2STR and JSON plugins not found: install the Debian "
                                 "packages ulogd2 ulogd2-json", field="ulogd", value=ulogd)
    want_argv = [config["python"], "-I", state["program"], "--output", output, "--ulogd", ulogd,
                 "--work-dir", state["dir"], *config["options"]]
    program = inspect.getsource(_snat_record)
    # a recorder left in an older namespace of the same name (the namespace was recreated)
    stale = pid is not None and _process.netns_of(pid) != netns_identity(netns)
    restart = (config["state"] == "restarted" or pid is None or stale or have_argv != want_argv
               or read_file(state["program"]) != program)
    result["changed"] = restart
    result["diff"] = {"before": " ".join(have_argv or []), "after": " ".join(want_argv)}
    result["pid"] = pid
    if restart and not check_mode:
        os.makedirs(state["dir"], mode=0o750, exist_ok=True)
        if os.path.dirname(output):
            os.makedirs(os.path.dirname(output), exist_ok=True)
        stop(state)
        tmp = f"{state['program']}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(program)
        os.replace(tmp, state["program"])
        result["pid"] = start(netns, state, want_argv)
    return result
