# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse a VpcEgressGateway (what a user would ``kubectl apply``, or a bare spec) into the model.

Exactly the fields of Kube-OVN v1.14's CRD (kube-ovn-behaviour.md §1.9), its CRD/CEL rules with
the defaults applied, and what OVN needs on top of them (names that cannot inject match syntax,
consistent address families, no duplicate addresses). Pure Python, no I/O.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import fractions
import math
import re
from collections.abc import Mapping

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import ip_list, parse_source_block
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import (
    DNS1123_LABEL, Fields, check_name, check_type, fail, label_key, label_value, string_list,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._yaml import load as load_yaml
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import (
    API_VERSION, BFD_DETECT_MULT_MAX, BFD_INTERVAL_MAX, DEFAULT_NAMESPACE, KIND, NODE_SELECTOR_OPERATORS,
    POD_ANTI_AFFINITIES, REPLICAS_MAX, SELECTOR_OPERATORS, TRAFFIC_POLICIES, Bfd, Gateway, LabelSelector,
    NodeSelectorTerm, Policy, Requirement, Selector, Bandwidth, Toleration,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._resources import resource_requirements


# CRD pattern of spec.prefix.
_PREFIX = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*[-.]?")
_IMAGE = re.compile(r"[^\s\x00-\x1f\x7f]+")
_INTEGER = re.compile(r"-?[0-9]+")


# Fields of newer Kube-OVN releases recognised, and refused by name, rather than "unknown field".
NOT_YET_SUPPORTED = {"bgpConf": "v1.16", "evpnConf": "v1.16"}
SPEC_FIELDS = ("vpc", "replicas", "prefix", "image", "internalSubnet", "externalSubnet", "internalIPs",
               "externalIPs", "bfd", "selectors", "policies", "trafficPolicy", "nodeSelector", "tolerations",
               "bandwidth", "resources", "internalIPPool", "externalIPPool", "podAntiAffinity")
# The Kube-OVN release that introduced a field newer than v1.14.0 (checked against the cluster's
# Kube-OVN where its controller runs the gateway). The IP pools are on the release-1.16 branch
# (its VERSION: v1.16.3), podAntiAffinity on master (VERSION: v1.17.0).
FIELD_SINCE = {"tolerations": "v1.14.17", "bandwidth": "v1.15.5", "resources": "v1.15.5",
               "internalIPPool": "v1.16.3", "externalIPPool": "v1.16.3", "podAntiAffinity": "v1.17.0"}
# A newer field set to what older releases do anyway needs no newer release.
_OLDER_BEHAVIOUR = {"podAntiAffinity": "Required"}
# BandwidthRate: an integer in Mbps, or a quantity in bits per second with unit M, Mi, G or Gi.
_BANDWIDTH = re.compile(r"[0-9]+|([0-9]+(\.[0-9]+)?|\.[0-9]+)(M|Mi|G|Gi)")
_BANDWIDTH_UNITS = {"M": 10**6, "Mi": 2**20, "G": 10**9, "Gi": 2**30}
MAX_BANDWIDTH_MBPS = (2**63 - 1) // 1_000_000  # bits per second must fit OVS's signed int64
TOLERATION_OPERATORS = ("Equal", "Exists")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _requirements(value, path, operators) -> tuple[Requirement, ...]:
    out = []
    for i, item in enumerate(check_type(value, path, list)):
        item_path = f"{path}[{i}]"
        fields = Fields(item, item_path, ("key", "operator", "values"))
        key = label_key(fields.get("key", (str,), required=True), fields.sub("key"))
        operator = fields.get("operator", (str,), required=True)
        if operator not in operators:
            fail(fields.sub("operator"), operator, f"must be one of {', '.join(operators)}")
        values = string_list(fields.get("values", (list,), []), fields.sub("values"), label_value)
        if operator in ("In", "NotIn") and not values:
            fail(fields.sub("values"), list(values), f"operator {operator} needs at least one value")
        if operator in ("Exists", "DoesNotExist") and values:
            fail(fields.sub("values"), list(values), f"operator {operator} takes no values")
        if operator in ("Gt", "Lt") and (len(values) != 1 or not _INTEGER.fullmatch(values[0])):
            fail(fields.sub("values"), list(values), f"operator {operator} needs exactly one integer value")
        out.append(Requirement(key, operator, values))
    return tuple(out)


def _match_labels(value, path) -> tuple[tuple[str, str], ...]:
    check_type(value, path, dict)
    return tuple(sorted(
        (label_key(k, f"{path}.{k}"), label_value(v, f"{path}.{k}")) for k, v in value.items()
    ))


def label_selector(value, path, what) -> LabelSelector:
    fields = Fields(value, path, ("matchLabels", "matchExpressions"))
    selector = LabelSelector(
        _match_labels(fields.get("matchLabels", (dict,), {}), fields.sub("matchLabels")),
        _requirements(fields.get("matchExpressions", (list,), []), fields.sub("matchExpressions"),
                      SELECTOR_OPERATORS),
    )
    if not selector.match_labels and not selector.match_expressions:
        # CRD rule: size(self.matchLabels) != 0 || size(self.matchExpressions) != 0
        fail(path, value, f"each {what} selector must have at least one matchLabels or matchExpressions")
    return selector


def _selectors(value, path) -> tuple[Selector, ...]:
    out = []
    for i, item in enumerate(check_type(value, path, list)):
        item_path = f"{path}[{i}]"
        fields = Fields(item, item_path, ("namespaceSelector", "podSelector"))
        ns = fields.get("namespaceSelector", (dict,))
        pod = fields.get("podSelector", (dict,))
        if ns is None and pod is None:
            fail(item_path, item, "a selector needs a namespaceSelector or a podSelector")
        out.append(Selector(
            None if ns is None else label_selector(ns, fields.sub("namespaceSelector"), "namespace"),
            None if pod is None else label_selector(pod, fields.sub("podSelector"), "pod"),
        ))
    return tuple(out)


def _policies(value, path) -> tuple[Policy, ...]:
    out = []
    for i, item in enumerate(check_type(value, path, list)):
        item_path = f"{path}[{i}]"
        fields = Fields(item, item_path, ("snat", "ipBlocks", "subnets"))
        snat = fields.get("snat", (bool,), False)
        blocks = string_list(fields.get("ipBlocks", (list,), []), fields.sub("ipBlocks"),
                             lambda v, p: parse_source_block(v, p)[1])
        subnets = string_list(fields.get("subnets", (list,), []), fields.sub("subnets"), check_name)
        if not blocks and not subnets:
            # CRD rule: size(self.ipBlocks) != 0 || size(self.subnets) != 0
            fail(item_path, item, "each policy must have at least one ipBlock or subnet")
        out.append(Policy(snat, blocks, subnets))
    return tuple(out)


def _node_selector(value, path) -> tuple[NodeSelectorTerm, ...]:
    out = []
    for i, item in enumerate(check_type(value, path, list)):
        item_path = f"{path}[{i}]"
        fields = Fields(item, item_path, ("matchLabels", "matchExpressions", "matchFields"))
        term = NodeSelectorTerm(
            _match_labels(fields.get("matchLabels", (dict,), {}), fields.sub("matchLabels")),
            _requirements(fields.get("matchExpressions", (list,), []), fields.sub("matchExpressions"),
                          NODE_SELECTOR_OPERATORS),
            _requirements(fields.get("matchFields", (list,), []), fields.sub("matchFields"),
                          NODE_SELECTOR_OPERATORS),
        )
        if not (term.match_labels or term.match_expressions or term.match_fields):
            fail(item_path, item, "an empty node selector term selects no node; set matchLabels, "
                 "matchExpressions or matchFields")
        out.append(term)
    return tuple(out)


def _version(text) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", str(text))[:3])


def check_kube_ovn_version(obj, version: str, path: str = "spec") -> None:
    """Fail when the object's spec sets a field newer than Kube-OVN ``version`` (e.g. "v1.14.10"),
    naming the field and the release it needs: where Kube-OVN's controller runs the gateway, an
    older controller would ignore (or its API server drop) the field."""
    spec = (obj.get("spec") if isinstance(obj, Mapping) and "spec" in obj else obj) or {}
    if not isinstance(version, str) or not re.fullmatch(r"v?[0-9]+\.[0-9]+\.[0-9]+([-+.].*)?", version):
        fail("kube_ovn_version", version, "must be a Kube-OVN release such as v1.15.5")
    check_type(spec, path, dict)
    for key, since in FIELD_SINCE.items():
        if spec.get(key) in (None, [], "", _OLDER_BEHAVIOUR.get(key)):
            continue
        if key != "resources" and spec.get(key) == {}:
            continue  # resources: {} is a choice (no resources at all), not an empty value
        if _version(version) < _version(since):
            fail(f"{path}.{key}", spec[key], f"needs Kube-OVN {since} or later; the cluster runs {version}")


def _bandwidth_mbps(value, path) -> int:
    """Kube-OVN's BandwidthRate.Mbps(): whole Mbps, a quantity below a whole Mbps rounded up."""
    check_type(value, path, int, str)
    if isinstance(value, str) and not _BANDWIDTH.fullmatch(value):
        fail(path, value, "must be an integer in Mbps or a quantity with unit M, Mi, G or Gi (e.g. 100M, 1Gi)")
    if isinstance(value, int):
        mbps = value
    elif value.isdigit():
        mbps = int(value)
    else:
        unit = "Mi" if value.endswith("Mi") else "Gi" if value.endswith("Gi") else value[-1]
        number = fractions.Fraction(value[:-len(unit)]) * _BANDWIDTH_UNITS[unit]
        mbps = math.ceil(number / 10**6)
    if not 0 <= mbps <= MAX_BANDWIDTH_MBPS:
        fail(path, value, f"must be from 0 to {MAX_BANDWIDTH_MBPS} Mbps")
    return mbps


def _bandwidth(value, path) -> Bandwidth | None:
    if value is None:
        return None
    fields = Fields(value, path, ("ingress", "egress"))
    raw = {key: fields.value.get(key) for key in ("ingress", "egress")}
    mbps = {key: _bandwidth_mbps(v, fields.sub(key)) if v is not None else 0 for key, v in raw.items()}
    return Bandwidth(raw["ingress"], raw["egress"], mbps["ingress"], mbps["egress"])


def _tolerations(value, path) -> tuple[Toleration, ...]:
    """core/v1 Tolerations with the API server's validation (ValidateTolerations)."""
    out = []
    for i, item in enumerate(check_type(value, path, list)):
        item_path = f"{path}[{i}]"
        fields = Fields(item, item_path, ("key", "operator", "value", "effect", "tolerationSeconds"))
        key = fields.get("key", (str,), "")
        if key:
            label_key(key, fields.sub("key"))
        operator = fields.get("operator", (str,), "") or "Equal"
        if operator not in TOLERATION_OPERATORS:
            fail(fields.sub("operator"), operator, f"must be one of {', '.join(TOLERATION_OPERATORS)}")
        if not key and operator != "Exists":
            fail(fields.sub("operator"), operator, "must be Exists when key is empty (tolerate every taint)")
        toleration_value = fields.get("value", (str,), "")
        if operator == "Exists" and toleration_value:
            fail(fields.sub("value"), toleration_value, "must be empty when operator is Exists")
        label_value(toleration_value, fields.sub("value"))
        effect = fields.get("effect", (str,), "")
        if effect and effect not in TAINT_EFFECTS:
            fail(fields.sub("effect"), effect, f"must be empty or one of {', '.join(TAINT_EFFECTS)}")
        seconds = fields.get("tolerationSeconds", (int,), None)
        if seconds is not None and effect != "NoExecute":
            fail(fields.sub("tolerationSeconds"), seconds, "is only valid with effect NoExecute")
        out.append(Toleration(key, operator, toleration_value, effect, seconds))
    return tuple(out)


def _bfd(value, path) -> Bfd:
    fields = Fields(value, path, ("enabled", "minRX", "minTX", "multiplier"))
    defaults = Bfd()

    def interval(key, default, high=BFD_INTERVAL_MAX):
        number = fields.get(key, (int,), default)
        if not 1 <= number <= high:
            fail(fields.sub(key), number, f"must be between 1 and {high}")
        return number

    return Bfd(
        enabled=fields.get("enabled", (bool,), False),
        min_rx=interval("minRX", defaults.min_rx),
        min_tx=interval("minTX", defaults.min_tx),
        # BFD's Detect Mult is one byte (RFC 5880 section 4.1); OVN's BFD.detect_mult and FRR agree.
        multiplier=interval("multiplier", defaults.multiplier, BFD_DETECT_MULT_MAX),
    )


def _parse_spec(spec, name: str, namespace: str, path: str = "spec") -> Gateway:
    if isinstance(spec, Mapping):
        for key, since in NOT_YET_SUPPORTED.items():
            if spec.get(key) not in (None, ""):
                fail(f"{path}.{key}", spec[key], f"not supported by this collection yet (Kube-OVN {since}'s BGP/EVPN "
                     "egress); remove it")
        # empty (what Kube-OVN defaults them to) is the same as absent
        spec = {k: v for k, v in spec.items() if k not in NOT_YET_SUPPORTED}
    fields = Fields(spec, path, SPEC_FIELDS)

    def optional_name(key):
        value = fields.get(key, (str,), "")
        return check_name(value, fields.sub(key)) if value else ""

    replicas = fields.get("replicas", (int,), 1)
    if not 0 <= replicas <= REPLICAS_MAX:
        fail(fields.sub("replicas"), replicas, f"must be between 0 and {REPLICAS_MAX}")
    prefix = fields.get("prefix", (str,), "")
    if prefix and not _PREFIX.fullmatch(prefix):
        fail(fields.sub("prefix"), prefix,
             "must be lower-case letters, digits, '-' and '.', optionally ending in '-' or '.'")
    if len(prefix + name) > 253:
        fail(fields.sub("prefix"), prefix,
             f"with the name the Deployment name is {len(prefix + name)} characters long; at most 253 are allowed")
    image = fields.get("image", (str,), "")
    if image and not _IMAGE.fullmatch(image):
        fail(fields.sub("image"), image, "must be an image reference without whitespace")
    traffic_policy = fields.get("trafficPolicy", (str,), "Cluster")
    if traffic_policy not in TRAFFIC_POLICIES:
        fail(fields.sub("trafficPolicy"), traffic_policy, f"must be one of {', '.join(TRAFFIC_POLICIES)}")
    pod_anti_affinity = fields.get("podAntiAffinity", (str,), "") or "Required"
    if pod_anti_affinity not in POD_ANTI_AFFINITIES:
        fail(fields.sub("podAntiAffinity"), pod_anti_affinity, f"must be one of {', '.join(POD_ANTI_AFFINITIES)}")

    internal_ips = ip_list(fields.get("internalIPs", (list,), []), fields.sub("internalIPs"))
    external_ips = ip_list(fields.get("externalIPs", (list,), []), fields.sub("externalIPs"))
    for label, ips in (("internalIPs", internal_ips), ("externalIPs", external_ips)):
        # CRD rule: size(self.<x>IPs) == 0 || size(self.<x>IPs) >= self.replicas
        if ips and len(ips) < replicas:
            fail(fields.sub(label), list(ips), f"has {len(ips)} entries but replicas is {replicas}; "
                 "give at least one address per replica")
    pools = {}
    for pool_key, ips_key, ips in (("internalIPPool", "internalIPs", internal_ips),
                                   ("externalIPPool", "externalIPs", external_ips)):
        # an IPPool is a cluster-scoped Kube-OVN object: its name is a DNS-1123 subdomain
        pools[pool_key] = optional_name(pool_key)
        if pools[pool_key] and ips:
            # CRD rule: !(size(self.<x>IPs) != 0 && size(self.<x>IPPool) > 0)
            fail(fields.sub(pool_key), pools[pool_key], f"{pool_key} and {ips_key} are mutually exclusive; "
                 "give one of them")
    internal_set = {a for e in internal_ips for a in e.split(",")}
    for i, entry in enumerate(external_ips):
        for address in entry.split(","):
            if address in internal_set:
                fail(f"{fields.sub('externalIPs')}[{i}]", entry, f"address {address} is also in internalIPs")

    selectors = _selectors(fields.get("selectors", (list,), []), fields.sub("selectors"))
    policies = _policies(fields.get("policies", (list,), []), fields.sub("policies"))
    if not selectors and not policies:
        # CRD rule: size(self.policies) != 0 || size(self.selectors) != 0
        fail(path, {"policies": fields.value.get("policies"), "selectors": fields.value.get("selectors")},
             "a gateway must have at least one policy or selector")

    return Gateway(
        name=name,
        namespace=namespace,
        vpc=optional_name("vpc"),
        replicas=replicas,
        prefix=prefix,
        image=image,
        internal_subnet=optional_name("internalSubnet"),
        external_subnet=check_name(fields.get("externalSubnet", (str,), required=True), fields.sub("externalSubnet")),
        internal_ips=internal_ips,
        external_ips=external_ips,
        bfd=_bfd(fields.get("bfd", (dict,), {}), fields.sub("bfd")),
        selectors=selectors,
        policies=policies,
        traffic_policy=traffic_policy,
        node_selector=_node_selector(fields.get("nodeSelector", (list,), []), fields.sub("nodeSelector")),
        tolerations=_tolerations(fields.get("tolerations", (list,), []), fields.sub("tolerations")),
        bandwidth=_bandwidth(fields.get("bandwidth", (dict,), None), fields.sub("bandwidth")),
        resources=None if fields.get("resources", (dict,)) is None else
        resource_requirements(fields.value["resources"], fields.sub("resources")),
        internal_ip_pool=pools["internalIPPool"],
        external_ip_pool=pools["externalIPPool"],
        pod_anti_affinity=pod_anti_affinity,
    )


def parse_gateway(obj, namespace: str | None = None, name: str | None = None) -> Gateway:
    """Validate a VpcEgressGateway and apply the CRD defaults.

    ``obj`` is the object a user would ``kubectl apply`` (apiVersion/kind/metadata/spec, as a
    mapping or YAML text) or a bare spec; ``name``/``namespace`` name a bare spec, and must agree
    with metadata when both are given. The namespace defaults to ``default``.
    """
    if isinstance(obj, str):
        obj = load_yaml(obj, "spec")
    check_type(obj, "spec", dict)
    if "spec" in obj or "apiVersion" in obj or "kind" in obj or "metadata" in obj:
        fields = Fields(obj, "", ("apiVersion", "kind", "metadata", "spec", "status"))
        api_version = fields.get("apiVersion", (str,), API_VERSION)
        if api_version != API_VERSION:
            fail("apiVersion", api_version, f"must be {API_VERSION}")
        kind = fields.get("kind", (str,), KIND)
        if kind != KIND:
            fail("kind", kind, f"must be {KIND}")
        metadata = fields.get("metadata", (dict,), {})
        meta_name = metadata.get("name")
        meta_namespace = metadata.get("namespace")
        if name is not None and meta_name is not None and name != meta_name:
            fail("metadata.name", meta_name, f"disagrees with the name given ({name!r})")
        if namespace is not None and meta_namespace is not None and namespace != meta_namespace:
            fail("metadata.namespace", meta_namespace, f"disagrees with the namespace given ({namespace!r})")
        name = meta_name if meta_name is not None else name
        namespace = meta_namespace if meta_namespace is not None else namespace
        name_path, namespace_path = "metadata.name", "metadata.namespace"
        spec = fields.get("spec", (dict,), required=True)
    else:
        name_path, namespace_path = "name", "namespace"
        spec = obj
    if name is None:
        fail(name_path, name, "is required")
    # The name is also a label value (ovn.kubernetes.io/vpc-egress-gateway=<name>): at most 63.
    check_name(name, name_path, max_len=63)
    namespace = DEFAULT_NAMESPACE if namespace is None else namespace
    check_name(namespace, namespace_path, pattern=DNS1123_LABEL, max_len=63, what="a DNS-1123 label")
    return _parse_spec(spec, name, namespace)


def parse_identity(namespace: str | None = None, name: str | None = None) -> Gateway:
    """Only a gateway's identity (names, ownership), for removing it without its spec."""
    if name is None:
        fail("name", name, "is required")
    check_name(name, "name", max_len=63)
    namespace = DEFAULT_NAMESPACE if namespace is None else namespace
    check_name(namespace, "namespace", pattern=DNS1123_LABEL, max_len=63, what="a DNS-1123 label")
    return Gateway(name=name, namespace=namespace, external_subnet="")


def check_distinct(gateways, path="gateways"):
    """One task naming the same gateway twice contradicts itself: an error naming both indexes."""
    first = {}
    for i, gateway in enumerate(gateways):
        if gateway.key in first:
            fail(f"{path}[{i}]", gateway.key, f"is the same gateway as {path}[{first[gateway.key]}]; "
                                              "list each gateway once")
        first[gateway.key] = i
