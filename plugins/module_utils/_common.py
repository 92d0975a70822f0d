# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors and the module entry wrapper shared by every module of the collection.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import traceback

# How much of a bad value a message shows: enough to recognise it, never a megabyte of YAML.
SHOWN_MAX = 300


def shown(value) -> str:
    """``repr(value)`` for a message, cut to SHOWN_MAX characters with the value's full size."""
    text = repr(value)
    if len(text) <= SHOWN_MAX:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters as text"
    return f"{text[:SHOWN_MAX]}... ({size})"


class EgressGatewayError(Exception):
    """A failure the user can act on: bad input, an unreachable database, a missing object.

    ``field`` is the path of the offending input (``spec.policies[0].ipBlocks[1]``) and ``value``
    its value, when the error is about input. ``details`` are further return values of the
    failed task (e.g. the HTTP ``status`` of a Kubernetes API error).
    """

    def __init__(self, message, field=None, value=None, **details):
        super().__init__(message)
        self.field = field
        self.value = value
        self.details = details

    def to_result(self):
        result = dict(self.details, msg=str(self))
        if self.field is not None:
            result["field"] = self.field
            result["value"] = self.value if len(repr(self.value)) <= SHOWN_MAX else shown(self.value)
        return result


def run_module(module, action):
    """Run ``action(module) -> dict`` and exit the module with its result.

    The one place where errors become fail_json: EgressGatewayError with its message (and
    field/value/details); any other exception with its traceback, so an unexpected failure is
    still readable. The result's ``diff`` is returned only when the task runs with --diff.
    """
    try:
        result = action(module)
    except EgressGatewayError as exc:
        module.fail_json(**exc.to_result())
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg=f"unexpected error: {exc!r}", exception=traceback.format_exc())
    if not module._diff:  # pylint: disable=protected-access
        result.pop("diff", None)
    module.exit_json(**result)


def run_reconcile(module, from_params, reconcile):
    """The agent modules' one shape: ``from_params(params)`` validates everything without I/O,
    then ``reconcile(config, check_mode)`` reads, plans, applies and returns the result."""
    run_module(module, lambda m: reconcile(from_params(m.params), check_mode=m.check_mode))
