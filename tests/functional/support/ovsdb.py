"""Private ovsdb-server processes with the real OVN NB schema, and independent reads/writes.

Servers run as children of the test (killed by pid), in a tmp dir, on unix sockets or on
127.0.0.1 ports chosen free at runtime. Reads and set-up writes go through ovsdb-client (JSON),
never through the code under test.
"""
from __future__ import annotations

import json
import pathlib
import re
import shutil
import signal
import subprocess
import time

from support import OVN_CACHE
from support.processes import free_port

SCHEMAS = {
    "7.0.0": OVN_CACHE / "schemas" / "ovn-nb-7.0.0.ovsschema",    # OVN 23.03 (Debian 12)
    "7.11.0": OVN_CACHE / "schemas" / "ovn-nb-7.11.0.ovsschema",  # OVN 25.03 (Debian 13)
}
OVSDB_SERVER = shutil.which("ovsdb-server") or "/usr/sbin/ovsdb-server"
OVSDB_TOOL = shutil.which("ovsdb-tool") or "/usr/bin/ovsdb-tool"
OVSDB_CLIENT = shutil.which("ovsdb-client") or "/usr/bin/ovsdb-client"
OVS_APPCTL = shutil.which("ovs-appctl") or "/usr/bin/ovs-appctl"
DB = "OVN_Northbound"


def _wait(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class OvsdbServer:
    """One ovsdb-server process serving one NB database file."""

    def __init__(self, workdir: pathlib.Path, name: str, db: pathlib.Path, remotes: list[str],
                 ssl: dict | None = None):
        self.workdir = workdir
        self.name = name
        self.db = db
        self.remotes = remotes
        self.ssl = ssl
        self.ctl = workdir / f"{name}.ctl"
        self.log = workdir / f"{name}.log"
        self.proc = None

    def start(self):
        cmd = [OVSDB_SERVER, str(self.db), "--no-chdir", f"--unixctl={self.ctl}",
               f"--log-file={self.log}", "-vconsole:off", f"--pidfile={self.workdir / (self.name + '.pid')}"]
        cmd += [f"--remote={r}" for r in self.remotes]
        if self.ssl:
            cmd += [f"--private-key={self.ssl['key']}", f"--certificate={self.ssl['cert']}",
                    f"--ca-cert={self.ssl['ca']}"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        _wait(lambda: self.ctl.exists() or self.proc.poll() is not None, what=f"{self.name} to start")
        if self.proc.poll() is not None:
            raise AssertionError(f"ovsdb-server {self.name} exited: {self.log.read_text() if self.log.exists() else ''}")
        return self

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def appctl(self, *args) -> str:
        return subprocess.run([OVS_APPCTL, "-t", str(self.ctl), *args], capture_output=True, text=True,
                              check=True, timeout=20).stdout

    def role(self) -> str | None:
        try:
            status = self.appctl("cluster/status", DB)
        except subprocess.CalledProcessError:
            return None
        match = re.search(r"^Role: (\w+)", status, re.M)
        return match.group(1) if match else None


class NbDatabase:
    """A standalone NB database (one server) or a RAFT cluster (several), plus an independent client."""

    def __init__(self, workdir: pathlib.Path, schema_version: str):
        self.workdir = workdir
        self.schema_version = schema_version
        self.schema = SCHEMAS[schema_version]
        self.servers: list[OvsdbServer] = []
        self.client_remote = None
        self.client_ssl_args: list[str] = []
        self.connection = None     # what modules get as `connection`

    # standalone
    def start_standalone(self, ssl: dict | None = None):
        db = self.workdir / "nb.db"
        subprocess.run([OVSDB_TOOL, "create", str(db), str(self.schema)], check=True)
        sock = self.workdir / "nb.sock"
        remotes = [f"punix:{sock}"]
        if ssl:
            port = free_port()
            remotes.append(f"pssl:{port}:127.0.0.1")
            self.connection = f"ssl:127.0.0.1:{port}"
        else:
            self.connection = f"unix:{sock}"
        self.servers.append(OvsdbServer(self.workdir, "nb", db, remotes, ssl).start())
        self.client_remote = f"unix:{sock}"
        _wait(sock.exists, what="the NB socket")
        return self

    # RAFT cluster
    def start_cluster(self, members=3):
        raft_ports = [free_port() for _member in range(members)]
        client_ports = [free_port() for _member in range(members)]
        for i in range(members):
            db = self.workdir / f"nb{i}.db"
            local = f"tcp:127.0.0.1:{raft_ports[i]}"
            if i == 0:
                subprocess.run([OVSDB_TOOL, "create-cluster", str(db), str(self.schema), local], check=True)
            else:
                subprocess.run([OVSDB_TOOL, "join-cluster", str(db), DB, local,
                                f"tcp:127.0.0.1:{raft_ports[0]}"], check=True)
            sock = self.workdir / f"nb{i}.sock"
            self.servers.append(OvsdbServer(self.workdir, f"nb{i}", db,
                                            [f"punix:{sock}", f"ptcp:{client_ports[i]}:127.0.0.1"]).start())
        self.connection = ",".join(f"tcp:127.0.0.1:{p}" for p in client_ports)
        _wait(lambda: self.leader() is not None and all(s.role() in ("leader", "follower") for s in self.servers),
              timeout=30, what="the cluster to elect a leader")
        self.client_remote = self.connection
        return self

    def leader(self) -> OvsdbServer | None:
        for server in self.servers:
            if server.alive() and server.role() == "leader":
                return server
        return None

    def stop(self):
        for server in self.servers:
            server.stop()

    # independent access (ovsdb-client, leader-aware through the cluster's remotes)
    def _remote_for_client(self):
        if len(self.servers) == 1:
            return self.client_remote
        # ovsdb-client transact needs the leader for writes; any live member for reads is fine
        leader = self.leader()
        if leader is None:
            _wait(lambda: self.leader() is not None, timeout=30, what="a new leader")
            leader = self.leader()
        return f"unix:{self.workdir / (leader.name + '.sock')}"

    def transact(self, *ops) -> list:
        out = subprocess.run([OVSDB_CLIENT, "transact", self._remote_for_client(),
                              json.dumps([DB, *ops])], capture_output=True, text=True, check=True, timeout=30)
        result = json.loads(out.stdout)
        for item in result:
            if isinstance(item, dict) and "error" in item:
                raise AssertionError(f"transact failed: {result}")
        return result

    def select(self, table: str, where: list | None = None) -> list[dict]:
        return self.transact({"op": "select", "table": table, "where": where or []})[0]["rows"]

    def dump(self, *tables: str) -> str:
        """A canonical JSON text of whole tables, to compare byte for byte."""
        return json.dumps({t: sorted(self.select(t), key=lambda r: r["_uuid"][1]) for t in tables},
                          sort_keys=True)

    def insert(self, table: str, row: dict, parent: tuple | None = None) -> str:
        """Insert a row (linked into parent=(table, uuid, column) when non-root); return its uuid."""
        ops = [{"op": "insert", "table": table, "row": row, "uuid-name": "new"}]
        if parent:
            ptable, puuid, pcolumn = parent
            ops.append({"op": "mutate", "table": ptable, "where": [["_uuid", "==", ["uuid", puuid]]],
                        "mutations": [[pcolumn, "insert", ["set", [["named-uuid", "new"]]]]]})
        return self.transact(*ops)[0]["uuid"][1]

    def update(self, table: str, uuid: str, row: dict):
        self.transact({"op": "update", "table": table, "where": [["_uuid", "==", ["uuid", uuid]]], "row": row})


def ovs_map(value: dict) -> list:
    return ["map", [[k, v] for k, v in sorted(value.items())]]


def ovs_set(values) -> list:
    return ["set", list(values)]


def py_map(value) -> dict:
    return dict(value[1]) if isinstance(value, list) and value and value[0] == "map" else {}


def py_set(value) -> list:
    """An OVSDB JSON set (or single atom) as a python list; uuids as strings."""
    if isinstance(value, list) and value and value[0] == "set":
        items = value[1]
    else:
        items = [value]
    return [i[1] if isinstance(i, list) and i and i[0] in ("uuid", "named-uuid") else i for i in items]
