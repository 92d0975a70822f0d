# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who runs a cluster's VpcEgressGateways: Kube-OVN's controller or this collection (docs/kube-ovn.md).

Pure: decided from what the cluster has - the kube-ovn-controller Deployment (running? which
version, from its image tag; start-up GC switched off?), whether the VpcEgressGateway CRD is
installed, whether the gateway's object exists. Facts from kubeovn/kube-ovn's source:
- v1.14.0 added the VpcEgressGateway controller; it acts on every such object and cannot be
  switched off (pkg/controller/vpc_egress_gateway.go).
- From v1.13.0 its start-up GC (gcSecurityGroup, pkg/controller/gc.go) deletes every port group
  without external_ids:sg, so a VEG.<h> port group written without that controller handling the
  gateway; v1.15 and v1.16 still do for port groups with vendor=kube-ovn. From v1.13.4
  ``--gc-interval=0`` switches the start-up GC off.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import re

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError

MODES = ("auto", "kube-ovn", "collection")
KUBE_OVN = "kube-ovn"
COLLECTION = "collection"
VEG_CONTROLLER_SINCE = (1, 14, 0)
PORT_GROUP_GC_SINCE = (1, 13, 0)
GC_SWITCH_SINCE = (1, 13, 4)
CRD_NAME = "vpc-egress-gateways.kubeovn.io"
EVENT_REPAIR = "extensions/eda (the event-driven repair, docs/kube-ovn.md)"

# v1.14.0, v1.14.0-x86, v1.15.2-debug, 1.16.0: Kube-OVN's release tags (digests say nothing).
_TAG_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:[-+._].*)?")


def image_version(image: str) -> tuple | None:
    """(major, minor, patch) from an image reference's tag, or None (no tag, ``latest``, a digest)."""
    if not isinstance(image, str) or "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    match = _TAG_VERSION.fullmatch(last.rsplit(":", 1)[1])
    return tuple(int(part) for part in match.groups()) if match else None


def _text(version) -> str:
    return "v" + ".".join(str(part) for part in version) if version else "unknown"


def _gc_interval(container: dict):
    """The ``--gc-interval`` the controller is started with, or None when not given."""
    args = [*(container.get("command") or []), *(container.get("args") or [])]
    for i, arg in enumerate(args):
        if arg.startswith("--gc-interval="):
            return arg.split("=", 1)[1]
        if arg == "--gc-interval" and i + 1 < len(args):
            return args[i + 1]
    return None


def controller_facts(deployment: dict | None, namespace: str, name: str) -> dict:
    """What the kube-ovn-controller Deployment says about the controller (None: not found)."""
    where = f"{namespace}/{name}"
    if not deployment:
        return {"found": False, "running": False, "deployment": where, "image": "", "version": None,
                "version_text": "not found", "gc_deletes_port_groups": False, "handles_vpc_egress_gateways": False}
    containers = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    container = next((c for c in containers if c.get("name") == name), containers[0] if containers else {})
    image = container.get("image") or ""
    version = image_version(image)
    status = deployment.get("status") or {}
    ready = int(status.get("readyReplicas") or 0)
    running = ready > 0
    gc_off = _gc_interval(container) == "0" and (version is None or version >= GC_SWITCH_SINCE)
    return {
        "found": True, "running": running, "deployment": where, "image": image,
        "version": list(version) if version else None, "version_text": _text(version),
        "ready_replicas": ready, "replicas": int((deployment.get("spec") or {}).get("replicas") or 0),
        "gc_deletes_port_groups": running and not gc_off and (version is None or version >= PORT_GROUP_GC_SINCE),
        "handles_vpc_egress_gateways": running and version is not None and version >= VEG_CONTROLLER_SINCE,
    }


def _fail(field, value, problem):
    raise EgressGatewayError(f"{field}: {problem} (got {value!r})", field=field, value=value)


def decide(requested: str, controller: dict, crd_installed: bool, object_exists: bool = False,
           writes_object: bool = True) -> dict:
    """{"mode", "reason", "warnings"} for one gateway; an impossible choice fails in one line.

    ``requested`` is auto, kube-ovn or collection. ``writes_object``: the collection mode would
    write the VpcEgressGateway object (role variable egress_gateway_manage_resource).
    """
    if requested not in MODES:
        _fail("egress_gateway_mode", requested, f"must be one of {', '.join(MODES)}")
    where = controller["deployment"]
    running = controller["running"]
    version = tuple(controller["version"]) if controller["version"] else None
    found = (f"kube-ovn-controller {controller['version_text']} is running ({where}, image {controller['image']})"
             if running else f"no kube-ovn-controller is running ({where}: {'not ready' if controller['found'] else 'not found'})")
    crd = f"the VpcEgressGateway CRD is {'installed' if crd_installed else 'not installed'}"
    if requested == "auto":
        if running and version is None:
            _fail("egress_gateway_mode", requested,
                  f"cannot tell the version of kube-ovn-controller from its image {controller['image']!r} ({where}); "
                  "set egress_gateway_mode to kube-ovn (it runs v1.14 or later) or collection")
        requested = KUBE_OVN if controller["handles_vpc_egress_gateways"] and crd_installed else COLLECTION
    if requested == KUBE_OVN:
        if not (running and crd_installed and (version is None or version >= VEG_CONTROLLER_SINCE)):
            _fail("egress_gateway_mode", KUBE_OVN,
                  f"Kube-OVN runs VpcEgressGateways only from v1.14.0 with its controller and CRD, but {found} and {crd}")
        # its CRD drops the fields newer than itself without a word; with no version they pass unchecked
        unchecked = [] if version else [
            f"cannot tell the version of kube-ovn-controller from its image {controller['image']!r}: the gateway's "
            "fields are not checked against it, and a field newer than the cluster's Kube-OVN is dropped by its "
            "CRD without an error"]
        return {"mode": KUBE_OVN, "warnings": unchecked,
                "reason": f"{found} and {crd}: Kube-OVN runs the gateway; the collection validates, "
                          "applies the object, waits for its status and audits the NB rows"}
    handled = controller["handles_vpc_egress_gateways"] or (running and version is None)
    if handled and crd_installed and (writes_object or object_exists):
        what = "the gateway's VpcEgressGateway object exists" if object_exists else \
            "the collection would write the VpcEgressGateway object (egress_gateway_manage_resource)"
        _fail("egress_gateway_mode", COLLECTION,
              f"{found} and acts on every VpcEgressGateway object; {what}, so both would write the gateway's "
              "Deployment and NB rows; use egress_gateway_mode kube-ovn (or auto), or remove the object and "
              "set egress_gateway_manage_resource false")
    warnings = []
    if controller["gc_deletes_port_groups"]:
        warnings.append(
            f"{found}: its start-up GC deletes port groups it does not know, including this gateway's VEG.<hash> "
            "(gcSecurityGroup, v1.13.0 and later); the selected pods then leave by the ordinary route until the "
            f"gateway is reconciled again. Run the event-driven repair ({EVENT_REPAIR}), or start "
            "kube-ovn-controller with --gc-interval=0 (v1.13.4 and later)")
    return {"mode": COLLECTION, "warnings": warnings,
            "reason": f"{found} and {crd}: the collection runs the gateway (Deployment and NB rows)"}
