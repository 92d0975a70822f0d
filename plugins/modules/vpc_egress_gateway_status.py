#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_egress_gateway_status
short_description: Write the status of a VpcEgressGateway object
description:
  - Sets fields of the C(status) subresource of a C(kubeovn.io/v1) C(VpcEgressGateway), the way
    Kube-OVN's controller reports a gateway (C(replicas), C(labelSelector), C(ready), C(phase),
    C(internalIPs), C(externalIPs), C(conditions), C(workload)), so C(kubectl get veg -o wide) and
    C(kubectl scale veg) work when this collection runs the gateway.
  - Only the fields given in O(status) are compared and written (a merge patch of the status);
    nothing is written when they already hold these values.
  - The role C(kubeovn.egress_gateway.egress_gateway) computes the status; this module only writes it.
version_added: 0.1.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.k8s_auth
options:
  name:
    description: Name of the VpcEgressGateway.
    type: str
    required: true
  namespace:
    description: Its namespace.
    type: str
    default: default
  status:
    description: The status fields to set.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    description: Reads the object and reports whether the status would change; writes nothing.
  diff_mode:
    support: full
    description: Shows the given status fields before and after.
"""

EXAMPLES = r"""
- name: Report gateway1 ready
  kubeovn.egress_gateway.vpc_egress_gateway_status:
    name: gateway1
    namespace: default
    status:
      replicas: 1
      labelSelector: app=vpc-egress-gateway,ovn.kubernetes.io/vpc-egress-gateway=gateway1
      ready: true
      phase: Completed
"""

RETURN = r"""
status:
  description: The object's whole status after the task.
  returned: success
  type: dict
  sample: {replicas: 1, ready: true, phase: Completed, internalIPs: [10.16.0.12]}
"""

import copy

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._veg_status import write_status
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule


def main():
    argument_spec = copy.deepcopy(AUTH_ARG_SPEC)
    argument_spec.update(
        name=dict(type="str", required=True),
        namespace=dict(type="str", default="default"),
        status=dict(type="dict", required=True),
    )
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, write_status)


if __name__ == "__main__":
    main()
