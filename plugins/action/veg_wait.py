# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of kubeovn.egress_gateway.veg_wait: waits for a gateway's Deployment, showing progress."""
from __future__ import annotations

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _wait
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway_status import deployment_is_ready

display = Display()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("name", "namespace", "replicas", "label_selector", "timeout", "delay", "k8s_auth"))

    def _read(self, task_vars, **args):
        """kubernetes.core.k8s_info on the task's host, with the task's credentials."""
        result = self._execute_module(module_name="kubernetes.core.k8s_info",
                                      module_args={**(self._task.args.get("k8s_auth") or {}), **args},
                                      task_vars=task_vars)
        if result.get("failed"):
            raise RuntimeError(result.get("msg") or "k8s_info failed")
        return result.get("resources") or []

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        name, namespace, wanted = args["name"], args["namespace"], int(args["replicas"])
        timeout, delay = float(args.get("timeout", 300)), max(float(args.get("delay", 3)), 0.2)
        deadline = time.monotonic() + timeout
        shown = None
        try:
            while True:
                deployment = (self._read(task_vars, api_version="apps/v1", kind="Deployment", name=name,
                                         namespace=namespace) or [None])[0]
                ready = deployment_is_ready(deployment)
                progress = _wait.progress(deployment, wanted)
                if progress != shown:
                    display.display(f"  {namespace}/{name}: {progress}")
                    shown = progress
                if ready or time.monotonic() + delay > deadline:
                    break
                time.sleep(delay)
            reasons = []
            if not ready:
                pods = self._read(task_vars, api_version="v1", kind="Pod", namespace=namespace,
                                  label_selectors=[args["label_selector"]])
                events = self._read(task_vars, api_version="v1", kind="Event", namespace=namespace,
                                    field_selectors=["involvedObject.kind=Pod"])
                reasons = _wait.pod_reasons(pods, events)
        except RuntimeError as exc:
            return {**result, "failed": True, "msg": f"reading Deployment {namespace}/{name}: {exc}"}
        return {**result, "changed": False, "ready": ready, "progress": progress, "deployment": deployment or {},
                "reasons": reasons}
