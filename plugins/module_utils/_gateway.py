# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VpcEgressGateway model: the validated gateway as frozen dataclasses, its constants and the
names Kube-OVN derives from it (kube-ovn-behaviour.md §1.1). Built by ``_crd.parse_gateway``.

Pure Python, no I/O. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass


API_VERSION = "kubeovn.io/v1"
KIND = "VpcEgressGateway"
DEFAULT_VPC = "ovn-cluster"
DEFAULT_NAMESPACE = "default"

# pkg/util/const.go (v1.14.0)
PRIORITY_LOCAL = 29150
PRIORITY_REROUTE = 29100
PRIORITY_DROP = 29090

VENDOR = "kube-ovn"
EXTERNAL_ID_VENDOR = "vendor"
EXTERNAL_ID_GATEWAY = "vpc-egress-gateway"
EXTERNAL_ID_AF = "af"
LABEL_APP = "app"
LABEL_APP_VALUE = "vpc-egress-gateway"
LABEL_GATEWAY = "ovn.kubernetes.io/vpc-egress-gateway"

FAMILIES = (4, 6)
REPLICAS_MAX = 10
BFD_INTERVAL_MAX = 3600000
BFD_DETECT_MULT_MAX = 255
TRAFFIC_POLICIES = ("Cluster", "Local")
# spec.podAntiAffinity (Kube-OVN master, v1.17): Required spreads replicas over nodes, Preferred
# lets them share one
POD_ANTI_AFFINITIES = ("Required", "Preferred")
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
NODE_SELECTOR_OPERATORS = SELECTOR_OPERATORS + ("Gt", "Lt")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...]

    def to_dict(self) -> dict:
        out = {"key": self.key, "operator": self.operator}
        if self.values:
            out["values"] = list(self.values)
        return out


@dataclass(frozen=True)
class LabelSelector:
    match_labels: tuple[tuple[str, str], ...]
    match_expressions: tuple[Requirement, ...]

    def to_dict(self) -> dict:
        out = {}
        if self.match_labels:
            out["matchLabels"] = dict(self.match_labels)
        if self.match_expressions:
            out["matchExpressions"] = [r.to_dict() for r in self.match_expressions]
        return out


@dataclass(frozen=True)
class Selector:
    namespace_selector: LabelSelector | None
    pod_selector: LabelSelector | None

    def to_dict(self) -> dict:
        out = {}
        if self.namespace_selector is not None:
            out["namespaceSelector"] = self.namespace_selector.to_dict()
        if self.pod_selector is not None:
            out["podSelector"] = self.pod_selector.to_dict()
        return out


@dataclass(frozen=True)
class NodeSelectorTerm:
    match_labels: tuple[tuple[str, str], ...]
    match_expressions: tuple[Requirement, ...]
    match_fields: tuple[Requirement, ...]

    def to_dict(self) -> dict:
        """A label selector's matchLabels/matchExpressions, and matchFields."""
        out = LabelSelector(self.match_labels, self.match_expressions).to_dict()
        if self.match_fields:
            out["matchFields"] = [r.to_dict() for r in self.match_fields]
        return out


@dataclass(frozen=True)
class Policy:
    snat: bool
    ip_blocks: tuple[str, ...]
    subnets: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"snat": self.snat, "ipBlocks": list(self.ip_blocks), "subnets": list(self.subnets)}


@dataclass(frozen=True)
class Bfd:
    enabled: bool = False
    min_rx: int = 1000
    min_tx: int = 1000
    multiplier: int = 3

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "minRX": self.min_rx, "minTX": self.min_tx,
                "multiplier": self.multiplier}


@dataclass(frozen=True)
class Toleration:
    """A core/v1 Toleration (Kube-OVN v1.14.17+ copies spec.tolerations onto the gateway pods)."""
    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""
    toleration_seconds: int | None = None

    def to_dict(self) -> dict:
        out = {"key": self.key, "operator": self.operator, "value": self.value, "effect": self.effect,
               "tolerationSeconds": self.toleration_seconds}
        return {k: v for k, v in out.items() if v not in ("", None)}


@dataclass(frozen=True)
class Bandwidth:
    """spec.bandwidth (Kube-OVN v1.15.5+): each direction as written (Mbps int or a quantity
    string such as "100M") and in whole Mbps (0: no limit)."""
    ingress: int | str | None = None
    egress: int | str | None = None
    ingress_mbps: int = 0
    egress_mbps: int = 0

    def to_dict(self) -> dict:
        return {k: v for k, v in (("ingress", self.ingress), ("egress", self.egress)) if v is not None}


@dataclass(frozen=True)
class Resources:
    """spec.resources (Kube-OVN v1.15.5+): a core/v1 ResourceRequirements for the gateway's
    ``gateway`` / ``bfdd`` container, replacing Kube-OVN's defaults; each quantity as written."""
    limits: tuple[tuple[str, int | str], ...] = ()
    requests: tuple[tuple[str, int | str], ...] = ()

    def to_dict(self) -> dict:
        return {k: dict(v) for k, v in (("limits", self.limits), ("requests", self.requests)) if v}

    def container(self) -> dict:
        """As a container's ``resources``: quantities as strings (the API's ResourceList)."""
        return {k: {name: str(q) for name, q in v} for k, v in (("limits", self.limits), ("requests", self.requests))
                if v}


@dataclass(frozen=True)
class Gateway:
    """A validated VpcEgressGateway with the CRD defaults applied."""

    name: str
    namespace: str
    external_subnet: str
    vpc: str = ""
    replicas: int = 1
    prefix: str = ""
    image: str = ""
    internal_subnet: str = ""
    internal_ips: tuple[str, ...] = ()
    external_ips: tuple[str, ...] = ()
    bfd: Bfd = Bfd()
    selectors: tuple[Selector, ...] = ()
    policies: tuple[Policy, ...] = ()
    traffic_policy: str = "Cluster"
    node_selector: tuple[NodeSelectorTerm, ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    bandwidth: Bandwidth | None = None
    # None: Kube-OVN's defaults; Resources() (``resources: {}``): none at all, as Kube-OVN
    resources: Resources | None = None
    internal_ip_pool: str = ""
    external_ip_pool: str = ""
    pod_anti_affinity: str = "Required"

    # Names (kube-ovn-behaviour.md §1.1)
    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:12]

    @property
    def port_group(self) -> str:
        return f"VEG.{self.hash}"

    def address_set(self, af: int) -> str:
        return f"VEG.{self.hash}.ipv{af}"

    @property
    def vpc_name(self) -> str:
        """The VPC the gateway serves: spec.vpc, or Kube-OVN's default VPC."""
        return self.vpc or DEFAULT_VPC

    @property
    def default_bfd_port(self) -> str:
        """Kube-OVN's dedicated BFD router port of the VPC (§1.6)."""
        return f"bfd@{self.vpc_name}"

    @property
    def deployment_name(self) -> str:
        return f"{self.prefix}{self.name}"

    @property
    def labels(self) -> dict:
        return {LABEL_APP: LABEL_APP_VALUE, LABEL_GATEWAY: self.name}

    @property
    def label_selector(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.labels.items())

    def owner_ids(self) -> dict:
        """The external_ids that mark a row as this gateway's (without af)."""
        return {EXTERNAL_ID_VENDOR: VENDOR, EXTERNAL_ID_GATEWAY: self.key}

    def external_ids(self, af: int) -> dict:
        return {**self.owner_ids(), EXTERNAL_ID_AF: str(af)}

    def snat_policies(self) -> tuple[Policy, ...]:
        return tuple(p for p in self.policies if p.snat)

    def forward_policies(self) -> tuple[Policy, ...]:
        return tuple(p for p in self.policies if not p.snat)

    def names(self) -> dict:
        return {
            "key": self.key,
            "hash": self.hash,
            "port_group": self.port_group,
            "address_sets": {f"ipv{af}": self.address_set(af) for af in FAMILIES},
            "deployment_name": self.deployment_name,
            "labels": self.labels,
            "label_selector": self.label_selector,
            "vpc": self.vpc_name,
            "bfd_port": self.default_bfd_port,
            "external_ids": self.owner_ids(),
        }

    def to_manifest(self) -> dict:
        """The object as Kubernetes would store it: the normalised spec with every default."""
        spec = {
            "vpc": self.vpc,
            "replicas": self.replicas,
            "prefix": self.prefix,
            "image": self.image,
            "internalSubnet": self.internal_subnet,
            "externalSubnet": self.external_subnet,
            "internalIPs": list(self.internal_ips),
            "externalIPs": list(self.external_ips),
            "bfd": self.bfd.to_dict(),
            "selectors": [s.to_dict() for s in self.selectors],
            "policies": [p.to_dict() for p in self.policies],
            "trafficPolicy": self.traffic_policy,
            "nodeSelector": [t.to_dict() for t in self.node_selector],
        }
        if self.tolerations:  # newer than v1.14.0's CRD: only when used
            spec["tolerations"] = [t.to_dict() for t in self.tolerations]
        if self.bandwidth:
            spec["bandwidth"] = self.bandwidth.to_dict()
        if self.resources is not None:
            spec["resources"] = self.resources.to_dict()
        for key, pool in (("internalIPPool", self.internal_ip_pool), ("externalIPPool", self.external_ip_pool)):
            if pool:
                spec[key] = pool
        if self.pod_anti_affinity != "Required":
            spec["podAntiAffinity"] = self.pod_anti_affinity
        return {"apiVersion": API_VERSION, "kind": KIND,
                "metadata": {"name": self.name, "namespace": self.namespace}, "spec": spec}
