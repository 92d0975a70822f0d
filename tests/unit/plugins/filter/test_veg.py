# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The veg_* filters (a real playbook uses them in tests/functional/reconciler/test_filters_playbook.py)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubeovn.egress_gateway.plugins.filter.veg import FilterModule, veg_names, veg_rows, veg_spec

GATEWAY = {
    "apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
    "metadata": {"name": "gateway1", "namespace": "default"},
    "spec": {"externalSubnet": "macvlan1", "bfd": {"enabled": True},
             "policies": [{"snat": True, "ipBlocks": ["10.18.0.0/16"]}]},
}


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"veg_manifest", "veg_spec", "veg_names", "veg_rows",
                                             "veg_kube_ovn_version_error"}


def test_veg_spec_fills_defaults():
    spec = veg_spec(GATEWAY)["spec"]
    assert spec["replicas"] == 1 and spec["trafficPolicy"] == "Cluster"
    assert spec["bfd"] == {"enabled": True, "minRX": 1000, "minTX": 1000, "multiplier": 3}


def test_veg_spec_bare_spec_with_name():
    assert veg_spec(GATEWAY["spec"], "ns1", "gw")["metadata"] == {"name": "gw", "namespace": "ns1"}


def test_veg_names():
    names = veg_names(GATEWAY)
    assert names["port_group"] == "VEG.8ca38ae7da18"
    assert names["address_sets"] == {"ipv4": "VEG.8ca38ae7da18.ipv4", "ipv6": "VEG.8ca38ae7da18.ipv6"}
    assert names["label_selector"] == "app=vpc-egress-gateway,ovn.kubernetes.io/vpc-egress-gateway=gateway1"
    assert names["bfd_port"] == "bfd@ovn-cluster"


def test_veg_rows_defaults_router_and_bfd_port():
    rows = veg_rows(GATEWAY, [{"name": "a", "node": "w1", "internal_ips": ["10.16.0.2"]}])
    assert rows["router"] == "ovn-cluster"
    assert rows["bfd"][0]["logical_port"] == "bfd@ovn-cluster"
    assert rows["policies"][0]["bfd_sessions"] == [["bfd@ovn-cluster", "10.16.0.2"]]


def test_invalid_gateway_raises_filter_error_with_field_and_value():
    bad = {**GATEWAY, "spec": {**GATEWAY["spec"], "replicas": 11}}
    with pytest.raises(AnsibleFilterError, match=r"spec\.replicas: .*\(got 11\)"):
        veg_spec(bad)


def test_invalid_instance_raises_filter_error():
    with pytest.raises(AnsibleFilterError, match=r"instances\[0\]\.node: .*'w1 \|\| 1'"):
        veg_rows(GATEWAY, [{"name": "a", "node": "w1 || 1", "internal_ips": ["10.16.0.2"]}])
