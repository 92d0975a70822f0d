# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generic have/want for OVN Northbound rows: identity, ownership, a pure plan.

PRIVATE to the collection: not a public API. Used by the ovn_* modules and the gateway reconciler.
Pure: plain Python data in, plain data out; it never imports python-ovs. Reading the database
into a Snapshot and writing a Plan in one transaction is ``_ovsdb.NbConnection``'s job
(``snapshot()``, ``converge()``).

API (stable; only additive changes)::

    Want(table, key, columns=None, parent=None, merge=(), state="present")
        key      identity columns {"priority": 29100, "match": "ip4.src == $x"}; for a non-root
                 table (see PARENTS) the identity is scoped to the parent's rows.
        columns  wanted values of other columns, in python form (see Snapshot); a value may be a
                 Ref, or a list of Refs in a set column: resolved to an existing row, or to a row
                 created by another Want of the same plan (same transaction).
        parent   Ref to the row that must hold this one (Logical_Router for a policy/port,
                 HA_Chassis_Group for an HA_Chassis); created rows are linked, deleted unlinked.
        merge    map columns (e.g. ("external_ids",)) merged into the existing value instead of
                 replacing it.
        state    "absent": delete every row with this identity (unlinking it from its parent).
        create   False: the row must exist (only updated); else "unknown <table> '<key>'".
        prune_children  delete this row's non-root children (PARENTS) that no Want identifies.
        A key may use "_uuid" (uuid.UUID) to name an existing row.
        Want.ref is the Ref that names its row; Want.label (= Ref.label) is for display only.
    ref(table, parent=None, **key) -> Ref
    owned_by(**external_ids) -> predicate(row dict) true when the row's external_ids hold them all
    check_not_foreign(snapshot, wants, owned, router, owner): raise when a wanted identity is
        held by a row ``owned`` does not accept (never a takeover)

    plan(snapshot, wants, owned=None) -> Plan      owned = {table: predicate}: rows of that
        table for which the predicate holds and that no present Want identifies are deleted.
        Rows of other owners are never in a Plan.
    Plan.changed, Plan.changes [Change(action, table, label, uuid, before, after, columns, ref)],
         Plan.diff() -> {"before": {label: row}, "after": {label: row}}  (labels: display only),
         Plan.rows -> {Ref: {"uuid": str|None, **row}} for each present Want (after the plan),
         Plan.uuids (Ref -> str uuid), filled after a commit.
    Snapshot(rows, columns, load=None): {table: {uuid: {column: value}}} and
        {table: {column: Column}}; ``load(table)`` supplies a table's rows on first use.
        Values: scalar -> value, optional (min 0, max 1) -> value or None, set -> list,
        map -> dict, references -> uuid.UUID.
"""
from __future__ import annotations

import dataclasses
import uuid as uuidlib

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError

# Non-root table -> (parent table, parent column) that holds its rows.
PARENTS = {
    "Logical_Router_Policy": ("Logical_Router", "policies"),
    "Logical_Router_Port": ("Logical_Router", "ports"),
    "Logical_Router_Static_Route": ("Logical_Router", "static_routes"),
    "NAT": ("Logical_Router", "nat"),
    "HA_Chassis": ("HA_Chassis_Group", "ha_chassis"),
    "Logical_Switch_Port": ("Logical_Switch", "ports"),
}

# Columns that name a row to a human, for labels and for showing references.
LABEL_COLUMNS = {
    "Logical_Router_Policy": ("priority", "match"),
    "BFD": ("logical_port", "dst_ip"),
    "HA_Chassis": ("chassis_name",),
}


@dataclasses.dataclass(frozen=True)
class Column:
    kind: str                 # "scalar" | "optional" | "set" | "map"
    ref_table: str | None = None


@dataclasses.dataclass(frozen=True)
class Ref:
    table: str
    key: tuple                # ((column, value), ...)
    parent: "Ref | None" = None

    @property
    def label(self):
        return _label(self.table, dict(self.key), self.parent)


def ref(table, parent=None, **key):
    return Ref(table, tuple(sorted(key.items())), parent)


@dataclasses.dataclass
class Want:
    table: str
    key: dict
    columns: dict = dataclasses.field(default_factory=dict)
    parent: Ref | None = None
    merge: tuple = ()
    state: str = "present"
    create: bool = True          # False: the row must exist already ("unknown <table> <key>")
    prune_children: bool = False  # delete this row's non-root children that no Want identifies

    @property
    def ref(self):
        return Ref(self.table, tuple(sorted(self.key.items())), self.parent)

    @property
    def label(self):
        return _label(self.table, self.key, self.parent)


def owned_by(**external_ids):
    def predicate(row):
        ids = row.get("external_ids") or {}
        return all(ids.get(k) == v for k, v in external_ids.items())
    return predicate


def check_not_foreign(snapshot, wants, owned, router, owner):
    """A wanted identity held by a row of another owner is an error, not a takeover: rows of
    ``router`` for its children; ``owned`` = {table: predicate}; ``owner`` names ours in the error."""
    router_rows = [u for u, r in snapshot.rows("Logical_Router").items() if r.get("name") == router]
    for want in wants:
        within = None
        if want.parent is not None:
            parent_table, parent_column = PARENTS[want.table]
            within = [u for r in router_rows for u in snapshot.rows(parent_table)[r].get(parent_column) or []]
        for row_uuid in snapshot.find(want.table, want.key, within):
            row = snapshot.rows(want.table)[row_uuid]
            if not owned[want.table](row):
                raise EgressGatewayError(
                    f"{want.label} exists and is not {owner}'s (external_ids "
                    f"{row.get('external_ids') or {}}); remove it or give it to {owner} first",
                    field=want.table, value=want.label)


def _key_text(table, key):
    order = [c for c in LABEL_COLUMNS.get(table, ()) if c in key] + [c for c in key if c not in LABEL_COLUMNS.get(table, ())]
    return " ".join(str(key[c]) for c in order)


def _label(table, key, parent=None):
    label = f"{table} {_key_text(table, key)}"
    if parent is not None:
        label += " @" + _key_text(parent.table, dict(parent.key))
    return label


# -- what was read ------------------------------------------------------------------------------

class Snapshot:
    """Rows read from the NB database, in python form (see the module docstring)."""

    def __init__(self, rows, columns, load=None):
        self._rows = rows
        self.columns = columns
        self._load = load

    def has_table(self, table):
        return table in self.columns

    def rows(self, table):
        if table not in self._rows:
            if self._load is None or table not in self.columns:
                raise EgressGatewayError(f"internal: table {table} is not monitored")
            self._rows[table] = self._load(table)
        return self._rows[table]

    def find(self, table, key, within=None):
        """uuids of rows of table whose key columns equal key (within a set of uuids if given)."""
        rows = self.rows(table)
        uuids = rows.keys() if within is None else [u for u in within if u in rows]
        return sorted((u for u in uuids
                       if all(_same(u if c == "_uuid" else rows[u].get(c), v) for c, v in key.items())), key=str)


def _same(a, b):
    if isinstance(a, list) or isinstance(b, list):
        return _canon(a) == _canon(b)
    return a == b


def _canon(value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(value)
    return value


# -- the plan -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Pending:
    """A row this plan creates (its uuid exists only inside the transaction)."""
    ref: Ref

    @property
    def label(self):
        return self.ref.label

    def __str__(self):
        return self.label


@dataclasses.dataclass
class Change:
    action: str               # "create" | "update" | "delete"
    table: str
    label: str
    uuid: uuidlib.UUID | None
    before: dict | None
    after: dict | None
    columns: dict = dataclasses.field(default_factory=dict)   # column -> value to write
    parent: tuple | None = None   # (parent table, parent uuid | Pending, parent column)
    ref: Ref | None = None        # the Want's row (create / update); None for a delete


@dataclasses.dataclass
class Plan:
    changes: list
    rows: dict                # Ref -> row after the plan (python form, uuid as str or None)
    uuids: dict = dataclasses.field(default_factory=dict)   # Ref -> uuid (str) after a commit

    @property
    def changed(self):
        return bool(self.changes)

    def diff(self):
        before, after = {}, {}
        for change in self.changes:
            if change.before is not None:
                before[change.label] = change.before
            if change.after is not None:
                after[change.label] = change.after
        return {"before": before, "after": after}


class _Planner:
    def __init__(self, snapshot, wants, owned):
        self.snap = snapshot
        self.wants = list(wants)
        self.owned = owned or {}
        self.changes = []
        self.pending = {}       # Ref -> Pending, for rows this plan creates
        self.matched = set()    # uuids identified by present wants
        self.deleted = set()

    # references
    def resolve(self, value):
        if isinstance(value, Ref):
            return self.resolve_ref(value)
        if isinstance(value, (list, tuple)) and any(isinstance(v, Ref) for v in value):
            resolved = []
            for item in value:   # two refs may name the same row: a set holds it once
                item = self.resolve(item)
                if item not in resolved:
                    resolved.append(item)
            return resolved
        return value

    def resolve_ref(self, target):
        if target in self.pending:
            return self.pending[target]
        within = None
        if target.parent is not None:
            parent = self.resolve_ref(target.parent)
            if isinstance(parent, Pending):
                raise EgressGatewayError(f"unknown {target.table} {target.label}")
            within = self._children(target.table, parent)
        found = [u for u in self.snap.find(target.table, dict(target.key), within) if u not in self.deleted]
        if not found:
            what = _key_text(target.table, dict(target.key))
            raise EgressGatewayError(f"unknown {target.table} {what!r}", value=what)
        self.matched.add(found[0])   # a referenced row is in use: never pruned as stale
        return found[0]

    def _children(self, table, parent_uuid):
        parent_table, parent_column = PARENTS[table]
        return self.snap.rows(parent_table)[parent_uuid].get(parent_column) or []

    def _parent_of(self, table, row_uuid):
        if table not in PARENTS:
            return None
        parent_table, parent_column = PARENTS[table]
        for puuid, prow in self.snap.rows(parent_table).items():
            if row_uuid in (prow.get(parent_column) or []):
                return (parent_table, puuid, parent_column)
        return None

    # display
    def show_value(self, table, column, value):
        col = self.snap.columns.get(table, {}).get(column)
        if isinstance(value, (list, tuple, set, frozenset)):
            return sorted((self.show_value(table, column, v) for v in value), key=str)
        if isinstance(value, dict):
            return dict(sorted(value.items()))
        if isinstance(value, Pending):
            return value.label
        if isinstance(value, uuidlib.UUID):
            ref_table = col.ref_table if col else None
            if ref_table and self.snap.has_table(ref_table) and value in self.snap.rows(ref_table):
                row = self.snap.rows(ref_table)[value]
                names = LABEL_COLUMNS.get(ref_table, ("name",))
                if all(n in row for n in names):
                    return " ".join(str(row[n]) for n in names)
            return str(value)
        return value

    def show_row(self, table, row):
        return {c: self.show_value(table, c, v) for c, v in sorted(row.items())}

    # planning
    def run(self):
        # rows to create are known before any reference is resolved (roots first: a child's
        # identity is scoped to its parent, which may itself be created by this plan)
        present = [w for w in self.wants if w.state == "present"]
        for want in sorted(present, key=lambda w: w.parent is not None):
            self.pending_if_missing(want)
        rows = {}
        for want in self.wants:
            if want.state == "absent":
                self.plan_absent(want)
            else:
                rows[want.ref] = self.plan_present(want)
        for want in present:
            if want.prune_children:
                self.plan_prune(want)
        for table, predicate in self.owned.items():
            self.plan_owned_deletes(table, predicate)
        return Plan(self.changes, rows)

    def plan_prune(self, want):
        found = self.identify(want)
        if not found:
            return
        for child_table, (parent_table, _column) in PARENTS.items():
            if parent_table != want.table or not self.snap.has_table(child_table):
                continue
            for child in self._children(child_table, found[0]):
                if child not in self.matched and child in self.snap.rows(child_table):
                    self.delete(child_table, child)

    def identify(self, want):
        within = None
        if want.parent is not None:
            try:
                parent = self.resolve_ref(want.parent)
            except EgressGatewayError:
                if want.state == "absent":
                    return []
                raise
            if isinstance(parent, Pending):
                return []
            within = self._children(want.table, parent)
        return self.snap.find(want.table, want.key, within)

    def pending_if_missing(self, want):
        if want.create and not self.identify(want):
            self.pending[want.ref] = Pending(want.ref)

    def plan_absent(self, want):
        for row_uuid in self.identify(want):
            self.delete(want.table, row_uuid)

    def delete(self, table, row_uuid):
        if row_uuid in self.deleted:
            return
        row = self.snap.rows(table)[row_uuid]
        parent = self._parent_of(table, row_uuid)
        label = _label(table, {c: row.get(c) for c in LABEL_COLUMNS.get(table, ("name",))})
        if parent is not None:
            prow = self.snap.rows(parent[0])[parent[1]]
            label += " @" + " ".join(str(prow.get(c)) for c in LABEL_COLUMNS.get(parent[0], ("name",)))
        if any(c.label == label for c in self.changes):
            label += f" #{str(row_uuid)[:8]}"
        self.deleted.add(row_uuid)
        self.changes.append(Change("delete", table, label, row_uuid, self.show_row(table, row), None,
                                   parent=parent))

    def plan_present(self, want):
        if want.parent is not None:
            # the parent must exist (or be created by this plan): "unknown router" otherwise
            parent = self.resolve_ref(want.parent)
        found = self.identify(want)
        wanted = {c: self.resolve(v) for c, v in want.columns.items()}
        if not found and not want.create:
            what = _key_text(want.table, want.key)
            raise EgressGatewayError(f"unknown {want.table} {what!r}", value=what)
        if not found:
            columns = dict(want.key, **wanted)
            link = None
            if want.parent is not None:
                link = (PARENTS[want.table][0], parent, PARENTS[want.table][1])
            after = self.show_row(want.table, columns)
            self.changes.append(Change("create", want.table, want.label, None, None, after,
                                       columns=columns, parent=link, ref=want.ref))
            return dict(after, uuid=None)
        row_uuid = found[0]
        self.matched.add(row_uuid)
        row = self.snap.rows(want.table)[row_uuid]
        differing = {}
        for column, value in wanted.items():
            if column in want.merge and isinstance(value, dict):
                value = dict(row.get(column) or {}, **value)
            if not _equal(row.get(column), value):
                differing[column] = value
        for extra in found[1:]:
            predicate = self.owned.get(want.table)
            if predicate is not None and predicate(self.snap.rows(want.table)[extra]):
                self.delete(want.table, extra)
        merged = dict(row, **differing)
        shown = self.show_row(want.table, merged)
        if differing:
            before = self.show_row(want.table, row)
            self.changes.append(Change("update", want.table, want.label, row_uuid,
                                       before, shown, columns=differing, ref=want.ref))
        return dict(shown, uuid=str(row_uuid))

    def plan_owned_deletes(self, table, predicate):
        for row_uuid, row in sorted(self.snap.rows(table).items(), key=lambda item: str(item[0])):
            if row_uuid not in self.matched and predicate(row):
                self.delete(table, row_uuid)


def _equal(have, want):
    if any(isinstance(v, Pending) for v in (want if isinstance(want, list) else [want])):
        return False
    if isinstance(have, list) or isinstance(want, (list, tuple, set, frozenset)):
        return _canon(have or []) == _canon(want or [])
    return have == want


def plan(snapshot, wants, owned=None):
    """Pure: what must change so that the wanted rows exist and stale owned rows do not."""
    return _Planner(snapshot, wants, owned).run()
