"""Pure parts of the SNAT record: ulogd2's JSON lines, filters, the rate limit, the records.

The input lines are ulogd2 2.0.8's NFCT + IP2STR + JSON output as captured in gateway namespaces
of tests/functional/agent (UDP with MASQUERADE --random-fully, IPv6 TCP and ICMP with plain
MASQUERADE), shortened only by the byte/packet counters.
"""
from __future__ import annotations

import io
import json

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._snat_log import default_state_dir, record_options
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._snat_record import (
    FlowFilter,
    Recorder,
    TokenBucket,
    parse_record,
    plugin_dir,
    ulogd_config,
)


def ulogd_line(**fields):
    return json.dumps({"timestamp": "2026-12-02T02:39:44", "dvc": "Netfilter", **fields})


UDP_NEW = ulogd_line(**{
    "orig.ip.protocol": 17, "orig.l4.sport": 10000, "orig.l4.dport": 9999, "reply.ip.protocol": 17,
    "reply.l4.sport": 9999, "reply.l4.dport": 20703, "ct.mark": 0, "ct.id": 2444312219, "ct.event": 1,
    "flow.start.sec": 1796179184, "flow.start.usec": 675202, "oob.family": 2, "oob.protocol": 0,
    "src_ip": "10.17.0.5", "dest_ip": "198.51.100.10", "reply.ip.saddr.str": "198.51.100.10",
    "reply.ip.daddr.str": "172.17.0.11"})
UDP_END = ulogd_line(**{
    "orig.ip.protocol": 17, "orig.l4.sport": 10000, "orig.l4.dport": 9999, "reply.ip.protocol": 17,
    "reply.l4.sport": 9999, "reply.l4.dport": 20703, "ct.mark": 0, "ct.id": 2444312219, "ct.event": 4,
    "flow.end.sec": 1796179185, "flow.end.usec": 831404, "oob.family": 2, "oob.protocol": 0,
    "src_ip": "10.17.0.5", "dest_ip": "198.51.100.10", "reply.ip.saddr.str": "198.51.100.10",
    "reply.ip.daddr.str": "172.17.0.11"})
TCP6_NEW = ulogd_line(**{
    "orig.ip.protocol": 6, "orig.l4.sport": 56847, "orig.l4.dport": 9090, "reply.ip.protocol": 6,
    "reply.l4.sport": 9090, "reply.l4.dport": 56847, "ct.mark": 0, "ct.id": 1950342757, "ct.event": 1,
    "flow.start.sec": 1796179266, "flow.start.usec": 402058, "oob.family": 10, "oob.protocol": 0,
    "src_ip": "fd17::5", "dest_ip": "2001:db8:100::10", "reply.ip.saddr.str": "2001:db8:100::10",
    "reply.ip.daddr.str": "fd72::11"})
ICMP_NEW = ulogd_line(**{
    "orig.ip.protocol": 1, "reply.ip.protocol": 1, "icmp.code": 0, "icmp.type": 8, "ct.mark": 0,
    "ct.id": 463768156, "ct.event": 1, "flow.start.sec": 1796179267, "flow.start.usec": 59304, "oob.family": 2,
    "oob.protocol": 0, "src_ip": "10.17.0.5", "dest_ip": "198.51.100.10", "reply.ip.saddr.str": "198.51.100.10",
    "reply.ip.daddr.str": "172.17.0.11"})
NOT_NATED = ulogd_line(**{
    "orig.ip.protocol": 6, "orig.l4.sport": 40000, "orig.l4.dport": 9090, "reply.l4.sport": 9090,
    "reply.l4.dport": 40000, "ct.id": 5, "ct.event": 1, "flow.start.sec": 1796179266, "flow.start.usec": 0,
    "src_ip": "10.18.0.5", "dest_ip": "198.51.100.10", "reply.ip.saddr.str": "198.51.100.10",
    "reply.ip.daddr.str": "10.18.0.5"})


def test_parse_start_and_end():
    start = parse_record(UDP_NEW)
    assert start == {"event": "start", "time": pytest.approx(1796179184.675202), "protocol": "udp",
                     "source": "10.17.0.5", "source_port": 10000, "translated": "172.17.0.11",
                     "translated_port": 20703, "destination": "198.51.100.10", "destination_port": 9999,
                     "flow_id": 2444312219}
    end = parse_record(UDP_END)
    assert end["event"] == "end" and end["flow_id"] == 2444312219 and end["time"] == pytest.approx(1796179185.831404)


def test_parse_ipv6_and_icmp():
    tcp = parse_record(TCP6_NEW)
    # address translated, port kept (MASQUERADE without --random-fully)
    assert (tcp["source"], tcp["translated"], tcp["translated_port"], tcp["destination"], tcp["protocol"]) == (
        "fd17::5", "fd72::11", 56847, "2001:db8:100::10", "tcp")
    icmp = parse_record(ICMP_NEW)
    assert (icmp["protocol"], icmp["source_port"], icmp["translated_port"], icmp["icmp_type"]) == ("icmp", None, None, 8)


@pytest.mark.parametrize("line", ["", "not json", "[1, 2]", NOT_NATED, UDP_NEW.replace('"ct.event": 1', '"ct.event": 2')])
def test_other_lines_are_not_mappings(line):
    assert parse_record(line) is None


def test_ulogd_config_and_plugins(tmp_path):
    for name in ("ulogd_inpflow_NFCT.so", "ulogd_filter_IP2STR.so"):
        (tmp_path / name).touch()
    assert plugin_dir([str(tmp_path)]) is None
    (tmp_path / "ulogd_output_JSON.so").touch()
    assert plugin_dir(["/nonexistent", str(tmp_path)]) == str(tmp_path)
    text = ulogd_config("/p", "/w/ulogd.log", 1024)
    assert 'plugin="/p/ulogd_inpflow_NFCT.so"' in text and "stack=ct1:NFCT,ip2str1:IP2STR,json1:JSON" in text
    assert "event_mask=0x00000005\nhash_enable=0\nreliable=1\n" in text and 'file="/dev/stdout"' in text


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_token_bucket():
    clock = Clock()
    bucket = TokenBucket(2, 3, clock=clock)
    assert [bucket.allow() for attempt in range(4)] == [True, True, True, False]
    clock.now = 0.5
    assert [bucket.allow(), bucket.allow()] == [True, False]
    assert all(TokenBucket(0, 1).allow() for attempt in range(1000))


def records(lines, **kwargs):
    out = io.StringIO()
    flow_filter = kwargs.pop("flow_filter", FlowFilter())
    bucket = kwargs.pop("bucket", TokenBucket(0, 1))
    Recorder(out, flow_filter, bucket, **kwargs).run(lines)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_end_record_carries_start_and_duration():
    start, end = records([UDP_NEW, "noise", UDP_END], instance="gw-a")
    assert start["time"] == "2026-12-02T02:39:44.675202Z" and start["instance"] == "gw-a"
    assert "icmp_type" not in start
    assert end["start"] == start["time"] and end["duration"] == pytest.approx(1.156202)


def test_filters():
    lines = [UDP_NEW, TCP6_NEW, ICMP_NEW, UDP_END]
    assert [r["protocol"] for r in records(lines, flow_filter=FlowFilter(protocols=["tcp", "icmp"]))] == [
        "tcp", "icmp"]
    assert [r["source"] for r in records(lines, flow_filter=FlowFilter(sources=["fd17::/64"]))] == ["fd17::5"]
    assert [r["event"] for r in records(lines, flow_filter=FlowFilter(destinations=["198.51.100.0/24"]))] == [
        "start", "start", "end"]
    assert [r["event"] for r in records(lines, events=["end"])] == ["end"]


def test_rate_limit_counts_what_it_holds_back_and_keeps_ends_of_recorded_flows():
    clock = Clock()
    lines = [UDP_NEW, TCP6_NEW, ICMP_NEW, UDP_END]
    out = records(lines, bucket=TokenBucket(1, 1, clock=clock))
    assert [r["event"] for r in out] == ["start", "suppressed", "end"]
    assert out[1]["records"] == 2 and out[1]["since"] == "2026-12-02T02:41:06.402058Z"
    assert out[2]["flow_id"] == 2444312219


def test_end_without_a_recorded_start_counts_against_the_limit():
    clock = Clock()
    out = records([UDP_END, UDP_END.replace("2444312219", "9")], bucket=TokenBucket(1, 1, clock=clock))
    assert [r["event"] for r in out] == ["end", "suppressed"] and "start" not in out[0]


def test_open_flows_are_bounded():
    out = records([UDP_NEW, TCP6_NEW, UDP_END], max_tracked=1)
    assert "start" not in out[2]  # evicted by the second flow


def test_record_options_and_bad_options():
    params = {"rate_limit": 500, "burst": 50, "protocols": ["tcp"], "sources": ["10.17.0.5"], "instance": "gw"}
    assert record_options(params) == [
        "--rate-limit", "500", "--burst", "50", "--protocol", "tcp", "--source", "10.17.0.5/32", "--instance", "gw"]
    assert record_options({}) == ["--rate-limit", "0", "--burst", "100"]
    for key, value, field in (("sources", ["10.0.0.0/8", "nope"], "sources[1]"), ("rate_limit", -1, "rate_limit"),
                              ("burst", 0, "burst"), ("destinations", ["fd00::/129"], "destinations[0]"),
                              ("protocols", ["tcp", "ospf"], "protocols[1]"), ("events", ["begin"], "events[0]"),
                              # host bits: refused as the spec model refuses them, not masked
                              ("sources", ["10.0.0.1/8"], "sources[0]"),
                              ("rate_limit", "fast", "rate_limit"), ("burst", True, "burst")):
        with pytest.raises(EgressGatewayError) as err:
            record_options(dict(params, **{key: value}))
        shown = value[-1] if isinstance(value, list) else value
        assert err.value.field == field and repr(shown) in str(err.value)
    with pytest.raises(EgressGatewayError) as err:
        record_options({"rate": 5}, prefix="egress_gateway_snat_log.")
    assert err.value.field == "egress_gateway_snat_log.rate" and "unknown option" in str(err.value)


def test_state_dir_per_namespace():
    assert default_state_dir("gw1") == "/run/kubeovn-egress-gateway/snat-log/gw1"
    assert default_state_dir(None) == "/run/kubeovn-egress-gateway/snat-log/_host"
