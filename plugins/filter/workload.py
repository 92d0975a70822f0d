# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters exposing the gateway workload (module_utils/_deployment.py, _discovery.py,
_gateway_status.py) to the egress_gateway role.

veg_workload            Deployment, router, BFD port and policy subnet CIDRs from the Vpc and Subnets
veg_ip_pools            the IPPools the gateway names; with the objects read, the first problem (exists, subnet)
veg_needs_update        Kube-OVN's update rule (generate-hash annotation or replicas differ)
veg_deployment_ready    util.DeploymentIsReady: rollout done, every wanted replica available
veg_instances           gateway instances (name, node, internal/external IPs) from pods
veg_pod_ports           logical switch ports of the pods the selectors match
veg_status              the VpcEgressGateway status for instances and the Deployment
veg_status_table        lines like ``kubectl get veg -o wide``
veg_nb_connection       ``tcp:IP:PORT`` of Kube-OVN's ovn-nb Service

Each raises AnsibleFilterError with the field and value of the first problem.
"""
from __future__ import annotations

import time

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import (
    _deployment, _discovery, _gateway_status,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.plugin_utils._filters import call, gateway_of


def veg_workload(obj, vpc, subnets, image, owner_uid="", runtime="agent", snat_log=None):
    return call("egress gateway workload", _discovery.workload_plan, gateway_of(obj), vpc or {}, subnets or [],
                image, owner_uid or "", runtime, snat_log)


def veg_ip_pools(obj, vpc=None, ip_pools=None):
    """The IPPool names the gateway uses and, with ``ip_pools`` (the objects read), the first
    problem with them as one line for a fail task ("" for none)."""
    gateway = gateway_of(obj)
    error = ""
    if ip_pools is not None:
        try:
            _discovery.check_ip_pools(gateway, vpc or {}, ip_pools)
        except EgressGatewayError as exc:
            error = str(exc)
    return {"names": _discovery.ip_pool_names(gateway), "error": error}


def veg_needs_update(existing, desired):
    return _deployment.needs_update(existing or None, desired)


def veg_deployment_ready(deployment):
    return _gateway_status.deployment_is_ready(deployment or None)


def veg_instances(pods, external_provider):
    return call("gateway pods", _gateway_status.pod_instances, pods or [], external_provider)


def veg_pod_ports(obj, namespaces, pods, subnets):
    return _discovery.pod_ports(gateway_of(obj), namespaces or [], pods or [], subnets or [])


def veg_status(obj, instances, deployment, existing=None, pods=None, external_provider=""):
    gateway = gateway_of(obj)
    problems = call("gateway pods", _gateway_status.workload_network_problems, pods, external_provider,
                    gateway.replicas) if pods is not None else ()
    status = _gateway_status.gateway_status(gateway, instances or [], deployment or None, problems)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    status["conditions"] = _gateway_status.merge_conditions((existing or {}).get("conditions"), status["conditions"], now)
    return status


def veg_status_table(obj, status, wide=True):
    gateway = gateway_of(obj)
    return _gateway_status.status_table([{"name": gateway.name, "vpc": gateway.vpc_name, "bfd": gateway.bfd.enabled,
                                          "external_subnet": gateway.external_subnet, "status": status}], wide=wide)


def veg_nb_connection(service):
    return call("OVN NB connection", _discovery.nb_connection_from_service, service)


class FilterModule:
    def filters(self):
        return {
            "veg_workload": veg_workload, "veg_ip_pools": veg_ip_pools, "veg_needs_update": veg_needs_update,
            "veg_deployment_ready": veg_deployment_ready, "veg_instances": veg_instances,
            "veg_pod_ports": veg_pod_ports, "veg_status": veg_status, "veg_status_table": veg_status_table,
            "veg_nb_connection": veg_nb_connection,
        }
