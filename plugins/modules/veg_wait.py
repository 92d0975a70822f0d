#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.
from __future__ import annotations

DOCUMENTATION = r"""
module: veg_wait
short_description: Wait for an egress gateway's Deployment, showing "2/3 ready" as it goes
description:
  - Reads the Deployment every O(delay) seconds (with C(kubernetes.core.k8s_info) on the task's
    host) until it is ready as Kube-OVN counts it (rollout done, every wanted replica available)
    or O(timeout) passes, and prints a line such as C(default/gateway1 2/3 ready) each time the
    count changes.
  - It does not fail when the time is up - it returns C(ready=false) and, for each pod that is
    not ready, the pod's own reason (a container's C(ImagePullBackOff) or C(CrashLoopBackOff), a
    condition such as C(PodScheduled Unschedulable) with its message, or the pod's latest
    Warning event), so the caller can finish its work with the instances there are and fail
    naming them.
version_added: 0.2.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.controller
  - kubeovn.egress_gateway.read_only
options:
  name:
    description: The Deployment.
    type: str
    required: true
  namespace:
    description: Its namespace.
    type: str
    required: true
  replicas:
    description: The replicas wanted (shown as the denominator).
    type: int
    required: true
  label_selector:
    description: The label selector of the gateway's pods.
    type: str
    required: true
  timeout:
    description: Seconds to wait.
    type: int
    default: 300
  delay:
    description: Seconds between two reads.
    type: int
    default: 3
  k8s_auth:
    description: kubernetes.core connection options for the reads (C(kubeconfig), C(host), C(api_key) ...).
    type: dict
    default: {}
requirements:
  - kubernetes.core
"""

EXAMPLES = r"""
- name: Wait for the gateway's pods
  kubeovn.egress_gateway.veg_wait:
    name: gateway1
    namespace: default
    replicas: 2
    label_selector: app=vpc-egress-gateway,ovn.kubernetes.io/vpc-egress-gateway=gateway1
  register: waited
"""

RETURN = r"""
ready:
  description: Whether the Deployment became ready in time.
  returned: success
  type: bool
progress:
  description: The last count shown.
  returned: success
  type: str
  sample: 2/3 ready
deployment:
  description: The Deployment as last read ({} when it does not exist).
  returned: success
  type: dict
reasons:
  description: One line per pod that is not ready, with its own reason (empty when ready).
  returned: success
  type: list
  elements: str
  sample: ["pod gateway1-7d9c-x2 (Pending): PodScheduled Unschedulable: 0/3 nodes are available"]
"""
