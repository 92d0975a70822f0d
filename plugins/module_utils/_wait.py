# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What waiting for a gateway's Deployment shows: "2/3 ready", and why a pod is not.

PRIVATE to the collection: not a public API. Pure functions over the API objects as dicts.
"""
from __future__ import annotations


def progress(deployment: dict | None, wanted: int) -> str:
    """``"2/3 ready"`` from the Deployment's status."""
    status = (deployment or {}).get("status") or {}
    return f"{status.get('readyReplicas') or 0}/{wanted} ready"


def _ready(pod: dict) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pod_reasons(pods: list, events: list | None = None) -> list[str]:
    """One line per pod that is not ready, in the pod's own words: a waiting or terminated
    container's reason (ImagePullBackOff, CrashLoopBackOff...), an unmet condition
    (Unschedulable...), else its latest Warning event."""
    warnings = {}
    for event in sorted(events or [], key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or ""):
        if event.get("type") == "Warning":
            warnings[(event.get("involvedObject") or {}).get("name")] = event
    lines = []
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        if _ready(pod):
            continue
        name = pod["metadata"]["name"]
        status = pod.get("status") or {}
        reason = None
        for container in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            state = container.get("state") or {}
            detail = state.get("waiting") or state.get("terminated")
            if detail and detail.get("reason") not in (None, "PodInitializing", "ContainerCreating", "Completed"):
                reason = f"container {container['name']}: {detail['reason']}" + (
                    f": {' '.join(detail['message'].split())}" if detail.get("message") else "")
                break
        if reason is None:
            for condition in status.get("conditions") or []:
                if condition.get("status") == "False" and condition.get("reason"):
                    reason = f"{condition['type']} {condition['reason']}" + (
                        f": {' '.join(condition['message'].split())}" if condition.get("message") else "")
                    break
        if reason is None and name in warnings:
            event = warnings[name]
            reason = f"{event.get('reason')}: {' '.join((event.get('message') or '').split())}"
        lines.append(f"pod {name} ({status.get('phase') or 'Pending'}): {reason or 'not ready'}")
    return lines
