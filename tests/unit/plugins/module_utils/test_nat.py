"""Pure planning of the agent's iptables rules (_nat.plan): ownership, order, stale rules."""
from __future__ import annotations

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nat import (
    _predict,
    desired_rules,
    normalise_sources,
    parse_save,
    plan,
)

BUILTIN = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]
SEED = [
    "-A PREROUTING -i eth0 -j MARK --set-xmark 0x4000/0x4000",
    "-A POSTROUTING -d 10.18.0.0/16 -j RETURN",
    "-A POSTROUTING -s 10.18.0.0/16 -j RETURN",
    "-A POSTROUTING -j VEG-MASQUERADE",
    "-A VEG-MASQUERADE -j MARK --set-xmark 0x0/0xffffffff",
    "-A VEG-MASQUERADE -j MASQUERADE --random-fully",
]


def table(rules, chain=True):
    return {"chains": BUILTIN + (["VEG-MASQUERADE"] if chain else []), "rules": list(rules)}


def test_empty_table_gets_the_seed_listing_in_order():
    want = desired_rules("eth0", ["10.18.0.0/16"])
    lines, owned = plan(table([], chain=False), want, [])
    assert lines[0] == ":VEG-MASQUERADE - [0:0]"
    assert _predict(table([], chain=False), lines).splitlines() == ["-N VEG-MASQUERADE"] + \
        [SEED[0], SEED[1], SEED[2], SEED[3], SEED[4], SEED[5]]
    assert owned == SEED[:4]


def test_seed_state_is_a_noop_and_adopted():
    lines, owned = plan(table(SEED), desired_rules("eth0", ["10.18.0.0/16"]), [])
    assert lines == []
    assert owned == SEED[:4]


def test_removed_source_and_changed_iface_delete_exactly_ours():
    other = "-A POSTROUTING -s 192.0.2.0/24 -j RETURN"
    have = table([other, SEED[0], "-A POSTROUTING -d 10.19.0.0/16 -j RETURN",
                  "-A POSTROUTING -s 10.19.0.0/16 -j RETURN"] + SEED[1:])
    recorded = SEED[:4] + ["-A POSTROUTING -d 10.19.0.0/16 -j RETURN", "-A POSTROUTING -s 10.19.0.0/16 -j RETURN"]
    lines, _owned = plan(have, desired_rules("net9", ["10.18.0.0/16"]), recorded)
    assert sorted(line for line in lines if line.startswith("-D")) == sorted([
        "-D PREROUTING -i eth0 -j MARK --set-xmark 0x4000/0x4000",
        "-D POSTROUTING -d 10.19.0.0/16 -j RETURN",
        "-D POSTROUTING -s 10.19.0.0/16 -j RETURN",
    ])
    assert "-A PREROUTING -i net9 -j MARK --set-xmark 0x4000/0x4000" in lines
    assert not [line for line in lines if "192.0.2.0" in line]


def test_unrecorded_identical_looking_rule_of_another_owner_is_kept():
    foreign = "-A POSTROUTING -s 10.19.0.0/16 -j RETURN"
    lines, _owned = plan(table(SEED + [foreign]), desired_rules("eth0", ["10.18.0.0/16"]), SEED[:4])
    assert lines == []


def test_duplicates_are_removed_and_return_after_jump_is_reordered():
    have = table(SEED[:4] + [SEED[3]] + SEED[4:])
    lines, _owned = plan(have, desired_rules("eth0", ["10.18.0.0/16"]), SEED[:4])
    assert lines == ["-D POSTROUTING -j VEG-MASQUERADE"]
    have = table([SEED[0], SEED[3], SEED[1], SEED[2]] + SEED[4:])
    lines, _owned = plan(have, desired_rules("eth0", ["10.18.0.0/16"]), SEED[:4])
    assert _predict(have, lines).splitlines()[1:5] == SEED[:4]


def test_tampered_chain_is_rewritten_whole():
    have = table(SEED[:4] + ["-A VEG-MASQUERADE -j ACCEPT"] + SEED[4:])
    lines, _owned = plan(have, desired_rules("eth0", ["10.18.0.0/16"]), SEED[:4])
    assert lines == [":VEG-MASQUERADE - [0:0]"] + SEED[4:]


def test_absent_removes_ours_and_the_chain():
    other = "-A POSTROUTING -s 192.0.2.0/24 -j RETURN"
    lines, owned = plan(table(SEED + [other]), desired_rules("eth0", []), SEED[:4], state="absent")
    assert lines[-2:] == [":VEG-MASQUERADE - [0:0]", "-X VEG-MASQUERADE"]
    assert len([line for line in lines if line.startswith("-D")]) == 4
    assert owned == []
    assert _predict(table(SEED + [other]), lines).splitlines() == [other]


def test_parse_save_reads_only_the_nat_table():
    text = "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n" \
           ":VEG-MASQUERADE - [0:0]\n-A PREROUTING -i eth0 -j MARK --set-xmark 0x4000/0x4000\nCOMMIT\n"
    assert parse_save(text) == {"chains": ["PREROUTING", "VEG-MASQUERADE"], "rules": [SEED[0]]}


@pytest.mark.parametrize("sources, version, expected", [
    (["10.18.0.0/16", "10.20.0.1"], 4, ["10.18.0.0/16", "10.20.0.1/32"]),
    (["FD18::/64"], 6, ["fd18::/64"]),
])
def test_sources_are_normalised_like_iptables_save(sources, version, expected):
    assert normalise_sources(sources, version, "ipv4.no_snat_sources") == expected


@pytest.mark.parametrize("sources, version, field", [
    (["10.18.0.0/33"], 4, "ipv4.no_snat_sources[0]"),
    (["10.18.0.0/16", "fd18::/64"], 4, "ipv4.no_snat_sources[1]"),
    # the reconciler's rule: host bits are an error, never masked (issue 12 class 9)
    (["10.18.0.1/16"], 4, "ipv4.no_snat_sources[0]"),
    (["10.18.0.0/16", "10.18.0.0/16"], 4, "ipv4.no_snat_sources[1]"),
    (["10.18.0.0/16\n-A INPUT -j ACCEPT"], 4, "ipv4.no_snat_sources[0]"),
])
def test_bad_sources_name_the_field(sources, version, field):
    with pytest.raises(EgressGatewayError) as err:
        normalise_sources(sources, version, "ipv4.no_snat_sources")
    assert err.value.field == field and err.value.value == sources[-1]


def test_a_rule_deleted_meanwhile_is_not_deleted_again():
    stale = "-A POSTROUTING -s 10.19.0.0/16 -j RETURN"
    recorded = SEED[:4] + [stale]
    lines, _owned = plan(table(SEED + [stale]), desired_rules("eth0", ["10.18.0.0/16"]), recorded)
    assert lines == ["-D POSTROUTING -s 10.19.0.0/16 -j RETURN"]
    lines, _owned = plan(table(SEED), desired_rules("eth0", ["10.18.0.0/16"]), recorded)
    assert lines == []
