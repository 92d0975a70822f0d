# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gateway's workload: the Deployment Kube-OVN v1.14 builds, and what its pods report.

Pure Python, no I/O (kube-ovn-behaviour.md §1.2 step 5 and §1.4). ``build_deployment`` returns
the Deployment exactly as ``reconcileVpcEgressGatewayWorkload`` lays it out - name
``<prefix><name>``, labels, required node affinity from ``nodeSelector`` (matchLabels as ``In``
expressions, keys sorted), required pod anti-affinity on its own labels, the Multus / logical
switch / ip_pool / routes annotations, the privileged init container, the ``gateway`` container
or, with BFD, the ``bfdd`` container that replaces it, RollingUpdate 1/0, grace period 0 - with
one deliberate difference by default: the init container and the BFD responder run this
collection's agent (``playbooks/agent.yml``, role ``gateway_agent``) instead of Kube-OVN's
scripts, with the same environment (``RUNTIMES``; ``kube-ovn`` gives Kube-OVN's commands). ``generate_hash``/``needs_update`` are Kube-OVN's update rule.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._spec import FAMILIES, Gateway, parse_ip_block

HASH_ANNOTATION = "ovn.kubernetes.io/generate-hash"
NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks"
NETWORK_STATUS_ANNOTATION = "k8s.v1.cni.cncf.io/network-status"
LOGICAL_SWITCH_ANNOTATION = "ovn.kubernetes.io/logical_switch"
OVN_PROVIDER = "ovn"
VOLUME = "usr-local-sbin"
VOLUME_PATH = "/usr/local/sbin"
NOBODY = 65534

# What runs in the pod. "agent": this collection's agent playbook (playbooks/agent.yml, role
# gateway_agent) from the collection's execution-environment image, as the init container and,
# with BFD, as the BFD responder (FRR bfdd, GATEWAY_AGENT_NETWORK=false). "kube-ovn": Kube-OVN's
# own scripts from Kube-OVN's image (init-vpc-egress-gateway.sh, OpenBFDD), exactly as v1.14.
AGENT_PLAYBOOK = "ansible-playbook -i localhost, -c local kubeovn.egress_gateway.agent"
RUNTIMES = {
    "agent": {
        "init": ("sh", "-c", AGENT_PLAYBOOK),
        "bfdd": ("sh", "-c", AGENT_PLAYBOOK + " && exec sleep infinity"),
        "bfdd_env": ({"name": "GATEWAY_AGENT_NETWORK", "value": "false"},),
        "startup_probe": ("pgrep", "-x", "bfdd"),
        "health_probe": ("pgrep", "-x", "bfdd"),
    },
    "kube-ovn": {
        "init": ("bash", "/kube-ovn/init-vpc-egress-gateway.sh"),
        "bfdd": ("bash", "/kube-ovn/start-bfdd.sh"),
        "bfdd_env": (),
        "startup_probe": ("bash", "/kube-ovn/bfdd-prestart.sh"),
        "health_probe": ("bfdd-control", "status"),
    },
}


def _split_ips(text: str | None) -> dict:
    """Kube-OVN's SplitStringIP: "v4", "v6" or "v4,v6" -> {4: ..., 6: ...} (missing families absent)."""
    out = {}
    for part in (text or "").split(","):
        part = part.strip()
        if part:
            out[parse_ip_block(part, "gateway")[0]] = part
    return out


def _family(cidr: str) -> int:
    return parse_ip_block(cidr, "cidr")[0]


@dataclass(frozen=True)
class WorkloadContext:
    """What the Deployment needs besides the gateway's spec, read from the cluster.

    ``internal_subnet``/``internal_gateway``: the internal Subnet's name and ``spec.gateway``;
    ``external_provider``/``external_gateway``: the external Subnet's ``spec.provider``
    (``<nad>.<nadNamespace>``) and ``spec.gateway``; ``bfd_ip``: the VPC's ``spec.bfdPort.ip``
    when BFD is enabled; ``snat_cidrs``/``forward_cidrs``: the policies' ipBlocks and subnet
    CIDRs with and without SNAT; ``owner_uid``: the VpcEgressGateway's uid when it exists in the
    API; ``runtime``: what runs in the pod (a key of ``RUNTIMES``).
    """

    @property
    def commands(self) -> dict:
        if self.runtime not in RUNTIMES:
            raise EgressGatewayError(f"runtime must be one of {', '.join(RUNTIMES)}", field="runtime",
                                     value=self.runtime)
        return RUNTIMES[self.runtime]

    image: str
    internal_subnet: str
    internal_gateway: str
    external_provider: str
    external_gateway: str
    bfd_ip: str = ""
    snat_cidrs: tuple = ()
    forward_cidrs: tuple = ()
    owner_uid: str = ""
    runtime: str = "agent"

    @property
    def nad(self) -> tuple[str, str]:
        """(namespace, name) of the NetworkAttachmentDefinition behind the external provider."""
        name, dot, namespace = self.external_provider.partition(".")
        if not dot or not name or not namespace:
            raise EgressGatewayError(
                f"external subnet provider {self.external_provider!r} is not <nad>.<namespace>; "
                "a VPC egress gateway needs a Multus NetworkAttachmentDefinition provider",
                field="external_provider", value=self.external_provider)
        return namespace, name


def _route_annotations(gateway: Gateway, ctx: WorkloadContext) -> dict:
    internal_gw = _split_ips(ctx.internal_gateway)
    external_gw = _split_ips(ctx.external_gateway)
    internal_routes = []
    for af, ip in sorted(_split_ips(ctx.bfd_ip).items()) if gateway.bfd.enabled else ():
        # the VPC BFD port, so the gateway can hold BFD sessions with it
        if af in internal_gw:
            internal_routes.append({"dst": f"{ip}/{32 if af == 4 else 128}", "gw": internal_gw[af]})
    for cidr in sorted(set(ctx.snat_cidrs) | set(ctx.forward_cidrs), key=lambda c: (_family(c), c)):
        if _family(cidr) in internal_gw:
            internal_routes.append({"dst": cidr, "gw": internal_gw[_family(cidr)]})
    external_routes = [{"dst": dst, "gw": external_gw[af]}
                       for af, dst in ((4, "0.0.0.0/0"), (6, "::/0")) if af in external_gw]
    out = {}
    if internal_routes:
        out[f"{OVN_PROVIDER}.kubernetes.io/routes"] = json.dumps(internal_routes, separators=(",", ":"))
    if external_routes:
        out[f"{ctx.external_provider}.kubernetes.io/routes"] = json.dumps(external_routes, separators=(",", ":"))
    return out


def init_env(ctx: WorkloadContext) -> list:
    """INTERNAL_GATEWAY_IPVn, EXTERNAL_GATEWAY_IPVn, NO_SNAT_SOURCES_IPVn for each family the
    internal subnet has a gateway in (vegContainerEnv)."""
    internal_gw = _split_ips(ctx.internal_gateway)
    external_gw = _split_ips(ctx.external_gateway)
    env = []
    for af in FAMILIES:
        if af not in internal_gw:
            continue
        if af not in external_gw:
            raise EgressGatewayError(
                f"the internal subnet has an IPv{af} gateway ({internal_gw[af]}) but the external "
                f"subnet has none (spec.gateway {ctx.external_gateway!r})",
                field="externalSubnet.spec.gateway", value=ctx.external_gateway)
        sources = sorted(c for c in set(ctx.forward_cidrs) if _family(c) == af)
        env += [{"name": f"INTERNAL_GATEWAY_IPV{af}", "value": internal_gw[af]},
                {"name": f"EXTERNAL_GATEWAY_IPV{af}", "value": external_gw[af]},
                {"name": f"NO_SNAT_SOURCES_IPV{af}", "value": ",".join(sources)}]
    return env


def _node_affinity(gateway: Gateway) -> dict | None:
    if not gateway.node_selector:
        return None
    terms = []
    for term in gateway.node_selector:
        expressions = [{"key": key, "operator": "In", "values": [value]}
                       for key, value in sorted(term.match_labels)]
        expressions += [r.to_dict() for r in term.match_expressions]
        out = {}
        if expressions:
            out["matchExpressions"] = expressions
        if term.match_fields:
            out["matchFields"] = [r.to_dict() for r in term.match_fields]
        terms.append(out)
    return {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}


def _volume_mounts() -> list:
    return [{"name": VOLUME, "mountPath": VOLUME_PATH}]


def _gateway_container(image: str) -> dict:
    return {
        "name": "gateway", "image": image, "imagePullPolicy": "IfNotPresent",
        "command": ["sleep", "infinity"],
        "securityContext": {"privileged": False, "runAsUser": NOBODY,
                            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}},
        "volumeMounts": _volume_mounts(),
    }


def _bfdd_container(gateway: Gateway, ctx: WorkloadContext) -> dict:
    def probe(command, **timing):
        return {"exec": {"command": list(command)}, **timing}

    bfd = gateway.bfd
    return {
        "name": "bfdd", "image": ctx.image, "imagePullPolicy": "IfNotPresent",
        "command": list(ctx.commands["bfdd"]),
        "env": [
            {"name": "POD_IPS", "valueFrom": {"fieldRef": {"fieldPath": "status.podIPs"}}},
            {"name": "BFD_PEER_IPS", "value": ctx.bfd_ip},
            {"name": "BFD_MIN_TX", "value": str(bfd.min_tx)},
            {"name": "BFD_MIN_RX", "value": str(bfd.min_rx)},
            {"name": "BFD_MULTI", "value": str(bfd.multiplier)},
            *[dict(e) for e in ctx.commands["bfdd_env"]],
        ],
        "startupProbe": probe(ctx.commands["startup_probe"], initialDelaySeconds=1, failureThreshold=1),
        "livenessProbe": probe(ctx.commands["health_probe"], initialDelaySeconds=1, periodSeconds=5),
        "readinessProbe": probe(ctx.commands["health_probe"], initialDelaySeconds=3, periodSeconds=3,
                                failureThreshold=1),
        "securityContext": {"privileged": False, "runAsUser": NOBODY,
                            "capabilities": {"add": ["NET_ADMIN", "NET_BIND_SERVICE", "NET_RAW"], "drop": ["ALL"]}},
        "volumeMounts": _volume_mounts(),
    }


def build_deployment(gateway: Gateway, ctx: WorkloadContext) -> dict:
    """The gateway's Deployment, with ``ovn.kubernetes.io/generate-hash`` set."""
    if not ctx.image:
        raise EgressGatewayError("no image: set spec.image or the role's default image",
                                 field="spec.image", value=ctx.image)
    if gateway.bfd.enabled and not ctx.bfd_ip:
        raise EgressGatewayError(f"spec.bfd.enabled is true but VPC {gateway.vpc_name} has no BFD port IP "
                                 "(Vpc spec.bfdPort); Kube-OVN reports VpcBfdPortNotEnabled",
                                 field="spec.bfd.enabled", value=True)
    nad_namespace, nad_name = ctx.nad
    labels = dict(gateway.labels)
    annotations = _route_annotations(gateway, ctx)
    annotations[NETWORKS_ANNOTATION] = f"{nad_namespace}/{nad_name}"
    annotations[LOGICAL_SWITCH_ANNOTATION] = ctx.internal_subnet
    if gateway.internal_ips:
        annotations["ovn.kubernetes.io/ip_pool"] = ";".join(gateway.internal_ips)
    if gateway.external_ips:
        annotations[f"{ctx.external_provider}.kubernetes.io/ip_pool"] = ";".join(gateway.external_ips)

    container = _bfdd_container(gateway, ctx) if gateway.bfd.enabled else _gateway_container(ctx.image)
    affinity = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}]}}
    node_affinity = _node_affinity(gateway)
    if node_affinity:
        affinity["nodeAffinity"] = node_affinity
    metadata = {"name": gateway.deployment_name, "namespace": gateway.namespace, "labels": labels}
    if ctx.owner_uid:
        metadata["ownerReferences"] = [{"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
                                        "name": gateway.name, "uid": ctx.owner_uid,
                                        "controller": True, "blockOwnerDeletion": True}]
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
        "spec": {
            "replicas": gateway.replicas,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
            "template": {
                "metadata": {"labels": labels, "annotations": annotations},
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "initContainers": [{
                        "name": "init", "image": ctx.image, "imagePullPolicy": "IfNotPresent",
                        "command": list(ctx.commands["init"]), "env": init_env(ctx),
                        "securityContext": {"privileged": True},
                        "volumeMounts": _volume_mounts(),
                    }],
                    "containers": [container],
                    "volumes": [{"name": VOLUME, "emptyDir": {}}],
                    "affinity": affinity,
                },
            },
        },
    }
    metadata["annotations"] = {HASH_ANNOTATION: generate_hash(deployment)}
    return deployment


def generate_hash(deployment: dict) -> str:
    """sha256 of the Deployment without replicas and annotations, first 12 hex digits."""
    stripped = copy.deepcopy(deployment)
    stripped.get("spec", {}).pop("replicas", None)
    stripped.get("metadata", {}).pop("annotations", None)
    text = json.dumps(stripped, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def needs_update(existing: dict | None, desired: dict) -> bool:
    """Kube-OVN's rule: write the Deployment when it is missing, or replicas or the hash differ."""
    if not existing:
        return True
    have_hash = ((existing.get("metadata") or {}).get("annotations") or {}).get(HASH_ANNOTATION)
    want_hash = desired["metadata"]["annotations"][HASH_ANNOTATION]
    return have_hash != want_hash or (existing.get("spec") or {}).get("replicas") != desired["spec"]["replicas"]


# ---------------------------------------------------------------------------------------------
# What the gateway's pods report (§1.2 step 5)

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
    nad_namespace, nad_name = WorkloadContext("", "", "", external_provider, "").nad
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


def gateway_status(gateway: Gateway, instances: list, deployment: dict | None) -> dict:
    """The VpcEgressGateway status Kube-OVN writes (§1.2 steps 4-7) for these instances."""
    ready = deployment_is_ready(deployment)
    if ready:
        condition = {"type": "Ready", "status": "True", "reason": "ReconcileSuccess"}
    else:
        condition = {"type": "Ready", "status": "False", "reason": "Processing",
                     "message": f"Waiting for Deployment {gateway.deployment_name} to be ready"}
    return {
        "replicas": gateway.replicas,
        "labelSelector": gateway.label_selector,
        "ready": ready,
        "phase": "Completed" if ready else "Processing",
        "internalIPs": [",".join(i["internal_ips"]) for i in instances],
        "externalIPs": [",".join(i["external_ips"]) for i in instances],
        "conditions": [condition],
        "workload": {"apiVersion": "apps/v1", "kind": "Deployment", "name": gateway.deployment_name,
                     "nodes": [i["node"] for i in instances if i["node"]]},
    }


def status_table(rows: list, wide: bool = True) -> list:
    """Lines like ``kubectl get veg -o wide`` for gateway/status pairs
    (``[{"name", "vpc", "bfd", "external_subnet", "status"}]``)."""
    header = ["NAME", "VPC", "REPLICAS", "BFD ENABLED", "EXTERNAL SUBNET", "PHASE", "READY"]
    if wide:
        header += ["INTERNAL IPS", "EXTERNAL IPS", "WORKING NODES"]
    table = [header]
    for row in rows:
        status = row.get("status") or {}
        line = [row["name"], row["vpc"], str(status.get("replicas", 0)), str(row["bfd"]).lower(),
                row["external_subnet"], status.get("phase", "Pending"), str(status.get("ready", False)).lower()]
        if wide:
            line += [json.dumps(status.get("internalIPs", []), separators=(",", ":")),
                     json.dumps(status.get("externalIPs", []), separators=(",", ":")),
                     json.dumps((status.get("workload") or {}).get("nodes", []), separators=(",", ":"))]
        table.append(line)
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return ["   ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]


# ---------------------------------------------------------------------------------------------
# Resolving the gateway's selectors and policy subnets against what the API returned (§1.3)

def _requirement_matches(requirement, labels: dict) -> bool:
    present = requirement.key in labels
    if requirement.operator == "In":
        return present and labels[requirement.key] in requirement.values
    if requirement.operator == "NotIn":
        return not present or labels[requirement.key] not in requirement.values
    if requirement.operator == "Exists":
        return present
    return not present  # DoesNotExist


def selector_matches(selector, labels: dict | None) -> bool:
    """A LabelSelector of the spec model against an object's labels; ``None`` selects everything."""
    if selector is None:
        return True
    labels = labels or {}
    return (all(labels.get(k) == v for k, v in selector.match_labels)
            and all(_requirement_matches(r, labels) for r in selector.match_expressions))


def subnet_vpcs(subnets: list) -> dict:
    """Subnet name -> its VPC (``spec.vpc``, Kube-OVN's default VPC when empty)."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._spec import DEFAULT_VPC

    return {s["metadata"]["name"]: (s.get("spec") or {}).get("vpc") or DEFAULT_VPC for s in subnets}


def pod_ports(gateway: Gateway, namespaces: list, pods: list, subnets: list) -> list:
    """Logical switch ports ``<pod>.<namespace>`` of the pods the gateway's selectors match.

    As Kube-OVN: a pod matches a selector when its namespace matches ``namespaceSelector`` and
    its labels ``podSelector`` (a missing one matches all); host-network pods, pods without an
    allocated address, pods of finished or deleted pods and pods of another VPC are skipped.
    """
    if not gateway.selectors:
        return []
    namespace_labels = {n["metadata"]["name"]: n["metadata"].get("labels") or {} for n in namespaces}
    vpc_of = subnet_vpcs(subnets)
    ports = set()
    for pod in pods:
        metadata, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
        annotations = metadata.get("annotations") or {}
        if spec.get("hostNetwork") or metadata.get("deletionTimestamp"):
            continue
        if status.get("phase") in ("Succeeded", "Failed"):
            continue
        if annotations.get("ovn.kubernetes.io/allocated") != "true":
            continue
        switch = annotations.get(LOGICAL_SWITCH_ANNOTATION)
        if vpc_of.get(switch, gateway.vpc_name) != gateway.vpc_name:
            continue
        namespace = metadata.get("namespace")
        if namespace not in namespace_labels:
            continue
        for selector in gateway.selectors:
            if (selector_matches(selector.namespace_selector, namespace_labels[namespace])
                    and selector_matches(selector.pod_selector, metadata.get("labels"))):
                ports.add(f"{metadata['name']}.{namespace}")
                break
    return sorted(ports)


def policy_subnet_cidrs(gateway: Gateway, subnets: list) -> dict:
    """Subnet name -> cidrBlock for every subnet the policies name; a missing one is an error."""
    by_name = {s["metadata"]["name"]: s for s in subnets}
    out = {}
    for p, policy in enumerate(gateway.policies):
        for s, name in enumerate(policy.subnets):
            cidr = ((by_name.get(name) or {}).get("spec") or {}).get("cidrBlock")
            if not cidr:
                raise EgressGatewayError(f"spec.policies[{p}].subnets[{s}]: Subnet {name!r} not found "
                                         "(or it has no cidrBlock)", field=f"spec.policies[{p}].subnets[{s}]",
                                         value=name)
            out[name] = cidr
    return out


def policy_cidrs(gateway: Gateway, subnet_cidrs: dict) -> tuple[list, list]:
    """(SNAT sources, forward sources): ipBlocks and subnet CIDRs of the policies, by SNAT flag."""
    snat, forward = set(), set()
    for policy in gateway.policies:
        target = snat if policy.snat else forward
        target.update(policy.ip_blocks)
        for name in policy.subnets:
            target.update(c for c in subnet_cidrs[name].split(",") if c)
    return sorted(snat), sorted(forward)


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


def nb_connection_from_service(service: dict | None) -> str:
    """``tcp:<clusterIP>:<port>`` of Kube-OVN's ``ovn-nb`` Service."""
    spec = (service or {}).get("spec") or {}
    ip = spec.get("clusterIP")
    ports = spec.get("ports") or []
    if not ip or ip == "None" or not ports:
        raise EgressGatewayError("no OVN NB connection given and the cluster's ovn-nb Service has no "
                                 "cluster IP and port; set the NB connection explicitly",
                                 field="nb_connection", value=None)
    port = next((p["port"] for p in ports if p.get("name") in ("ovn-nb", "nb")), ports[0]["port"])
    host = f"[{ip}]" if ":" in ip else ip
    return f"tcp:{host}:{port}"


def _subnet_named(subnets: list, name: str, field: str) -> dict:
    for subnet in subnets:
        if subnet["metadata"]["name"] == name:
            return subnet.get("spec") or {}
    raise EgressGatewayError(f"{field}: Subnet {name!r} not found", field=field, value=name)


def workload_plan(gateway: Gateway, vpc: dict | None, subnets: list, image: str, owner_uid: str = "",
                  runtime: str = "agent") -> dict:
    """Everything the role needs from the cluster's Vpc and Subnets: the Deployment, the router,
    the BFD port and the policy subnets' CIDRs (Kube-OVN's validation of §1.4 included)."""
    vpc = vpc or {}
    vpc_spec, vpc_status = vpc.get("spec") or {}, vpc.get("status") or {}
    internal_name = gateway.internal_subnet or vpc_status.get("defaultLogicalSwitch") or ""
    if not internal_name:
        raise EgressGatewayError(f"spec.internalSubnet is empty and VPC {gateway.vpc_name} reports no "
                                 "status.defaultLogicalSwitch", field="spec.internalSubnet", value="")
    internal = _subnet_named(subnets, internal_name, "spec.internalSubnet")
    external = _subnet_named(subnets, gateway.external_subnet, "spec.externalSubnet")
    bfd_port = vpc_spec.get("bfdPort") or {}
    bfd_ip = bfd_port.get("ip", "") if bfd_port.get("enabled") else ""
    for label, ips in (("internalIPs", gateway.internal_ips), ("externalIPs", gateway.external_ips)):
        if ips and len(ips) < gateway.replicas:
            raise EgressGatewayError(f"spec.{label}: {len(ips)} addresses for {gateway.replicas} replicas",
                                     field=f"spec.{label}", value=list(ips))
    cidrs = policy_subnet_cidrs(gateway, subnets)
    snat, forward = policy_cidrs(gateway, cidrs)
    ctx = WorkloadContext(
        image=gateway.image or image, internal_subnet=internal_name,
        internal_gateway=internal.get("gateway", ""), external_provider=external.get("provider", ""),
        external_gateway=external.get("gateway", ""), bfd_ip=bfd_ip, snat_cidrs=tuple(snat),
        forward_cidrs=tuple(forward), owner_uid=owner_uid, runtime=runtime,
    )
    return {
        "deployment": build_deployment(gateway, ctx),
        "router": vpc_status.get("router") or gateway.vpc_name,
        "bfd_port": (vpc_status.get("bfdPort") or {}).get("name") or gateway.default_bfd_port,
        "bfd_ip": bfd_ip,
        "internal_subnet": internal_name,
        "external_provider": ctx.external_provider,
        "nad": "/".join(ctx.nad),
        "subnet_cidrs": cidrs,
    }


# ---------------------------------------------------------------------------------------------
# The VPC BFD port's chassis (§1.6)

CHASSIS_ANNOTATION = "ovn.kubernetes.io/chassis"
BFD_PORT_DEFAULT_NODES = 3


def bfd_port_chassis(nodes: list, node_selector: dict | None, limit: int = BFD_PORT_DEFAULT_NODES) -> list:
    """Chassis of the nodes carrying a VPC's BFD port, highest priority first.

    As Kube-OVN's reconcileVpcBfdLRP: the nodes matching ``node_selector`` (a LabelSelector), or
    the first ``limit`` nodes when there is none; a node's chassis is its
    ``ovn.kubernetes.io/chassis`` annotation (the node's name when Kube-OVN has not written it).
    """
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._spec import _label_selector

    selector = None
    if node_selector:
        selector = _label_selector(node_selector, "nodeSelector", "node")
    ordered = sorted(nodes, key=lambda n: n["metadata"]["name"])
    chosen = [n for n in ordered if selector_matches(selector, n["metadata"].get("labels"))]
    if selector is None:
        chosen = chosen[:limit]
    if not chosen:
        raise EgressGatewayError("no node matches the BFD port's node selector", field="nodeSelector",
                                 value=node_selector)
    return [(n["metadata"].get("annotations") or {}).get(CHASSIS_ANNOTATION) or n["metadata"]["name"]
            for n in chosen]


def bfd_port_networks(ip: str) -> list:
    """Kube-OVN's ``spec.bfdPort.ip`` ("v4", "v6" or "v4,v6") as router port networks (host prefix
    when none is given)."""
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._spec import parse_ip

    networks = []
    for part in (ip or "").split(","):
        address, slash, length = part.strip().partition("/")
        if not address:
            continue
        version = parse_ip(address, "bfdPort.ip").version
        networks.append(f"{address}/{length if slash else (32 if version == 4 else 128)}")
    return networks
