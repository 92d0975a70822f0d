"""Normalisers and external_ids handling shared by the NB modules (pure)."""
import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import (
    external_ids, parse_ip, parse_ip_block, parse_uuid)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovsdb import split_remotes, validate_remote


@pytest.mark.parametrize("value, canonical", [
    ("10.0.0.0/24", "10.0.0.0/24"), ("fd00:0:0::/64", "fd00::/64"), ("FD00::1", "fd00::1"),
    ("10.0.0.1", "10.0.0.1"), ("10.0.0.1/32", "10.0.0.1/32"),
])
def test_ip_blocks_are_canonical(value, canonical):
    assert parse_ip_block(value, "addresses[0]") == canonical


@pytest.mark.parametrize("value", ["10.0.0.1/24", "10.0.0.300", "1", "10.0.0.0/33", "10.0.0.0/x", "", None, 7])
def test_bad_ip_blocks_name_field_and_value(value):
    with pytest.raises(EgressGatewayError) as err:
        parse_ip_block(value, "addresses[3]")
    assert err.value.field == "addresses[3]" and err.value.value == value


def test_ip_and_uuid():
    assert parse_ip("fd00:0::5", "dst_ip") == "fd00::5"
    with pytest.raises(EgressGatewayError):
        parse_ip("10.0.0.0/24", "dst_ip")
    with pytest.raises(EgressGatewayError, match="bfd_sessions\\[0\\]"):
        parse_uuid("nope", "bfd_sessions[0]")


def test_external_ids_merge_and_replace():
    assert external_ids({"external_ids": {"a": 1}, "external_ids_mode": "merge"}, {}, []) == \
        ({"external_ids": {"a": "1"}}, ("external_ids",))
    assert external_ids({"external_ids": {"a": 1}, "external_ids_mode": "replace"}, {}, []) == \
        ({"external_ids": {"a": "1"}}, ())
    # replace without keys empties the column; merge without keys leaves it alone
    assert external_ids({"external_ids": None, "external_ids_mode": "replace"}, {}, []) == ({"external_ids": {}}, ())
    assert external_ids({"external_ids": None, "external_ids_mode": "merge"}, {}, []) == ({}, ())


def test_remotes():
    assert split_remotes("tcp:1.2.3.4:6641,ssl:[::1]:6641, unix:/a") == ["tcp:1.2.3.4:6641", "ssl:[::1]:6641", "unix:/a"]
    for bad in ("", "http://x", "127.0.0.1:6641"):
        with pytest.raises(EgressGatewayError):
            validate_remote(bad)
