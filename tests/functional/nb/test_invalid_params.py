"""Bad parameters of the single-row NB modules, through the real modules against a real NB.

Each case fails naming the field and the value given, and the database is byte-for-byte what
it was (every row, with its _version). The NB holds a Kube-OVN-like router with rows of other
owners (support.nbworld), so a case that slipped through validation would have something to
write to. A valid run of each module at the end proves the cases fail for their input only.
"""
from __future__ import annotations

import pytest

from support.nbworld import BFD_PORT, ROUTER, build, full_dump
from support.ansible import run_module
from support.ovsdb import NbDatabase

pytestmark = pytest.mark.ovsdb

POLICY = {"router": ROUTER, "priority": 29100, "match": "ip4.src == 10.1.0.0/16", "action": "reroute",
          "nexthops": ["10.16.0.5"]}
BFD = {"logical_port": BFD_PORT, "dst_ip": "10.16.0.5"}
BFD_PORT_ARGS = {"router": ROUTER, "networks": ["10.255.255.254/24"], "chassis": ["node1"]}
SENTINEL = {"router": ROUTER, "logical_port": BFD_PORT, "dst_ip": "10.16.0.240"}

# (id, module, parameters, field named, value named)
CASES = [
    # class 6: the single-row modules are as strict as the reconciler's rows
    ("policy-mixed-family-nexthops", "ovn_lr_policy", dict(POLICY, nexthops=["10.16.0.5", "fd00::5"]),
     "nexthops[1]", "fd00::5"),
    ("policy-mixed-family-v6-first", "ovn_lr_policy", dict(POLICY, nexthops=["fd00::5", "10.16.0.5"]),
     "nexthops[1]", "10.16.0.5"),
    ("policy-empty-match", "ovn_lr_policy", dict(POLICY, match=""), "match", ""),
    ("policy-blank-match", "ovn_lr_policy", dict(POLICY, match="   "), "match", "   "),
    ("policy-match-newline", "ovn_lr_policy", dict(POLICY, match="ip4.src == 10.1.0.0/16\n"), "match",
     "ip4.src == 10.1.0.0/16\n"),
    ("policy-match-second-line", "ovn_lr_policy", dict(POLICY, match="ip4\nip6"), "match", "ip4\nip6"),
    ("policy-match-non-ascii", "ovn_lr_policy", dict(POLICY, match="ip4.src == １０.1.0.0/16"), "match",
     "ip4.src == １０.1.0.0/16"),
    ("policy-nexthop-full-width", "ovn_lr_policy", dict(POLICY, nexthops=["１０.16.0.5"]), "nexthops[0]", "１０.16.0.5"),
    ("policy-nexthop-cidr", "ovn_lr_policy", dict(POLICY, nexthops=["10.16.0.5/32"]), "nexthops[0]", "10.16.0.5/32"),
    ("policy-nexthop-multicast", "ovn_lr_policy", dict(POLICY, nexthops=["224.0.0.5"]), "nexthops[0]", "224.0.0.5"),
    ("policy-nexthop-unspecified", "ovn_lr_policy", dict(POLICY, nexthops=["::"]), "nexthops[0]", "::"),
    ("policy-empty-router", "ovn_lr_policy", dict(POLICY, router=""), "router", ""),
    ("policy-bfd-session-empty-port", "ovn_lr_policy",
     dict(POLICY, bfd_sessions=[{"logical_port": "", "dst_ip": "10.16.0.5"}]), "bfd_sessions[0].logical_port", ""),
    ("policy-bfd-session-not-a-uuid", "ovn_lr_policy", dict(POLICY, bfd_sessions=["nope"]), "bfd_sessions[0]",
     "nope"),
    ("address-set-empty-name", "ovn_address_set", {"name": "", "addresses": ["10.0.0.0/24"]}, "name", ""),
    ("address-set-name-with-space", "ovn_address_set", {"name": "VEG x", "addresses": []}, "name", "VEG x"),
    ("address-set-name-newline", "ovn_address_set", {"name": "VEG.x\n", "addresses": []}, "name", "VEG.x\n"),
    ("address-set-name-dash", "ovn_address_set", {"name": "my-set"}, "name", "my-set"),
    ("address-set-full-width-prefix", "ovn_address_set", {"name": "s", "addresses": ["10.0.0.0/２４"]},
     "addresses[0]", "10.0.0.0/２４"),
    ("address-set-full-width-address", "ovn_address_set", {"name": "s", "addresses": ["10.0.0.0/24", "１０.0.0.0/24"]},
     "addresses[1]", "１０.0.0.0/24"),
    ("address-set-host-bits", "ovn_address_set", {"name": "s", "addresses": ["10.0.0.1/24"]}, "addresses[0]",
     "10.0.0.1/24"),
    ("bfd-empty-logical-port", "ovn_bfd", dict(BFD, logical_port=""), "logical_port", ""),
    ("bfd-blank-logical-port", "ovn_bfd", dict(BFD, logical_port=" "), "logical_port", " "),
    ("bfd-dst-ip-cidr", "ovn_bfd", dict(BFD, dst_ip="10.16.0.5/32"), "dst_ip", "10.16.0.5/32"),
    ("bfd-dst-ip-multicast", "ovn_bfd", dict(BFD, dst_ip="ff02::5"), "dst_ip", "ff02::5"),
    ("bfd-dst-ip-full-width", "ovn_bfd", dict(BFD, dst_ip="10.16.0.５"), "dst_ip", "10.16.0.５"),
    ("port-group-empty-name", "ovn_port_group", {"name": "", "ports": []}, "name", ""),
    ("port-group-empty-port", "ovn_port_group", {"name": "pg", "ports": ["client-1.default", ""]}, "ports[1]", ""),
    ("bfd-port-full-width-prefix", "ovn_bfd_port", dict(BFD_PORT_ARGS, networks=["10.255.255.254/２４"]),
     "networks[0]", "10.255.255.254/２４"),
    ("bfd-port-full-width-address", "ovn_bfd_port", dict(BFD_PORT_ARGS, networks=["１０.255.255.254/24"]),
     "networks[0]", "１０.255.255.254/24"),
    ("bfd-port-prefix-too-long", "ovn_bfd_port", dict(BFD_PORT_ARGS, networks=["10.255.255.254/33"]),
     "networks[0]", "10.255.255.254/33"),
    ("bfd-port-no-prefix", "ovn_bfd_port", dict(BFD_PORT_ARGS, networks=["10.255.255.254"]), "networks[0]",
     "10.255.255.254"),
    ("bfd-port-empty-chassis", "ovn_bfd_port", dict(BFD_PORT_ARGS, chassis=["node1", ""]), "chassis[1]", ""),
    ("bfd-port-bad-mac", "ovn_bfd_port", dict(BFD_PORT_ARGS, mac="0a:zz:00:00:00:01"), "mac", "0a:zz:00:00:00:01"),
    # class 8: every message names the field and the value given
    ("policy-priority-too-high", "ovn_lr_policy", dict(POLICY, priority=32768), "priority", 32768),
    ("policy-priority-negative", "ovn_lr_policy", dict(POLICY, priority=-1), "priority", -1),
    ("policy-reroute-without-nexthops", "ovn_lr_policy", dict(POLICY, nexthops=[]), "nexthops", []),
    ("policy-allow-with-nexthops", "ovn_lr_policy", dict(POLICY, action="allow"), "nexthops", ["10.16.0.5"]),
    ("bfd-min-rx-negative", "ovn_bfd", dict(BFD, min_rx=-1), "min_rx", -1),
    ("bfd-min-tx-zero", "ovn_bfd", dict(BFD, min_tx=0), "min_tx", 0),
    ("bfd-detect-mult-zero", "ovn_bfd", dict(BFD, detect_mult=0), "detect_mult", 0),
    ("timeout-zero", "ovn_address_set", {"name": "s", "timeout": 0}, "timeout", 0),
    ("timeout-negative", "ovn_nb_info", {"timeout": -5}, "timeout", -5),
    ("bfd-port-priority-too-high", "ovn_bfd_port", dict(BFD_PORT_ARGS, chassis=[{"name": "a", "priority": 40000}]),
     "chassis[0].priority", 40000),
    ("bfd-port-chassis-twice", "ovn_bfd_port", dict(BFD_PORT_ARGS, chassis=["a", "a"]), "chassis[1]", "a"),
    ("bfd-port-no-chassis", "ovn_bfd_port", dict(BFD_PORT_ARGS, chassis=[]), "chassis", []),
    ("bfd-port-no-networks", "ovn_bfd_port", dict(BFD_PORT_ARGS, networks=[]), "networks", []),
    ("sentinel-dst-ip-cidr", "ovn_bfd_sentinel", dict(SENTINEL, dst_ip="10.16.0.240/32"), "dst_ip", "10.16.0.240/32"),
    ("sentinel-min-rx-negative", "ovn_bfd_sentinel", dict(SENTINEL, min_rx=-1), "min_rx", -1),
    ("sentinel-detect-mult-zero", "ovn_bfd_sentinel", dict(SENTINEL, detect_mult=0), "detect_mult", 0),
    ("sentinel-empty-port", "ovn_bfd_sentinel", dict(SENTINEL, logical_port=""), "logical_port", ""),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    nb = NbDatabase(tmp_path_factory.mktemp("vegC-params"), "7.11.0").start_standalone()
    try:
        build(nb)
        yield nb
    finally:
        nb.stop()


@pytest.mark.parametrize("module, params, field, value", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_parameter_fails_naming_field_and_value_and_writes_nothing(world, module, params, field, value):
    before = full_dump(world)
    out = run_module(module, dict(params, connection=world.connection))
    assert out["failed"], out
    assert out.get("field") == field and out.get("value") == value, out
    assert repr(value) in out["msg"] and field in out["msg"], out["msg"]
    assert "\n" not in out["msg"], out["msg"]
    assert full_dump(world) == before


def test_the_same_modules_write_with_valid_parameters(world):
    """The bases of the cases are valid: each writes (so each case failed on its one bad value)."""
    for module, params in (("ovn_lr_policy", POLICY), ("ovn_bfd", BFD), ("ovn_bfd_port", BFD_PORT_ARGS),
                           ("ovn_bfd_sentinel", SENTINEL),
                           ("ovn_address_set", {"name": "s", "addresses": ["10.0.0.0/24"]}),
                           ("ovn_port_group", {"name": "pg", "ports": ["client-1.default"]})):
        out = run_module(module, dict(params, connection=world.connection))
        assert out["changed"] and not out["failed"], (module, out)
