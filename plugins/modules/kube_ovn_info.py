#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: kube_ovn_info
short_description: Find out whether Kube-OVN or this collection runs a cluster's egress gateways
description:
  - Reads what the cluster has - the C(kube-ovn-controller) Deployment (is it running, which version
    its image tag says, is its start-up GC switched off) and whether the C(VpcEgressGateway) API is
    installed - and decides who runs the gateway (docs/kube-ovn.md).
  - C(kube-ovn) mode - kube-ovn-controller v1.14 or later runs with the CRD; it builds the gateway's
    Deployment and NB rows for every VpcEgressGateway object, so the collection only validates,
    applies the object, waits for its status and audits the NB.
  - C(collection) mode - Kube-OVN before v1.14, no kube-ovn-controller (an OVN network without it),
    or the user's choice where kube-ovn-controller does not handle the object; the collection writes
    the Deployment and the NB rows itself. A warning says when a running kube-ovn-controller's
    start-up GC deletes the gateway's port group.
  - Fails with one line when the requested mode cannot work on this cluster (for example
    C(collection) while kube-ovn-controller v1.14 would act on the object too).
  - Reads only; writes nothing.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.k8s_auth
  - kubeovn.egress_gateway.read_only
options:
  mode:
    description:
      - V(auto) decides from the cluster; V(kube-ovn) and V(collection) are checked against it.
    type: str
    choices: [auto, kube-ovn, collection]
    default: auto
  controller_namespace:
    description: Namespace of the kube-ovn-controller Deployment.
    type: str
    default: kube-system
  controller_name:
    description: Name of the kube-ovn-controller Deployment (and of its container).
    type: str
    default: kube-ovn-controller
  name:
    description: Name of the gateway's VpcEgressGateway object, to tell whether it exists.
    type: str
  namespace:
    description: Its namespace.
    type: str
    default: default
  writes_object:
    description:
      - Whether the collection would write the VpcEgressGateway object in C(collection) mode
        (the role's C(egress_gateway_manage_resource)).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Who runs gateway1 on this cluster?
  kubeovn.egress_gateway.kube_ovn_info:
    name: gateway1
    namespace: default
  register: kube_ovn

- name: Say so
  ansible.builtin.debug:
    msg: "{{ kube_ovn.mode }}: {{ kube_ovn.reason }}"
"""

RETURN = r"""
mode:
  description: C(kube-ovn) or C(collection).
  returned: success
  type: str
  sample: kube-ovn
reason:
  description: Why, in one sentence naming what was found.
  returned: success
  type: str
  sample: >-
    kube-ovn-controller v1.14.0 is running (kube-system/kube-ovn-controller, image docker.io/kubeovn/kube-ovn:v1.14.0)
    and the VpcEgressGateway CRD is installed: Kube-OVN runs the gateway; ...
controller:
  description: What the kube-ovn-controller Deployment says.
  returned: success
  type: dict
  contains:
    found: {description: The Deployment exists., type: bool}
    running: {description: At least one of its pods is ready., type: bool}
    image: {description: The controller container's image., type: str}
    version: {description: "[major, minor, patch] from the image tag, or null.", type: list, elements: int}
    version_text: {description: "C(v1.14.0), C(unknown) or C(not found).", type: str}
    gc_deletes_port_groups: {description: Its start-up GC deletes port groups it does not know., type: bool}
    handles_vpc_egress_gateways: {description: It is v1.14 or later and acts on VpcEgressGateway objects., type: bool}
crd_installed:
  description: The C(kubeovn.io/v1) C(VpcEgressGateway) API is served.
  returned: success
  type: bool
object_exists:
  description: The gateway's VpcEgressGateway object exists (false when O(name) is not given).
  returned: success
  type: bool
"""

import copy

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._coexist import (
    MODES, controller_facts, decide,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

try:
    from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError, ResourceNotFoundError
except ImportError:  # reported by AnsibleK8SModule
    pass


def _get(client, resource, name, namespace):
    try:
        return client.get(resource, name=name, namespace=namespace).to_dict()
    except NotFoundError:
        return None


def run(module):
    params = module.params
    client = get_api_client(module)
    deployment = _get(client, client.resource("Deployment", "apps/v1"),
                      params["controller_name"], params["controller_namespace"])
    controller = controller_facts(deployment, params["controller_namespace"], params["controller_name"])
    try:
        veg = client.resource("VpcEgressGateway", "kubeovn.io/v1")
    except ResourceNotFoundError:
        veg = None
    exists = bool(veg is not None and params["name"] and _get(client, veg, params["name"], params["namespace"]))
    decision = decide(params["mode"], controller, veg is not None, exists, params["writes_object"])
    for warning in decision["warnings"]:
        module.warn(warning)
    return {"changed": False, "mode": decision["mode"], "reason": decision["reason"], "controller": controller,
            "crd_installed": veg is not None, "object_exists": exists}


def main():
    argument_spec = copy.deepcopy(AUTH_ARG_SPEC)
    argument_spec.update(
        mode=dict(type="str", choices=list(MODES), default="auto"),
        controller_namespace=dict(type="str", default="kube-system"),
        controller_name=dict(type="str", default="kube-ovn-controller"),
        name=dict(type="str"),
        namespace=dict(type="str", default="default"),
        writes_object=dict(type="bool", default=True),
    )
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=argument_spec, supports_check_mode=True)
    try:
        module.exit_json(**run(module))
    except EgressGatewayError as exc:
        module.fail_json(**exc.to_result())
    except DynamicApiError as exc:
        module.fail_json(msg=f"Kubernetes API: {exc.status} {exc.reason}: {exc.body}", status=exc.status)


if __name__ == "__main__":
    main()
