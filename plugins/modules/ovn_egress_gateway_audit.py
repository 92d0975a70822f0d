#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_egress_gateway_audit
short_description: Compare a gateway's OVN Northbound rows with the rows the spec model wants
description:
  - For clusters where Kube-OVN's controller runs the gateway (docs/kube-ovn.md) - reads the rows the
    NB holds for one VpcEgressGateway (those carrying its C(vendor=kube-ovn) and
    C(vpc-egress-gateway=<namespace>/<name>) external IDs, and those on its names), compares them
    with the rows of O(rows) and reports each deviation in words.
  - Deviations that are the signature of a known Kube-OVN bug name it - a missing C(VEG.<hash>) port
    group (kube-ovn#7247, or the start-up GC of kube-ovn-controller), BFD rows with old intervals
    (Kube-OVN v1.14 never updates them), address sets with old subnet CIDRs (kube-ovn#6100), missing
    per-node policies of C(trafficPolicy=Local) without BFD (kube-ovn#6927).
  - Writes nothing unless O(repair=true); then it makes the NB hold exactly O(rows) in one
    transaction, as M(kubeovn.egress_gateway.ovn_egress_gateway) does. Rows of other owners are
    never changed.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.ovn_nb
options:
  spec:
    description:
      - The VpcEgressGateway (object or bare spec with O(name)/O(namespace)); it names the gateway
        whose rows are read.
    type: raw
    required: true
  name:
    description: Name of a bare spec.
    type: str
  namespace:
    description: Namespace of a bare spec.
    type: str
  rows:
    description:
      - The rows the NB should hold, as the P(kubeovn.egress_gateway.veg_rows#filter) filter returns them
        for the gateway's running instances.
    type: dict
    required: true
  bfd_port:
    description: The router port of the BFD rows. Defaults to C(bfd@<vpc>) when BFD is enabled.
    type: str
  subnet_cidrs:
    description:
      - The CIDRs of the policies' subnets as given to P(kubeovn.egress_gateway.veg_rows#filter), so an
        address set with old CIDRs is named as such.
    type: dict
    default: {}
  repair:
    description: Write O(rows) (one transaction). The default only reports.
    type: bool
    default: false
notes:
  - In check mode with C(--diff) the diff shows every row of the gateway, as the NB holds it and as the
    model wants it.
  - Only O(repair=true) reports C(changed).
"""

EXAMPLES = r"""
- name: Audit the rows kube-ovn-controller wrote for gateway1
  kubeovn.egress_gateway.ovn_egress_gateway_audit:
    connection: tcp:10.96.0.10:6641
    spec: "{{ lookup('ansible.builtin.file', 'gateway1.yaml') }}"
    rows: "{{ lookup('ansible.builtin.file', 'gateway1.yaml') | kubeovn.egress_gateway.veg_rows(instances) }}"
  register: audit

- name: Show each deviation
  ansible.builtin.debug:
    msg: "{{ audit.deviations | map(attribute='problem') }}"
"""

RETURN = r"""
deviations:
  description: One entry per row that is missing, differs or is stale.
  returned: success
  type: list
  elements: dict
  contains:
    row: {description: The row's label., type: str, sample: Port_Group VEG.8ca38ae7da18}
    table: {description: Its NB table., type: str}
    action: {description: "What a repair does to it: create, update or delete.", type: str}
    problem: {description: The deviation in words., type: str}
    known_issue: {description: "The Kube-OVN bug whose signature it is (null for none).", type: str}
in_sync:
  description: The NB holds exactly the model's rows.
  returned: success
  type: bool
missing_ports:
  description: Selected pods' ports that have no Logical_Switch_Port in the NB.
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._audit import audit, check_rows, full_diff
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import argument_spec, connect
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._reconcile import Target, monitored_tables
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway


def run(module):
    params = module.params
    gateway = parse_gateway(params["spec"], namespace=params["namespace"], name=params["name"])
    check_rows(params["rows"])
    bfd_port = params["bfd_port"] or (gateway.default_bfd_port if gateway.bfd.enabled else None)
    tables, conditions = monitored_tables([Target(gateway, params["rows"], bfd_port)])
    with connect(module, tables, conditions=conditions,
                 optional_columns={"Logical_Router_Policy": ["bfd_sessions"]}) as conn:
        outcome = audit(conn, gateway, params["rows"], bfd_port, params["subnet_cidrs"],
                        repair=params["repair"] and not module.check_mode)
    repairing = params["repair"]
    result = {"changed": repairing and outcome["plan"].changed, "deviations": outcome["deviations"],
              "in_sync": not outcome["deviations"], "missing_ports": outcome["missing_ports"]}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = full_diff(outcome["plan"])
    return result


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            spec=dict(type="raw", required=True),
            name=dict(type="str"),
            namespace=dict(type="str"),
            rows=dict(type="dict", required=True),
            bfd_port=dict(type="str"),
            subnet_cidrs=dict(type="dict", default={}),
            repair=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
