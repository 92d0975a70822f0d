# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing the status subresource of a VpcEgressGateway (module vpc_egress_gateway_status).

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import copy

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client

try:
    from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError
except ImportError:  # reported by AnsibleK8SModule
    DynamicApiError = NotFoundError = None


def with_observed_generation(status: dict, generation) -> dict:
    """The status with ``observedGeneration`` on each condition that lacks it: the generation the
    status is written for (Kube-OVN v1.14's CRD requires the field on every condition)."""
    if not status.get("conditions") or generation is None:
        return status
    return {**status, "conditions": [{"observedGeneration": generation, **c} for c in status["conditions"]]}


def write_status(module):
    """Merge-patch the given status fields when any differs; returns the whole status after."""
    params = module.params
    client = get_api_client(module)
    name, namespace = params["name"], params["namespace"]
    try:
        resource = client.resource("VpcEgressGateway", "kubeovn.io/v1")
        try:
            current = client.get(resource, name=name, namespace=namespace).to_dict()
        except NotFoundError:
            raise EgressGatewayError(f"VpcEgressGateway {namespace}/{name} not found", field="name",
                                     value=name) from None
        before = current.get("status") or {}
        wanted = with_observed_generation(params["status"], current["metadata"].get("generation"))
        changed = any(before.get(key) != value for key, value in wanted.items())
        result = {"changed": changed, "status": before,
                  "diff": {"before": {k: before.get(k) for k in wanted}, "after": copy.deepcopy(wanted)}}
        if changed and not module.check_mode:
            patched = client.client.patch(resource.status, body={"status": wanted}, name=name, namespace=namespace,
                                          content_type="application/merge-patch+json")
            result["status"] = patched.to_dict().get("status") or {}
        return result
    except DynamicApiError as exc:
        raise EgressGatewayError(f"Kubernetes API: {exc.status} {exc.reason}: {exc.body}", status=exc.status) from None
