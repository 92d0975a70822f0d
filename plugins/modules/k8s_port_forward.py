#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: k8s_port_forward
short_description: A pod's port on a local loopback port through the API server, like kubectl port-forward
description:
  - For a controller outside the cluster (AWX, a laptop) that cannot reach a Service's cluster IP
    - the OVN Northbound database of Kube-OVN's C(ovn-central) pods above all.
  - With O(state=present), finds the first Running pod matching O(label_selector) (or takes
    O(pod)), checks that the API server opens a port-forward to it, and starts a detached helper
    process that listens on C(127.0.0.1) only, on a free port, and forwards every connection it
    accepts to the pod's O(port) over the API server's C(pods/portforward) websocket, as
    C(kubectl port-forward) does.
  - The helper runs until O(state=absent) stops it by its pid (checked against its start time, so
    a reused pid is never signalled), or until no connection has been open for O(idle_timeout) seconds.
  - Runs where the task runs (normally the controller, C(localhost)); the user needs C(get) on
    pods and C(create) on C(pods/portforward) in the namespace.
version_added: 0.2.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.k8s_auth
options:
  namespace:
    description: The pod's namespace.
    type: str
    default: kube-system
  pod:
    description: The pod; empty - the first Running pod matching O(label_selector).
    type: str
    default: ""
  label_selector:
    description: Label selector of the pods to choose from (Kube-OVN labels the NB leader C(ovn-nb-leader=true)).
    type: str
    default: app=ovn-central,ovn-nb-leader=true
  port:
    description: The pod's port.
    type: int
    default: 6641
  idle_timeout:
    description: Seconds without any open connection after which the helper exits by itself.
    type: int
    default: 600
  state:
    description: V(present) starts a helper; V(absent) stops the one named by O(pid) and O(start_time).
    type: str
    choices: [present, absent]
    default: present
  pid:
    description: With O(state=absent), the helper's pid (returned by O(state=present)).
    type: int
  start_time:
    description: With O(state=absent), the helper's start time (returned by O(state=present)).
    type: str
attributes:
  check_mode:
    support: full
    description: The helper is started in check mode too (it changes nothing; the NB modules read through it).
  diff_mode:
    support: none
    description: A helper process is no state of the host to show a diff of.
"""

EXAMPLES = r"""
- name: The NB leader on a local port
  kubeovn.egress_gateway.k8s_port_forward:
    namespace: kube-system
  register: nb_forward

- name: Read the NB through it
  kubeovn.egress_gateway.ovn_nb_info:
    connection: "tcp:127.0.0.1:{{ nb_forward.local_port }}"

- name: Stop the helper
  kubeovn.egress_gateway.k8s_port_forward:
    state: absent
    pid: "{{ nb_forward.pid }}"
    start_time: "{{ nb_forward.start_time }}"
"""

RETURN = r"""
local_port:
  description: The port on C(127.0.0.1) the helper listens on.
  returned: state=present
  type: int
  sample: 41735
pid:
  description: The helper's process id.
  returned: state=present
  type: int
start_time:
  description: The helper's start time (clock ticks since boot), for O(state=absent).
  returned: state=present
  type: str
pod:
  description: The pod forwarded to.
  returned: state=present
  type: str
"""

import copy

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _port_forward
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import run_module
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule


def run(module):
    params = module.params
    if params["state"] == "absent":
        return {"changed": _port_forward.stop(params["pid"] or 0, params["start_time"] or "")}
    api_client = get_api_client(module).client.client
    pod = params["pod"] or _port_forward.find_pod(api_client, params["namespace"], params["label_selector"])
    _port_forward.probe(api_client, params["namespace"], pod, params["port"], timeout=1.0)
    started = _port_forward.start(api_client, params["namespace"], pod, params["port"], params["idle_timeout"])
    return {"changed": False, "pod": pod, **started}


def main():
    argument_spec = copy.deepcopy(AUTH_ARG_SPEC)
    argument_spec.update(
        namespace=dict(type="str", default="kube-system"),
        pod=dict(type="str", default=""),
        label_selector=dict(type="str", default="app=ovn-central,ovn-nb-leader=true"),
        port=dict(type="int", default=6641),
        idle_timeout=dict(type="int", default=600),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        pid=dict(type="int"),
        start_time=dict(type="str"),
    )
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=argument_spec, supports_check_mode=True,
                              required_if=[("state", "absent", ("pid", "start_time"))])
    run_module(module, run)


if __name__ == "__main__":
    main()
