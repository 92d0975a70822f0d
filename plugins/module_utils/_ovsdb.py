# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A short-lived, synchronous connection to the OVN Northbound database (python-ovs IDL).

PRIVATE to the collection: not a public API. The one module that talks python-ovs: it reads the
replica into an ``_nb_rows.Snapshot`` and writes an ``_nb_rows.Plan`` in one transaction.

API (stable; only additive changes)::

    conn = NbConnection(
        remote,                 # "unix:/path", "tcp:IP:PORT", "ssl:IP:PORT", or a comma-separated
                                # list of them (a RAFT cluster: writes go to the leader)
        tables,                 # {"Logical_Router": ["name", "policies"], "BFD": None, ...}
                                #   None = every column. Only these tables/columns are monitored.
        timeout=30,             # seconds, for connecting + the initial read, and for each commit
        private_key=None, certificate=None, ca_cert=None,   # file paths, for ssl: remotes
        conditions=None,        # {"Logical_Switch_Port": [["name", "==", "p1"], ...]} (OR-ed)
        optional_columns=None,  # {"Logical_Router_Policy": ["bfd_sessions"]}: monitored when the
                                #   schema has them, skipped silently otherwise (see require());
                                #   {"Table": ["*"]}: the whole table is optional
    )
    with conn:                          # connect, wait for the initial monitor reply, close
        conn.schema_version             # "7.11.0"
        conn.has_column(t, c)           # bool
        conn.require(t, c, what)        # EgressGatewayError naming the OVN version needed
        conn.set_condition(t, clauses)  # monitor other rows of t (server-side), wait for them
        conn.select(t, columns)         # one plain `select` outside the replica (large tables)
        conn.snapshot()                 # _nb_rows.Snapshot of what is monitored (lazy per table)
        conn.converge(wants, owned=None, check_mode=False, read=None) -> _nb_rows.Plan
                                        # read (read() or snapshot()), plan, and unless check
                                        #   mode or nothing changes apply the plan in ONE
                                        #   transaction; "try again" (a concurrent writer, a
                                        #   leader change, an index clash) -> wait for fresh
                                        #   data, re-read, re-plan. Plan.uuids holds the uuids.
        conn.commit(build)              # build(txn, idl) fills one python-ovs Transaction;
                                        #   returns (status, txn) with status "success",
                                        #   "unchanged" or "try again"; errors raise.
        conn.wait_for_change()          # after "try again": until the replica is fresh again

Errors (EgressGatewayError): unreachable (names the remotes), not an OVN_Northbound database,
timeout, a constraint/referential-integrity error from the server. Key material is passed to
python-ovs by path and never appears in messages.
"""
from __future__ import annotations

import codecs
import errno
import json
import os
import time

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import Column, Pending, Snapshot, plan
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovs_json import FastParser, use_fast_json

try:
    import ovs.db.data
    import ovs.db.error
    import ovs.db.idl
    import ovs.poller
    import ovs.stream
    HAS_OVS = True
    OVS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the modules
    HAS_OVS = False
    OVS_IMPORT_ERROR = exc

DATABASE = "OVN_Northbound"

# (table, column) -> the first OVN release (and NB schema) that has it, for clear errors.
FEATURE_VERSIONS = {
    ("Logical_Router_Policy", "bfd_sessions"): "OVN 24.03 (NB schema 7.3.0)",
    ("Logical_Router_Policy", "chain"): "OVN 25.03 (NB schema 7.11.0)",
    ("Logical_Router_Policy", "jump_chain"): "OVN 25.03 (NB schema 7.11.0)",
}

TXN_SUCCESS = "success"
TXN_UNCHANGED = "unchanged"
TXN_TRY_AGAIN = "try again"
MAX_ATTEMPTS = 8


def split_remotes(remote):
    """'ssl:a:1,ssl:b:2' -> ['ssl:a:1', 'ssl:b:2'] (a part without ':' continues the previous)."""
    remotes = []
    for part in (remote or "").split(","):
        part = part.strip()
        if not part:
            continue
        if remotes and ":" not in part:
            remotes[-1] += "," + part
        else:
            remotes.append(part)
    return remotes


def validate_remote(remote):
    remotes = split_remotes(remote)
    if not remotes:
        raise EgressGatewayError(f"connection must name at least one remote (got {remote!r})", field="connection",
                                 value=remote)
    for item in remotes:
        kind = item.split(":", 1)[0]
        if kind not in ("unix", "tcp", "ssl"):
            raise EgressGatewayError(
                f"connection remote {item!r} must start with unix:, tcp: or ssl:", field="connection", value=remote)
    return remotes


class NbConnection:
    """See the module docstring."""

    def __init__(self, remote, tables, timeout=30, private_key=None, certificate=None, ca_cert=None,
                 conditions=None, optional_columns=None):
        if not HAS_OVS:
            raise EgressGatewayError(f"the python 'ovs' library is required: {OVS_IMPORT_ERROR}")
        self.remote = remote
        self.remotes = validate_remote(remote)
        self.tables = dict(tables)
        self.optional_columns = {t: set(c) for t, c in (optional_columns or {}).items()}
        self.timeout = float(timeout)
        self.private_key = private_key
        self.certificate = certificate
        self.ca_cert = ca_cert
        self.conditions = dict(conditions or {})
        self.schema_json = None
        self.idl = None
        self._built_at = (0, 0)

    # -- connecting ---------------------------------------------------------------------------

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def schema_version(self):
        return self.schema_json.get("version") if self.schema_json else None

    def _setup_ssl(self):
        if not any(r.startswith("ssl:") for r in self.remotes):
            return
        missing = [name for name, value in (("private_key", self.private_key), ("certificate", self.certificate),
                                            ("ca_cert", self.ca_cert)) if not value]
        if missing:
            raise EgressGatewayError(
                f"an ssl: connection needs {', '.join(missing)}", field=missing[0], value=None)
        for name, path in (("private_key", self.private_key), ("certificate", self.certificate),
                           ("ca_cert", self.ca_cert)):
            try:
                with open(path, "rb"):
                    pass
            except OSError as exc:
                raise EgressGatewayError(f"cannot read {name} {path}: {exc.strerror}", field=name, value=path) from None
        ovs.stream.Stream.ssl_set_private_key_file(self.private_key)
        ovs.stream.Stream.ssl_set_certificate_file(self.certificate)
        ovs.stream.Stream.ssl_set_ca_cert_file(self.ca_cert)

    def _ask(self, method, params, deadline, on_error_reply=None):
        """One JSON-RPC request to the first remote that answers (any cluster member serves it).

        ``on_error_reply(remote, stream)`` may raise for a reply that carries an error; otherwise
        that reply is returned to the caller like any other.
        """
        problems = []
        for remote in self.remotes:
            remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
            try:
                error, stream = ovs.stream.Stream.open_block(ovs.stream.Stream.open(remote), remaining_ms)
            except (OSError, ValueError) as exc:
                # ssl.SSLError is an OSError; its text names the file, never its content.
                raise EgressGatewayError(
                    f"cannot use the TLS private key / certificate / CA certificate for {remote}: "
                    f"{type(exc).__name__}: {getattr(exc, 'reason', None) or exc.strerror or 'invalid'}",
                    field="connection", value=self.remote) from None
            if error:
                problems.append(self._why(remote, error))
                continue
            try:
                error, reply = _request(stream, method, params, deadline)
                if error:
                    problems.append(self._why(remote, error))
                    continue
                if reply.get("error") is not None and on_error_reply is not None:
                    on_error_reply(remote, stream)
                return reply
            finally:
                stream.close()
        raise EgressGatewayError(
            f"cannot reach the OVN Northbound database: {'; '.join(problems)}", field="connection", value=self.remote)

    def _fetch_schema(self, deadline):
        def not_northbound(remote, stream):
            _error, dbs = _request(stream, "list_dbs", [], deadline)
            dbs = [db for db in (dbs or {}).get("result") or [] if db != "_Server"]
            raise EgressGatewayError(
                f"{remote} is not an {DATABASE} database (it serves: {', '.join(dbs) or 'nothing'})",
                field="connection", value=self.remote)

        return self._ask("get_schema", [DATABASE], deadline, on_error_reply=not_northbound)["result"]

    def select(self, table, columns, where=()):
        """Rows of one ``select`` (a list of {column: OVSDB JSON value}), outside the replica.

        For reads too large to replicate cheaply (every logical switch port of a big cluster):
        the reply is decoded by the standard library's C JSON decoder. Any cluster member may
        answer, so a row a follower does not have yet is missing until the next read.
        """
        deadline = time.monotonic() + self.timeout
        op = {"op": "select", "table": table, "where": list(where), "columns": list(columns)}
        reply = self._ask("transact", [DATABASE, op], deadline)
        result = (reply.get("result") or [{}])[0]
        problem = reply.get("error") or result.get("error")
        if problem is not None:
            raise EgressGatewayError(f"cannot read {table} at {self.remote}: {problem}",
                                     field="connection", value=self.remote)
        return result["rows"]

    def _why(self, remote, error):
        if error == "timed out":
            return f"{remote}: no answer within {self.timeout:g}s"
        if remote.startswith("ssl:") and error in (errno.EPERM, errno.ECONNRESET, errno.EPROTO, errno.EIO):
            return (f"{remote}: TLS handshake failed ({_strerror(error)}): the server refused our certificate, "
                    "or its certificate is not signed by ca_cert")
        return f"{remote}: {_strerror(error)}"

    def _schema_helper(self):
        schema_tables = self.schema_json["tables"]
        helper = ovs.db.idl.SchemaHelper(schema_json=self.schema_json)
        for table, columns in self.tables.items():
            if table not in schema_tables:
                if table in self.optional_columns and self.optional_columns[table] == {"*"}:
                    continue
                raise EgressGatewayError(self._missing_message(table, None, f"table {table}"))
            if columns is None:
                helper.register_table(table)
                continue
            present = []
            for column in columns:
                if column in schema_tables[table]["columns"]:
                    present.append(column)
                elif column not in self.optional_columns.get(table, ()):
                    raise EgressGatewayError(self._missing_message(table, column, f"{table}.{column}"))
            helper.register_columns(table, present)
        return helper

    def connect(self):
        deadline = time.monotonic() + self.timeout
        use_fast_json()
        self._setup_ssl()
        self.schema_json = self._fetch_schema(deadline)
        self.idl = ovs.db.idl.Idl(",".join(self.remotes), self._schema_helper(), leader_only=True)
        for table, cond in self.conditions.items():
            if table in self.idl.tables:
                self.idl.cond_change(table, cond)
        self._run_until(lambda: self.idl.has_ever_connected() and not self.idl.cond_changed
                        and self._conditions_acked(), deadline, "reading the database")

    def _conditions_acked(self):
        return all(t.condition_state.new is None and t.condition_state.requested is None
                   for t in self.idl.tables.values())

    def close(self):
        if self.idl is not None:
            self.idl.close()
            self.idl = None

    # -- schema features ----------------------------------------------------------------------

    def has_column(self, table, column):
        tables = self.schema_json["tables"]
        return table in tables and column in tables[table]["columns"]

    def monitors(self, table, column):
        return table in self.idl.tables and column in self.idl.tables[table].columns

    def _missing_message(self, table, column, what):
        needed = FEATURE_VERSIONS.get((table, column))
        needs = f"needs {needed}" if needed else "needs a newer OVN"
        return (f"{what} is not in the connected NB schema {self.schema_json.get('version')} "
                f"at {self.remote}: this {needs}")

    def require(self, table, column, what):
        """Fail clearly when the connected schema lacks a column a requested feature uses."""
        if not self.has_column(table, column):
            raise EgressGatewayError(self._missing_message(table, column, what))

    # -- reading and writing ------------------------------------------------------------------

    def snapshot(self):
        """What the replica holds now, converted to python form table by table on first use."""
        idl = self.idl
        columns = {name: {col: _column_of(c.type) for col, c in table.columns.items()}
                   for name, table in idl.tables.items()}

        def load(table):
            kinds = columns[table]
            # the replica leaves out columns that hold their default value
            defaults = {col: _from_datum(kinds[col], ovs.db.data.Datum.default(c.type))
                        for col, c in idl.tables[table].columns.items()}
            return {row.uuid: dict(defaults, **{col: _from_datum(kinds[col], datum)
                                                for col, datum in row._data.items()  # pylint: disable=protected-access
                                                if col in kinds})
                    for row in idl.tables[table].rows.values()}
        return Snapshot({}, columns, load)

    def converge(self, wants, owned=None, check_mode=False, read=None):
        """Read, plan and (unless check_mode) apply in one transaction, retrying on TRY_AGAIN.

        ``read()`` returns the Snapshot to plan on (default: snapshot()); it is called again for
        every attempt, so checks it makes see the fresh data too.
        """
        wants = list(wants)
        read = read or self.snapshot
        for _attempt in range(MAX_ATTEMPTS):
            the_plan = plan(read(), wants, owned)
            if check_mode or not the_plan.changed:
                return the_plan
            inserted = {}
            status, txn = self.commit(_builder(the_plan, inserted))
            if status == TXN_TRY_AGAIN:
                self.wait_for_change()
                continue
            for row_ref, row in inserted.items():
                real = txn.get_insert_uuid(row.uuid)
                the_plan.uuids[row_ref] = str(real) if real else None
                if row_ref in the_plan.rows:
                    the_plan.rows[row_ref]["uuid"] = the_plan.uuids[row_ref]
            for row_ref, row in the_plan.rows.items():
                if row.get("uuid"):
                    the_plan.uuids.setdefault(row_ref, row["uuid"])
            return the_plan
        raise EgressGatewayError(
            f"the NB database kept changing under us: gave up after {MAX_ATTEMPTS} attempts at {self.remote}")

    def _run_until(self, done, deadline, doing):
        while True:
            self.idl.run()
            if done():
                return
            if time.monotonic() >= deadline:
                if not self.idl.has_ever_connected():
                    # a member answered get_schema, so the remotes are reachable: none of them leads
                    raise EgressGatewayError(
                        f"timed out after {self.timeout:g}s {doing} at {self.remote}: no member is the "
                        "cluster leader (a RAFT cluster without quorum?)", field="connection", value=self.remote)
                raise EgressGatewayError(f"timed out after {self.timeout:g}s {doing} at {self.remote}")
            poller = ovs.poller.Poller()
            self.idl.wait(poller)
            poller.timer_wait(max(1, int((deadline - time.monotonic()) * 1000)))
            poller.block()

    def set_condition(self, table, cond):
        """Change what is monitored of a table (server-side condition) and wait for the rows."""
        self.conditions[table] = cond
        self.idl.cond_change(table, cond)
        self._run_until(lambda: not self.idl.cond_changed and self._conditions_acked(),
                        time.monotonic() + self.timeout, f"monitoring {table}")

    def wait_for_change(self):
        """After TRY_AGAIN (a concurrent change or a leader change): wait for a fresh replica.

        Fresh = monitoring again, and either the data changed since the transaction was built
        (the conflicting update may already have arrived during the commit) or the session
        reconnected (to the new leader).
        """
        seqno, session_seqno = self._built_at
        session = self.idl._session  # pylint: disable=protected-access
        deadline = time.monotonic() + self.timeout
        self._run_until(lambda: self.idl.state == self.idl.IDL_S_MONITORING and session.is_connected()
                        and (self.idl.change_seqno != seqno or session.get_seqno() != session_seqno),
                        deadline, "waiting for the database after a conflict or leader change")

    def commit(self, build):
        """Build and commit one transaction; returns (status, txn). ERROR raises."""
        deadline = time.monotonic() + self.timeout
        self._built_at = (self.idl.change_seqno, self.idl._session.get_seqno())  # pylint: disable=protected-access
        txn = ovs.db.idl.Transaction(self.idl)
        build(txn, self.idl)
        status = txn.commit()
        while status == ovs.db.idl.Transaction.INCOMPLETE:
            if time.monotonic() >= deadline:
                txn.abort()
                raise EgressGatewayError(f"timed out after {self.timeout:g}s committing to {self.remote}")
            poller = ovs.poller.Poller()
            self.idl.run()
            self.idl.wait(poller)
            txn.wait(poller)
            poller.timer_wait(max(1, int((deadline - time.monotonic()) * 1000)))
            poller.block()
            status = txn.commit()
        if status in (TXN_SUCCESS, TXN_UNCHANGED, TXN_TRY_AGAIN):
            return status, txn
        error = txn.get_error() or ""
        if '"constraint violation"' in error and "identical values" in error:
            # a concurrent writer created a row with the same indexed identity: re-read, re-plan
            return TXN_TRY_AGAIN, txn
        raise EgressGatewayError(f"the NB transaction at {self.remote} failed ({status}): {txn.get_error()}")


def _column_of(ovs_type):
    ref_table = ovs_type.key.ref_table.name if getattr(ovs_type.key, "ref_table", None) else None
    if ovs_type.is_map():
        return Column("map")
    if ovs_type.is_scalar():
        return Column("scalar", ref_table)
    if ovs_type.is_optional():
        return Column("optional", ref_table)
    return Column("set", ref_table)


def _from_datum(column, datum):
    value = datum.to_python(lambda atom, base: atom)
    if column.kind == "optional":
        return value[0] if value else None
    return value


def _write(the_plan, txn, idl):
    """Write every change of the plan into one python-ovs transaction (not committed here).

    Returns {Ref: inserted row} for the rows the plan creates.
    """
    inserted = {change.ref: txn.insert(idl.tables[change.table])
                for change in the_plan.changes if change.action == "create"}

    def to_ovs(value):
        if isinstance(value, Pending):
            return inserted[value.ref]
        if isinstance(value, (list, tuple, set, frozenset)):
            return [to_ovs(v) for v in value]
        return value

    def write(row, table, column, value):
        col = idl.tables[table].columns[column]
        value = to_ovs([] if value is None else value)
        try:
            ovs.db.data.Datum.from_python(col.type, value, _row_to_uuid)
        except ovs.db.error.Error as exc:
            raise EgressGatewayError(f"{table}.{column}: invalid value {value!r}: {exc}",
                                     field=column, value=value) from None
        setattr(row, column, value)

    for change in the_plan.changes:
        table = idl.tables[change.table]
        if change.action == "create":
            row = inserted[change.ref]
            for column, value in change.columns.items():
                write(row, change.table, column, value)
            if change.parent is not None:
                parent_table, parent, parent_column = change.parent
                if isinstance(parent, Pending):
                    parent_row = inserted[parent.ref]
                else:
                    parent_row = idl.tables[parent_table].rows[parent]
                    # a concurrent writer adding the same child makes this TRY_AGAIN (re-plan
                    # sees its row): no duplicate policies from two runs at once
                    parent_row.verify(parent_column)
                parent_row.addvalue(parent_column, row)
        elif change.action == "update":
            row = table.rows[change.uuid]
            for column, value in change.columns.items():
                write(row, change.table, column, value)
        else:
            if change.parent is not None:
                parent_table, parent_uuid, parent_column = change.parent
                idl.tables[parent_table].rows[parent_uuid].delvalue(parent_column, change.uuid)
            if not table.is_root:
                # python-ovs leaves a non-root row to garbage collection, which runs after the
                # server's referential-integrity check: delete it explicitly.
                txn.add_op({"op": "delete", "table": change.table,
                            "where": [["_uuid", "==", ["uuid", str(change.uuid)]]]})
            table.rows[change.uuid].delete()
    return inserted


def _row_to_uuid(value):
    return getattr(value, "uuid", value)


def _builder(the_plan, inserted):
    """commit()'s build function for a plan; fills ``inserted`` ({Ref: inserted row})."""
    def build(txn, idl):
        inserted.update(_write(the_plan, txn, idl))
    return build


def _strerror(error):
    return os.strerror(error) if isinstance(error, int) and error > 0 else str(error)


def _request(stream, method, params, deadline):
    """One JSON-RPC request/reply on a python-ovs stream (unix/tcp/ssl), with a deadline.

    The end of the reply is found incrementally (FastParser) and the reply decoded once with the
    standard library's C json: python-ovs' pure-Python parser takes tens of milliseconds on the
    NB schema, and re-decoding a growing buffer would be quadratic on a large select.
    """
    out = json.dumps({"method": method, "params": params, "id": method}).encode()
    text_of = codecs.getincrementaldecoder("utf-8")()
    parser = FastParser()
    while True:
        if out:
            sent = stream.send(out)
            if sent > 0:
                out = out[sent:]
            elif sent != -errno.EAGAIN:
                return -sent, None
        else:
            error, data = stream.recv(1 << 16)
            if error == 0 and not data:
                return errno.ECONNRESET, None
            if error not in (0, errno.EAGAIN):
                return error, None
            text = text_of.decode(data) if error == 0 else ""
            while text:
                text = text[parser.feed(text):]
                if parser.is_done():
                    reply = parser.finish()
                    if isinstance(reply, str):      # not JSON
                        return reply, None
                    if isinstance(reply, dict) and reply.get("id") == method:
                        return 0, reply
                    parser = FastParser()           # another message (e.g. an echo): skip it
        if time.monotonic() >= deadline:
            return "timed out", None
        poller = ovs.poller.Poller()
        stream.run_wait(poller)
        if out:
            stream.send_wait(poller)
        else:
            stream.recv_wait(poller)
        poller.timer_wait(max(1, int((deadline - time.monotonic()) * 1000)))
        poller.block()
