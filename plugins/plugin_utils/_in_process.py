# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module's task run in the controller's process by an action plugin: the parameters checked
against the module's own argument spec, and the little of AnsibleModule that the tasks in
module_utils use (params, check_mode, warn). It saves the module process (AnsiballZ, a new
Python, ansible.module_utils imported again); docs/benchmarks.md measures it (the rows task).

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError


class ControllerModule:
    """What a task of module_utils needs of an AnsibleModule, for a task run by an action plugin."""

    def __init__(self, params: dict, check_mode: bool):
        self.params = params
        self.check_mode = check_mode
        self.warnings: list[str] = []

    def warn(self, message: str):
        self.warnings.append(message)


def run_in_process(action, argument_spec: dict, args: dict, check_mode: bool, diff: bool) -> dict:
    """``action(module) -> dict`` with ``args`` validated as AnsibleModule would: the task's
    result, or ``failed`` with the one line of the first problem (as _common.run_module)."""
    checked = ArgumentSpecValidator(argument_spec).validate(args)
    if checked.error_messages:
        return {"failed": True, "msg": "; ".join(checked.error_messages)}
    module = ControllerModule(checked.validated_parameters, check_mode)
    try:
        result = action(module)
    except EgressGatewayError as exc:
        return {"failed": True, **exc.to_result(), "warnings": module.warnings}
    if not diff:
        result.pop("diff", None)
    return {**result, "warnings": module.warnings}
