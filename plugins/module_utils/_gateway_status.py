# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a gateway's pods and Deployment report, as the VpcEgressGateway status Kube-OVN writes
(kube-ovn-behaviour.md §1.2 step 5).

Pure Python, no I/O. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import json

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import nad_of
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import Gateway


NETWORK_STATUS_ANNOTATION = "k8s.v1.cni.cncf.io/network-status"


def _network_status_ips(annotations: dict, network: str) -> list:
    text = (annotations or {}).get(NETWORK_STATUS_ANNOTATION)
    if not text:
        return []
    try:
        entries = json.loads(text)
    except ValueError:
        return []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == network:
            return [ip for ip in entry.get("ips") or [] if isinstance(ip, str)]
    return []


def pod_instances(pods: list, external_provider: str) -> list:
    """Gateway instances from the Deployment's pods: every live pod with podIPs, sorted by name.

    ``[{"name", "node", "internal_ips", "external_ips"}]``: internal IPs are the podIPs,
    external IPs those Multus reports for ``<nadNamespace>/<nad>`` in network-status.
    """
    nad_namespace, nad_name = nad_of(external_provider)
    network = f"{nad_namespace}/{nad_name}"
    out = []
    for pod in pods:
        metadata = pod.get("metadata") or {}
        status = pod.get("status") or {}
        if metadata.get("deletionTimestamp") or status.get("phase") in ("Failed", "Succeeded"):
            continue
        internal = [p.get("ip") for p in status.get("podIPs") or [] if p.get("ip")]
        if not internal:
            continue
        out.append({
            "name": metadata.get("name"),
            "node": (pod.get("spec") or {}).get("nodeName") or "",
            "internal_ips": internal,
            "external_ips": _network_status_ips(metadata.get("annotations"), network),
        })
    return sorted(out, key=lambda i: i["name"])


def deployment_is_ready(deployment: dict | None) -> bool:
    """util.DeploymentIsReady: the rollout finished and every wanted replica is available."""
    if not deployment:
        return False
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    metadata = deployment.get("metadata") or {}
    if status.get("observedGeneration", 0) < metadata.get("generation", 0):
        return False
    wanted = spec.get("replicas", 1)
    return (status.get("updatedReplicas", 0) >= wanted and status.get("replicas", 0) == wanted
            and status.get("availableReplicas", 0) >= wanted)


def workload_network_problems(pods: list, external_provider: str, replicas: int) -> list:
    """Why the gateway's pods are not usable yet, as Kube-OVN v1.15.13+/v1.16.2+ reports them
    (collectVpcEgressGatewayWorkloadStatus): a pod not Ready, without pod IP, without Multus
    network status for the external network or without an IP on it; fewer usable pods than
    replicas. Empty when every replica is usable."""
    nad_namespace, nad_name = nad_of(external_provider)
    network = f"{nad_namespace}/{nad_name}"
    problems, usable = [], 0
    for pod in pods:
        metadata, status = pod.get("metadata") or {}, pod.get("status") or {}
        if metadata.get("deletionTimestamp"):
            continue
        name = f"{metadata.get('namespace')}/{metadata.get('name')}"
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        if conditions.get("Ready") != "True":
            problems.append(f"pod {name} is not ready")
            continue
        if not [p for p in status.get("podIPs") or [] if p.get("ip")]:
            problems.append(f"pod {name} has no pod IP")
            continue
        text = (metadata.get("annotations") or {}).get(NETWORK_STATUS_ANNOTATION)
        try:
            entries = json.loads(text) if text else None
        except ValueError:
            entries = None
        if not isinstance(entries, list):
            problems.append(f"failed to get network status for pod {name}: no valid {NETWORK_STATUS_ANNOTATION}")
            continue
        if not any(isinstance(e, dict) and e.get("name") == network for e in entries):
            problems.append(f"pod {name} has no network status for network {network}")
            continue
        if not _network_status_ips(metadata.get("annotations"), network):
            problems.append(f"pod {name} has no IP for network {network}")
            continue
        usable += 1
    if usable != replicas:
        problems.append(f"expected {replicas} ready workload pods with network {network}, got {usable}")
    return problems


def gateway_status(gateway: Gateway, instances: list, deployment: dict | None, problems=()) -> dict:
    """The VpcEgressGateway status Kube-OVN writes (§1.2 steps 4-7) for these instances;
    ``problems`` (workload_network_problems) make a ready Deployment ``WorkloadNetworkNotReady``."""
    return instances_status(gateway, instances, deployment_is_ready(deployment), gateway.replicas, problems)


def instances_status(gateway: Gateway, instances: list, ready: bool, replicas: int, problems=()) -> dict:
    """The status for ``instances`` when readiness and replicas are given (a standalone gateway
    has no Deployment: its instances in the play)."""
    if ready and problems:
        ready = False
        condition = {"type": "Ready", "status": "False", "reason": "WorkloadNetworkNotReady",
                     "message": "; ".join(problems)}
    elif ready:
        condition = {"type": "Ready", "status": "True", "reason": "ReconcileSuccess"}
    else:
        condition = {"type": "Ready", "status": "False", "reason": "Processing",
                     "message": f"Waiting for Deployment {gateway.deployment_name} to be ready"}
    return {
        "replicas": replicas,
        "labelSelector": gateway.label_selector,
        "ready": ready,
        "phase": "Completed" if ready else "Processing",
        "internalIPs": [",".join(i["internal_ips"]) for i in instances],
        "externalIPs": [",".join(i["external_ips"]) for i in instances],
        "conditions": [condition],
        "workload": {"apiVersion": "apps/v1", "kind": "Deployment", "name": gateway.deployment_name,
                     "nodes": [i["node"] for i in instances if i["node"]]},
    }


def _cell(values: list) -> str:
    """A list column: kubectl prints JSON (``["a","b"]``), whose quotes Ansible's default callback
    escapes (``[\\"a\\"]``), shifting every column after it; comma-separated instead."""
    return ",".join(values) or "<none>"


def status_table(rows: list, wide: bool = True) -> list:
    """Lines like ``kubectl get veg -o wide`` for gateway/status pairs
    (``[{"name", "vpc", "bfd", "external_subnet", "status"}]``), list columns comma-separated."""
    header = ["NAME", "VPC", "REPLICAS", "BFD ENABLED", "EXTERNAL SUBNET", "PHASE", "READY"]
    if wide:
        header += ["INTERNAL IPS", "EXTERNAL IPS", "WORKING NODES"]
    table = [header]
    for row in rows:
        status = row.get("status") or {}
        line = [row["name"], row["vpc"], str(status.get("replicas", 0)), str(row["bfd"]).lower(),
                row["external_subnet"], status.get("phase", "Pending"), str(status.get("ready", False)).lower()]
        if wide:
            line += [_cell(status.get("internalIPs", [])), _cell(status.get("externalIPs", [])),
                     _cell((status.get("workload") or {}).get("nodes", []))]
        table.append(line)
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return ["   ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]


def merge_conditions(existing: list | None, wanted: list, now: str) -> list:
    """Wanted conditions with lastTransitionTime kept while a condition's status is unchanged."""
    before = {c.get("type"): c for c in existing or []}
    out = []
    for condition in wanted:
        old = before.get(condition["type"]) or {}
        merged = dict(condition)
        same = old.get("status") == condition["status"]
        merged["lastTransitionTime"] = old.get("lastTransitionTime") if same and old.get("lastTransitionTime") else now
        merged["lastUpdateTime"] = old.get("lastUpdateTime") if same and old.get("reason") == condition.get(
            "reason") and old.get("lastUpdateTime") else now
        out.append(merged)
    return out
