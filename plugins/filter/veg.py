# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters exposing the VpcEgressGateway model (module_utils/_crd.py, _gateway.py, _desired_rows.py) to roles and playbooks.

veg_manifest  manifest text -> data (duplicate keys refused, alias expansion bounded); a mapping as is
veg_spec   the validated object with every CRD default (apiVersion/kind/metadata/spec)
veg_names  the names Kube-OVN derives: key, hash, port group, address sets, Deployment, labels
veg_rows   the NB rows the reconciler keeps for the gateway (same data the module writes)
veg_kube_ovn_version_error  a field newer than a Kube-OVN release, as one line ("" when it has them all)

Each raises AnsibleFilterError with the field path and value of the first invalid field.
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import check_kube_ovn_version
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._yaml import load as load_yaml
from ansible_collections.kubeovn.egress_gateway.plugins.plugin_utils._filters import call, gateway_of


def veg_manifest(obj, name="manifest"):
    """``text | kubeovn.egress_gateway.veg_manifest`` -> the parsed manifest (a mapping passes as is).

    Use it instead of ``from_yaml`` for manifest text: a duplicate key or an alias bomb is an error.
    """
    if not isinstance(obj, str):
        return obj
    return call("invalid manifest", load_yaml, obj, name)


def veg_spec(obj, namespace=None, name=None):
    """``gateway | kubeovn.egress_gateway.veg_spec`` -> the normalised object with defaults."""
    return gateway_of(obj, namespace, name).to_manifest()


def veg_names(obj, namespace=None, name=None):
    """``gateway | kubeovn.egress_gateway.veg_names`` -> key, hash, port_group, address_sets, ..."""
    return gateway_of(obj, namespace, name).names()


def veg_rows(obj, instances, router=None, bfd_port=None, pod_ports=None, subnet_cidrs=None,
             node_port_groups=None, namespace=None, name=None):
    """``gateway | kubeovn.egress_gateway.veg_rows(instances, ...)`` -> the desired NB rows.

    router defaults to the gateway's VPC name and bfd_port to ``bfd@<vpc>`` when BFD is on.
    """
    gateway = gateway_of(obj, namespace, name)
    if bfd_port is None and gateway.bfd.enabled:
        bfd_port = gateway.default_bfd_port
    rows = call("invalid egress gateway input", desired_rows, gateway, router or gateway.vpc_name, bfd_port, instances,
                pod_ports or [], subnet_cidrs or {}, node_port_groups or {})
    for policy in rows["policies"]:
        policy["bfd_sessions"] = [list(session) for session in policy["bfd_sessions"]]
    return rows


def veg_kube_ovn_version_error(obj, kube_ovn_version, namespace=None, name=None):
    """``gateway | kubeovn.egress_gateway.veg_kube_ovn_version_error('v1.14.10')`` -> "" or the one
    line naming the first field that Kube-OVN release lacks and the release it needs (for a fail
    task where Kube-OVN's controller runs the gateway). An empty version checks nothing."""
    gateway_of(obj, namespace, name)
    if kube_ovn_version in (None, ""):
        return ""
    try:
        check_kube_ovn_version(obj if not isinstance(obj, str) else load_yaml(obj, "spec"), kube_ovn_version)
    except EgressGatewayError as exc:
        return str(exc)
    return ""


class FilterModule:
    def filters(self):
        return {"veg_manifest": veg_manifest, "veg_spec": veg_spec, "veg_names": veg_names, "veg_rows": veg_rows,
                "veg_kube_ovn_version_error": veg_kube_ovn_version_error}
