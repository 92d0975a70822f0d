# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gateway Deployment as Kube-OVN v1.14 builds it (kube-ovn-behaviour.md §1.4) and what pods report."""
from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _discovery
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import (
    HASH_ANNOTATION, RUNTIMES, WorkloadContext, build_deployment, generate_hash, needs_update,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway_status import deployment_is_ready, gateway_status, pod_instances, status_table

GATEWAY1 = {
    "apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
    "metadata": {"name": "gateway1", "namespace": "default"},
    "spec": {
        "replicas": 2, "prefix": "veg-", "externalSubnet": "macvlan1",
        "internalIPs": ["10.16.0.101", "10.16.0.102"],
        "externalIPs": ["172.17.0.101", "172.17.0.102"],
        "nodeSelector": [{"matchLabels": {"zone": "a", "egress": "true"},
                          "matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                                "values": ["kube-ovn-worker"]}]}],
        "selectors": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "default"}}}],
        "policies": [{"snat": True, "subnets": ["subnet1"]}, {"snat": False, "ipBlocks": ["10.18.0.0/16"]}],
    },
}
CTX = WorkloadContext(
    image="registry.example/ee:1", internal_subnet="ovn-default", internal_gateway="10.16.0.1",
    external_provider="eth1.default", external_gateway="172.17.0.1",
    snat_cidrs=("10.17.0.0/16",), forward_cidrs=("10.18.0.0/16",), owner_uid="uid-1",
)


def deployment(obj=GATEWAY1, ctx=CTX):  # obj is deep-copied: pylint: disable=dangerous-default-value
    return build_deployment(parse_gateway(copy.deepcopy(obj)), ctx)


def with_spec(**changes):
    obj = copy.deepcopy(GATEWAY1)
    obj["spec"].update(changes)
    return obj


def test_layout_matches_kube_ovn():
    d = deployment()
    labels = {"app": "vpc-egress-gateway", "ovn.kubernetes.io/vpc-egress-gateway": "gateway1"}
    assert d["metadata"]["name"] == "veg-gateway1"
    assert d["metadata"]["namespace"] == "default"
    assert d["metadata"]["labels"] == labels
    assert d["metadata"]["ownerReferences"][0]["uid"] == "uid-1"
    assert d["spec"]["replicas"] == 2
    assert d["spec"]["selector"] == {"matchLabels": labels}
    assert d["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    pod = d["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 0
    assert pod["volumes"] == [{"name": "usr-local-sbin", "emptyDir": {}}]
    anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti == [{"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}]
    [gateway] = pod["containers"]
    assert gateway["name"] == "gateway" and gateway["command"] == ["sleep", "infinity"]
    assert gateway["securityContext"]["runAsUser"] == 65534
    assert gateway["securityContext"]["capabilities"] == {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}


def test_node_affinity_match_labels_become_sorted_in_expressions():
    terms = deployment()["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [
        {"key": "egress", "operator": "In", "values": ["true"]},
        {"key": "zone", "operator": "In", "values": ["a"]},
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["kube-ovn-worker"]},
    ]}]


def test_no_node_selector_no_node_affinity():
    obj = with_spec()
    del obj["spec"]["nodeSelector"]
    assert "nodeAffinity" not in deployment(obj)["spec"]["template"]["spec"]["affinity"]


def test_pod_annotations():
    annotations = deployment()["spec"]["template"]["metadata"]["annotations"]
    assert annotations["k8s.v1.cni.cncf.io/networks"] == "default/eth1"
    assert annotations["ovn.kubernetes.io/logical_switch"] == "ovn-default"
    assert annotations["ovn.kubernetes.io/ip_pool"] == "10.16.0.101;10.16.0.102"
    assert annotations["eth1.default.kubernetes.io/ip_pool"] == "172.17.0.101;172.17.0.102"
    assert json.loads(annotations["ovn.kubernetes.io/routes"]) == [
        {"dst": "10.17.0.0/16", "gw": "10.16.0.1"}, {"dst": "10.18.0.0/16", "gw": "10.16.0.1"}]
    assert json.loads(annotations["eth1.default.kubernetes.io/routes"]) == [{"dst": "0.0.0.0/0", "gw": "172.17.0.1"}]


def test_init_container_runs_the_agent_with_kube_ovn_env():
    [init] = deployment()["spec"]["template"]["spec"]["initContainers"]
    assert init["name"] == "init"
    assert init["command"] == ["sh", "-c", "ansible-playbook -i localhost, -c local kubeovn.egress_gateway.agent"]
    assert init["securityContext"] == {"privileged": True}
    assert init["volumeMounts"] == [{"name": "usr-local-sbin", "mountPath": "/usr/local/sbin"}]
    assert init["env"] == [
        {"name": "INTERNAL_GATEWAY_IPV4", "value": "10.16.0.1"},
        {"name": "EXTERNAL_GATEWAY_IPV4", "value": "172.17.0.1"},
        {"name": "NO_SNAT_SOURCES_IPV4", "value": "10.18.0.0/16"},
    ]


def test_dual_stack_env_and_routes():
    ctx = WorkloadContext(image="i", internal_subnet="ovn-default", internal_gateway="10.16.0.1,fd00:10:16::1",
                          external_provider="eth1.default", external_gateway="172.17.0.1,fd72::1",
                          forward_cidrs=("fd18::/64", "10.18.0.0/16"), bfd_ip="10.255.255.255,fdff::1")
    obj = with_spec(bfd={"enabled": True}, internalIPs=[], externalIPs=[])
    d = deployment(obj, ctx)
    env = {e["name"]: e["value"] for e in d["spec"]["template"]["spec"]["initContainers"][0]["env"]}
    assert env == {"INTERNAL_GATEWAY_IPV4": "10.16.0.1", "EXTERNAL_GATEWAY_IPV4": "172.17.0.1",
                   "NO_SNAT_SOURCES_IPV4": "10.18.0.0/16", "INTERNAL_GATEWAY_IPV6": "fd00:10:16::1",
                   "EXTERNAL_GATEWAY_IPV6": "fd72::1", "NO_SNAT_SOURCES_IPV6": "fd18::/64"}
    annotations = d["spec"]["template"]["metadata"]["annotations"]
    routes = json.loads(annotations["ovn.kubernetes.io/routes"])
    assert {"dst": "10.255.255.255/32", "gw": "10.16.0.1"} in routes
    assert {"dst": "fdff::1/128", "gw": "fd00:10:16::1"} in routes
    assert {"dst": "fd18::/64", "gw": "fd00:10:16::1"} in routes
    assert json.loads(annotations["eth1.default.kubernetes.io/routes"]) == [
        {"dst": "0.0.0.0/0", "gw": "172.17.0.1"}, {"dst": "::/0", "gw": "fd72::1"}]
    assert "ovn.kubernetes.io/ip_pool" not in annotations


def test_bfdd_replaces_gateway_container():
    ctx = WorkloadContext(**{**CTX.__dict__, "bfd_ip": "10.255.255.255"})
    d = deployment(with_spec(bfd={"enabled": True, "minRX": 100, "minTX": 200, "multiplier": 5}), ctx)
    [bfdd] = d["spec"]["template"]["spec"]["containers"]
    assert bfdd["name"] == "bfdd"
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in bfdd["env"]}
    assert env.pop("GATEWAY_AGENT_NETWORK") == "false"
    assert env == {"POD_IPS": {"fieldRef": {"fieldPath": "status.podIPs"}}, "BFD_PEER_IPS": "10.255.255.255",
                   "BFD_MIN_TX": "200", "BFD_MIN_RX": "100", "BFD_MULTI": "5"}
    # what FRR's bfdd needs to start (root, dropping to frr with NET_RAW/NET_BIND_SERVICE/SYS_ADMIN),
    # found on the real kubelet (tests/functional/e2e_kube)
    assert bfdd["securityContext"]["runAsUser"] == 0
    assert {"NET_RAW", "NET_BIND_SERVICE", "SYS_ADMIN", "SETUID", "SETGID"} <= set(bfdd["securityContext"]["capabilities"]["add"])
    assert bfdd["startupProbe"]["failureThreshold"] * bfdd["startupProbe"]["periodSeconds"] >= 60
    assert bfdd["command"][:2] == ["/usr/bin/tini", "--"]
    assert bfdd["command"][-1].endswith("kubeovn.egress_gateway.agent && exec sleep infinity")
    assert bfdd["readinessProbe"]["exec"]["command"] == ["pgrep", "-x", "bfdd"]


def test_kube_ovn_runtime_runs_kube_ovn_scripts():
    ctx = WorkloadContext(**{**CTX.__dict__, "bfd_ip": "10.255.255.255", "runtime": "kube-ovn"})
    d = deployment(with_spec(bfd={"enabled": True}), ctx)
    pod = d["spec"]["template"]["spec"]
    assert pod["initContainers"][0]["command"] == ["bash", "/kube-ovn/init-vpc-egress-gateway.sh"]
    assert pod["containers"][0]["command"] == ["bash", "/kube-ovn/start-bfdd.sh"]
    assert pod["containers"][0]["startupProbe"]["exec"]["command"] == ["bash", "/kube-ovn/bfdd-prestart.sh"]
    assert pod["containers"][0]["livenessProbe"]["exec"]["command"] == ["bfdd-control", "status"]
    # Kube-OVN's own container, unchanged: uid 65534, startup probe once after 1 s
    assert pod["containers"][0]["securityContext"]["runAsUser"] == 65534
    assert pod["containers"][0]["startupProbe"]["failureThreshold"] == 1
    assert sorted(RUNTIMES) == ["agent", "kube-ovn"]


def test_bfd_without_vpc_bfd_port_is_refused():
    with pytest.raises(EgressGatewayError, match="no BFD port IP"):
        deployment(with_spec(bfd={"enabled": True}))


def test_provider_must_be_a_nad():
    ctx = WorkloadContext(**{**CTX.__dict__, "external_provider": "ovn"})
    with pytest.raises(EgressGatewayError, match="external_provider: must be <nad name>.<nad namespace>"):
        deployment(ctx=ctx)


def test_dual_stack_internal_with_ipv4_only_external():
    """kube-ovn#6958: the IPv6 family is handed over with no external gateway (the agent skips it)."""
    ctx = WorkloadContext(**{**CTX.__dict__, "internal_gateway": "10.16.0.1,fd00::1"})
    d = deployment(ctx=ctx)
    env = {e["name"]: e["value"] for e in d["spec"]["template"]["spec"]["initContainers"][0]["env"]}
    assert env["EXTERNAL_GATEWAY_IPV4"] == "172.17.0.1" and env["EXTERNAL_GATEWAY_IPV6"] == ""
    annotations = d["spec"]["template"]["metadata"]["annotations"]
    assert json.loads(annotations["eth1.default.kubernetes.io/routes"]) == [{"dst": "0.0.0.0/0", "gw": "172.17.0.1"}]


def test_hash_ignores_replicas_and_tracks_the_template():
    one, three = deployment(with_spec(replicas=2)), deployment(with_spec(replicas=3, internalIPs=[], externalIPs=[]))
    base = deployment(with_spec(internalIPs=[], externalIPs=[]))
    assert one["metadata"]["annotations"][HASH_ANNOTATION] != base["metadata"]["annotations"][HASH_ANNOTATION]
    assert three["metadata"]["annotations"][HASH_ANNOTATION] == base["metadata"]["annotations"][HASH_ANNOTATION]
    assert generate_hash(base) == base["metadata"]["annotations"][HASH_ANNOTATION]


def test_update_rule():
    desired = deployment()
    assert needs_update(None, desired)
    existing = copy.deepcopy(desired)
    existing["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "1"
    existing["spec"]["template"]["spec"]["schedulerName"] = "default-scheduler"  # server defaults do not matter
    assert not needs_update(existing, desired)
    existing["spec"]["replicas"] = 3
    assert needs_update(existing, desired)
    existing["spec"]["replicas"] = 2
    existing["metadata"]["annotations"][HASH_ANNOTATION] = "000000000000"
    assert needs_update(existing, desired)


def pod(name, node, ips, external=None, ready=True, deleting=False):
    status = [{"name": "kube-ovn", "ips": ips, "default": True}]
    if external:
        status.append({"name": "default/eth1", "interface": "net1", "ips": external})
    return {
        "metadata": {"name": name, "annotations": {"k8s.v1.cni.cncf.io/network-status": json.dumps(status)},
                     **({"deletionTimestamp": "2026-01-01T00:00:00Z"} if deleting else {})},
        "spec": {"nodeName": node},
        "status": {"podIPs": [{"ip": ip} for ip in ips],
                   "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def test_pod_instances():
    pods = [pod("b", "n2", ["10.16.0.13", "fd00::13"], ["172.17.0.13"]), pod("a", "n1", ["10.16.0.12"], ["172.17.0.12"]),
            pod("c", "n3", ["10.16.0.14"], deleting=True), {"metadata": {"name": "pending"}, "spec": {}, "status": {}}]
    assert pod_instances(pods, "eth1.default") == [
        {"name": "a", "node": "n1", "internal_ips": ["10.16.0.12"], "external_ips": ["172.17.0.12"]},
        {"name": "b", "node": "n2", "internal_ips": ["10.16.0.13", "fd00::13"],
         "external_ips": ["172.17.0.13"]},
    ]


def test_status_and_table():
    gateway = parse_gateway(copy.deepcopy(GATEWAY1))
    instances = pod_instances([pod("a", "kube-ovn-worker", ["10.16.0.12"], ["172.17.0.11"])], "eth1.default")
    ready_deploy = {"metadata": {"generation": 2}, "spec": {"replicas": 1},
                    "status": {"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}}
    assert deployment_is_ready(ready_deploy)
    assert not deployment_is_ready({**ready_deploy, "status": {**ready_deploy["status"], "observedGeneration": 1}})
    status = gateway_status(gateway, instances, ready_deploy)
    assert status["phase"] == "Completed" and status["ready"] is True
    assert status["labelSelector"] == "app=vpc-egress-gateway,ovn.kubernetes.io/vpc-egress-gateway=gateway1"
    assert status["workload"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "veg-gateway1",
                                  "nodes": ["kube-ovn-worker"]}
    lines = status_table([{"name": "gateway1", "vpc": "ovn-cluster", "bfd": False, "external_subnet": "macvlan1",
                           "status": status}])
    assert lines[0].split() == ["NAME", "VPC", "REPLICAS", "BFD", "ENABLED", "EXTERNAL", "SUBNET", "PHASE", "READY",
                                "INTERNAL", "IPS", "EXTERNAL", "IPS", "WORKING", "NODES"]
    assert lines[1].split() == ["gateway1", "ovn-cluster", "2", "false", "macvlan1", "Completed", "true",
                                "10.16.0.12", "172.17.0.11", "kube-ovn-worker"]
    assert status_table([{"name": "g", "vpc": "v", "bfd": True, "external_subnet": "m",
                          "status": gateway_status(gateway, [], None)}])[1].split()[-3:] == ["<none>"] * 3
    waiting = gateway_status(gateway, [], None)
    assert waiting["phase"] == "Processing" and waiting["conditions"][0]["reason"] == "Processing"


# --- selectors, subnets, VPC, NB service, BFD port chassis ------------------------------------

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._discovery import (  # noqa: E402
    nb_connection_from_service, pod_ports, policy_subnet_cidrs, with_planned_subnets, workload_plan,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway_status import merge_conditions  # noqa: E402
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._vpc_bfd_port import bfd_port_networks, bfd_port_nodes, chassis_of  # noqa: E402

SUBNETS = [
    {"metadata": {"name": "ovn-default"}, "spec": {"cidrBlock": "10.16.0.0/16", "gateway": "10.16.0.1"}},
    {"metadata": {"name": "subnet1"}, "spec": {"cidrBlock": "10.17.0.0/16", "gateway": "10.17.0.1", "vpc": "ovn-cluster"}},
    {"metadata": {"name": "vpc1-net"}, "spec": {"cidrBlock": "192.168.0.0/24", "gateway": "192.168.0.1", "vpc": "vpc1"}},
    {"metadata": {"name": "macvlan1"}, "spec": {"cidrBlock": "172.17.0.0/16", "gateway": "172.17.0.1",
                                                "provider": "eth1.default"}},
]


def client_pod(name, namespace="default", labels=None, switch="ovn-default", allocated=True, **extra):
    annotations = {"ovn.kubernetes.io/logical_switch": switch}
    if allocated:
        annotations["ovn.kubernetes.io/allocated"] = "true"
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels or {}, "annotations": annotations,
                         **extra.pop("metadata", {})},
            "spec": extra.pop("spec", {}), "status": extra.pop("status", {})}


def test_pod_ports_follow_kube_ovn_rules():
    gateway = parse_gateway(with_spec(selectors=[
        {"namespaceSelector": {"matchLabels": {"team": "a"}}},
        {"podSelector": {"matchExpressions": [{"key": "egress", "operator": "Exists"}]}},
    ]))
    namespaces = [{"metadata": {"name": "default", "labels": {"team": "a"}}},
                  {"metadata": {"name": "other", "labels": {}}}]
    pods = [
        client_pod("in-team-ns"),
        client_pod("labelled", "other", {"egress": "yes"}),
        client_pod("unlabelled", "other"),
        client_pod("host", spec={"hostNetwork": True}),
        client_pod("unallocated", allocated=False),
        client_pod("done", status={"phase": "Succeeded"}),
        client_pod("deleting", metadata={"deletionTimestamp": "2026-01-01T00:00:00Z"}),
        client_pod("other-vpc", switch="vpc1-net"),
    ]
    assert pod_ports(gateway, namespaces, pods, SUBNETS) == ["in-team-ns.default", "labelled.other"]
    no_selectors = copy.deepcopy(GATEWAY1)
    del no_selectors["spec"]["selectors"]
    assert pod_ports(parse_gateway(no_selectors), namespaces, pods, SUBNETS) == []


def test_policy_subnets_must_exist():
    gateway = parse_gateway(copy.deepcopy(GATEWAY1))
    assert policy_subnet_cidrs(gateway, SUBNETS) == {"subnet1": "10.17.0.0/16"}
    with pytest.raises(EgressGatewayError, match=r"spec.policies\[0\].subnets\[0\]: Subnet 'subnet1' not found"):
        policy_subnet_cidrs(gateway, SUBNETS[:1])


def test_workload_plan_reads_vpc_and_subnets():
    vpc = {"spec": {"bfdPort": {"enabled": True, "ip": "10.255.255.255"}},
           "status": {"router": "lr-ovn-cluster", "defaultLogicalSwitch": "ovn-default",
                      "bfdPort": {"name": "bfd@ovn-cluster"}}}
    gateway = parse_gateway(with_spec(bfd={"enabled": True}))
    plan = workload_plan(gateway, vpc, SUBNETS, "image:1", "uid-9")
    assert plan["router"] == "lr-ovn-cluster" and plan["bfd_port"] == "bfd@ovn-cluster"
    assert plan["nad"] == "default/eth1" and plan["subnet_cidrs"] == {"subnet1": "10.17.0.0/16"}
    d = plan["deployment"]
    assert d["spec"]["template"]["spec"]["containers"][0]["name"] == "bfdd"
    assert d["metadata"]["ownerReferences"][0]["uid"] == "uid-9"
    env = {e["name"]: e["value"] for e in d["spec"]["template"]["spec"]["initContainers"][0]["env"]}
    assert env["NO_SNAT_SOURCES_IPV4"] == "10.18.0.0/16"
    # no Vpc object: router = VPC name, internal subnet must then be given
    with pytest.raises(EgressGatewayError, match="defaultLogicalSwitch"):
        workload_plan(parse_gateway(copy.deepcopy(GATEWAY1)), None, SUBNETS, "image:1")
    plain = workload_plan(parse_gateway(with_spec(internalSubnet="ovn-default")), None, SUBNETS, "image:1")
    assert plain["router"] == "ovn-cluster" and plain["bfd_ip"] == ""
    with pytest.raises(EgressGatewayError, match="spec.externalSubnet: Subnet 'nope' not found"):
        workload_plan(parse_gateway(with_spec(externalSubnet="nope")), vpc, SUBNETS, "image:1")


def test_external_subnet_must_be_a_multus_network():
    with pytest.raises(EgressGatewayError, match=r"^spec.externalSubnet: Subnet's spec.provider is 'ovn', not <nad name>"
                                                 r".<nad namespace> .* \(got 'subnet1'\)$") as caught:
        workload_plan(parse_gateway(with_spec(externalSubnet="subnet1", internalSubnet="ovn-default")), None,
                      [{**s, "spec": {**s["spec"], "provider": "ovn"}} for s in SUBNETS], "image:1")
    assert caught.value.field == "spec.externalSubnet" and caught.value.value == "subnet1"


def test_planned_subnets_stand_in_for_the_ones_the_role_writes():
    planned = [{"metadata": {"name": "macvlan2"}, "spec": {"provider": "eth2.default", "cidrBlock": "172.18.0.0/16",
                                                           "gateway": ""}},
               {"metadata": {"name": "ovn-default"}, "spec": {"gateway": "10.16.0.254", "cidrBlock": ""}}]
    merged = {s["metadata"]["name"]: s["spec"] for s in with_planned_subnets(SUBNETS, planned)}
    assert merged["macvlan2"] == {"provider": "eth2.default", "cidrBlock": "172.18.0.0/16"}
    assert merged["ovn-default"] == {"cidrBlock": "10.16.0.0/16", "gateway": "10.16.0.254"}
    assert merged["subnet1"] == SUBNETS[1]["spec"] and len(merged) == len(SUBNETS) + 1
    plan = workload_plan(parse_gateway(with_spec(externalSubnet="macvlan2", internalSubnet="ovn-default")), None,
                         with_planned_subnets(SUBNETS, planned), "image:1")
    assert plan["nad"] == "default/eth2"
    assert with_planned_subnets(SUBNETS, None) == SUBNETS


def test_merge_conditions_keeps_transition_time():
    old = [{"type": "Ready", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "T0",
            "lastUpdateTime": "T0"}]
    same = merge_conditions(old, [{"type": "Ready", "status": "True", "reason": "ReconcileSuccess"}], "T1")
    assert same[0]["lastTransitionTime"] == "T0" and same[0]["lastUpdateTime"] == "T0"
    flipped = merge_conditions(old, [{"type": "Ready", "status": "False", "reason": "Processing"}], "T1")
    assert flipped[0]["lastTransitionTime"] == "T1"


def test_nb_connection_from_service():
    service = {"spec": {"clusterIP": "10.96.0.10", "ports": [{"name": "ovn-nb", "port": 6641}]}}
    assert nb_connection_from_service(service) == "tcp:10.96.0.10:6641"
    assert nb_connection_from_service({"spec": {"clusterIP": "fd00::a", "ports": [{"port": 6641}]}}) == "tcp:[fd00::a]:6641"
    with pytest.raises(EgressGatewayError, match="set the NB connection explicitly"):
        nb_connection_from_service({})


def node(name, labels=None, chassis=None):
    return {"metadata": {"name": name, "labels": labels or {},
                         "annotations": {"ovn.kubernetes.io/chassis": chassis} if chassis else {}}}


def test_bfd_port_chassis():
    nodes = [node("n4"), node("n2", {"bfd": "yes"}, "ch-2"), node("n1"), node("n3", {"bfd": "yes"})]

    def bfd_port_chassis(*args):
        return [chassis_of(n) for n in bfd_port_nodes(*args)]

    assert bfd_port_chassis(nodes, None) == ["n1", "ch-2", "n3"]
    assert bfd_port_chassis(nodes, {"matchLabels": {"bfd": "yes"}}) == ["ch-2", "n3"]
    assert bfd_port_chassis(nodes, {"matchExpressions": [{"key": "bfd", "operator": "DoesNotExist"}]}) == ["n1", "n4"]
    with pytest.raises(EgressGatewayError, match="no node matches"):
        bfd_port_nodes(nodes, {"matchLabels": {"bfd": "no"}})
    assert bfd_port_networks("10.255.255.255,fdff::1") == ["10.255.255.255/32", "fdff::1/128"]
    assert bfd_port_networks("10.255.255.254/24") == ["10.255.255.254/24"]
    with pytest.raises(EgressGatewayError, match="bfdPort.ip"):
        bfd_port_networks("10.255.255.300")


def test_node_selector_terms_are_ored_with_node_operators():
    def veg(*terms):
        return parse_gateway({"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
                              "metadata": {"name": "g", "namespace": "default"},
                              "spec": {"externalSubnet": "ext", "policies": [{"snat": True, "ipBlocks": ["10.1.0.0/16"]}],
                                       "nodeSelector": list(terms)}})
    nodes = [{"metadata": {"name": "n1", "labels": {"zone": "3", "egress": "true"}}},
             {"metadata": {"name": "n2", "labels": {"zone": "7"}}}]
    for term in ({"matchLabels": {"egress": "true"}}, {"matchExpressions": [{"key": "zone", "operator": "Gt", "values": ["5"]}]},
                 {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}):
        _discovery.check_node_selector(veg({"matchLabels": {"egress": "no"}}, term), nodes)
    _discovery.check_node_selector(veg({"matchLabels": {"egress": "no"}}), None)   # nodes not read
    with pytest.raises(EgressGatewayError) as exc:
        _discovery.check_node_selector(veg({"matchLabels": {"egress": "no"}},
                                           {"matchExpressions": [{"key": "zone", "operator": "Lt", "values": ["3"]}]}), nodes)
    assert exc.value.field == "spec.nodeSelector" and "matches no node of the cluster (2: n1, n2)" in str(exc.value)
