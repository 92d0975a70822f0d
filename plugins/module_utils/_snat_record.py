# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SNAT record of a gateway instance: one JSON line per SNAT mapping, at its start and end.

PRIVATE to the collection: not a public API.

ulogd2 does the netlink work: its NFCT input in event mode (NEW and DESTROY, ``reliable=1``: the
kernel keeps a flow's end event until it was delivered, so a burst of ends, e.g. when conntrack's
garbage collector reaps thousands of expired flows at once, is not lost to ENOBUFS as it is with
``conntrack -E``), IP2STR, and its JSON output on a pipe to this process. A flow is an SNAT
mapping when its reply goes to another address or port than the original source: the original
tuple is the pod's side (source, destination), the reply tuple's destination is the translated
external address and port. This process applies the filters and the rate limit and writes JSON
lines (to a file or stdout). A flow is tracked by conntrack's id from its start to its end, so an
end record carries the start time; the rate limit applies to flows, and a flow whose start was
written always gets its end. Records held back by the limit are counted in a ``suppressed``
record written before the next record (and at exit).

Stdlib only: this file runs on its own (``python3 _snat_record.py --output FILE ...``), as the
gateway pod's ``snat-log`` container and as the process ``gateway_snat_log`` starts. ulogd2's
configuration and log go to ``--work-dir``.
"""
from __future__ import annotations

import argparse
import datetime
import glob
import ipaddress
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

EVENTS = {1: "start", 4: "end"}  # NFCT's ct.event: 1 NEW, 4 DESTROY
PROTOCOLS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", 132: "sctp", 33: "dccp", 136: "udplite", 47: "gre"}
DEFAULT_MAX_TRACKED = 262144
PLUGINS = ("ulogd_inpflow_NFCT.so", "ulogd_filter_IP2STR.so", "ulogd_output_JSON.so")


def parse_record(line):
    """One of ulogd2's NFCT JSON lines as a record of an SNAT mapping, or None (no event, no NAT)."""
    try:
        flow = json.loads(line)
    except ValueError:
        return None
    event = EVENTS.get(flow.get("ct.event")) if isinstance(flow, dict) else None
    if event is None:
        return None
    protocol = flow.get("orig.ip.protocol")
    record = {
        "event": event,
        "time": flow.get(f"flow.{event}.sec", 0) + flow.get(f"flow.{event}.usec", 0) / 1e6,
        "protocol": PROTOCOLS.get(protocol, str(protocol)),
        "source": flow.get("src_ip"),
        "source_port": flow.get("orig.l4.sport"),
        "translated": flow.get("reply.ip.daddr.str"),
        "translated_port": flow.get("reply.l4.dport"),
        "destination": flow.get("dest_ip"),
        "destination_port": flow.get("orig.l4.dport"),
        "flow_id": flow.get("ct.id"),
    }
    if "icmp.type" in flow:
        record["icmp_type"] = flow["icmp.type"]
    if (record["translated"], record["translated_port"]) == (record["source"], record["source_port"]):
        return None  # not translated (the no-SNAT sources, the gateway's own unNATed traffic)
    return record


def iso(stamp):
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat(
        timespec="microseconds").replace("+00:00", "Z")


class TokenBucket:
    """``rate`` flows per second, bursts of ``burst``; rate 0 lets everything through."""

    def __init__(self, rate, burst, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, max(burst, 1), clock
        self.tokens, self.last = float(self.burst), clock()

    def allow(self):
        if not self.rate:
            return True
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class FlowFilter:
    """Protocols and source / destination CIDRs; an empty list means any."""

    def __init__(self, protocols=(), sources=(), destinations=()):
        self.protocols = set(protocols)
        self.sources = [ipaddress.ip_network(c, strict=False) for c in sources]
        self.destinations = [ipaddress.ip_network(c, strict=False) for c in destinations]

    @staticmethod
    def _within(address, networks):
        if not networks:
            return True
        ip = ipaddress.ip_address(address)
        return any(ip.version == net.version and ip in net for net in networks)

    def accepts(self, record):
        return ((not self.protocols or record["protocol"] in self.protocols)
                and self._within(record["source"], self.sources)
                and self._within(record["destination"], self.destinations))


class Recorder:
    """Turns parsed events into the JSON lines written to ``out``."""

    def __init__(self, out, flow_filter, bucket, events=("start", "end"), instance=None,
                 max_tracked=DEFAULT_MAX_TRACKED):
        self.out, self.filter, self.bucket = out, flow_filter, bucket
        self.events, self.instance, self.max_tracked = set(events), instance, max_tracked
        self.open_flows = {}  # flow id -> start time of a flow whose start was let through
        self.suppressed, self.suppressed_since = 0, None

    def handle(self, record):
        if not self.filter.accepts(record):
            return
        key = record["flow_id"]
        if record["event"] == "start":
            if not self.bucket.allow():
                self._suppress(record)
                return
            if key is not None:
                if len(self.open_flows) >= self.max_tracked:
                    self.open_flows.pop(next(iter(self.open_flows)))
                self.open_flows[key] = record["time"]
        else:
            started = self.open_flows.pop(key, None)
            if started is None:
                # started before we ran, or its start was held back: a flow of its own to the limit
                if not self.bucket.allow():
                    self._suppress(record)
                    return
            else:
                record["start"] = iso(started)
                record["duration"] = round(record["time"] - started, 6)
        if record["event"] in self.events:
            self.write(record)

    def _suppress(self, record):
        if not self.suppressed:
            self.suppressed_since = record["time"]
        self.suppressed += 1

    def flush_suppressed(self, now=None):
        if self.suppressed:
            self._emit({"event": "suppressed", "time": iso(now if now is not None else time.time()),
                        "since": iso(self.suppressed_since), "records": self.suppressed})
            self.suppressed, self.suppressed_since = 0, None

    def write(self, record):
        self.flush_suppressed(record["time"])
        record = dict(record, time=iso(record["time"]))
        self._emit(record)

    def _emit(self, record):
        if self.instance:
            record["instance"] = self.instance
        self.out.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.out.flush()

    def run(self, lines):
        for line in lines:
            record = parse_record(line)
            if record is not None:
                self.handle(record)
        self.flush_suppressed()


def plugin_dir(candidates=None):
    """The directory with ulogd2's NFCT, IP2STR and JSON plugins (Debian: /usr/lib/<arch>/ulogd)."""
    for directory in candidates or sorted(glob.glob("/usr/lib/*/ulogd")) + ["/usr/lib/ulogd"]:
        if all(os.path.exists(os.path.join(directory, name)) for name in PLUGINS):
            return directory
    return None


def ulogd_config(plugins, log_file, buffer_size):
    """ulogd2's configuration: NFCT events NEW and DESTROY, reliable, as JSON lines on stdout."""
    lines = ["[global]", f'logfile="{log_file}"', "loglevel=5"]
    lines += [f'plugin="{os.path.join(plugins, name)}"' for name in PLUGINS]
    lines += ["stack=ct1:NFCT,ip2str1:IP2STR,json1:JSON", "",
              "[ct1]", "event_mask=0x00000005", "hash_enable=0", "reliable=1",
              f"netlink_socket_buffer_size={buffer_size}", f"netlink_socket_buffer_maxsize={buffer_size * 4}", "",
              "[json1]", 'file="/dev/stdout"', "sync=1"]
    return "\n".join(lines) + "\n"


def arguments(argv=None):
    parser = argparse.ArgumentParser(description="JSON lines of the SNAT mappings conntrack reports, via ulogd2.")
    parser.add_argument("--output", default="-", help="file to append to; - for stdout")
    parser.add_argument("--ulogd", default="ulogd", help="ulogd2's binary")
    parser.add_argument("--plugin-dir", help="ulogd2's plugin directory (default: found under /usr/lib)")
    parser.add_argument("--work-dir", help="where ulogd2's configuration and log go (default: a new temp dir)")
    parser.add_argument("--buffer-size", type=int, default=8388608, help="netlink socket buffer (bytes)")
    parser.add_argument("--rate-limit", type=float, default=0, help="flows per second, 0 for no limit")
    parser.add_argument("--burst", type=int, default=100, help="flows let through at once above the rate")
    parser.add_argument("--protocol", action="append", default=[], choices=sorted(PROTOCOLS.values()))
    parser.add_argument("--source", action="append", default=[], help="pod CIDR to record (repeatable)")
    parser.add_argument("--destination", action="append", default=[], help="destination CIDR (repeatable)")
    parser.add_argument("--event", action="append", default=[], choices=("start", "end"))
    parser.add_argument("--instance", help="name written into every record")
    parser.add_argument("--max-tracked", type=int, default=DEFAULT_MAX_TRACKED,
                        help="open flows remembered for their end record's start time")
    return parser.parse_args(argv)


def main(argv=None):
    args = arguments(argv)
    plugins = args.plugin_dir or plugin_dir()
    if not plugins:
        sys.stderr.write("ulogd2's NFCT, IP2STR and JSON plugins not found: install the Debian packages "
                         "ulogd2 ulogd2-json\n")
        return 2
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="snat-record-")
    config = os.path.join(work_dir, "ulogd.conf")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(ulogd_config(plugins, os.path.join(work_dir, "ulogd.log"), args.buffer_size))
    out = sys.stdout if args.output == "-" else open(args.output, "a", encoding="utf-8")  # pylint: disable=consider-using-with
    recorder = Recorder(out, FlowFilter(args.protocol, args.source, args.destination),
                        TokenBucket(args.rate_limit, args.burst), events=args.event or ("start", "end"),
                        instance=args.instance, max_tracked=args.max_tracked)
    proc = subprocess.Popen([args.ulogd, "-c", config], stdout=subprocess.PIPE, text=True)  # pylint: disable=consider-using-with

    def stop(_signum, _frame):
        proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        recorder.run(proc.stdout)
    finally:
        proc.terminate()
        proc.wait()
        out.flush()
    return proc.returncode if proc.returncode and proc.returncode > 0 else 0


if __name__ == "__main__":
    raise SystemExit(main())
