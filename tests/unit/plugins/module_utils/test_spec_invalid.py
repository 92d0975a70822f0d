# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every invalid gateway of the catalogue fails with the field path and the offending value."""
from __future__ import annotations

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, shown
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows
from ansible_collections.kubeovn.egress_gateway.tests.functional.support.data.invalid_gateways import (
    CASES, GOOD_GATEWAY, GOOD_INPUTS,
)


def reconcile(gateway, inputs):
    parsed = parse_gateway(gateway)
    return desired_rows(parsed, inputs["router"], inputs["bfd_port"], inputs["instances"], inputs["pod_ports"],
                        inputs["subnet_cidrs"], inputs["node_port_groups"])


def test_catalogue_is_large_enough():
    assert len(CASES) >= 130
    assert len({c.id for c in CASES}) == len(CASES)


def test_base_of_the_catalogue_is_valid():
    rows = reconcile(GOOD_GATEWAY, GOOD_INPUTS)
    assert len(rows["bfd"]) == 2


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_gateway_names_field_and_value(case):
    with pytest.raises(EgressGatewayError) as info:
        reconcile(case.gateway, {**GOOD_INPUTS, **case.inputs})
    error = info.value
    assert error.field == case.field, str(error)
    assert error.value == case.value, str(error)
    assert str(error).startswith(f"{case.field}: "), str(error)
    assert shown(case.value) in str(error)
