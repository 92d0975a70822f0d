# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for a gateway's pods: the progress line and each pod's own reason, from API objects
shaped as the API server returns them (kubelet and scheduler write these fields)."""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._wait import pod_reasons, progress


def pod(name, phase="Pending", conditions=(), containers=(), init=()):
    return {"metadata": {"name": name},
            "status": {"phase": phase, "conditions": list(conditions), "containerStatuses": list(containers),
                       "initContainerStatuses": list(init)}}


def test_progress():
    assert progress({"status": {"readyReplicas": 2}}, 3) == "2/3 ready"
    assert progress(None, 3) == "0/3 ready"


def test_each_pod_in_its_own_words():
    pods = [
        pod("g-ready", "Running", conditions=[{"type": "Ready", "status": "True"}]),
        pod("g-image", containers=[{"name": "bfdd", "state": {"waiting": {
            "reason": "ImagePullBackOff", "message": "Back-off pulling image \"x\"\n"}}}]),
        pod("g-sched", conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                    "message": "0/3 nodes are available: 3 node(s) didn't match pod affinity rules."}]),
        pod("g-init", init=[{"name": "init", "state": {"terminated": {"reason": "Error", "exitCode": 2}}}]),
        pod("g-event"),
        pod("g-quiet"),
    ]
    events = [{"type": "Warning", "reason": "FailedMount", "message": "secret not found",
               "involvedObject": {"name": "g-event"}, "lastTimestamp": "2026-01-01T00:00:01Z"},
              {"type": "Normal", "reason": "Scheduled", "message": "ok", "involvedObject": {"name": "g-quiet"}}]
    assert pod_reasons(pods, events) == [
        "pod g-event (Pending): FailedMount: secret not found",
        'pod g-image (Pending): container bfdd: ImagePullBackOff: Back-off pulling image "x"',
        "pod g-init (Pending): container init: Error",
        "pod g-quiet (Pending): not ready",
        "pod g-sched (Pending): PodScheduled Unschedulable: 0/3 nodes are available: 3 node(s) didn't match pod "
        "affinity rules.",
    ]
