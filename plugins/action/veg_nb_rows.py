# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of kubeovn.egress_gateway.veg_nb_rows: ovn_egress_gateway's task for a list of gateways
(module_utils/_reconcile.py), run in the controller's process, where the reconcile playbook of
Event-Driven Ansible already is; it saves the module process of every event (docs/benchmarks.md, the rows task)."""
from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_module import argument_spec
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._reconcile import GATEWAYS_OPTIONS, egress_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.plugin_utils._in_process import run_in_process

OPTIONS = {**GATEWAYS_OPTIONS, "gateways": {**GATEWAYS_OPTIONS["gateways"], "required": True}}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        return {**result, **run_in_process(egress_gateway, argument_spec(**OPTIONS), self._task.args,
                                           check_mode=self._task.check_mode, diff=self._task.diff)}
