# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent roles' filters give the roles the modules' own rules."""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _bfdd, _snat_log
from ansible_collections.kubeovn.egress_gateway.plugins.filter.agent import FilterModule, veg_agent_state_dir


def test_registered():
    assert set(FilterModule().filters()) == {"veg_agent_state_dir"}


def test_state_dir_is_the_modules_default():
    for netns in ("gw1", "/proc/12/ns/net", None, ""):
        assert veg_agent_state_dir(netns, "bfdd") == _bfdd.default_state_dir(netns or None)
        assert veg_agent_state_dir(netns, "snat-log") == _snat_log.default_state_dir(netns or None)
    assert veg_agent_state_dir("/var/run/netns/gw 1", "bfdd", "/tmp/s") == "/tmp/s/bfdd/var_run_netns_gw_1"
