# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolving a gateway against the cluster objects the API returned (kube-ovn-behaviour.md §1.3,
§1.4): the pods its selectors match, its policy subnets' CIDRs, the NB Service, and the
workload plan (Deployment, router, BFD port) from its Vpc and Subnets.

Pure Python, no I/O. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, shown
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import (
    LOGICAL_SWITCH_ANNOTATION, WorkloadContext, build_deployment, nad_of,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import fail
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import DEFAULT_VPC, Gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._snat_log import record_options


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


def _node_requirement_matches(requirement, values: dict) -> bool:
    """A node selector requirement: a label selector's operators, and Gt/Lt on integers."""
    if requirement.operator in ("Gt", "Lt"):
        try:
            have, bound = int(values[requirement.key]), int(requirement.values[0])
        except (KeyError, IndexError, ValueError):
            return False
        return have > bound if requirement.operator == "Gt" else have < bound
    return _requirement_matches(requirement, values)


def node_term_matches(term, node: dict) -> bool:
    """One term of spec.nodeSelector (a NodeSelectorTerm of the pods' required node affinity)."""
    metadata = node.get("metadata") or {}
    labels = metadata.get("labels") or {}
    return (all(labels.get(k) == v for k, v in term.match_labels)
            and all(_node_requirement_matches(r, labels) for r in term.match_expressions)
            and all(_node_requirement_matches(r, {"metadata.name": metadata.get("name", "")}) for r in term.match_fields))


def check_node_selector(gateway: Gateway, nodes: list | None) -> None:
    """The terms are OR-ed, as in the Deployment's node affinity: when none matches any node,
    no gateway pod can ever be scheduled; say so instead of waiting out the timeout.
    ``nodes`` None: not read, nothing checked."""
    if not gateway.node_selector or nodes is None:
        return
    if not any(node_term_matches(term, node) for term in gateway.node_selector for node in nodes):
        names = ", ".join(sorted((n.get("metadata") or {}).get("name", "") for n in nodes)[:5]) or "none"
        fail("spec.nodeSelector", [t.to_dict() for t in gateway.node_selector],
             f"matches no node of the cluster ({len(nodes)}: {names}), so no gateway pod can be scheduled")


def subnet_vpcs(subnets: list) -> dict:
    """Subnet name -> its VPC (``spec.vpc``, Kube-OVN's default VPC when empty)."""
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
            cidrs = subnet_cidrs[name]
            target.update(c for c in (cidrs.split(",") if isinstance(cidrs, str) else cidrs) if c)
    return sorted(snat), sorted(forward)


def nb_connection_from_service(service: dict | None) -> str:
    """``tcp:<clusterIP>:<port>`` of Kube-OVN's ``ovn-nb`` Service."""
    spec = (service or {}).get("spec") or {}
    ip = spec.get("clusterIP")
    ports = spec.get("ports") or []
    if not ip or ip == "None" or not ports:
        raise EgressGatewayError("nb_connection: none given and the cluster's ovn-nb Service has no cluster IP "
                                 f"and port; set the NB connection explicitly (got Service spec {shown(spec)})",
                                 field="nb_connection", value=None)
    port = next((p["port"] for p in ports if p.get("name") in ("ovn-nb", "nb")), ports[0]["port"])
    host = f"[{ip}]" if ":" in ip else ip
    return f"tcp:{host}:{port}"


def _subnet_named(subnets: list, name: str, field: str) -> dict:
    for subnet in subnets:
        if subnet["metadata"]["name"] == name:
            return subnet.get("spec") or {}
    raise EgressGatewayError(f"{field}: Subnet {name!r} not found", field=field, value=name)


def internal_subnet_name(gateway: Gateway, vpc: dict | None) -> str:
    """spec.internalSubnet, or the VPC's default subnet (status.defaultLogicalSwitch)."""
    name = gateway.internal_subnet or ((vpc or {}).get("status") or {}).get("defaultLogicalSwitch") or ""
    if not name:
        raise EgressGatewayError(f"spec.internalSubnet: empty, and VPC {gateway.vpc_name} reports no "
                                 "status.defaultLogicalSwitch (got '')", field="spec.internalSubnet", value="")
    return name


def ip_pool_names(gateway: Gateway) -> list:
    """The IPPools the gateway allocates from (spec.internalIPPool / externalIPPool)."""
    return sorted({p for p in (gateway.internal_ip_pool, gateway.external_ip_pool) if p})


def check_ip_pools(gateway: Gateway, vpc: dict | None, ip_pools: list) -> None:
    """Each IPPool the gateway names exists and belongs to the subnet it allocates in (Kube-OVN
    release-1.16: the internal pool's spec.subnet is the internal subnet, the external pool's the
    external subnet); ``ip_pools`` are the IPPool objects the API returned."""
    by_name = {(p.get("metadata") or {}).get("name"): p for p in ip_pools or []}
    for field, pool, which in (("spec.internalIPPool", gateway.internal_ip_pool, "internal"),
                               ("spec.externalIPPool", gateway.external_ip_pool, "external")):
        if not pool:
            continue
        if pool not in by_name:
            fail(field, pool, "IPPool not found (kubectl get ippool: a cluster-scoped Kube-OVN object)")
        subnet = internal_subnet_name(gateway, vpc) if which == "internal" else gateway.external_subnet
        pool_subnet = (by_name[pool].get("spec") or {}).get("subnet")
        if pool_subnet != subnet:
            fail(field, pool, f"IPPool's spec.subnet is {shown(pool_subnet)}, not the gateway's {which} subnet "
                 f"{subnet!r}")


def with_planned_subnets(subnets: list, planned: list | None) -> list:
    """The Subnets as they are once the role has written ``planned`` (the external network's
    Subnet, written before the workload): a planned one's non-empty spec fields over the read
    one of its name, or added when the cluster has none of that name."""
    by_name = {s["metadata"]["name"]: s for s in subnets}
    for subnet in planned or []:
        name = subnet["metadata"]["name"]
        spec = {k: v for k, v in (subnet.get("spec") or {}).items() if v not in ("", None, [])}
        found = by_name.get(name) or {"metadata": {"name": name}}
        by_name[name] = {**found, "spec": {**(found.get("spec") or {}), **spec}}
    return list(by_name.values())


def _external_provider(gateway: Gateway, external: dict) -> str:
    """The external Subnet's provider, which must be a Multus NetworkAttachmentDefinition's."""
    value = external.get("provider", "")
    try:
        nad_of(value)
    except EgressGatewayError:
        fail("spec.externalSubnet", gateway.external_subnet,
             f"Subnet's spec.provider is {shown(value)}, not <nad name>.<nad namespace> of a Multus "
             "NetworkAttachmentDefinition (an external subnet is a macvlan or ipvlan network)")
    return value


def workload_plan(gateway: Gateway, vpc: dict | None, subnets: list, image: str, owner_uid: str = "",
                  runtime: str = "agent", snat_log: dict | None = None) -> dict:
    """Everything the role needs from the cluster's Vpc and Subnets: the Deployment, the router,
    the BFD port and the policy subnets' CIDRs (Kube-OVN's validation of §1.4 included).
    ``snat_log``: the SNAT record's options (a ``snat-log`` container), None for none. The IP
    pools are checked before (``check_ip_pools``): the role does it before its first write."""
    vpc = vpc or {}
    vpc_spec, vpc_status = vpc.get("spec") or {}, vpc.get("status") or {}
    internal_name = internal_subnet_name(gateway, vpc)
    internal = _subnet_named(subnets, internal_name, "spec.internalSubnet")
    external = _subnet_named(subnets, gateway.external_subnet, "spec.externalSubnet")
    bfd_port = vpc_spec.get("bfdPort") or {}
    bfd_ip = bfd_port.get("ip", "") if bfd_port.get("enabled") else ""
    cidrs = policy_subnet_cidrs(gateway, subnets)
    snat, forward = policy_cidrs(gateway, cidrs)
    ctx = WorkloadContext(
        image=gateway.image or image, internal_subnet=internal_name,
        internal_gateway=internal.get("gateway", ""), internal_cidr=internal.get("cidrBlock", ""),
        external_provider=_external_provider(gateway, external),
        external_gateway=external.get("gateway", ""), bfd_ip=bfd_ip, snat_cidrs=tuple(snat),
        forward_cidrs=tuple(forward), owner_uid=owner_uid, runtime=runtime,
        snat_log=() if snat_log is None else tuple(record_options(snat_log, prefix="snat_log.")),
    )
    return {
        "deployment": build_deployment(gateway, ctx),
        "router": vpc_status.get("router") or gateway.vpc_name,
        "bfd_port": (vpc_status.get("bfdPort") or {}).get("name") or gateway.default_bfd_port,
        "bfd_ip": bfd_ip,
        "internal_subnet": internal_name,
        "external_provider": ctx.external_provider,
        "nad": "/".join(nad_of(ctx.external_provider)),
        "subnet_cidrs": cidrs,
    }
