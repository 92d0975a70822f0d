# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes resource quantities and a container's ResourceRequirements, checked as the API
server checks a Deployment's containers (ValidateResourceRequirements), so a spec.resources the
cluster would refuse fails here, naming the field, before anything is written.

Pure Python, no I/O. PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import re
from fractions import Fraction

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import (
    DNS1123_SUBDOMAIN, Fields, check_type, fail,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import Resources


# resource.Quantity's serialised form: a signed decimal number, then a binary (Ki..Ei) or decimal
# (n, u, m, k, M..E) suffix or a decimal exponent (e3, E-2).
_QUANTITY = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?[0-9]+))?")
_SUFFIXES = {
    "": Fraction(1), "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12), "P": Fraction(10**15),
    "E": Fraction(10**18), "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30), "Ti": Fraction(2**40),
    "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}
# Stricter than the API server, which keeps larger quantities as arbitrary-precision decimals: the
# scheduler and kubelet count requests and limits in int64 (milli-units for cpu).
MAX_QUANTITY = 2**63 - 1
# What a container may ask for (pkg/apis/core/helper: standard container resources).
STANDARD = ("cpu", "memory", "ephemeral-storage")
_HUGEPAGES = "hugepages-"
_RESOURCE_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


def quantity(value, path) -> Fraction:
    """A quantity (an integer or a string such as ``100m``, ``64Mi``, ``1e3``) as its exact value."""
    check_type(value, path, int, str)
    if isinstance(value, int):
        number = Fraction(value)
    else:
        match = _QUANTITY.fullmatch(value) if len(value) <= 64 else None
        if not match:
            fail(path, value, "must be a Kubernetes quantity: a number with an optional suffix n, u, m, k, M, G, "
                 "T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent (e.g. 100m, 64Mi, 1e3)")
        sign, digits, suffix, exponent = match.groups()
        if exponent is not None and abs(int(exponent)) > 30:
            fail(path, value, "has an exponent beyond 30; no resource is counted at that scale")
        scale = Fraction(10) ** int(exponent) if exponent is not None else _SUFFIXES[suffix or ""]
        number = Fraction(digits) * scale * (-1 if sign == "-" else 1)
    if number < 0:
        fail(path, value, "must be a non-negative quantity")
    if number * 1000 > MAX_QUANTITY:
        fail(path, value, f"is too large; a quantity holds at most {MAX_QUANTITY} milli-units")
    return number


def _kind(name, path) -> str:
    """"standard", "hugepages" or "extended" (``<domain>/<name>``, whole units, requests = limits)."""
    check_type(name, path, str)
    if name in STANDARD:
        return "standard"
    if name.startswith(_HUGEPAGES):
        size = name[len(_HUGEPAGES):]
        if not _QUANTITY.fullmatch(size) or quantity(size, path) <= 0:
            fail(path, name, "hugepages needs a positive page size (e.g. hugepages-2Mi)")
        return "hugepages"
    domain, slash, base = name.partition("/")
    if slash and DNS1123_SUBDOMAIN.fullmatch(domain) and len(domain) <= 253 and len(base) <= 63 \
            and _RESOURCE_NAME.fullmatch(base) and not (domain == "kubernetes.io" or domain.endswith(".kubernetes.io")) \
            and not name.startswith("requests."):
        return "extended"
    fail(path, name, f"must be a container resource: {', '.join(STANDARD)}, hugepages-<size> or an extended "
         "resource <domain>/<name> outside kubernetes.io")
    return ""  # unreachable: fail raises


def resource_requirements(value, path) -> Resources:
    """spec.resources: limits and requests of standard, hugepages and extended resources, each
    request at most its limit; hugepages and extended resources requested exactly as limited.
    Claims name the pod's spec.resourceClaims, which a gateway pod has none of."""
    fields = Fields(value, path, ("limits", "requests", "claims"))
    if fields.value.get("claims"):
        fail(fields.sub("claims"), fields.value["claims"], "cannot be satisfied: the gateway pod has no "
             "spec.resourceClaims (Dynamic Resource Allocation)")
    parsed, kinds = {}, {}
    for key in ("limits", "requests"):
        items = fields.get(key, (dict,), {})
        parsed[key] = {}
        for name, amount in items.items():
            item_path = f"{fields.sub(key)}.{name}"
            kinds[name] = _kind(name, item_path)
            parsed[key][name] = quantity(amount, item_path)
            if kinds[name] == "extended" and parsed[key][name].denominator != 1:
                fail(item_path, amount, "an extended resource is counted in whole units")
    for name, request in parsed["requests"].items():
        item_path = f"{fields.sub('requests')}.{name}"
        amount = fields.value["requests"][name]
        limit = parsed["limits"].get(name)
        if limit is not None and request > limit:
            fail(item_path, amount, f"must be at most the limit ({fields.value['limits'][name]})")
        if kinds[name] != "standard" and limit != request:
            fail(item_path, amount, f"{name} cannot be overcommitted: set limits.{name} to the same quantity")
    if any(kind == "hugepages" for kind in kinds.values()) and not {"cpu", "memory"} & set(kinds):
        fail(path, value, "hugepages need a cpu or memory request or limit as well")
    return Resources(
        limits=tuple(sorted(fields.value.get("limits", {}).items())) if fields.value.get("limits") else (),
        requests=tuple(sorted(fields.value.get("requests", {}).items())) if fields.value.get("requests") else (),
    )
