#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: gateway_bfdd
short_description: The BFD responder of an egress gateway instance (FRR bfdd, without zebra)
description:
  - Runs FRR's C(bfdd) alone (no zebra) in the gateway's network namespace with one active BFD
    session per peer (the VPC BFD port IP), so OVN's BFD toward this gateway comes up. Kube-OVN
    runs OpenBFDD's beacon instead; FRR's bfdd is what Debian ships (package C(frr)).
  - Config, pid file, vty and control sockets and log are all in O(state_dir), so several
    instances (one per namespace) run side by side and each is stopped by its own pid.
  - V(present) writes the configuration and starts bfdd when it is not running, and restarts it
    when the configuration changed or when it runs but reports no session (kube-ovn#7048). V(restarted) always restarts. V(absent) stops it (SIGTERM, by
    the pid in its pid file, only if that process is a bfdd started with this configuration) and
    removes its files.
  - Intervals. Toward OVN, FRR's O(receive_interval) below 1000 ms made sessions flap several
    times a second (OVN answers FRR's Poll, then sends nothing for about 0.8 s), so it defaults
    to 1000. O(transmit_interval) is what OVN's C(min_rx) and C(detect_mult) turn into OVN's
    detection time; 100 ms x 3 detected a dead gateway in about 0.3 s in our trials. Set it to the
    gateway's C(bfd.minRX) (Kube-OVN's C(BFD_MIN_RX), default 1000), what OVN asked to receive;
    Kube-OVN's beacon uses minTX, which with C(minRX 100, minTX 1000) would make OVN detect a dead
    gateway after 3 s instead of 0.3 s (docs/bfd.md).
  - Evidence (C(tests/functional/agent/test_bfdd_ovn.py), OVN 25.03 with min_rx 100 x 3 on its
    side), receive 1000 and transmit 100 kept the session up with no status change over 10 s,
    receive 100 changed it within 10 s.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.gateway_agent
  - kubeovn.egress_gateway.gateway_agent.daemon
requirements:
  - FRR (Debian package C(frr)) for C(/usr/lib/frr/bfdd) and C(vtysh)
options:
  peers:
    description: BFD peers, the VPC BFD port IPs (C(BFD_PEER_IPS)), IPv4 and/or IPv6. Required unless O(state=absent).
    type: list
    elements: str
  local_addresses:
    description:
      - The gateway's internal addresses (C(POD_IPS)); each peer's session uses the one of its family
        as C(local-address). Omitted, bfdd picks the source from the routing table.
    type: list
    elements: str
    default: []
  receive_interval:
    description: FRR C(receive-interval) in ms (the minimum interval we ask OVN to send at).
    type: int
    default: 1000
  transmit_interval:
    description: FRR C(transmit-interval) in ms (the desired minimum interval we send at).
    type: int
    default: 1000
  detect_multiplier:
    description: FRR C(detect-multiplier).
    type: int
    default: 3
  state_dir:
    description:
      - Directory of this instance's files (created, owned by O(user)).
      - Default C(/run/kubeovn-egress-gateway/bfdd/<netns>) (C(_host) without O(netns)).
    type: path
  user:
    description: User bfdd drops to.
    type: str
    default: frr
  group:
    description: Group bfdd drops to.
    type: str
    default: frr
  bfdd:
    description: Path of FRR's bfdd binary.
    type: path
    default: /usr/lib/frr/bfdd
  vtysh:
    description: FRR's vtysh, used to read the sessions.
    type: path
    default: vtysh
  wait_up:
    description: Seconds to wait for every session to be C(up) before returning (0, do not wait). Never fails on timeout.
    type: float
    default: 0
"""

EXAMPLES = r"""
- name: Answer OVN's BFD from a gateway pod (Kube-OVN's defaults, 1000 ms x 3)
  kubeovn.egress_gateway.gateway_bfdd:
    peers: [10.255.255.255]
    local_addresses: [10.16.0.12]

- name: Faster detection in a gateway namespace; OVN's BFD row should use min_rx 100
  kubeovn.egress_gateway.gateway_bfdd:
    netns: gw1
    peers: [10.255.255.255]
    local_addresses: [10.16.0.12]
    transmit_interval: 100
    receive_interval: 1000
  register: bfd

- name: Stop it
  kubeovn.egress_gateway.gateway_bfdd:
    netns: gw1
    state: absent
"""

RETURN = r"""
pid:
  description: Pid of the running bfdd (null when stopped, or not started in check mode).
  returned: always
  type: int
  sample: 7364
state_dir:
  description: Directory with C(bfdd.conf), C(bfdd.pid), the vty socket (C(vtysh --vty_socket DIR -d bfdd)) and C(bfdd.log).
  returned: always
  type: str
  sample: /run/kubeovn-egress-gateway/bfdd/gw1
config_file:
  description: The bfdd configuration file.
  returned: always
  type: str
  sample: /run/kubeovn-egress-gateway/bfdd/gw1/bfdd.conf
sessions:
  description: The sessions as C(show bfd peers json) reports them (keys with underscores).
  returned: when bfdd runs
  type: list
  elements: dict
  sample:
    - {peer: 10.255.255.255, local: 10.16.0.12, status: up, receive_interval: 1000, transmit_interval: 100,
       detect_multiplier: 3, remote_receive_interval: 100, remote_transmit_interval: 100}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._bfdd import bfdd_from_params, reconcile
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_reconcile


def main():
    module = AnsibleModule(
        argument_spec=dict(
            netns=dict(type="str"),
            state=dict(type="str", choices=["present", "absent", "restarted"], default="present"),
            peers=dict(type="list", elements="str"),
            local_addresses=dict(type="list", elements="str", default=[]),
            receive_interval=dict(type="int", default=1000),
            transmit_interval=dict(type="int", default=1000),
            detect_multiplier=dict(type="int", default=3),
            state_dir=dict(type="path"),
            user=dict(type="str", default="frr"),
            group=dict(type="str", default="frr"),
            bfdd=dict(type="path", default="/usr/lib/frr/bfdd"),
            vtysh=dict(type="path", default="vtysh"),
            wait_up=dict(type="float", default=0),
        ),
        required_if=[("state", "present", ("peers",)), ("state", "restarted", ("peers",))],
        supports_check_mode=True,
    )
    run_reconcile(module, bfdd_from_params, reconcile)


if __name__ == "__main__":
    main()
