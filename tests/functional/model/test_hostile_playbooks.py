"""Hostile and malformed manifests through the collection's playbooks and modules (issue 12):
each fails with one line naming the field and the value, fast and with a small result."""
from __future__ import annotations

import json

import pytest

from ansible_collections.kubeovn.egress_gateway.tests.functional.support.data.invalid_gateways import (
    ALIAS_BOMB, DUPLICATE_KEY_TEXT, GOOD_GATEWAY, GOOD_INPUTS,
)
from support.ansible import run_module, run_playbook

GOOD = json.dumps(GOOD_GATEWAY)


@pytest.mark.parametrize("text, expected", [
    (DUPLICATE_KEY_TEXT, "duplicate key 'enabled'"),                    # class 3
    (ALIAS_BOMB, "expands to more than 100000 YAML nodes"),             # class 3
    (GOOD.replace('"gateway1"', '"gateway1\\n"'), "metadata.name: "),    # class 1
    (GOOD.replace('"multiplier": 5', '"multiplier": 256'), "spec.bfd.multiplier: must be between 1 and 255"),
    (GOOD.replace('"10.16.0.102"', '"255.255.255.255"'), "spec.internalIPs[1]: is the broadcast address"),
])
def test_validate_playbook_refuses(tmp_path, text, expected):
    manifest = tmp_path / "gateway.yaml"
    manifest.write_text(text)
    proc = run_playbook("playbooks/validate.yml", extra_vars={"egress_gateway_manifest_file": str(manifest)},
                        check=False)
    assert proc.returncode != 0
    assert expected in proc.stdout, proc.stdout
    # never the expansion, never an unbounded echo of the input
    assert len(proc.stdout) < 20000, len(proc.stdout)


def test_validate_playbook_accepts_the_good_manifest(tmp_path):
    manifest = tmp_path / "gateway.yaml"
    manifest.write_text(GOOD)
    proc = run_playbook("playbooks/validate.yml", extra_vars={"egress_gateway_manifest_file": str(manifest)})
    assert "VEG." in proc.stdout


def test_the_same_gateway_twice_in_one_task_is_an_error(tmp_path):
    """Class 5: both indexes named; validation fails before any connection (the NB socket does not exist)."""
    args = {"connection": f"unix:{tmp_path}/nb.sock", "gateways": [
        dict(GOOD_INPUTS, spec=GOOD_GATEWAY, state="present"),
        {"spec": GOOD_GATEWAY, "state": "absent"},
    ]}
    result = run_module("ovn_egress_gateway", args)
    assert result["failed"] and result["field"] == "gateways[1]" and result["value"] == "default/gateway1", result
    assert result["msg"] == ("gateways[1]: is the same gateway as gateways[0]; list each gateway once "
                             "(got 'default/gateway1')")
    other = dict(GOOD_GATEWAY, metadata={"name": "gateway1", "namespace": "other"})
    args["gateways"][1] = {"spec": other, "state": "absent"}
    result = run_module("ovn_egress_gateway", args)
    assert result["failed"] and "nb.sock" in result["msg"], result  # distinct: it gets as far as connecting
