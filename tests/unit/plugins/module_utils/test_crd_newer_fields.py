# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kube-OVN v1.16's bgpConf / evpnConf: refused by name when set (invalid_gateways.py), and
empty (Kube-OVN's default) is the same as absent."""
from __future__ import annotations

import copy

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway

from ansible_collections.kubeovn.egress_gateway.tests.unit.plugins.module_utils.invalid_gateways import GOOD_GATEWAY


def test_empty_bgp_and_evpn_conf_are_absent():
    obj = copy.deepcopy(GOOD_GATEWAY)
    obj["spec"].update(bgpConf="", evpnConf=None)
    assert parse_gateway(obj) == parse_gateway(copy.deepcopy(GOOD_GATEWAY))
