"""Pure parts of the BFD responder (_bfdd): peers paired with local addresses, the bfdd config."""
from __future__ import annotations

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._bfdd import (
    config_text,
    default_state_dir,
    sessions_from_params,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError


def test_each_peer_gets_the_local_address_of_its_family():
    sessions = sessions_from_params({"peers": ["10.255.255.255", "fd00::ffff"],
                                     "local_addresses": ["fd16::12", "10.16.0.12"]})
    assert sessions == [("10.255.255.255", "10.16.0.12"), ("fd00::ffff", "fd16::12")]
    assert sessions_from_params({"peers": ["10.255.255.255"]}) == [("10.255.255.255", None)]


def test_config_text():
    text = config_text([("10.255.255.255", "10.16.0.12"), ("fd00::ffff", None)], 1000, 100, 3, "/d/bfdd.log")
    assert " peer 10.255.255.255 local-address 10.16.0.12\n  detect-multiplier 3\n  receive-interval 1000\n" \
           "  transmit-interval 100\n !\n" in text
    assert " peer fd00::ffff\n" in text


def test_state_dir_per_namespace():
    assert default_state_dir("gw1") == "/run/kubeovn-egress-gateway/bfdd/gw1"
    assert default_state_dir("/proc/12/ns/net") == "/run/kubeovn-egress-gateway/bfdd/proc_12_ns_net"
    assert default_state_dir(None) == "/run/kubeovn-egress-gateway/bfdd/_host"


@pytest.mark.parametrize("params, field", [
    ({"peers": []}, "peers"),
    ({"peers": ["10.255.255.300"]}, "peers[0]"),
    ({"peers": ["10.255.255.255"], "local_addresses": ["10.16.0"]}, "local_addresses[0]"),
])
def test_bad_input_names_the_field(params, field):
    with pytest.raises(EgressGatewayError) as err:
        sessions_from_params(params)
    assert err.value.field == field
