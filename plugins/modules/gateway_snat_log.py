#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: gateway_snat_log
short_description: Record every SNAT mapping of an egress gateway instance as JSON lines
description:
  - Kube-OVN does not record which pod address and port a gateway translated to which external
    address and port. This module runs a recorder in the gateway's network namespace that writes
    one JSON line when a source-NATed flow starts and one when it ends, from conntrack's events
    read by ulogd2 (its NFCT input in reliable event mode, IP2STR and JSON output; flows whose
    reply goes to another address or port than the original source).
  - Reliable mode, because with C(conntrack -E) a burst of ends (the kernel reaping thousands of
    expired flows at once) overflowed the event socket and about a third of the end events were
    lost; with ulogd2's C(reliable=1) the kernel keeps each end event until it was delivered.
  - "Each record: C(time), C(event) (V(start) or V(end)), C(protocol), C(source) and C(source_port)
    (the pod's side), C(translated) and C(translated_port) (the external address and port the
    gateway used), C(destination) and C(destination_port), C(flow_id) (conntrack's id); end records
    add C(start) and C(duration) when the start was recorded. ICMP has no ports (null) and adds
    C(icmp_type). With O(instance), every record carries C(instance)."
  - O(rate_limit) limits recorded flows per second (bursts of O(burst)); a flow whose start was
    recorded always gets its end. Flows held back are counted in a C(suppressed) record written
    before the next record.
  - The recorder (a copy of the collection's C(_snat_record.py), standard library only), its
    pid file and ulogd2's configuration and log live in O(state_dir); it counts as running only
    when that pid runs that copy with the wanted options, and is restarted when an option changed. It returns once ulogd2 is
    subscribed to conntrack events, so every flow that starts after the task is recorded.
  - In Kubernetes mode the same program runs as the gateway pod's C(snat-log) container and writes
    to its standard output.
version_added: 0.2.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.gateway_agent
  - kubeovn.egress_gateway.gateway_agent.daemon
requirements:
  - ulogd2 with its JSON output (Debian packages C(ulogd2) and C(ulogd2-json))
options:
  output:
    description: File the records are appended to. Default O(state_dir)C(/snat.jsonl).
    type: path
  rate_limit:
    description: Flows recorded per second at most; V(0) for no limit.
    type: float
    default: 0
  burst:
    description: Flows recorded at once above O(rate_limit).
    type: int
    default: 100
  protocols:
    description: Record only these protocols (all when empty).
    type: list
    elements: str
    choices: [tcp, udp, icmp, icmpv6, sctp, dccp, udplite, gre]
    default: []
  sources:
    description: Record only flows from these pod addresses or CIDRs (all when empty).
    type: list
    elements: str
    default: []
  destinations:
    description: Record only flows to these addresses or CIDRs (all when empty).
    type: list
    elements: str
    default: []
  events:
    description: Which records to write, V(start) and/or V(end) (both when empty).
    type: list
    elements: str
    choices: [start, end]
    default: []
  instance:
    description: A name written into every record (the gateway instance), for logs of several instances in one place.
    type: str
  state_dir:
    description: Directory of the recorder's files. Default C(/run/kubeovn-egress-gateway/snat-log/<netns>) (C(_host) without O(netns)).
    type: path
  ulogd:
    description: ulogd2's binary.
    type: path
    default: ulogd
  python:
    description: Python interpreter that runs the recorder. Default the one running the module.
    type: path
"""

EXAMPLES = r"""
- name: Record the SNAT mappings of a gateway namespace, at most 500 flows a second
  kubeovn.egress_gateway.gateway_snat_log:
    netns: gw1
    output: /var/log/kubeovn-egress-gateway/gw1-snat.jsonl
    rate_limit: 500
    instance: gw1

- name: Only TCP from one pod subnet
  kubeovn.egress_gateway.gateway_snat_log:
    netns: gw1
    protocols: [tcp]
    sources: [10.17.0.0/16, fd17::/64]

- name: Stop recording
  kubeovn.egress_gateway.gateway_snat_log:
    netns: gw1
    state: absent
"""

RETURN = r"""
pid:
  description: Pid of the recorder (null when stopped, or not started in check mode).
  returned: always
  type: int
  sample: 7412
output:
  description: The file the records go to.
  returned: always
  type: str
  sample: /run/kubeovn-egress-gateway/snat-log/gw1/snat.jsonl
state_dir:
  description: Directory with the recorder's program, pid file, C(snat_log.err) and ulogd2's C(ulogd.conf) and C(ulogd.log).
  returned: always
  type: str
  sample: /run/kubeovn-egress-gateway/snat-log/gw1
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_reconcile
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._snat_log import reconcile, snat_log_from_params


def main():
    module = AnsibleModule(
        argument_spec=dict(
            netns=dict(type="str"),
            state=dict(type="str", choices=["present", "absent", "restarted"], default="present"),
            output=dict(type="path"),
            rate_limit=dict(type="float", default=0),
            burst=dict(type="int", default=100),
            protocols=dict(type="list", elements="str", default=[],
                           choices=["tcp", "udp", "icmp", "icmpv6", "sctp", "dccp", "udplite", "gre"]),
            sources=dict(type="list", elements="str", default=[]),
            destinations=dict(type="list", elements="str", default=[]),
            events=dict(type="list", elements="str", default=[], choices=["start", "end"]),
            instance=dict(type="str"),
            state_dir=dict(type="path"),
            ulogd=dict(type="path", default="ulogd"),
            python=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    run_reconcile(module, snat_log_from_params, reconcile)


if __name__ == "__main__":
    main()
