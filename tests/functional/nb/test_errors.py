"""Clear errors: unreachable, not an OVN_Northbound database, timeout, bad remote, no leader."""
import socket
import subprocess
import threading

import pytest

from support.ansible import run_module
from support.ovsdb import OVSDB_TOOL, OvsdbServer
from support.processes import free_port

pytestmark = pytest.mark.ovsdb


def test_unreachable_names_every_remote(tmp_path):
    port = free_port()
    remote = f"tcp:127.0.0.1:{port},unix:{tmp_path}/none.sock"
    out = run_module("ovn_address_set", {"connection": remote, "name": "x", "timeout": 3})
    assert out["failed"] and out["field"] == "connection", out
    assert f"tcp:127.0.0.1:{port}: Connection refused" in out["msg"] and f"{tmp_path}/none.sock" in out["msg"]


def test_not_an_nb_database(tmp_path):
    db = tmp_path / "conf.db"
    subprocess.run([OVSDB_TOOL, "create", str(db), "/usr/share/openvswitch/vswitch.ovsschema"], check=True)
    sock = tmp_path / "db.sock"
    server = OvsdbServer(tmp_path, "vswitch", db, [f"punix:{sock}"]).start()
    try:
        out = run_module("ovn_nb_info", {"connection": f"unix:{sock}", "timeout": 5})
        assert out["failed"] and "is not an OVN_Northbound database" in out["msg"], out
        assert "Open_vSwitch" in out["msg"]
    finally:
        server.stop()


def test_timeout_when_nothing_answers():
    """A listener that accepts and never answers: the module gives up after `timeout`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        out = run_module("ovn_nb_info", {"connection": f"tcp:127.0.0.1:{port}", "timeout": 1})
        assert out["failed"] and "no answer within 1s" in out["msg"], out
    finally:
        listener.close()
        for conn, _address in accepted:
            conn.close()


def test_no_leader_times_out(nb_cluster):
    """The leader and one follower dead: the other follower answers get_schema, never leads."""
    leader = nb_cluster.leader()
    survivor, other = [s for s in nb_cluster.servers if s is not leader]
    leader.kill()
    other.kill()
    remote = nb_cluster.connection.split(",")[nb_cluster.servers.index(survivor)]
    out = run_module("ovn_nb_info", {"connection": remote, "timeout": 3})
    assert out["failed"] and "timed out after 3s" in out["msg"] and "leader" in out["msg"], out
    assert survivor.alive()


@pytest.mark.parametrize("remote", ["", "http://x", "127.0.0.1:6641", "tcp:1.2.3.4:1,bogus:x"])
def test_bad_remote(remote):
    out = run_module("ovn_nb_info", {"connection": remote})
    assert out["failed"] and out["field"] == "connection", out
