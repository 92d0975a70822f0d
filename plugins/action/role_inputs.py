# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of kubeovn.egress_gateway.role_inputs: checks the variables a user set for a role of
this collection against its meta/argument_specs.yml, failing with one line."""
from __future__ import annotations

import difflib
import os

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._external_network import role_variables

ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "roles")


def role_options(role: str) -> dict:
    with open(os.path.join(ROLES, role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def unknown_names(given, options: dict, prefix: str, allowed) -> list[str]:
    """Variables with the role's prefix that are no option (typos), each with a suggestion."""
    found = []
    for name in sorted(given):
        if not name.startswith(prefix) or name in options or name in allowed or name.startswith(prefix + "_"):
            continue
        close = difflib.get_close_matches(name, list(options), n=1)
        found.append(f"{name}: no such variable{f' (did you mean {close[0]}?)' if close else ''}")
    return found


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("role", "allowed"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        role = self._task.args["role"]
        options = role_options(role)
        prefix = f"{role}_"
        errors = unknown_names(task_vars, options, prefix, set(self._task.args.get("allowed") or ()))
        given = self._templar.template({name: task_vars[name] for name in options if name in task_vars})
        validated = ArgumentSpecValidator(options).validate(given, validate_role_argument_spec=True)
        for error in validated.errors:
            message = str(error)
            name = next((n for n in options if f"'{n}'" in message or f" {n} " in message), None)
            if name is not None and name in given and "got" not in message:
                message = f"{message} (got {given[name]!r})"
            errors.append(message)
        if not errors:
            # the values the argument spec cannot judge (interface names, CIDRs, providers)
            try:
                role_variables(role, validated.validated_parameters)
            except EgressGatewayError as exc:
                errors.append(str(exc))
        if errors:
            return {**result, "failed": True, "msg": "; ".join(errors)}
        return {**result, "changed": False}
