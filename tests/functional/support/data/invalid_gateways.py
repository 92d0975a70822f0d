# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A catalogue of invalid VpcEgressGateways and reconciler inputs.

Each case is a valid base (the seed document's gateway1, with BFD and fixed IPs added) with one
thing broken, the field path the error must name and the offending value it must show. Used by
the model's unit tests and by the reconciler's and the playbooks' functional tests (NB unchanged
for every case); both trees import it by the collection path (ansible-test units too).
"""
from __future__ import annotations

import copy
import dataclasses

GOOD_GATEWAY = {
    "apiVersion": "kubeovn.io/v1",
    "kind": "VpcEgressGateway",
    "metadata": {"name": "gateway1", "namespace": "default"},
    "spec": {
        "replicas": 2,
        "externalSubnet": "macvlan1",
        "internalIPs": ["10.16.0.101", "10.16.0.102"],
        "externalIPs": ["172.17.0.101", "172.17.0.102"],
        "bfd": {"enabled": True, "minRX": 100, "minTX": 100, "multiplier": 5},
        "nodeSelector": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["kube-ovn-worker", "kube-ovn-worker2"]},
        ]}],
        "selectors": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "default"}}}],
        "policies": [
            {"snat": True, "subnets": ["subnet1"]},
            {"snat": False, "ipBlocks": ["10.18.0.0/16"]},
        ],
    },
}

# Reconciler inputs that go with GOOD_GATEWAY (module parameter names).
GOOD_INPUTS = {
    "router": "ovn-cluster",
    "bfd_port": "bfd@ovn-cluster",
    "instances": [
        {"name": "gateway1-b9f8b4448-76lhm", "node": "kube-ovn-worker", "internal_ips": ["10.16.0.101"],
         "external_ips": ["172.17.0.101"]},
        {"name": "gateway1-b9f8b4448-zd4dl", "node": "kube-ovn-worker2", "internal_ips": ["10.16.0.102"],
         "external_ips": ["172.17.0.102"]},
    ],
    "pod_ports": ["client-1.default", "client-2.default"],
    "subnet_cidrs": {"subnet1": "10.17.0.0/16"},
    "node_port_groups": {},
}


@dataclasses.dataclass
class Case:
    id: str
    field: str
    value: object
    gateway: object = None
    inputs: dict = dataclasses.field(default_factory=dict)


def _with(path, value):
    """GOOD_GATEWAY with the item at ``path`` (a tuple of keys/indexes) set, or deleted if value is DELETE."""
    obj = copy.deepcopy(GOOD_GATEWAY)
    target = obj
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


def _spec(**changes):
    obj = copy.deepcopy(GOOD_GATEWAY)
    for key, value in changes.items():
        if value is DELETE:
            del obj["spec"][key]
        else:
            obj["spec"][key] = value
    return obj


def _inputs(**changes):
    inputs = copy.deepcopy(GOOD_INPUTS)
    inputs.update(changes)
    return inputs


# resources the API server accepts for a container (the model must accept each, unchanged)
VALID_RESOURCES = [
    {"limits": {"cpu": "0.5", "memory": "1e8"}},
    {"requests": {"cpu": ".25", "memory": "64M", "ephemeral-storage": "2Gi"}},
    {"requests": {"cpu": "250m"}, "limits": {"cpu": "250m"}},
    {"limits": {"hugepages-2Mi": "64Mi", "memory": "128Mi"}},
    {"requests": {"example.com/nic": 1}, "limits": {"example.com/nic": "1"}},
    {"requests": {"memory": "0"}},
]


DELETE = object()

# YAML texts of class 3: a duplicate key (PyYAML would keep the last), a spec key twice, and a
# 535-byte-class alias bomb (9^7 leaves when expanded).
DUPLICATE_KEY_TEXT = """apiVersion: kubeovn.io/v1
kind: VpcEgressGateway
metadata: {name: gateway1, namespace: default}
spec:
  externalSubnet: macvlan1
  bfd: {enabled: true, enabled: false}
  policies: [{snat: true, subnets: [subnet1]}]
"""
DUPLICATE_SPEC_TEXT = """metadata: {name: gateway1}
spec: {externalSubnet: macvlan1, policies: [{snat: true, subnets: [subnet1]}]}
spec: {externalSubnet: macvlan2, policies: [{snat: true, subnets: [subnet1]}]}
"""
ALIAS_BOMB = "metadata: {name: gateway1}\nx:\n" + "".join(
    f"  - &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n" for i in range(7))
S = ("spec",)
NS_LABELS = S + ("selectors", 0, "namespaceSelector", "matchLabels")
EXPR = {"key": "tier", "operator": "In", "values": ["web"]}
LONG = "a" * 64

CASES = [
    # replicas (CRD: integer 0-10)
    Case("replicas-too-many", "spec.replicas", 11, _spec(replicas=11, internalIPs=[], externalIPs=[])),
    Case("replicas-negative", "spec.replicas", -1, _spec(replicas=-1)),
    Case("replicas-string", "spec.replicas", "2", _spec(replicas="2")),
    Case("replicas-bool", "spec.replicas", True, _spec(replicas=True)),
    Case("replicas-float", "spec.replicas", 2.5, _spec(replicas=2.5)),
    # internalIPs / externalIPs (CEL: at least replicas; entries v4, v6 or "v4,v6")
    Case("internal-ips-fewer-than-replicas", "spec.internalIPs", ["10.16.0.101", "10.16.0.102"],
         _spec(replicas=3, externalIPs=[])),
    Case("external-ips-fewer-than-replicas", "spec.externalIPs", ["172.17.0.101"],
         _spec(externalIPs=["172.17.0.101"])),
    Case("internal-ip-malformed", "spec.internalIPs[1]", "10.16.0.300",
         _spec(internalIPs=["10.16.0.101", "10.16.0.300"])),
    Case("internal-ip-with-prefix", "spec.internalIPs[0]", "10.16.0.101/16",
         _spec(internalIPs=["10.16.0.101/16", "10.16.0.102"])),
    Case("internal-ip-pair-same-family", "spec.internalIPs[0]", "10.16.0.101,10.16.0.103",
         _spec(internalIPs=["10.16.0.101,10.16.0.103", "10.16.0.102,10.16.0.104"])),
    Case("internal-ips-mixed-families", "spec.internalIPs[1]", "fd00::102",
         _spec(internalIPs=["10.16.0.101", "fd00::102"])),
    Case("internal-ips-mixed-single-and-dual", "spec.internalIPs[1]", "10.16.0.102",
         _spec(internalIPs=["10.16.0.101,fd00::101", "10.16.0.102"])),
    Case("internal-ip-duplicate", "spec.internalIPs[1]", "10.16.0.101",
         _spec(internalIPs=["10.16.0.101", "10.16.0.101"])),
    Case("internal-ip-duplicate-after-normalising", "spec.internalIPs[1]", "FD00:0::A",
         _spec(internalIPs=["fd00::a", "FD00:0::A"], externalIPs=[])),
    Case("internal-ip-duplicate-inside-pairs", "spec.internalIPs[1]", "10.16.0.102,fd00::1",
         _spec(internalIPs=["10.16.0.101,fd00::1", "10.16.0.102,fd00::1"])),
    Case("external-ip-also-internal", "spec.externalIPs[1]", "10.16.0.102",
         _spec(externalIPs=["172.17.0.101", "10.16.0.102"])),
    Case("internal-ip-v4-mapped", "spec.internalIPs[0]", "::ffff:10.16.0.101",
         _spec(internalIPs=["::ffff:10.16.0.101", "::ffff:10.16.0.102"])),
    Case("internal-ip-three-addresses", "spec.internalIPs[0]", "10.16.0.101,fd00::1,fd00::2",
         _spec(internalIPs=["10.16.0.101,fd00::1,fd00::2", "10.16.0.102"])),
    Case("internal-ips-not-a-list", "spec.internalIPs", "10.16.0.101,10.16.0.102",
         _spec(internalIPs="10.16.0.101,10.16.0.102")),
    Case("internal-ip-integer", "spec.internalIPs[0]", 168820837, _spec(internalIPs=[168820837, "10.16.0.102"])),
    Case("internal-ip-whitespace", "spec.internalIPs[0]", " 10.16.0.101",
         _spec(internalIPs=[" 10.16.0.101", "10.16.0.102"])),
    Case("external-ip-multicast", "spec.externalIPs[0]", "224.0.0.5",
         _spec(externalIPs=["224.0.0.5", "172.17.0.102"])),
    # policies[].ipBlocks (ipv4 | ipv6 | cidr) and subnets
    Case("ip-block-prefix-too-long", "spec.policies[1].ipBlocks[0]", "10.18.0.0/33",
         _with(S + ("policies", 1, "ipBlocks"), ["10.18.0.0/33"])),
    Case("ip-block-v6-prefix-on-v4", "spec.policies[1].ipBlocks[0]", "10.18.0.0/64",
         _with(S + ("policies", 1, "ipBlocks"), ["10.18.0.0/64"])),
    Case("ip-block-host-bits", "spec.policies[1].ipBlocks[0]", "10.18.0.1/16",
         _with(S + ("policies", 1, "ipBlocks"), ["10.18.0.1/16"])),
    Case("ip-block-match-injection", "spec.policies[1].ipBlocks[0]", "10.18.0.0/16 || 1",
         _with(S + ("policies", 1, "ipBlocks"), ["10.18.0.0/16 || 1"])),
    Case("ip-block-v4-mapped-v6", "spec.policies[1].ipBlocks[1]", "::ffff:10.19.0.0/112",
         _with(S + ("policies", 1, "ipBlocks"), ["10.18.0.0/16", "::ffff:10.19.0.0/112"])),
    Case("ip-block-two-families-in-one", "spec.policies[1].ipBlocks[0]", "10.18.0.0/16,fd00::/64",
         _with(S + ("policies", 1, "ipBlocks"), ["10.18.0.0/16,fd00::/64"])),
    Case("ip-block-leading-zero-prefix", "spec.policies[1].ipBlocks[0]", "10.18.0.0/016",
         _with(S + ("policies", 1, "ipBlocks"), ["10.18.0.0/016"])),
    Case("ip-block-duplicate", "spec.policies[1].ipBlocks[1]", "10.18.0.0/16",
         _with(S + ("policies", 1, "ipBlocks"), ["10.18.0.0/16", "10.18.0.0/16"])),
    Case("ip-blocks-not-a-list", "spec.policies[1].ipBlocks", "10.18.0.0/16",
         _with(S + ("policies", 1, "ipBlocks"), "10.18.0.0/16")),
    Case("policy-without-ip-blocks-or-subnets", "spec.policies[1]", {"snat": False},
         _with(S + ("policies", 1), {"snat": False})),
    Case("policy-unknown-field", "spec.policies[1].ipblocks", ["10.18.0.0/16"],
         _with(S + ("policies", 1), {"ipblocks": ["10.18.0.0/16"]})),
    Case("policy-snat-string", "spec.policies[0].snat", "yes", _with(S + ("policies", 0, "snat"), "yes")),
    Case("policy-subnet-bad-name", "spec.policies[0].subnets[0]", "Subnet_1",
         _with(S + ("policies", 0, "subnets"), ["Subnet_1"])),
    Case("policy-subnet-injection", "spec.policies[0].subnets[0]", "subnet1 || 1",
         _with(S + ("policies", 0, "subnets"), ["subnet1 || 1"])),
    Case("policy-subnet-empty", "spec.policies[0].subnets[0]", "", _with(S + ("policies", 0, "subnets"), [""])),
    # selectors (CEL: each selector needs labels or expressions; CEL: policies or selectors)
    Case("neither-policies-nor-selectors", "spec", {"policies": [], "selectors": []},
         _spec(policies=[], selectors=[])),
    Case("selector-empty", "spec.selectors[0]", {}, _spec(selectors=[{}])),
    Case("namespace-selector-empty", "spec.selectors[0].namespaceSelector", {},
         _with(S + ("selectors", 0, "namespaceSelector"), {})),
    Case("pod-selector-empty-labels", "spec.selectors[0].podSelector", {"matchLabels": {}},
         _spec(selectors=[{"podSelector": {"matchLabels": {}}}])),
    Case("label-key-injection", "spec.selectors[0].namespaceSelector.matchLabels.app || 1 == 1", "app || 1 == 1",
         _with(NS_LABELS, {"app || 1 == 1": "x"})),
    Case("label-value-address-set-reference", "spec.selectors[0].namespaceSelector.matchLabels.app",
         "$VEG.8ca38ae7da18_ip4", _with(NS_LABELS, {"app": "$VEG.8ca38ae7da18_ip4"})),
    Case("label-value-too-long", "spec.selectors[0].namespaceSelector.matchLabels.app", LONG,
         _with(NS_LABELS, {"app": LONG})),
    Case("label-key-bad-prefix", "spec.selectors[0].namespaceSelector.matchLabels.Kubernetes.IO/name",
         "Kubernetes.IO/name", _with(NS_LABELS, {"Kubernetes.IO/name": "x"})),
    Case("label-value-not-string", "spec.selectors[0].namespaceSelector.matchLabels.app", 1,
         _with(NS_LABELS, {"app": 1})),
    Case("expression-unknown-operator", "spec.selectors[0].podSelector.matchExpressions[0].operator", "Like",
         _spec(selectors=[{"podSelector": {"matchExpressions": [dict(EXPR, operator="Like")]}}])),
    Case("expression-in-without-values", "spec.selectors[0].podSelector.matchExpressions[0].values", [],
         _spec(selectors=[{"podSelector": {"matchExpressions": [dict(EXPR, values=[])]}}])),
    Case("expression-exists-with-values", "spec.selectors[0].podSelector.matchExpressions[0].values", ["web"],
         _spec(selectors=[{"podSelector": {"matchExpressions": [dict(EXPR, operator="Exists")]}}])),
    Case("expression-without-key", "spec.selectors[0].podSelector.matchExpressions[0].key", None,
         _spec(selectors=[{"podSelector": {"matchExpressions": [{"operator": "Exists"}]}}])),
    Case("selectors-not-a-list", "spec.selectors", {"namespaceSelector": {}},
         _spec(selectors={"namespaceSelector": {}})),
    # trafficPolicy (enum Local | Cluster)
    Case("traffic-policy-lower-case", "spec.trafficPolicy", "local", _spec(trafficPolicy="local")),
    Case("traffic-policy-unknown", "spec.trafficPolicy", "Global", _spec(trafficPolicy="Global")),
    # bfd (integers 1-3600000)
    Case("bfd-min-rx-zero", "spec.bfd.minRX", 0, _with(S + ("bfd", "minRX"), 0)),
    Case("bfd-min-tx-too-large", "spec.bfd.minTX", 3600001, _with(S + ("bfd", "minTX"), 3600001)),
    Case("bfd-multiplier-string", "spec.bfd.multiplier", "3", _with(S + ("bfd", "multiplier"), "3")),
    Case("bfd-enabled-string", "spec.bfd.enabled", "true", _with(S + ("bfd", "enabled"), "true")),
    Case("bfd-misspelt-field", "spec.bfd.minRx", 100, _with(S + ("bfd",), {"enabled": True, "minRx": 100})),
    # names, subnets, VPC, prefix, image
    Case("spec-unknown-field", "spec.replica", 2, _with(S + ("replica",), 2)),
    Case("external-subnet-missing", "spec.externalSubnet", None, _spec(externalSubnet=DELETE)),
    Case("external-subnet-injection", "spec.externalSubnet", "macvlan1;reboot", _spec(externalSubnet="macvlan1;reboot")),
    Case("vpc-upper-case", "spec.vpc", "VPC1", _spec(vpc="VPC1")),
    Case("internal-subnet-too-long", "spec.internalSubnet", "s" * 254, _spec(internalSubnet="s" * 254)),
    Case("prefix-bad-characters", "spec.prefix", "Veg_", _spec(prefix="Veg_")),
    Case("prefix-plus-name-too-long", "spec.prefix", "p" * 250 + "-", _spec(prefix="p" * 250 + "-")),
    Case("image-with-whitespace", "spec.image", "kube-ovn:v1.14.0 --privileged",
         _spec(image="kube-ovn:v1.14.0 --privileged")),
    Case("name-too-long-for-label", "metadata.name", LONG, _with(("metadata", "name"), LONG)),
    Case("name-match-injection", "metadata.name", "gw1 || ip4", _with(("metadata", "name"), "gw1 || ip4")),
    Case("name-upper-case", "metadata.name", "Gateway1", _with(("metadata", "name"), "Gateway1")),
    Case("name-missing", "metadata.name", None, _with(("metadata",), {"namespace": "default"})),
    Case("namespace-with-dot", "metadata.namespace", "kube.system", _with(("metadata", "namespace"), "kube.system")),
    Case("api-version-wrong", "apiVersion", "kubeovn.io/v2", _with(("apiVersion",), "kubeovn.io/v2")),
    Case("kind-wrong", "kind", "VpcNatGateway", _with(("kind",), "VpcNatGateway")),
    Case("spec-not-a-mapping", "spec", ["externalSubnet"], _with(("spec",), ["externalSubnet"])),
    Case("spec-missing", "spec", None, _with(("spec",), DELETE)),
    Case("top-level-unknown-field", "specs", {}, _with(("specs",), {})),
    Case("yaml-syntax-error", "spec", "spec: [unclosed", "spec: [unclosed"),
    # nodeSelector (NodeSelectorTerm)
    Case("node-selector-empty-term", "spec.nodeSelector[0]", {}, _spec(nodeSelector=[{}])),
    Case("node-selector-gt-not-integer", "spec.nodeSelector[0].matchExpressions[0].values", ["two"],
         _spec(nodeSelector=[{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["two"]}]}])),
    Case("node-selector-unknown-operator", "spec.nodeSelector[0].matchFields[0].operator", "Equals",
         _spec(nodeSelector=[{"matchFields": [{"key": "metadata.name", "operator": "Equals", "values": ["n"]}]}])),
    Case("node-selector-not-a-list", "spec.nodeSelector", {"matchLabels": {"a": "b"}},
         _spec(nodeSelector={"matchLabels": {"a": "b"}})),
    # reconciler inputs
    Case("bfd-without-bfd-port", "spec.bfd.enabled", True, GOOD_GATEWAY, _inputs(bfd_port="")),
    Case("instance-node-injection", "instances[1].node", "w2 || 1",
         GOOD_GATEWAY, _inputs(instances=[GOOD_INPUTS["instances"][0],
                                          dict(GOOD_INPUTS["instances"][1], node="w2 || 1")])),
    Case("instance-bad-internal-ip", "instances[0].internal_ips[0]", "10.16.0.1011",
         GOOD_GATEWAY, _inputs(instances=[dict(GOOD_INPUTS["instances"][0], internal_ips=["10.16.0.1011"])])),
    Case("instances-same-nexthop", "instances[1].internal_ips", "10.16.0.101",
         GOOD_GATEWAY, _inputs(instances=[GOOD_INPUTS["instances"][0],
                                          dict(GOOD_INPUTS["instances"][1], internal_ips=["10.16.0.101"])])),
    Case("instance-without-internal-ip", "instances[0].internal_ips", [],
         GOOD_GATEWAY, _inputs(instances=[dict(GOOD_INPUTS["instances"][0], internal_ips=[])])),
    Case("policy-subnet-without-cidr", "spec.policies[0].subnets[0]", "subnet1", GOOD_GATEWAY,
         _inputs(subnet_cidrs={})),
    Case("subnet-cidr-malformed", "subnet_cidrs.subnet1[0]", "10.17.0.0/99", GOOD_GATEWAY,
         _inputs(subnet_cidrs={"subnet1": "10.17.0.0/99"})),
    Case("node-port-group-injection", "node_port_groups.kube-ovn-worker", "node.w1_ip4 || 1", GOOD_GATEWAY,
         _inputs(node_port_groups={"kube-ovn-worker": "node.w1_ip4 || 1"})),
    Case("pod-port-not-a-string", "pod_ports[1]", 7, GOOD_GATEWAY, _inputs(pod_ports=["client-1.default", 7])),
    # Kube-OVN v1.16 fields this collection does not implement: refused by name, not "unknown field"
    Case("bgp-conf-not-supported", "spec.bgpConf", "bgp1", _spec(bgpConf="bgp1")),
    Case("evpn-conf-not-supported", "spec.evpnConf", "evpn1", _spec(bgpConf="", evpnConf="evpn1")),
    # tolerations (Kube-OVN v1.14.17+), validated as the API server validates core/v1 Tolerations
    Case("tolerations-not-a-list", "spec.tolerations", {"key": "a"}, _spec(tolerations={"key": "a"})),
    Case("toleration-not-a-mapping", "spec.tolerations[0]", "dedicated", _spec(tolerations=["dedicated"])),
    Case("toleration-unknown-field", "spec.tolerations[0].effects", "NoSchedule",
         _spec(tolerations=[{"key": "a", "effects": "NoSchedule"}])),
    Case("toleration-bad-operator", "spec.tolerations[0].operator", "In",
         _spec(tolerations=[{"key": "a", "operator": "In"}])),
    Case("toleration-empty-key-needs-exists", "spec.tolerations[0].operator", "Equal",
         _spec(tolerations=[{"operator": "Equal", "value": "x"}])),
    Case("toleration-exists-with-value", "spec.tolerations[0].value", "x",
         _spec(tolerations=[{"key": "a", "operator": "Exists", "value": "x"}])),
    Case("toleration-bad-key", "spec.tolerations[0].key", "bad key",
         _spec(tolerations=[{"key": "bad key", "operator": "Exists"}])),
    Case("toleration-bad-value", "spec.tolerations[0].value", "-x-",
         _spec(tolerations=[{"key": "a", "value": "-x-"}])),
    Case("toleration-bad-effect", "spec.tolerations[0].effect", "NoRun",
         _spec(tolerations=[{"key": "a", "operator": "Exists", "effect": "NoRun"}])),
    Case("toleration-seconds-without-noexecute", "spec.tolerations[0].tolerationSeconds", 30,
         _spec(tolerations=[{"key": "a", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 30}])),
    Case("toleration-seconds-string", "spec.tolerations[0].tolerationSeconds", "30",
         _spec(tolerations=[{"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": "30"}])),
    Case("toleration-key-number", "spec.tolerations[0].key", 5, _spec(tolerations=[{"key": 5}])),
    Case("toleration-effect-number", "spec.tolerations[0].effect", 1,
         _spec(tolerations=[{"key": "a", "operator": "Exists", "effect": 1}])),
    # bandwidth (Kube-OVN v1.15.5+): Mbps integers or quantities M, Mi, G, Gi
    Case("bandwidth-not-a-mapping", "spec.bandwidth", 100, _spec(bandwidth=100)),
    Case("bandwidth-unknown-direction", "spec.bandwidth.upload", 10, _spec(bandwidth={"upload": 10})),
    Case("bandwidth-negative", "spec.bandwidth.ingress", -1, _spec(bandwidth={"ingress": -1})),
    Case("bandwidth-bad-unit", "spec.bandwidth.egress", "100Mbps", _spec(bandwidth={"egress": "100Mbps"})),
    Case("bandwidth-trailing-newline", "spec.bandwidth.egress", "100M\n", _spec(bandwidth={"egress": "100M\n"})),
    Case("bandwidth-kilo-unit", "spec.bandwidth.egress", "500k", _spec(bandwidth={"egress": "500k"})),
    Case("bandwidth-negative-quantity", "spec.bandwidth.ingress", "-1M", _spec(bandwidth={"ingress": "-1M"})),
    Case("bandwidth-float", "spec.bandwidth.ingress", 1.5, _spec(bandwidth={"ingress": 1.5})),
    Case("bandwidth-bool", "spec.bandwidth.egress", True, _spec(bandwidth={"egress": True})),
    Case("bandwidth-too-large", "spec.bandwidth.ingress", 9223372036855, _spec(bandwidth={"ingress": 9223372036855})),
    Case("bandwidth-quantity-too-large", "spec.bandwidth.egress", "9223372036855M",
         _spec(bandwidth={"egress": "9223372036855M"})),
] + [
    # resources (Kube-OVN v1.15.5+): a core/v1 ResourceRequirements, checked as the API server checks
    # a container's (ValidateResourceRequirements)
    Case("resources-not-a-mapping", "spec.resources", "100m", _spec(resources="100m")),
    Case("resources-unknown-field", "spec.resources.limit", {"cpu": 1}, _spec(resources={"limit": {"cpu": 1}})),
    Case("resources-limits-a-list", "spec.resources.limits", ["cpu"], _spec(resources={"limits": ["cpu"]})),
    Case("resources-bad-quantity", "spec.resources.limits.cpu", "1 core", _spec(resources={"limits": {"cpu": "1 core"}})),
    Case("resources-bad-suffix", "spec.resources.requests.memory", "64MB",
         _spec(resources={"requests": {"memory": "64MB"}})),
    Case("resources-lower-case-binary-suffix", "spec.resources.requests.memory", "64mi",
         _spec(resources={"requests": {"memory": "64mi"}})),
    Case("resources-negative", "spec.resources.requests.cpu", "-100m", _spec(resources={"requests": {"cpu": "-100m"}})),
    Case("resources-negative-int", "spec.resources.limits.memory", -1, _spec(resources={"limits": {"memory": -1}})),
    Case("resources-float", "spec.resources.limits.cpu", 0.5, _spec(resources={"limits": {"cpu": 0.5}})),
    Case("resources-bool", "spec.resources.limits.cpu", True, _spec(resources={"limits": {"cpu": True}})),
    Case("resources-too-large", "spec.resources.limits.memory", "9Ei", _spec(resources={"limits": {"memory": "9Ei"}})),
    Case("resources-huge-exponent", "spec.resources.limits.cpu", "1e999999999",
         _spec(resources={"limits": {"cpu": "1e999999999"}})),
    Case("resources-fractional-exponent", "spec.resources.limits.cpu", "1e1.5",
         _spec(resources={"limits": {"cpu": "1e1.5"}})),
    Case("resources-quantity-trailing-newline", "spec.resources.limits.cpu", "1\n",
         _spec(resources={"limits": {"cpu": "1\n"}})),
    Case("resources-request-above-limit", "spec.resources.requests.memory", "256Mi",
         _spec(resources={"requests": {"memory": "256Mi"}, "limits": {"memory": "128Mi"}})),
    Case("resources-cpu-request-above-limit", "spec.resources.requests.cpu", 2,
         _spec(resources={"requests": {"cpu": 2}, "limits": {"cpu": "1500m"}})),
    Case("resources-unknown-name", "spec.resources.limits.gpu", "gpu", _spec(resources={"limits": {"gpu": 1}})),
    Case("resources-storage-is-not-a-container-resource", "spec.resources.requests.storage", "storage",
         _spec(resources={"requests": {"storage": "1Gi"}})),
    Case("resources-kubernetes-io-domain", "spec.resources.limits.kubernetes.io/foo", "kubernetes.io/foo",
         _spec(resources={"limits": {"kubernetes.io/foo": 1}})),
    Case("resources-extended-fractional", "spec.resources.limits.example.com/nic", "500m",
         _spec(resources={"limits": {"example.com/nic": "500m"}})),
    Case("resources-extended-overcommitted", "spec.resources.requests.example.com/nic", 1,
         _spec(resources={"requests": {"example.com/nic": 1}})),
    Case("resources-hugepages-bad-size", "spec.resources.limits.hugepages-big", "hugepages-big",
         _spec(resources={"limits": {"hugepages-big": "64Mi", "memory": "1Gi"}})),
    Case("resources-hugepages-alone", "spec.resources", {"limits": {"hugepages-2Mi": "64Mi"}},
         _spec(resources={"limits": {"hugepages-2Mi": "64Mi"}})),
    Case("resources-claims", "spec.resources.claims", [{"name": "gpu"}], _spec(resources={"claims": [{"name": "gpu"}]})),
    # internalIPPool / externalIPPool (Kube-OVN release-1.16): an IPPool's name, or the IP lists
    Case("internal-ip-pool-not-a-string", "spec.internalIPPool", ["pool1"],
         _spec(internalIPs=[], internalIPPool=["pool1"])),
    Case("internal-ip-pool-bad-name", "spec.internalIPPool", "Pool_1", _spec(internalIPs=[], internalIPPool="Pool_1")),
    Case("external-ip-pool-trailing-newline", "spec.externalIPPool", "pool1\n",
         _spec(externalIPs=[], externalIPPool="pool1\n")),
    Case("external-ip-pool-too-long", "spec.externalIPPool", "p" * 254, _spec(externalIPs=[], externalIPPool="p" * 254)),
    Case("internal-ip-pool-with-internal-ips", "spec.internalIPPool", "pool1", _spec(internalIPPool="pool1")),
    Case("external-ip-pool-with-external-ips", "spec.externalIPPool", "pool2", _spec(externalIPPool="pool2")),
    # podAntiAffinity (Kube-OVN master): Required or Preferred
    Case("pod-anti-affinity-unknown", "spec.podAntiAffinity", "Soft", _spec(podAntiAffinity="Soft")),
    Case("pod-anti-affinity-lower-case", "spec.podAntiAffinity", "preferred", _spec(podAntiAffinity="preferred")),
    Case("pod-anti-affinity-bool", "spec.podAntiAffinity", True, _spec(podAntiAffinity=True)),
    Case("pod-anti-affinity-mapping", "spec.podAntiAffinity", {"preferred": True},
         _spec(podAntiAffinity={"preferred": True})),
] + [
    # --- issue 12, class 1: every pattern matches the whole value ("$" also matches before "\n")
    Case("name-trailing-newline", "metadata.name", "gateway1\n", _with(("metadata", "name"), "gateway1\n")),
    Case("namespace-trailing-newline", "metadata.namespace", "default\n",
         _with(("metadata", "namespace"), "default\n")),
    Case("vpc-trailing-newline", "spec.vpc", "ovn-cluster\n", _spec(vpc="ovn-cluster\n")),
    Case("external-subnet-trailing-newline", "spec.externalSubnet", "macvlan1\n", _spec(externalSubnet="macvlan1\n")),
    Case("internal-subnet-trailing-newline", "spec.internalSubnet", "ovn-default\n",
         _spec(internalSubnet="ovn-default\n")),
    Case("prefix-trailing-newline", "spec.prefix", "veg-\n", _spec(prefix="veg-\n")),
    Case("image-trailing-newline", "spec.image", "kube-ovn:v1.14.0\n", _spec(image="kube-ovn:v1.14.0\n")),
    Case("label-key-trailing-newline", "spec.selectors[0].namespaceSelector.matchLabels.team\n", "team\n",
         _with(NS_LABELS, {"team\n": "a"})),
    Case("label-value-trailing-newline", "spec.selectors[0].namespaceSelector.matchLabels.team", "a\n",
         _with(NS_LABELS, {"team": "a\n"})),
    Case("node-selector-gt-trailing-newline", "spec.nodeSelector[0].matchExpressions[0].values[0]", "4\n",
         _spec(nodeSelector=[{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["4\n"]}]}])),
    Case("policy-subnet-trailing-newline", "spec.policies[0].subnets[0]", "subnet1\n",
         _spec(policies=[{"snat": True, "subnets": ["subnet1\n"]}])),
    Case("ip-block-prefix-trailing-newline", "spec.policies[1].ipBlocks[0]", "10.18.0.0/16\n",
         _spec(policies=[{"snat": True, "subnets": ["subnet1"]}, {"ipBlocks": ["10.18.0.0/16\n"]}])),
    Case("ip-block-full-width-prefix", "spec.policies[1].ipBlocks[0]", "10.18.0.0/\uff11\uff16",
         _spec(policies=[{"snat": True, "subnets": ["subnet1"]}, {"ipBlocks": ["10.18.0.0/\uff11\uff16"]}])),
    Case("internal-ip-trailing-newline", "spec.internalIPs[0]", "10.16.0.101\n",
         _spec(internalIPs=["10.16.0.101\n", "10.16.0.102"])),
    Case("internal-ip-full-width-digits", "spec.internalIPs[0]", "\uff11\uff10.16.0.101",
         _spec(internalIPs=["\uff11\uff10.16.0.101", "10.16.0.102"])),
    Case("instance-node-trailing-newline-local", "instances[0].node", "kube-ovn-worker\n",
         _spec(trafficPolicy="Local"),
         _inputs(instances=[dict(GOOD_INPUTS["instances"][0], node="kube-ovn-worker\n"),
                            GOOD_INPUTS["instances"][1]])),
    Case("instance-name-trailing-newline", "instances[0].name", "gw-1\n", GOOD_GATEWAY,
         _inputs(instances=[dict(GOOD_INPUTS["instances"][0], name="gw-1\n"), GOOD_INPUTS["instances"][1]])),
    Case("instance-node-unicode", "instances[1].node", "kube-ovn-w\u00f6rker", GOOD_GATEWAY,
         _inputs(instances=[GOOD_INPUTS["instances"][0], dict(GOOD_INPUTS["instances"][1], node="kube-ovn-w\u00f6rker")])),
    Case("node-port-group-trailing-newline", "node_port_groups.kube-ovn-worker", "node.w1\n", GOOD_GATEWAY,
         _inputs(node_port_groups={"kube-ovn-worker": "node.w1\n"})),
    Case("node-port-group-with-space", "node_port_groups.kube-ovn-worker", "node.w1 x", GOOD_GATEWAY,
         _inputs(node_port_groups={"kube-ovn-worker": "node.w1 x"})),
    Case("subnet-cidr-trailing-newline", "subnet_cidrs.subnet1[0]", "10.17.0.0/16\n", GOOD_GATEWAY,
         _inputs(subnet_cidrs={"subnet1": "10.17.0.0/16\n"})),
    Case("subnet-cidr-host-bits", "subnet_cidrs.subnet1[0]", "10.17.0.1/16", GOOD_GATEWAY,
         _inputs(subnet_cidrs={"subnet1": "10.17.0.1/16"})),
    # --- class 3: spec text is parsed with duplicate keys refused and alias expansion bounded
    Case("yaml-duplicate-key", "spec", DUPLICATE_KEY_TEXT, DUPLICATE_KEY_TEXT),
    Case("yaml-duplicate-top-level-key", "spec", DUPLICATE_SPEC_TEXT, DUPLICATE_SPEC_TEXT),
    Case("yaml-alias-bomb", "spec", ALIAS_BOMB, ALIAS_BOMB),
    Case("yaml-python-tag", "spec", "spec: !!python/object/apply:os.system [id]",
         "spec: !!python/object/apply:os.system [id]"),
    Case("yaml-two-documents", "spec", "spec: {}\n---\nspec: {}\n", "spec: {}\n---\nspec: {}\n"),
    # --- class 4: RFC ranges and unicast-ness, once in the model
    Case("bfd-multiplier-256", "spec.bfd.multiplier", 256, _with(S + ("bfd", "multiplier"), 256)),
    Case("bfd-multiplier-zero", "spec.bfd.multiplier", 0, _with(S + ("bfd", "multiplier"), 0)),
    Case("bfd-min-tx-zero", "spec.bfd.minTX", 0, _with(S + ("bfd", "minTX"), 0)),
    Case("internal-ip-broadcast", "spec.internalIPs[1]", "255.255.255.255",
         _spec(internalIPs=["10.16.0.101", "255.255.255.255"])),
    Case("internal-ip-loopback", "spec.internalIPs[0]", "127.0.0.1", _spec(internalIPs=["127.0.0.1", "10.16.0.102"])),
    Case("internal-ip-class-e", "spec.internalIPs[0]", "240.0.0.1", _spec(internalIPs=["240.0.0.1", "10.16.0.102"])),
    Case("internal-ip-unspecified-v6", "spec.internalIPs[0]", "::", _spec(internalIPs=["::", "fd00::2"], externalIPs=[])),
    Case("external-ip-loopback-v6", "spec.externalIPs[0]", "::1", _spec(externalIPs=["::1", "fd00::2"])),
    Case("ip-block-multicast", "spec.policies[1].ipBlocks[0]", "224.0.0.0/4",
         _spec(policies=[{"snat": True, "subnets": ["subnet1"]}, {"ipBlocks": ["224.0.0.0/4"]}])),
    Case("ip-block-loopback", "spec.policies[1].ipBlocks[0]", "127.0.0.0/8",
         _spec(policies=[{"snat": True, "subnets": ["subnet1"]}, {"ipBlocks": ["127.0.0.0/8"]}])),
    Case("ip-block-broadcast", "spec.policies[1].ipBlocks[0]", "255.255.255.255",
         _spec(policies=[{"snat": True, "subnets": ["subnet1"]}, {"ipBlocks": ["255.255.255.255"]}])),
    Case("ip-block-v6-multicast", "spec.policies[1].ipBlocks[0]", "ff02::/16",
         _spec(policies=[{"snat": True, "subnets": ["subnet1"]}, {"ipBlocks": ["ff02::/16"]}])),
    Case("instance-internal-ip-broadcast", "instances[0].internal_ips[0]", "255.255.255.255", GOOD_GATEWAY,
         _inputs(instances=[dict(GOOD_INPUTS["instances"][0], internal_ips=["255.255.255.255"]),
                            GOOD_INPUTS["instances"][1]])),
    Case("instance-internal-ip-multicast", "instances[1].internal_ips[0]", "239.1.1.1", GOOD_GATEWAY,
         _inputs(instances=[GOOD_INPUTS["instances"][0],
                            dict(GOOD_INPUTS["instances"][1], internal_ips=["239.1.1.1"])])),
    Case("instance-external-equals-internal", "instances[0].external_ips[0]", "10.16.0.101", GOOD_GATEWAY,
         _inputs(instances=[dict(GOOD_INPUTS["instances"][0], external_ips=["10.16.0.101"]),
                            GOOD_INPUTS["instances"][1]])),
    Case("instance-external-is-another-internal", "instances[1].external_ips[0]", "10.16.0.101", GOOD_GATEWAY,
         _inputs(instances=[GOOD_INPUTS["instances"][0],
                            dict(GOOD_INPUTS["instances"][1], external_ips=["10.16.0.101"])])),
    Case("instance-internal-ip-loopback-v6", "instances[0].internal_ips[0]", "::1", GOOD_GATEWAY,
         _inputs(instances=[dict(GOOD_INPUTS["instances"][0], internal_ips=["::1"]), GOOD_INPUTS["instances"][1]])),
]
