# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of kubeovn.egress_gateway.veg_bfd_port: the networks and chassis of a VPC's BFD port
(module_utils/_vpc_bfd_port.py) and its BFD sentinel's Deployment (_bfd_sentinel.py), or one line
naming the variable and the value."""
from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _bfd_sentinel, _vpc_bfd_port
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("ip", "ip_field", "nodes", "node_selector", "node_selector_field", "max_nodes",
                            "sentinel"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        try:
            networks = _vpc_bfd_port.bfd_port_networks(args.get("ip") or "", args.get("ip_field") or "bfdPort.ip")
            nodes = [] if args.get("nodes") is None else _vpc_bfd_port.bfd_port_nodes(
                args["nodes"], args.get("node_selector") or None,
                _vpc_bfd_port.BFD_PORT_DEFAULT_NODES if args.get("max_nodes") is None else int(args["max_nodes"]),
                args.get("node_selector_field") or "nodeSelector")
            sentinel = args.get("sentinel") or None
            if sentinel and not sentinel.get("ip"):
                sentinel = {"label_selector": _bfd_sentinel.label_selector(sentinel.get("vpc") or "")}
            elif sentinel:
                sentinel = _bfd_sentinel.build(
                    sentinel.get("vpc") or "", sentinel.get("namespace") or "", sentinel.get("subnet") or "",
                    next(iter(sentinel.get("subnets") or []), None), sentinel["ip"], sentinel.get("image") or "",
                    _vpc_bfd_port.bfd_port_networks(sentinel.get("bfd_ip") or "", sentinel.get("bfd_ip_field") or "bfdPort.ip"),
                    [n["metadata"]["name"] for n in nodes], sentinel.get("prefix") or "sentinel",
                    sentinel.get("bfd_ip_field") or "bfdPort.ip")
        except EgressGatewayError as exc:
            return {**result, "failed": True, **exc.to_result()}
        return {**result, "changed": False, "networks": networks, "chassis": [_vpc_bfd_port.chassis_of(n) for n in nodes],
                "sentinel": sentinel}
