# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gateway's Deployment, exactly as Kube-OVN v1.14 builds it.

Pure Python, no I/O (kube-ovn-behaviour.md §1.4). ``build_deployment`` returns
the Deployment exactly as ``reconcileVpcEgressGatewayWorkload`` lays it out - name
``<prefix><name>``, labels, required node affinity from ``nodeSelector`` (matchLabels as ``In``
expressions, keys sorted), pod anti-affinity on its own labels (required, or preferred with
``podAntiAffinity: Preferred``), the Multus / logical
switch / ip_pool / routes annotations, the privileged init container, the ``gateway`` container
or, with BFD, the ``bfdd`` container that replaces it, RollingUpdate 1/0, grace period 0 - with
one deliberate difference by default: the init container and the BFD responder run this
collection's agent (``playbooks/agent.yml``, role ``gateway_agent``) instead of Kube-OVN's
scripts, with the same environment (``RUNTIMES``; ``kube-ovn`` gives Kube-OVN's commands).
``generate_hash``/``needs_update`` are Kube-OVN's update rule. The gateway / bfdd container gets
``spec.resources`` or Kube-OVN's v1.16.2 defaults (the agent's bfdd: requests only). Beyond Kube-OVN, with
``WorkloadContext.snat_log`` (the recorder's options) a ``snat-log`` container writes the pod's
SNAT record to its stdout (``_snat_record.py`` in the agent image; docs/snat-record.md).

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
from dataclasses import dataclass

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import parse_ip_block
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, shown
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._external_network import provider as nad_provider
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import FAMILIES, Bfd, Gateway


HASH_ANNOTATION = "ovn.kubernetes.io/generate-hash"
NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks"
LOGICAL_SWITCH_ANNOTATION = "ovn.kubernetes.io/logical_switch"
OVN_PROVIDER = "ovn"
VOLUME = "usr-local-sbin"
VOLUME_PATH = "/usr/local/sbin"
NOBODY = 65534
# The SNAT recorder as installed in the agent image (containers/gateway: the collection under
# /usr/share/ansible/collections, ulogd2).
SNAT_RECORD = ("/usr/share/ansible/collections/ansible_collections/kubeovn/egress_gateway/plugins/module_utils/"
               "_snat_record.py")


# Kube-OVN's resources for the container when spec.resources is unset (v1.15.5+; the bfdd CPU
# as raised in v1.15.13 / v1.16.2, kube-ovn#6788): requests = limits, plus 1Gi of ephemeral storage.
EPHEMERAL_STORAGE_LIMIT = "1Gi"


def _guaranteed(cpu: str, memory: str) -> dict:
    return {"requests": {"cpu": cpu, "memory": memory},
            "limits": {"cpu": cpu, "memory": memory, "ephemeral-storage": EPHEMERAL_STORAGE_LIMIT}}


GATEWAY_RESOURCES = _guaranteed("10m", "10Mi")
KUBE_OVN_BFDD_RESOURCES = _guaranteed("200m", "50Mi")
# The agent's bfdd container runs ansible-playbook before bfdd: ansible-playbook alone uses more
# memory than Kube-OVN's 50Mi limit, and 200m of CPU would stretch its start past the startup
# probe. Kube-OVN's requests (what the scheduler reserves), no CPU or memory limit; spec.resources
# sets them.
AGENT_BFDD_RESOURCES = {"requests": {"cpu": "200m", "memory": "50Mi"},
                        "limits": {"ephemeral-storage": EPHEMERAL_STORAGE_LIMIT}}


# What runs in the pod. "agent": this collection's agent playbook (playbooks/agent.yml, role
# gateway_agent) from the gateway image (`make image`), as the init container and,
# with BFD, as the BFD responder (FRR bfdd, GATEWAY_AGENT_NETWORK=false). "kube-ovn": Kube-OVN's
# own scripts from Kube-OVN's image (init-vpc-egress-gateway.sh, OpenBFDD), exactly as v1.14.
AGENT_PLAYBOOK = "ansible-playbook -i localhost, -c local kubeovn.egress_gateway.agent"
RUNTIMES = {
    "agent": {
        "init": ("sh", "-c", AGENT_PLAYBOOK),
        # tini as PID 1 (a container's command replaces the image's entrypoint): bfdd daemonises,
        # and only a reaping PID 1 lets a dead bfdd vanish; under `sleep` it stays a zombie that
        # pgrep still finds, so the liveness probe would never fail
        "bfdd": ("/usr/bin/tini", "--", "sh", "-c", AGENT_PLAYBOOK + " && exec sleep infinity"),
        "bfdd_env": ({"name": "GATEWAY_AGENT_NETWORK", "value": "false"},),
        "startup_probe": ("pgrep", "-x", "bfdd"),
        "health_probe": ("pgrep", "-x", "bfdd"),
        # the playbook starts bfdd after a few seconds (ansible start-up): up to 2 minutes
        "startup_timing": {"initialDelaySeconds": 2, "periodSeconds": 2, "failureThreshold": 60},
        "bfdd_resources": AGENT_BFDD_RESOURCES,
        # FRR's bfdd starts as root and drops to user frr, keeping CAP_NET_RAW, CAP_NET_BIND_SERVICE
        # and CAP_SYS_ADMIN (its privs_init fails without any of them in the bounding set); as
        # Kube-OVN's uid 65534 it cannot start at all
        "bfdd_security": {"privileged": False, "runAsUser": 0, "capabilities": {
            "add": ["CHOWN", "DAC_OVERRIDE", "NET_ADMIN", "NET_BIND_SERVICE", "NET_RAW", "SETGID", "SETUID",
                    "SYS_ADMIN"], "drop": ["ALL"]}},
    },
    "kube-ovn": {
        "init": ("bash", "/kube-ovn/init-vpc-egress-gateway.sh"),
        "bfdd": ("bash", "/kube-ovn/start-bfdd.sh"),
        "bfdd_env": (),
        "startup_probe": ("bash", "/kube-ovn/bfdd-prestart.sh"),
        "health_probe": ("bfdd-control", "status"),
        "startup_timing": {"initialDelaySeconds": 1, "failureThreshold": 1},
        "bfdd_resources": KUBE_OVN_BFDD_RESOURCES,
        "bfdd_security": {"privileged": False, "runAsUser": NOBODY, "capabilities": {
            "add": ["NET_ADMIN", "NET_BIND_SERVICE", "NET_RAW"], "drop": ["ALL"]}},
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
    API; ``runtime``: what runs in the pod (a key of ``RUNTIMES``); ``snat_log``: the SNAT
    recorder's options (``_snat_log.record_options``), empty for no ``snat-log`` container;
    ``internal_cidr``: the internal Subnet's ``spec.cidrBlock`` (sources inside it get no route).
    """

    @property
    def commands(self) -> dict:
        if self.runtime not in RUNTIMES:
            raise EgressGatewayError(f"runtime: must be one of {', '.join(RUNTIMES)} (got {shown(self.runtime)})",
                                     field="runtime", value=self.runtime)
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
    snat_log: tuple = ()
    internal_cidr: str = ""

    @property
    def nad(self) -> tuple[str, str]:
        """(namespace, name) of the NetworkAttachmentDefinition behind the external provider."""
        return nad_of(self.external_provider)


def nad_of(provider: str) -> tuple[str, str]:
    """(namespace, name) of the NetworkAttachmentDefinition of a Subnet provider ``<nad>.<namespace>``."""
    return nad_provider(provider, "external_provider")


def _route_annotations(gateway: Gateway, ctx: WorkloadContext) -> dict:
    internal_gw = _split_ips(ctx.internal_gateway)
    external_gw = _split_ips(ctx.external_gateway)
    internal_cidrs = [ipaddress.ip_network(c, strict=False) for c in _split_ips(ctx.internal_cidr).values()]
    internal_routes = []
    for af, ip in sorted(_split_ips(ctx.bfd_ip).items()) if gateway.bfd.enabled else ():
        # the VPC BFD port, so the gateway can hold BFD sessions with it. On stock OVN the BFD
        # port is the internal subnet's own router port: on-link, and "GW via GW" would make the
        # agent's on-link check of the internal gateway fail.
        if af in internal_gw and not any(ipaddress.ip_address(ip) in n for n in internal_cidrs):
            internal_routes.append({"dst": f"{ip}/{32 if af == 4 else 128}", "gw": internal_gw[af]})
    for cidr in sorted(set(ctx.snat_cidrs) | set(ctx.forward_cidrs), key=lambda c: (_family(c), c)):
        network = ipaddress.ip_network(cidr, strict=False)
        # kube-ovn#6218/#6222: a source inside the internal subnet is reached on-link; a route to
        # it via the internal gateway would fail. It stays in the policies and NO_SNAT_SOURCES.
        if any(network.version == n.version and network.subnet_of(n) for n in internal_cidrs):
            continue
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
    internal subnet has a gateway in (vpcEgressGatewayInitContainerEnv). EXTERNAL_GATEWAY_IPVn is
    empty when the external subnet lacks the family; the agent then configures only the families
    with both gateways (kube-ovn#6958: a dual-stack internal subnet with an IPv4-only external one)."""
    internal_gw = _split_ips(ctx.internal_gateway)
    external_gw = _split_ips(ctx.external_gateway)
    env = []
    for af in FAMILIES:
        if af not in internal_gw:
            continue
        sources = sorted(c for c in set(ctx.forward_cidrs) if _family(c) == af)
        env += [{"name": f"INTERNAL_GATEWAY_IPV{af}", "value": internal_gw[af]},
                {"name": f"EXTERNAL_GATEWAY_IPV{af}", "value": external_gw.get(af, "")},
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
        "resources": copy.deepcopy(GATEWAY_RESOURCES),
        "securityContext": {"privileged": False, "runAsUser": NOBODY,
                            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}},
        "volumeMounts": _volume_mounts(),
    }


def _snat_log_container(ctx: WorkloadContext) -> dict:
    """The SNAT record on the container's stdout. Root with NET_ADMIN only: subscribing to
    conntrack events and sizing the event socket need it, and a non-root user would not get the
    added capability."""
    if ctx.runtime != "agent":
        raise EgressGatewayError(f"runtime: the SNAT record needs the agent image (runtime agent) "
                                 f"(got {shown(ctx.runtime)})", field="runtime", value=ctx.runtime)
    return {
        "name": "snat-log", "image": ctx.image, "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "-I", SNAT_RECORD, "--output", "-", "--work-dir", "/tmp", *ctx.snat_log],
        "securityContext": {"privileged": False, "runAsUser": 0,
                            "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}},
    }


def bfdd_container(bfd: Bfd, peer_ips: str, image: str, commands: dict) -> dict:
    """The BFD responder toward ``peer_ips`` (comma-separated) with the intervals of ``bfd``, as
    ``commands`` (a RUNTIMES entry) runs it; a gateway's, or a BFD sentinel's (_bfd_sentinel.py)."""
    def probe(command, **timing):
        return {"exec": {"command": list(command)}, **timing}

    return {
        "name": "bfdd", "image": image, "imagePullPolicy": "IfNotPresent",
        "command": list(commands["bfdd"]),
        "env": [
            {"name": "POD_IPS", "valueFrom": {"fieldRef": {"fieldPath": "status.podIPs"}}},
            {"name": "BFD_PEER_IPS", "value": peer_ips},
            {"name": "BFD_MIN_TX", "value": str(bfd.min_tx)},
            {"name": "BFD_MIN_RX", "value": str(bfd.min_rx)},
            {"name": "BFD_MULTI", "value": str(bfd.multiplier)},
            *[dict(e) for e in commands["bfdd_env"]],
        ],
        "startupProbe": probe(commands["startup_probe"], **commands["startup_timing"]),
        "livenessProbe": probe(commands["health_probe"], initialDelaySeconds=1, periodSeconds=5),
        "readinessProbe": probe(commands["health_probe"], initialDelaySeconds=3, periodSeconds=3,
                                failureThreshold=1),
        "resources": copy.deepcopy(commands["bfdd_resources"]),
        "securityContext": copy.deepcopy(commands["bfdd_security"]),
    }


def build_deployment(gateway: Gateway, ctx: WorkloadContext) -> dict:
    """The gateway's Deployment, with ``ovn.kubernetes.io/generate-hash`` set."""
    if not ctx.image:
        raise EgressGatewayError(f"spec.image: no image; set spec.image or the role's default image "
                                 f"(got {shown(ctx.image)})", field="spec.image", value=ctx.image)
    if gateway.bfd.enabled and not ctx.bfd_ip:
        raise EgressGatewayError(f"spec.bfd.enabled: BFD is enabled but VPC {gateway.vpc_name} has no BFD port IP "
                                 "(Vpc spec.bfdPort); Kube-OVN reports VpcBfdPortNotEnabled (got True)",
                                 field="spec.bfd.enabled", value=True)
    nad_namespace, nad_name = ctx.nad
    labels = dict(gateway.labels)
    annotations = _route_annotations(gateway, ctx)
    annotations[NETWORKS_ANNOTATION] = f"{nad_namespace}/{nad_name}"
    annotations[LOGICAL_SWITCH_ANNOTATION] = ctx.internal_subnet
    # fixed addresses, or (release-1.16) the name of an IPPool that Kube-OVN's IPAM allocates from
    if gateway.internal_ips or gateway.internal_ip_pool:
        annotations["ovn.kubernetes.io/ip_pool"] = ";".join(gateway.internal_ips) or gateway.internal_ip_pool
    if gateway.external_ips or gateway.external_ip_pool:
        annotations[f"{ctx.external_provider}.kubernetes.io/ip_pool"] = \
            ";".join(gateway.external_ips) or gateway.external_ip_pool
    if gateway.bandwidth:
        # Kube-OVN v1.15.5+: the gateway's ingress (into the VPC) is the pod's egress and vice versa
        if gateway.bandwidth.ingress_mbps:
            annotations["ovn.kubernetes.io/egress_rate"] = str(gateway.bandwidth.ingress_mbps)
        if gateway.bandwidth.egress_mbps:
            annotations["ovn.kubernetes.io/ingress_rate"] = str(gateway.bandwidth.egress_mbps)

    if gateway.bfd.enabled:
        container = dict(bfdd_container(gateway.bfd, ctx.bfd_ip, ctx.image, ctx.commands), volumeMounts=_volume_mounts())
    else:
        container = _gateway_container(ctx.image)
    if gateway.resources is not None:
        # spec.resources replaces the defaults of the gateway / bfdd container (resources: {} = none)
        container["resources"] = gateway.resources.container()
    term = {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}
    if gateway.pod_anti_affinity == "Preferred":
        # Kube-OVN master: replicas spread when they can, and share a node when they must
        anti_affinity = {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]}
    else:
        anti_affinity = {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
    affinity = {"podAntiAffinity": anti_affinity}
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
                    "containers": [container] + ([_snat_log_container(ctx)] if ctx.snat_log else []),
                    "volumes": [{"name": VOLUME, "emptyDir": {}}],
                    "affinity": affinity,
                    # spec.tolerations (Kube-OVN v1.14.17+), only when set: the v1.14.0 pod is unchanged
                    **({"tolerations": [t.to_dict() for t in gateway.tolerations]} if gateway.tolerations else {}),
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
