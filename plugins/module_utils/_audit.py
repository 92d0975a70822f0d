# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit a gateway's NB rows against the model: what kube-ovn-controller wrote vs what it should hold.

Where Kube-OVN runs the gateway (docs/kube-ovn.md) the collection does not write the rows; it
reads what the NB holds for the gateway (its external_ids), plans the model's rows against it
with the reconciler (_reconcile, check mode) and turns each planned change into a deviation in
words, naming Kube-OVN's known bug where the change is its signature. With ``repair`` the same
plan is applied (one transaction), exactly as ovn_egress_gateway would.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._reconcile import Target, reconcile
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import (
    PRIORITY_DROP, PRIORITY_LOCAL, PRIORITY_REROUTE,
)

BFD_INTERVALS = ("min_rx", "min_tx", "detect_mult")
PORT_GROUP_GONE = (
    "kube-ovn-controller's start-up GC deletes port groups without external_ids:sg (gcSecurityGroup, "
    "v1.13.0 to v1.16.2, kube-ovn#6959), and v1.16.2 leaves it out for gateways without selectors "
    "(kube-ovn#7247)")
ISSUES = {
    "port_group_missing": "kube-ovn#7247",
    "bfd_intervals": "kube-ovn v1.14 BFD intervals",
    "stale_cidrs": "kube-ovn#6100",
    "local_without_bfd": "kube-ovn#6927",
}


def _names(values):
    return sorted(str(v) for v in values or [])


def _set_change(before, after):
    have, want = set(_names(before)), set(_names(after))
    parts = []
    if want - have:
        parts.append(f"lacks {', '.join(sorted(want - have))}")
    if have - want:
        parts.append(f"holds {', '.join(sorted(have - want))} that it should not")
    return "; ".join(parts)


def _deviation(change, problem, issue=None):
    return {"row": change.label, "table": change.table, "action": change.action, "problem": problem,
            "known_issue": ISSUES.get(issue)}


def _explain_port_group(change):
    if change.action == "create":
        return _deviation(change, f"{change.label} is missing, so the policies matching "
                                  f"${change.after['name']}_ip4/_ip6 select no pod: {PORT_GROUP_GONE}",
                          "port_group_missing")
    if change.action == "delete":
        return _deviation(change, f"{change.label} belongs to the gateway but is not one of its rows")
    return _deviation(change, f"{change.label} members: {_set_change(change.before.get('ports'), change.after.get('ports'))} "
                              "(the pods the selectors match)")


def _explain_address_set(change, subnet_cidrs):
    if change.action != "update":
        what = "is missing, so its policies match nothing" if change.action == "create" else \
            "belongs to the gateway but is not one of its rows"
        return _deviation(change, f"{change.label} {what}")
    before, after = set(_names(change.before.get("addresses"))), set(_names(change.after.get("addresses")))
    text = f"{change.label} {_set_change(before, after)}"
    subnet_blocks = {c.strip() for cidrs in (subnet_cidrs or {}).values()
                     for c in (cidrs.split(",") if isinstance(cidrs, str) else cidrs)}
    if (before ^ after) & subnet_blocks or (before - after):
        return _deviation(change, f"{text}: the policies' subnets have these CIDRs now, and Kube-OVN does not "
                                  "reconcile the gateway when a subnet changes", "stale_cidrs")
    return _deviation(change, f"{text} (the policies' ipBlocks and subnet CIDRs)")


def _explain_bfd(change):
    if change.action == "create":
        return _deviation(change, f"{change.label} is missing: no BFD session watches that instance")
    if change.action == "delete":
        return _deviation(change, f"{change.label} is stale: no instance has that address")
    changed = [c for c in BFD_INTERVALS if change.before.get(c) != change.after.get(c)]
    if changed:
        have = ", ".join(f"{c} {change.before.get(c)}" for c in changed)
        want = ", ".join(f"{c} {change.after.get(c)}" for c in changed)
        return _deviation(change, f"{change.label} has {have} where the spec asks {want}: Kube-OVN v1.14 never "
                                  "updates the intervals of an existing BFD row", "bfd_intervals")
    return _deviation(change, f"{change.label} differs in {', '.join(sorted(change.columns))}")


def _explain_policy(change, gateway):
    priority = (change.after or change.before).get("priority")
    if change.action == "create":
        if priority == PRIORITY_LOCAL and gateway.traffic_policy == "Local" and not gateway.bfd.enabled:
            return _deviation(change, f"{change.label} is missing: with trafficPolicy Local and BFD off Kube-OVN "
                                      "v1.14 writes an empty BFD session, the transaction fails and the gateway "
                                      "stays Processing", "local_without_bfd")
        role = {PRIORITY_REROUTE: "the reroute to the gateways", PRIORITY_LOCAL: "the reroute to the node's gateway",
                PRIORITY_DROP: "the drop when no BFD session is up"}.get(priority, "a policy of the gateway")
        return _deviation(change, f"{change.label} is missing ({role})")
    if change.action == "delete":
        return _deviation(change, f"{change.label} is stale: the gateway does not need it")
    parts = []
    for column in sorted(change.columns):
        if column in ("nexthops", "bfd_sessions"):
            parts.append(f"{column} {_set_change(change.before.get(column), change.after.get(column))}")
        else:
            parts.append(f"{column} {change.before.get(column)!r} should be {change.after.get(column)!r}")
    return _deviation(change, f"{change.label}: {'; '.join(parts)}")


def explain(plan, gateway, subnet_cidrs=None) -> list[dict]:
    """One deviation per planned change: {row, table, action, problem, known_issue}."""
    out = []
    for change in plan.changes:
        if change.table == "Port_Group":
            out.append(_explain_port_group(change))
        elif change.table == "Address_Set":
            out.append(_explain_address_set(change, subnet_cidrs))
        elif change.table == "BFD":
            out.append(_explain_bfd(change))
        elif change.table == "Logical_Router_Policy":
            out.append(_explain_policy(change, gateway))
        else:
            out.append(_deviation(change, f"{change.label}: {change.action}"))
    return out


def full_diff(plan) -> dict:
    """Every row of the gateway before (as the NB holds it) and after (as the model wants it)."""
    after = {row_ref.label: {k: v for k, v in row.items() if k != "uuid"} for row_ref, row in plan.rows.items()}
    before = dict(after)
    for change in plan.changes:
        if change.before is None:
            before.pop(change.label, None)
        else:
            before[change.label] = change.before
        if change.after is None:
            after.pop(change.label, None)
    return {"before": before, "after": after}


ROW_KINDS = ("router", "port_groups", "address_sets", "bfd", "policies")


def check_rows(rows):
    """``rows`` is what the veg_rows filter returns (a one-line error otherwise)."""
    missing = [kind for kind in ROW_KINDS if kind not in (rows or {})]
    if missing:
        raise EgressGatewayError(f"rows: must be what the veg_rows filter returns; it lacks {', '.join(missing)} "
                                 f"(got keys {sorted(rows or {})})", field="rows", value=sorted(rows or {}))
    return rows


def audit(conn, gateway, rows, bfd_port=None, subnet_cidrs=None, repair=False) -> dict:
    """Read, compare, explain; write the model's rows only with ``repair``.

    ``conn`` is an open NbConnection on _reconcile.monitored_tables([Target(gateway, rows, bfd_port)]).
    """
    outcome = reconcile(conn, [Target(gateway, rows, bfd_port)], check_mode=not repair)
    plan = outcome["plan"]
    return {"plan": plan, "deviations": explain(plan, gateway, subnet_cidrs),
            "missing_ports": outcome["missing_ports"].get(gateway.key, [])}
