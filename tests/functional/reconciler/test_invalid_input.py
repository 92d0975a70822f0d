"""Every invalid gateway of the catalogue, through the real module against a real NB: the task
fails naming the field path and the value, and the NB database is byte-for-byte unchanged."""
from __future__ import annotations

import pytest

from ansible_collections.kubeovn.egress_gateway.tests.functional.support.data.invalid_gateways import (
    CASES, GOOD_GATEWAY, GOOD_INPUTS,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import SHOWN_MAX, shown
from support.ansible import run_module
from support.nbworld import build, full_dump
from support.ovsdb import NbDatabase

pytestmark = pytest.mark.ovsdb

# Ansible's argument spec turns a non-string list element into a string before the module runs,
# so this case is the model's (unit test) only.
COERCED_BY_ARGSPEC = {"pod-port-not-a-string"}
MODULE_CASES = [c for c in CASES if c.id not in COERCED_BY_ARGSPEC]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    nb = NbDatabase(tmp_path_factory.mktemp("vegC-invalid"), "7.11.0").start_standalone()
    try:
        build(nb)
        # the good gateway is there already: a bad spec must not touch it either
        out = run_module("ovn_egress_gateway", dict(GOOD_INPUTS, connection=nb.connection, spec=GOOD_GATEWAY))
        assert out["changed"] and not out["failed"], out
        yield nb
    finally:
        nb.stop()


def test_catalogue_covers_the_module():
    assert len(MODULE_CASES) >= 50


@pytest.mark.parametrize("case", MODULE_CASES, ids=[c.id for c in MODULE_CASES])
def test_invalid_input_fails_and_writes_nothing(world, case):
    before = full_dump(world)
    args = dict(GOOD_INPUTS, **case.inputs, connection=world.connection, spec=case.gateway)
    out = run_module("ovn_egress_gateway", args)
    assert out["failed"], out
    # a value too long to show whole comes back cut, with its size (never the megabyte)
    value = case.value if len(repr(case.value)) <= SHOWN_MAX else shown(case.value)
    assert out.get("field") == case.field and out.get("value") == value, out
    assert case.field in out["msg"] and shown(case.value) in out["msg"], out["msg"]
    assert full_dump(world) == before
