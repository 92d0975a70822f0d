# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VpcEgressGateway model: parse, defaults, validation, names and the desired NB rows.

Pure Python, no I/O. Exactly the fields of Kube-OVN v1.14's CRD (kube-ovn-behaviour.md §1.9),
its CRD/CEL rules, and what OVN needs on top of them (names that cannot inject match syntax,
consistent address families, no duplicate addresses). Every address goes through netaddr.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Mapping

try:
    import netaddr
    NETADDR_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported as an EgressGatewayError when used
    netaddr = None
    NETADDR_IMPORT_ERROR = exc

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError

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
TRAFFIC_POLICIES = ("Cluster", "Local")
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
NODE_SELECTOR_OPERATORS = SELECTOR_OPERATORS + ("Gt", "Lt")

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
# CRD pattern of spec.prefix.
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*[-.]?$")
# OVN identifiers (ovn/lib/lex.c): what may follow `$` in a match. Port group and address set
# names outside this set would break the match or inject into it.
_OVN_IDENTIFIER = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_PREFIX_LENGTH = re.compile(r"^(0|[1-9][0-9]{0,2})$")
_IMAGE = re.compile(r"^[^\s\x00-\x1f\x7f]+$")
_INTEGER = re.compile(r"^-?[0-9]+$")


def _require_netaddr():
    if netaddr is None:
        raise EgressGatewayError(f"the python 'netaddr' library is required: {NETADDR_IMPORT_ERROR}")


def _fail(path: str, value: Any, problem: str):
    raise EgressGatewayError(f"{path}: {problem} (got {value!r})", field=path, value=value)


# ---------------------------------------------------------------------------------------------
# Typed access to the user's mapping, with the field path of every value.

def _type_name(types) -> str:
    names = {bool: "a boolean", int: "an integer", str: "a string", list: "a list", dict: "a mapping"}
    return " or ".join(names[t] for t in types)


def _check_type(value, path, *types):
    ok = any(
        isinstance(value, (list, tuple)) if t is list else
        isinstance(value, Mapping) if t is dict else
        (isinstance(value, int) and not isinstance(value, bool)) if t is int else
        isinstance(value, t)
        for t in types
    )
    if not ok:
        _fail(path, value, f"must be {_type_name(types)}")
    return value


class _Fields:
    """A mapping read field by field; unknown keys are errors (a typo never passes silently)."""

    def __init__(self, value, path: str, known: tuple[str, ...]):
        self.value = _check_type(value, path, dict)
        self.path = path
        for key in self.value:
            if not isinstance(key, str) or key not in known:
                hint = [k for k in known if isinstance(key, str) and k.lower() == key.lower()]
                problem = f"unknown field; did you mean {hint[0]!r}?" if hint else \
                    f"unknown field; known fields are {', '.join(known)}"
                _fail(self.sub(key), self.value[key], problem)

    def sub(self, key) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def get(self, key, types, default=None, required=False):
        if key not in self.value or self.value[key] is None:
            if required:
                _fail(self.sub(key), self.value.get(key), "is required")
            return default
        return _check_type(self.value[key], self.sub(key), *types)


def _name(value, path, pattern=_DNS1123_SUBDOMAIN, max_len=253, what="a DNS-1123 subdomain"):
    _check_type(value, path, str)
    if not value:
        _fail(path, value, "must not be empty")
    if len(value) > max_len:
        _fail(path, value, f"is {len(value)} characters long; at most {max_len} are allowed")
    if not pattern.match(value):
        _fail(path, value, f"must be {what} (lower-case letters, digits, '-' and '.')")
    return value


def _label_key(key, path):
    _check_type(key, path, str)
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        _fail(path, key, "label key prefix must be a DNS-1123 subdomain of at most 253 characters")
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        _fail(path, key, "label key name must be at most 63 characters of letters, digits, '-', '_', '.', "
                         "starting and ending with a letter or digit")
    return key


def _label_value(value, path):
    _check_type(value, path, str)
    if value and (len(value) > 63 or not _LABEL_NAME.match(value)):
        _fail(path, value, "label value must be empty or at most 63 characters of letters, digits, '-', '_', "
                           "'.', starting and ending with a letter or digit")
    return value


def _string_list(value, path, item_check, unique=True):
    _check_type(value, path, list)
    items = []
    seen = {}
    for i, item in enumerate(value):
        item_path = f"{path}[{i}]"
        normal = item_check(item, item_path)
        if unique and normal in seen:
            _fail(item_path, item, f"duplicate of {path}[{seen[normal]}]")
        seen.setdefault(normal, i)
        items.append(normal)
    return tuple(items)


# ---------------------------------------------------------------------------------------------
# Addresses

def parse_ip(value, path):
    """One IPv4 or IPv6 address, strictly (no prefixes, no zone, no IPv4-mapped IPv6)."""
    _require_netaddr()
    _check_type(value, path, str)
    try:
        address = netaddr.IPAddress(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        _fail(path, value, "is not an IPv4 or IPv6 address")
    if address.version == 6 and address.is_ipv4_mapped():
        _fail(path, value, "is an IPv4-mapped IPv6 address; give the IPv4 address itself")
    if address.is_multicast() or int(address) == 0:
        _fail(path, value, "must be a unicast address")
    return address


def parse_ip_block(value, path) -> tuple[int, str]:
    """An IPv4/IPv6 address or CIDR; returns (family, canonical text); host bits must be zero."""
    _require_netaddr()
    _check_type(value, path, str)
    if "," in value:
        _fail(path, value, "must be one address or CIDR per entry (IPv4 and IPv6 go in separate entries)")
    text, slash, length = value.partition("/")
    try:
        address = netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        _fail(path, value, "is not an IPv4/IPv6 address or CIDR")
    if address.version == 6 and address.is_ipv4_mapped():
        _fail(path, value, "mixes families (IPv4-mapped IPv6); give the IPv4 CIDR itself")
    if not slash:
        return address.version, str(address)
    max_length = 32 if address.version == 4 else 128
    if not _PREFIX_LENGTH.match(length) or int(length) > max_length:
        _fail(path, value, f"prefix length must be 0-{max_length} for IPv{address.version}")
    network = netaddr.IPNetwork(f"{address}/{int(length)}")
    if network.ip != network.network:
        _fail(path, value, f"has host bits set; the network is {network.cidr}")
    return address.version, str(network.cidr)


def parse_ip_pair(value, path) -> tuple[str, ...]:
    """An internalIPs/externalIPs entry: "v4", "v6" or "v4,v6" (either order)."""
    _check_type(value, path, str)
    parts = value.split(",")
    if len(parts) > 2:
        _fail(path, value, "must be one address, or an IPv4 and an IPv6 address separated by ','")
    addresses = [parse_ip(part, path) for part in parts]
    if len(addresses) == 2 and addresses[0].version == addresses[1].version:
        _fail(path, value, "a pair must be one IPv4 and one IPv6 address")
    return tuple(str(a) for a in sorted(addresses, key=lambda a: a.version))


def _families_of(entry: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(netaddr.IPAddress(a).version for a in entry)


def _ip_list(value, path) -> tuple[str, ...]:
    entries = _string_list(value, path, parse_ip_pair)
    if entries:
        first = _families_of(entries[0])
        for i, entry in enumerate(entries):
            if _families_of(entry) != first:
                _fail(f"{path}[{i}]", value[i],
                      f"mixes address families with {path}[0] ({value[0]!r}); every entry must have the same families")
    seen = {}
    for i, entry in enumerate(entries):
        for address in entry:
            if address in seen:
                _fail(f"{path}[{i}]", value[i], f"address {address} is also in {path}[{seen[address]}]")
            seen[address] = i
    return tuple(",".join(e) for e in entries)


# ---------------------------------------------------------------------------------------------
# The model

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
        out = {}
        if self.match_labels:
            out["matchLabels"] = dict(self.match_labels)
        if self.match_expressions:
            out["matchExpressions"] = [r.to_dict() for r in self.match_expressions]
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
        return {"apiVersion": API_VERSION, "kind": KIND,
                "metadata": {"name": self.name, "namespace": self.namespace}, "spec": spec}


# ---------------------------------------------------------------------------------------------
# Parsing

SPEC_FIELDS = ("vpc", "replicas", "prefix", "image", "internalSubnet", "externalSubnet", "internalIPs",
               "externalIPs", "bfd", "selectors", "policies", "trafficPolicy", "nodeSelector")


def _requirements(value, path, operators) -> tuple[Requirement, ...]:
    out = []
    for i, item in enumerate(_check_type(value, path, list)):
        item_path = f"{path}[{i}]"
        fields = _Fields(item, item_path, ("key", "operator", "values"))
        key = _label_key(fields.get("key", (str,), required=True), fields.sub("key"))
        operator = fields.get("operator", (str,), required=True)
        if operator not in operators:
            _fail(fields.sub("operator"), operator, f"must be one of {', '.join(operators)}")
        values = _string_list(fields.get("values", (list,), []), fields.sub("values"), _label_value)
        if operator in ("In", "NotIn") and not values:
            _fail(fields.sub("values"), list(values), f"operator {operator} needs at least one value")
        if operator in ("Exists", "DoesNotExist") and values:
            _fail(fields.sub("values"), list(values), f"operator {operator} takes no values")
        if operator in ("Gt", "Lt") and (len(values) != 1 or not _INTEGER.match(values[0])):
            _fail(fields.sub("values"), list(values), f"operator {operator} needs exactly one integer value")
        out.append(Requirement(key, operator, values))
    return tuple(out)


def _match_labels(value, path) -> tuple[tuple[str, str], ...]:
    _check_type(value, path, dict)
    return tuple(sorted(
        (_label_key(k, f"{path}.{k}"), _label_value(v, f"{path}.{k}")) for k, v in value.items()
    ))


def _label_selector(value, path, what) -> LabelSelector:
    fields = _Fields(value, path, ("matchLabels", "matchExpressions"))
    selector = LabelSelector(
        _match_labels(fields.get("matchLabels", (dict,), {}), fields.sub("matchLabels")),
        _requirements(fields.get("matchExpressions", (list,), []), fields.sub("matchExpressions"),
                      SELECTOR_OPERATORS),
    )
    if not selector.match_labels and not selector.match_expressions:
        # CRD rule: size(self.matchLabels) != 0 || size(self.matchExpressions) != 0
        _fail(path, value, f"each {what} selector must have at least one matchLabels or matchExpressions")
    return selector


def _selectors(value, path) -> tuple[Selector, ...]:
    out = []
    for i, item in enumerate(_check_type(value, path, list)):
        item_path = f"{path}[{i}]"
        fields = _Fields(item, item_path, ("namespaceSelector", "podSelector"))
        ns = fields.get("namespaceSelector", (dict,))
        pod = fields.get("podSelector", (dict,))
        if ns is None and pod is None:
            _fail(item_path, item, "a selector needs a namespaceSelector or a podSelector")
        out.append(Selector(
            None if ns is None else _label_selector(ns, fields.sub("namespaceSelector"), "namespace"),
            None if pod is None else _label_selector(pod, fields.sub("podSelector"), "pod"),
        ))
    return tuple(out)


def _policies(value, path) -> tuple[Policy, ...]:
    out = []
    for i, item in enumerate(_check_type(value, path, list)):
        item_path = f"{path}[{i}]"
        fields = _Fields(item, item_path, ("snat", "ipBlocks", "subnets"))
        snat = fields.get("snat", (bool,), False)
        blocks = _string_list(fields.get("ipBlocks", (list,), []), fields.sub("ipBlocks"),
                              lambda v, p: parse_ip_block(v, p)[1])
        subnets = _string_list(fields.get("subnets", (list,), []), fields.sub("subnets"), _name)
        if not blocks and not subnets:
            # CRD rule: size(self.ipBlocks) != 0 || size(self.subnets) != 0
            _fail(item_path, item, "each policy must have at least one ipBlock or subnet")
        out.append(Policy(snat, blocks, subnets))
    return tuple(out)


def _node_selector(value, path) -> tuple[NodeSelectorTerm, ...]:
    out = []
    for i, item in enumerate(_check_type(value, path, list)):
        item_path = f"{path}[{i}]"
        fields = _Fields(item, item_path, ("matchLabels", "matchExpressions", "matchFields"))
        term = NodeSelectorTerm(
            _match_labels(fields.get("matchLabels", (dict,), {}), fields.sub("matchLabels")),
            _requirements(fields.get("matchExpressions", (list,), []), fields.sub("matchExpressions"),
                          NODE_SELECTOR_OPERATORS),
            _requirements(fields.get("matchFields", (list,), []), fields.sub("matchFields"),
                          NODE_SELECTOR_OPERATORS),
        )
        if not (term.match_labels or term.match_expressions or term.match_fields):
            _fail(item_path, item, "an empty node selector term selects no node; set matchLabels, "
                                   "matchExpressions or matchFields")
        out.append(term)
    return tuple(out)


def _bfd(value, path) -> Bfd:
    fields = _Fields(value, path, ("enabled", "minRX", "minTX", "multiplier"))
    defaults = Bfd()

    def interval(key, default):
        number = fields.get(key, (int,), default)
        if not 1 <= number <= BFD_INTERVAL_MAX:
            _fail(fields.sub(key), number, f"must be between 1 and {BFD_INTERVAL_MAX}")
        return number

    return Bfd(
        enabled=fields.get("enabled", (bool,), False),
        min_rx=interval("minRX", defaults.min_rx),
        min_tx=interval("minTX", defaults.min_tx),
        multiplier=interval("multiplier", defaults.multiplier),
    )


def _parse_spec(spec, name: str, namespace: str, path: str = "spec") -> Gateway:
    fields = _Fields(spec, path, SPEC_FIELDS)

    def optional_name(key):
        value = fields.get(key, (str,), "")
        return _name(value, fields.sub(key)) if value else ""

    replicas = fields.get("replicas", (int,), 1)
    if not 0 <= replicas <= REPLICAS_MAX:
        _fail(fields.sub("replicas"), replicas, f"must be between 0 and {REPLICAS_MAX}")
    prefix = fields.get("prefix", (str,), "")
    if prefix and not _PREFIX.match(prefix):
        _fail(fields.sub("prefix"), prefix,
              "must be lower-case letters, digits, '-' and '.', optionally ending in '-' or '.'")
    if len(prefix + name) > 253:
        _fail(fields.sub("prefix"), prefix,
              f"with the name the Deployment name is {len(prefix + name)} characters long; at most 253 are allowed")
    image = fields.get("image", (str,), "")
    if image and not _IMAGE.match(image):
        _fail(fields.sub("image"), image, "must be an image reference without whitespace")
    traffic_policy = fields.get("trafficPolicy", (str,), "Cluster")
    if traffic_policy not in TRAFFIC_POLICIES:
        _fail(fields.sub("trafficPolicy"), traffic_policy, f"must be one of {', '.join(TRAFFIC_POLICIES)}")

    internal_ips = _ip_list(fields.get("internalIPs", (list,), []), fields.sub("internalIPs"))
    external_ips = _ip_list(fields.get("externalIPs", (list,), []), fields.sub("externalIPs"))
    for label, ips in (("internalIPs", internal_ips), ("externalIPs", external_ips)):
        # CRD rule: size(self.<x>IPs) == 0 || size(self.<x>IPs) >= self.replicas
        if ips and len(ips) < replicas:
            _fail(fields.sub(label), list(ips), f"has {len(ips)} entries but replicas is {replicas}; "
                                                "give at least one address per replica")
    internal_set = {a for e in internal_ips for a in e.split(",")}
    for i, entry in enumerate(external_ips):
        for address in entry.split(","):
            if address in internal_set:
                _fail(f"{fields.sub('externalIPs')}[{i}]", entry, f"address {address} is also in internalIPs")

    selectors = _selectors(fields.get("selectors", (list,), []), fields.sub("selectors"))
    policies = _policies(fields.get("policies", (list,), []), fields.sub("policies"))
    if not selectors and not policies:
        # CRD rule: size(self.policies) != 0 || size(self.selectors) != 0
        _fail(path, {"policies": fields.value.get("policies"), "selectors": fields.value.get("selectors")},
              "a gateway must have at least one policy or selector")

    return Gateway(
        name=name,
        namespace=namespace,
        vpc=optional_name("vpc"),
        replicas=replicas,
        prefix=prefix,
        image=image,
        internal_subnet=optional_name("internalSubnet"),
        external_subnet=_name(fields.get("externalSubnet", (str,), required=True), fields.sub("externalSubnet")),
        internal_ips=internal_ips,
        external_ips=external_ips,
        bfd=_bfd(fields.get("bfd", (dict,), {}), fields.sub("bfd")),
        selectors=selectors,
        policies=policies,
        traffic_policy=traffic_policy,
        node_selector=_node_selector(fields.get("nodeSelector", (list,), []), fields.sub("nodeSelector")),
    )


def _load_text(obj):
    """A YAML/JSON text (as a user would kubectl apply) becomes a mapping."""
    import yaml  # PyYAML ships with ansible-core; imported late so the model itself stays dependency-light

    try:
        return yaml.safe_load(obj)
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise EgressGatewayError(f"spec: is not valid YAML: {problem} (got {obj!r})", field="spec", value=obj) from exc


def parse_gateway(obj, namespace: str | None = None, name: str | None = None) -> Gateway:
    """Validate a VpcEgressGateway and apply the CRD defaults.

    ``obj`` is the object a user would ``kubectl apply`` (apiVersion/kind/metadata/spec, as a
    mapping or YAML text) or a bare spec; ``name``/``namespace`` name a bare spec, and must agree
    with metadata when both are given. The namespace defaults to ``default``.
    """
    if isinstance(obj, str):
        obj = _load_text(obj)
    _check_type(obj, "spec", dict)
    if "spec" in obj or "apiVersion" in obj or "kind" in obj or "metadata" in obj:
        fields = _Fields(obj, "", ("apiVersion", "kind", "metadata", "spec", "status"))
        api_version = fields.get("apiVersion", (str,), API_VERSION)
        if api_version != API_VERSION:
            _fail("apiVersion", api_version, f"must be {API_VERSION}")
        kind = fields.get("kind", (str,), KIND)
        if kind != KIND:
            _fail("kind", kind, f"must be {KIND}")
        metadata = fields.get("metadata", (dict,), {})
        meta_name = metadata.get("name")
        meta_namespace = metadata.get("namespace")
        if name is not None and meta_name is not None and name != meta_name:
            _fail("metadata.name", meta_name, f"disagrees with the name given ({name!r})")
        if namespace is not None and meta_namespace is not None and namespace != meta_namespace:
            _fail("metadata.namespace", meta_namespace, f"disagrees with the namespace given ({namespace!r})")
        name = meta_name if meta_name is not None else name
        namespace = meta_namespace if meta_namespace is not None else namespace
        name_path, namespace_path = "metadata.name", "metadata.namespace"
        spec = fields.get("spec", (dict,), required=True)
    else:
        name_path, namespace_path = "name", "namespace"
        spec = obj
    if name is None:
        _fail(name_path, name, "is required")
    # The name is also a label value (ovn.kubernetes.io/vpc-egress-gateway=<name>): at most 63.
    _name(name, name_path, max_len=63)
    namespace = DEFAULT_NAMESPACE if namespace is None else namespace
    _name(namespace, namespace_path, pattern=_DNS1123_LABEL, max_len=63, what="a DNS-1123 label")
    return _parse_spec(spec, name, namespace)


def parse_identity(namespace: str | None = None, name: str | None = None) -> Gateway:
    """Only a gateway's identity (names, ownership), for removing it without its spec."""
    if name is None:
        _fail("name", name, "is required")
    _name(name, "name", max_len=63)
    namespace = DEFAULT_NAMESPACE if namespace is None else namespace
    _name(namespace, "namespace", pattern=_DNS1123_LABEL, max_len=63, what="a DNS-1123 label")
    return Gateway(name=name, namespace=namespace, external_subnet="")


# ---------------------------------------------------------------------------------------------
# Observed state: gateway instances, node port groups, subnet CIDRs

@dataclass(frozen=True)
class Instance:
    name: str
    node: str
    internal_ips: tuple  # of netaddr.IPAddress
    external_ips: tuple

    def nexthop(self, af: int) -> str | None:
        """The instance's first internal address of family ``af`` (Kube-OVN: the pod's first IP)."""
        return next((str(a) for a in self.internal_ips if a.version == af), None)


def parse_instances(instances, path="instances") -> tuple[Instance, ...]:
    out = []
    names, nexthops = {}, {}
    for i, item in enumerate(_check_type(instances or [], path, list)):
        item_path = f"{path}[{i}]"
        fields = _Fields(item, item_path, ("name", "node", "internal_ips", "external_ips"))
        name = _name(fields.get("name", (str,), required=True), fields.sub("name"))
        if name in names:
            _fail(fields.sub("name"), name, f"duplicate of {path}[{names[name]}].name")
        names[name] = i
        # The node name reaches OVN matches through the node's port group: DNS-1123 only.
        node = _name(fields.get("node", (str,), required=True), fields.sub("node"))

        def addresses(key):
            return _string_list(fields.get(key, (list,), []), fields.sub(key), parse_ip)

        internal = addresses("internal_ips")
        if not internal:
            _fail(fields.sub("internal_ips"), item.get("internal_ips"), "an instance needs an internal IP")
        instance = Instance(name, node, internal, addresses("external_ips"))
        for af in FAMILIES:
            hop = instance.nexthop(af)
            if hop is not None and hop in nexthops:
                _fail(fields.sub("internal_ips"), hop, f"nexthop {hop} is also {nexthops[hop]}'s")
            if hop is not None:
                nexthops[hop] = name
        out.append(instance)
    return tuple(out)


def node_port_group(node: str) -> str:
    """Kube-OVN's per-node port group: the node's port name ``node-<node>`` with '-' -> '.'."""
    return f"node-{node}".replace("-", ".")


def _cidrs_by_family(subnet_cidrs, policies, path) -> dict:
    subnet_cidrs = _check_type(subnet_cidrs or {}, path, dict)
    out = {4: [], 6: []}
    for p, policy in enumerate(policies):
        for s, subnet in enumerate(policy.subnets):
            if subnet not in subnet_cidrs:
                _fail(f"spec.policies[{p}].subnets[{s}]", subnet,
                      f"subnet has no CIDR in {path} (give its cidrBlock)")
            cidrs = subnet_cidrs[subnet]
            cidr_path = f"{path}.{subnet}"
            if isinstance(cidrs, str):
                cidrs = cidrs.split(",")  # Kube-OVN's dual-stack cidrBlock "v4,v6"
            for i, cidr in enumerate(_check_type(cidrs, cidr_path, list)):
                af, text = parse_ip_block(cidr, f"{cidr_path}[{i}]")
                out[af].append(text)
    return out


def _port_names(pod_ports, path) -> list[str]:
    ports = set()
    for i, port in enumerate(_check_type(pod_ports or [], path, list)):
        if not isinstance(port, str) or not port:
            _fail(f"{path}[{i}]", port, "must be a logical switch port name")
        ports.add(port)
    return sorted(ports)


def _sorted_addresses(texts) -> list[str]:
    def key(text):
        network = netaddr.IPNetwork(text)
        return network.version, network.first, network.prefixlen, "/" in text
    return sorted(set(texts), key=key)


def _sorted_ips(texts) -> list[str]:
    return sorted(set(texts), key=lambda t: (netaddr.IPAddress(t).version, int(netaddr.IPAddress(t))))


def desired_rows(gateway: Gateway, router: str, bfd_port: str | None, instances, pod_ports,
                 subnet_cidrs, node_port_groups=None) -> dict:
    """The NB rows Kube-OVN v1.14 keeps for this gateway (kube-ovn-behaviour.md §1.3).

    Plain data in NB column names: port_groups, address_sets, bfd, policies (for ``router``).
    Policies refer to BFD rows by (logical_port, dst_ip). Only address families with nexthops get
    address sets, BFD rows and policies. Better than v1.14: the port group and the family's
    address set always exist when a policy references them (#7247), Local without BFD writes no
    empty BFD session (#6927), changed BFD intervals are part of the wanted row.

    ``node_port_groups`` maps a node to its port group when it is not Kube-OVN's
    ``node.<node with '-' -> '.'>``.
    """
    if not isinstance(router, str) or not router:
        _fail("router", router, "must be the logical router's name")
    if gateway.bfd.enabled and not bfd_port:
        _fail("spec.bfd.enabled", True, "BFD is enabled but no BFD port is given (bfd_port)")
    if bfd_port is not None and (not isinstance(bfd_port, str) or not bfd_port):
        _fail("bfd_port", bfd_port, "must be a logical router port name")
    parsed = parse_instances(instances)
    ports = _port_names(pod_ports, "pod_ports")
    sources = _cidrs_by_family(subnet_cidrs, gateway.policies, "subnet_cidrs")
    for policy in gateway.policies:
        for block in policy.ip_blocks:
            sources[netaddr.IPNetwork(block).version].append(block)
    node_pgs = _check_type(node_port_groups or {}, "node_port_groups", dict)
    for node, pg in node_pgs.items():
        if not isinstance(pg, str) or not _OVN_IDENTIFIER.match(pg):
            _fail(f"node_port_groups.{node}", pg, "must be a port group name usable in an OVN match "
                                                  "(letters, digits, '_' and '.')")

    rows = {"router": router, "port_groups": [], "address_sets": [], "bfd": [], "policies": []}
    families = [af for af in FAMILIES if any(i.nexthop(af) for i in parsed)]
    if not families:
        return rows
    # Kube-OVN creates the port group on the first family it reconciles, with that af.
    rows["port_groups"].append({"name": gateway.port_group, "ports": ports,
                                "external_ids": gateway.external_ids(families[0])})
    bfd = gateway.bfd
    for af in families:
        ids = gateway.external_ids(af)
        rows["address_sets"].append({"name": gateway.address_set(af),
                                     "addresses": _sorted_addresses(sources[af]), "external_ids": ids})
        nexthops = _sorted_ips(i.nexthop(af) for i in parsed if i.nexthop(af))
        sessions = [(bfd_port, hop) for hop in nexthops] if bfd.enabled else []
        for hop in nexthops if bfd.enabled else ():
            rows["bfd"].append({"logical_port": bfd_port, "dst_ip": hop, "min_rx": bfd.min_rx,
                                "min_tx": bfd.min_tx, "detect_mult": bfd.multiplier, "external_ids": ids})
        sources_match = (f"ip{af}.src == ${gateway.port_group}_ip{af}",
                         f"ip{af}.src == ${gateway.address_set(af)}")
        for match in sources_match:
            rows["policies"].append({"priority": PRIORITY_REROUTE, "match": match, "action": "reroute",
                                     "nexthops": nexthops, "bfd_sessions": sessions, "external_ids": ids})
            if bfd.enabled:
                rows["policies"].append({"priority": PRIORITY_DROP, "match": match, "action": "drop",
                                         "nexthops": [], "bfd_sessions": [], "external_ids": ids})
        if gateway.traffic_policy != "Local":
            continue
        by_node = {}
        for instance in parsed:
            if instance.nexthop(af):
                by_node.setdefault(instance.node, []).append(instance.nexthop(af))
        for node in sorted(by_node):
            local_pg = node_pgs.get(node, node_port_group(node))
            hops = _sorted_ips(by_node[node])
            for match in sources_match:
                rows["policies"].append({
                    "priority": PRIORITY_LOCAL, "match": f"ip{af}.src == ${local_pg}_ip{af} && {match}",
                    "action": "reroute", "nexthops": hops,
                    "bfd_sessions": [(bfd_port, hop) for hop in hops] if bfd.enabled else [],
                    "external_ids": ids,
                })
    rows["policies"].sort(key=lambda p: (-p["priority"], p["match"]))
    return rows
