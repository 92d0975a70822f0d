# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event-driven reconciliation: what a cluster or Northbound change means for the gateways.

Pure Python, no I/O. The event source plugin ``kubeovn.egress_gateway.gateway_events``
(extensions/eda/plugins/event_source/) is the I/O shell: it feeds an ``Engine`` the objects its
Kubernetes watches deliver and the NB rows it monitors, asks it which server-side watches and
which Logical_Switch_Ports are needed, and puts on the ansible-rulebook queue the events
``Engine.due()`` returns.

- An event is emitted only for a gateway whose NB rows differ from what the spec model wants
  for the cluster's current state (``drift``: the same plan the ovn_egress_gateway module would
  make), or, with ``manage_objects``, whose VpcEgressGateway object needs deploying or removing.
  Its own writes therefore cause no further event, and untouched gateways never get one.
- Coalescing: a gateway's first change opens a window; everything that arrives within it, for any
  gateway, goes into ONE event (the module reconciles all of them in one transaction).
- One action in flight per gateway: while the NB (or the object) does not yet show what the last
  event asked for, later changes wait and are sent together as soon as it does - a burst pays the
  action start about twice, not once per pod. An action that does not converge within
  ``settle_timeout`` is retried with a doubling delay.
- Nothing is decided on a partial read: a gateway is evaluated only when every watch it depends on
  has completed a list and the NB replica is connected.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import dataclasses

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import plan
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._reconcile import (
    Target, ownership, wants_for,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import parse_gateway
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._deployment import LOGICAL_SWITCH_ANNOTATION
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._desired_rows import desired_rows
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._discovery import (
    pod_ports, policy_subnet_cidrs, selector_matches,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import (
    DEFAULT_VPC, LABEL_APP, LABEL_APP_VALUE, LABEL_GATEWAY,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway_status import (
    NETWORK_STATUS_ANNOTATION, pod_instances,
)

# The collection's own finalizer on VpcEgressGateway objects it runs (manage_objects): a deletion
# while no rulebook runs still ends with the gateway's rows and Deployment removed.
FINALIZER = "egress-gateway.kubeovn.io/ansible-cleanup"
# metadata.generation of the spec the collection last deployed (written by playbooks/reconcile.yml).
DEPLOYED_GENERATION = "egress-gateway.kubeovn.io/deployed-generation"
# Every gateway's pods (server-side label selector of the gateway pod watch).
GATEWAY_PODS_SELECTOR = f"{LABEL_APP}={LABEL_APP_VALUE}"
ALLOCATED_ANNOTATION = "ovn.kubernetes.io/allocated"

# Kinds the engine keeps; "Pod" is a pod watch of a WatchKey, "GatewayPod" the gateways' pods.
KINDS = ("VpcEgressGateway", "Namespace", "Subnet", "Vpc", "GatewayPod", "Pod")
MAX_REASONS = 12
OBJECT_ACTION_FACTOR = 10


@dataclasses.dataclass(frozen=True, order=True)
class WatchKey:
    """A pod watch: ``namespace`` ("" = all namespaces) and a label selector ("" = every pod)."""
    namespace: str
    selector: str

    def __str__(self):
        where = f"namespace {self.namespace}" if self.namespace else "all namespaces"
        return f"pods of {where}" + (f" with {self.selector}" if self.selector else "")


def selector_text(selector) -> str:
    """A model LabelSelector as a server-side label selector (``k=v,k in (a,b),!k``)."""
    parts = [f"{key}={value}" for key, value in selector.match_labels]
    for requirement in selector.match_expressions:
        if requirement.operator == "In":
            parts.append(f"{requirement.key} in ({','.join(requirement.values)})")
        elif requirement.operator == "NotIn":
            parts.append(f"{requirement.key} notin ({','.join(requirement.values)})")
        elif requirement.operator == "Exists":
            parts.append(requirement.key)
        else:  # DoesNotExist
            parts.append(f"!{requirement.key}")
    return ",".join(parts)


def pod_watches(gateway, namespace_labels: dict) -> set:
    """The smallest pod watches that see every pod the gateway's selectors can match.

    A podSelector becomes a cluster-wide watch with that label selector (namespaces are checked
    in memory); a selector with only a namespaceSelector watches each matching namespace (the
    model refuses empty selectors, so no watch reads every pod of the cluster).
    """
    keys = set()
    for selector in gateway.selectors:
        if selector.pod_selector is not None:
            keys.add(WatchKey("", selector_text(selector.pod_selector)))
        else:
            keys.update(WatchKey(name, "") for name, labels in namespace_labels.items()
                        if selector_matches(selector.namespace_selector, labels))
    return keys


def _slim_metadata(metadata: dict, annotations=()) -> dict:
    kept = {"name": metadata.get("name"), "namespace": metadata.get("namespace"),
            "labels": metadata.get("labels") or {}, "resourceVersion": metadata.get("resourceVersion")}
    notes = metadata.get("annotations") or {}
    kept["annotations"] = {k: notes[k] for k in annotations if k in notes}
    if metadata.get("deletionTimestamp"):
        kept["deletionTimestamp"] = metadata["deletionTimestamp"]
    return kept


def slim(kind: str, obj: dict) -> dict:
    """Only what the resolution reads (10,000 pods must fit in little memory)."""
    metadata = obj.get("metadata") or {}
    if kind in ("Pod", "GatewayPod"):
        notes = (ALLOCATED_ANNOTATION, LOGICAL_SWITCH_ANNOTATION)
        if kind == "GatewayPod":
            notes += (NETWORK_STATUS_ANNOTATION,)
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return {"metadata": _slim_metadata(metadata, notes),
                "spec": {"hostNetwork": bool(spec.get("hostNetwork")), "nodeName": spec.get("nodeName") or ""},
                "status": {"phase": status.get("phase"), "podIPs": status.get("podIPs") or []}}
    if kind == "Namespace":
        return {"metadata": _slim_metadata(metadata)}
    if kind == "VpcEgressGateway":
        kept = _slim_metadata(metadata, (DEPLOYED_GENERATION,))
        kept.update(uid=metadata.get("uid"), generation=metadata.get("generation"),
                    finalizers=list(metadata.get("finalizers") or []))
        # list items of a custom resource carry apiVersion and kind; the model checks them when given
        kept_obj = {k: obj[k] for k in ("apiVersion", "kind") if obj.get(k)}
        return dict(kept_obj, metadata=kept, spec=obj.get("spec") or {})
    return {"metadata": _slim_metadata(metadata), "spec": obj.get("spec") or {}, "status": obj.get("status") or {}}


def object_key(kind: str, obj: dict) -> str:
    metadata = obj.get("metadata") or {}
    if kind in ("Namespace", "Subnet", "Vpc"):
        return metadata.get("name")
    return f"{metadata.get('namespace')}/{metadata.get('name')}"


def _version(obj) -> int:
    try:
        return int(obj["metadata"].get("resourceVersion") or 0)
    except ValueError:
        return 0


def _deleting(obj) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def deployed(obj, generation) -> bool:
    """The collection has deployed ``generation`` of this managed object's spec."""
    metadata = obj["metadata"]
    return (FINALIZER in metadata["finalizers"]
            and metadata["annotations"].get(DEPLOYED_GENERATION) == str(generation))


def needs_deploy(obj) -> bool:
    """A managed object whose current spec (generation) the collection has not deployed yet."""
    return not deployed(obj, obj["metadata"].get("generation"))


def drift(target: Target, snapshot) -> list:
    """The changes the ovn_egress_gateway module would make for ``target`` on this NB replica.

    ``snapshot`` is an _nb_rows.Snapshot of the reconciler's tables plus the Logical_Switch_Ports
    of the selected pods (name only). An error the module would also hit (a missing router)
    counts as drift, so the action runs and reports it.
    """
    lsp_uuids = {row["name"]: row_uuid for row_uuid, row in snapshot.rows("Logical_Switch_Port").items()}
    with_sessions = "bfd_sessions" in snapshot.columns.get("Logical_Router_Policy", {})
    try:
        wants = wants_for(target.rows, lsp_uuids, with_sessions)
        changes = plan(snapshot, wants, owned=ownership(target.gateway)).changes
    except EgressGatewayError as exc:
        return [f"error {exc}"]
    return [f"{change.action} {change.label}" for change in changes]


@dataclasses.dataclass
class Resolved:
    """A gateway resolved against the cluster: the module's gateways[] item and its Target."""
    item: dict
    target: Target
    watches: frozenset


@dataclasses.dataclass
class _Pending:
    since: float
    reasons: list


@dataclasses.dataclass
class _InFlight:
    action: str
    until: float
    attempt: int
    target: Target | None = None
    generation: int | None = None     # deploy: the spec generation sent


class Engine:
    """The event source's state and decisions (see the module docstring). Time is passed in."""

    def __init__(self, manage_objects=False, window=0.1, settle_timeout=30.0, settle_timeout_max=300.0):
        self.manage_objects = manage_objects
        self.window = window
        self.settle_timeout = settle_timeout
        self.settle_timeout_max = settle_timeout_max
        self.objects = {kind: {} for kind in KINDS if kind != "Pod"}
        self.pods: dict = {}          # WatchKey -> {ns/name: pod}
        self.synced: set = set()      # kinds and WatchKeys with a complete list, watch healthy
        self.nb = None                # Snapshot, None while the NB is not connected
        self.pending: dict = {}       # gateway key -> _Pending
        self.inflight: dict = {}      # gateway key -> _InFlight
        self.resolved: dict = {}      # gateway key -> Resolved | EgressGatewayError
        self.reported: dict = {}      # gateway key -> (uid, generation, message) of the last invalid event
        self._retries: dict = {}      # gateway key -> attempts of an action that did not converge
        self._dirty: set = set()

    # -- input ------------------------------------------------------------------------------

    def touch(self, key, reason, now):
        pending = self.pending.setdefault(key, _Pending(now, []))
        if len(pending.reasons) < MAX_REASONS and reason not in pending.reasons:
            pending.reasons.append(reason)
        self._dirty.add(key)

    def _store(self, kind, watch=None):
        return self.pods.setdefault(watch, {}) if kind == "Pod" else self.objects[kind]

    def apply(self, kind, event_type, obj, now, watch=None):
        """One watch event (ADDED / MODIFIED / DELETED) of ``kind`` (``watch``: the pod WatchKey)."""
        store = self._store(kind, watch)
        key = object_key(kind, obj)
        old = store.get(key)
        new = None if event_type == "DELETED" else slim(kind, obj)
        if new is None:
            store.pop(key, None)
        else:
            store[key] = new
        self._touch_affected(kind, key, old, new, f"{kind} {key} {event_type.lower()}", now, watch)

    def replace(self, kind, items, now, watch=None):
        """A complete list (start, relist after 410 Gone or a lost connection): every difference
        to what was kept counts as a change, so nothing that happened meanwhile is missed."""
        store = self._store(kind, watch)
        fresh = {object_key(kind, obj): slim(kind, obj) for obj in items}
        for key in set(store) | set(fresh):
            old, new = store.get(key), fresh.get(key)
            if old != new:
                what = "deleted" if new is None else "added" if old is None else "modified"
                self._touch_affected(kind, key, old, new, f"{kind} {key} {what} (resync)", now, watch)
        store.clear()
        store.update(fresh)
        self.set_synced(kind if kind != "Pod" else watch, True, now)

    def set_synced(self, what, synced, now):
        """A watch completed its list (True) or lost its connection (False: hold its gateways)."""
        if synced and what not in self.synced:
            self.synced.add(what)
            for key in self.objects["VpcEgressGateway"]:
                self.touch(key, f"{what} synced", now)
        elif not synced:
            self.synced.discard(what)

    def drop_watch(self, watch, now):
        """A pod watch no gateway needs any more."""
        self.pods.pop(watch, None)
        self.synced.discard(watch)

    def set_nb(self, snapshot, now, reason="NB changed"):
        """The NB replica after a change (None: disconnected). Every gateway is checked for drift;
        only those whose rows differ get an event."""
        self.nb = snapshot
        if snapshot is not None:
            for key in self.objects["VpcEgressGateway"]:
                self.touch(key, reason, now)

    def _touch_affected(self, kind, key, old, new, reason, now, watch=None):
        for gateway_key in self.affected(kind, key, old, new, watch):
            self.touch(gateway_key, reason, now)

    def affected(self, kind, key, old, new, watch=None) -> set:
        """The gateways a change of one object (``old`` -> ``new``, None when absent) can affect;
        for a pod, the gateways whose pod watches include ``watch``."""
        gateways = self.objects["VpcEgressGateway"]
        if kind == "VpcEgressGateway":
            return {key}
        if kind == "GatewayPod":
            out = set()
            for obj in (old, new):
                if obj is not None:
                    name = obj["metadata"]["labels"].get(LABEL_GATEWAY)
                    out.add(f"{obj['metadata']['namespace']}/{name}")
            return out & set(gateways)
        if kind == "Pod":
            return {k for k, r in self.resolved.items() if isinstance(r, Resolved) and watch in r.watches}
        out = set()
        for gateway_key, obj in gateways.items():
            spec = obj["spec"]
            if kind == "Namespace" and spec.get("selectors"):
                out.add(gateway_key)
            elif kind == "Vpc" and (spec.get("vpc") or DEFAULT_VPC) == key:
                out.add(gateway_key)
            elif kind == "Subnet":
                named = {spec.get("internalSubnet"), spec.get("externalSubnet")}
                named.update(s for p in spec.get("policies") or [] for s in p.get("subnets") or [])
                # pods' subnets decide their VPC: a gateway with selectors depends on every subnet
                if spec.get("selectors") or key in named:
                    out.add(gateway_key)
        return out

    # -- resolution ---------------------------------------------------------------------------

    def namespace_labels(self) -> dict:
        return {name: obj["metadata"]["labels"] for name, obj in self.objects["Namespace"].items()}

    def resolve(self, key):
        """The module inputs of one gateway from what the watches hold (raises EgressGatewayError)."""
        obj = self.objects["VpcEgressGateway"][key]
        gateway = parse_gateway(obj)
        subnets = list(self.objects["Subnet"].values())
        vpc = self.objects["Vpc"].get(gateway.vpc_name) or {}
        watches = frozenset(pod_watches(gateway, self.namespace_labels()))
        candidates = {}
        for watch in watches:
            for pod_key, pod in self.pods.get(watch, {}).items():
                if pod_key not in candidates or _version(pod) > _version(candidates[pod_key]):
                    candidates[pod_key] = pod
        namespaces = list(self.objects["Namespace"].values())
        ports = pod_ports(gateway, namespaces, list(candidates.values()), subnets)
        external = self.objects["Subnet"].get(gateway.external_subnet)
        if external is None:
            raise EgressGatewayError(f"spec.externalSubnet: Subnet {gateway.external_subnet!r} not found",
                                     field="spec.externalSubnet", value=gateway.external_subnet)
        own_pods = [p for p in self.objects["GatewayPod"].values()
                    if p["metadata"]["namespace"] == gateway.namespace
                    and p["metadata"]["labels"].get(LABEL_GATEWAY) == gateway.name]
        instances = pod_instances(own_pods, external["spec"].get("provider") or "")
        subnet_cidrs = policy_subnet_cidrs(gateway, subnets)
        router = vpc.get("status", {}).get("router") or gateway.vpc_name
        bfd_port = None
        if gateway.bfd.enabled:
            bfd_port = (vpc.get("status", {}).get("bfdPort") or {}).get("name") or gateway.default_bfd_port
        item = {"spec": gateway.to_manifest(), "router": router, "instances": instances, "pod_ports": ports,
                "subnet_cidrs": subnet_cidrs}
        if bfd_port:
            item["bfd_port"] = bfd_port
        rows = desired_rows(gateway, router, bfd_port, instances, ports, subnet_cidrs, {})
        return Resolved(item, Target(gateway, rows, bfd_port), watches)

    def refresh(self):
        """Resolve the gateways touched since the last call; drop those whose object is gone."""
        for key in self._dirty:
            if key not in self.objects["VpcEgressGateway"]:
                self.resolved.pop(key, None)
                continue
            try:
                self.resolved[key] = self.resolve(key)
            except EgressGatewayError as exc:
                self.resolved[key] = exc
        self._dirty.clear()

    def wanted_watches(self) -> set:
        return {w for r in self.resolved.values() if isinstance(r, Resolved) for w in r.watches}

    def wanted_ports(self) -> set:
        """The Logical_Switch_Ports to monitor in the NB: every selected pod's."""
        return {p for r in self.resolved.values() if isinstance(r, Resolved) for p in r.item["pod_ports"]}

    # -- decisions ------------------------------------------------------------------------------

    def _ready(self, resolved) -> bool:
        needed = {"VpcEgressGateway", "Namespace", "Subnet", "Vpc", "GatewayPod"}
        if isinstance(resolved, Resolved):
            needed |= resolved.watches
        return needed <= self.synced

    def _settled(self, key, flight: _InFlight) -> bool:
        obj = self.objects["VpcEgressGateway"].get(key)
        if flight.action == "remove":
            return obj is None or FINALIZER not in obj["metadata"]["finalizers"]
        if flight.action == "deploy":
            # the generation sent, not the current one: an edit made meanwhile is pending and
            # goes out as soon as this deploy has landed
            return obj is None or deployed(obj, flight.generation) or not needs_deploy(obj)
        if self.nb is None:
            return False
        if not drift(flight.target, self.nb):
            return True
        current = self.resolved.get(key)
        return isinstance(current, Resolved) and not drift(current.target, self.nb)

    def _check_flights(self, now):
        for key, flight in list(self.inflight.items()):
            if self._settled(key, flight):
                del self.inflight[key]
            elif now >= flight.until:
                del self.inflight[key]
                self.touch(key, f"the {flight.action} action sent {flight.attempt} time(s) did not converge "
                                "within its timeout; retrying", now)
                self.pending[key].since = now - self.window  # retry at once (the delay was the timeout)
                self._retries[key] = flight.attempt

    def _send(self, key, action, now, target=None, generation=None):
        attempt = self._retries.pop(key, 0) + 1
        # deploy / remove run the whole role (and wait for the gateway's pods): ten times longer
        base = self.settle_timeout * (1 if action == "rows" else OBJECT_ACTION_FACTOR)
        timeout = min(base * 2 ** (attempt - 1), max(self.settle_timeout_max, base))
        self.inflight[key] = _InFlight(action, now + timeout, attempt, target, generation)

    def _invalid_event(self, key, exc):
        obj = self.objects["VpcEgressGateway"][key]["metadata"]
        seen = (obj.get("uid"), obj.get("generation"), str(exc))
        if self.reported.get(key) == seen:
            return None
        self.reported[key] = seen
        return {"action": "invalid", "gateway": key, "name": obj["name"], "namespace": obj["namespace"],
                "uid": obj.get("uid"), "generation": obj.get("generation"), "field": exc.field,
                "value": exc.value, "message": str(exc)}

    def due(self, now) -> list:
        """The events to emit now (and the in-flight bookkeeping for them)."""
        self.refresh()
        self._check_flights(now)
        events, items, reasons, first = [], [], {}, now
        gateways = self.objects["VpcEgressGateway"]
        for key, pending in sorted(self.pending.items()):
            if now < pending.since + self.window or key in self.inflight:
                continue
            obj = gateways.get(key)
            resolved = self.resolved.get(key)
            if obj is None:
                del self.pending[key]
                continue
            if not self._ready(resolved):
                continue
            if isinstance(resolved, EgressGatewayError):
                del self.pending[key]
                if not (self.manage_objects and _deleting(obj)):
                    event = self._invalid_event(key, resolved)
                    if event:
                        events.append(event)
                    continue
            else:
                self.reported.pop(key, None)
            if self.manage_objects and _deleting(obj):
                del self.pending[key]
                if FINALIZER in obj["metadata"]["finalizers"]:
                    events.append({"action": "remove", "gateway": key, "name": obj["metadata"]["name"],
                                   "namespace": obj["metadata"]["namespace"], "reasons": pending.reasons})
                    self._send(key, "remove", now)
                continue
            if _deleting(obj):
                del self.pending[key]
                continue
            if self.manage_objects and needs_deploy(obj):
                del self.pending[key]
                events.append({"action": "deploy", "gateway": key, "object": obj, "reasons": pending.reasons})
                self._send(key, "deploy", now, generation=obj["metadata"].get("generation"))
                continue
            if self.nb is None:
                continue
            del self.pending[key]
            changes = drift(resolved.target, self.nb)
            if changes and changes[0].startswith("error "):
                # the module will fail for this gateway: alone, so the others' transaction goes on
                events.append({"action": "rows", "gateways": [resolved.item], "reasons": {key: changes},
                               "first_change": pending.since})
                self._send(key, "rows", now, resolved.target)
            elif changes:
                items.append(resolved.item)
                reasons[key] = (pending.reasons + changes)[:MAX_REASONS * 2]
                first = min(first, pending.since)
                self._send(key, "rows", now, resolved.target)
        if items:
            # first_change: when the oldest change of the event arrived (the caller's clock)
            events.insert(0, {"action": "rows", "gateways": items, "reasons": reasons, "first_change": first})
        return events

    def next_wakeup(self, now):
        """Seconds until due() may have something new to say without new input (None: never)."""
        times = [p.since + self.window for k, p in self.pending.items() if k not in self.inflight]
        times += [f.until for f in self.inflight.values()]
        return max(0.0, min(times) - now) if times else None
