# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of kubeovn.egress_gateway.veg_workload: the gateway's workload plan from the Vpc and
Subnets the role read (module_utils/_discovery.py), or one line naming the field and the value."""
from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _discovery
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("gateway", "vpc", "subnets", "planned_subnets", "nodes", "image", "owner_uid",
                             "runtime", "snat_log"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        try:
            gateway = parse_gateway(args.get("gateway"))
            _discovery.check_node_selector(gateway, args.get("nodes"))
            subnets = _discovery.with_planned_subnets(args.get("subnets") or [], args.get("planned_subnets"))
            plan = _discovery.workload_plan(gateway, args.get("vpc") or {}, subnets, args.get("image") or "",
                                            args.get("owner_uid") or "", args.get("runtime") or "agent",
                                            args.get("snat_log"))
        except EgressGatewayError as exc:
            return {**result, "failed": True, **exc.to_result()}
        return {**result, "changed": False, **plan}
