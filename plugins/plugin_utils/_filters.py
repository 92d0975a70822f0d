# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's filters (plugins/filter/) share: the model's error becomes one
AnsibleFilterError line that says what was being derived, then the field and the value.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway


def call(what, func, *args, **kwargs):
    """``func(*args, **kwargs)``; its EgressGatewayError as ``AnsibleFilterError("<what>: <error>")``."""
    try:
        return func(*args, **kwargs)
    except EgressGatewayError as exc:
        raise AnsibleFilterError(f"{what}: {exc}") from exc


def gateway_of(obj, namespace=None, name=None):
    """The validated Gateway of a VpcEgressGateway object (or bare spec)."""
    return call("invalid VpcEgressGateway", parse_gateway, obj, namespace=namespace, name=name)
