"""pytest fixtures: a private OVN NB ovsdb-server per test, over both NB schema generations.

- `nb`: a standalone NB (unix socket), parametrised over NB schema 7.0.0 (OVN 23.03, no
  Logical_Router_Policy.bfd_sessions) and 7.11.0 (OVN 25.03).
- `nb_new`: the same on 7.11.0 only (features that need OVN >= 24.03).
- `nb_cluster`: a 3-member RAFT NB on loopback (7.11.0), remotes as a comma-separated list.
- `nb_tls` / `tls_certs`: an NB on pssl: with certificates made by openssl for this test.
"""
from __future__ import annotations


import pytest

from support.ovsdb import SCHEMAS, NbDatabase
from support.processes import openssl


def _require_schema(version):
    if not SCHEMAS[version].exists():
        pytest.fail(f"NB schema {SCHEMAS[version]} missing: run `bash hack/install-ovn.sh`")


@pytest.fixture(params=sorted(SCHEMAS), ids=lambda v: f"nb{v}")
def nb(request, tmp_path):
    _require_schema(request.param)
    db = NbDatabase(tmp_path, request.param).start_standalone()
    yield db
    db.stop()


@pytest.fixture
def nb_new(tmp_path):
    _require_schema("7.11.0")
    db = NbDatabase(tmp_path, "7.11.0").start_standalone()
    yield db
    db.stop()


@pytest.fixture
def nb_cluster(tmp_path):
    _require_schema("7.11.0")
    db = NbDatabase(tmp_path, "7.11.0")
    try:
        db.start_cluster(3)
        yield db
    finally:
        db.stop()


def _make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=d)


def _make_cert(d, ca, name):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}-privkey.pem", "-out", f"{name}.csr", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}-cert.pem", cwd=d)


@pytest.fixture
def tls_certs(tmp_path):
    """A CA, a server and a client certificate it signed, and a client signed by another CA."""
    d = tmp_path / "pki"
    d.mkdir()
    _make_ca(d, "ca")
    _make_cert(d, "ca", "server")
    _make_cert(d, "ca", "client")
    _make_ca(d, "rogue-ca")
    _make_cert(d, "rogue-ca", "rogue")
    return {
        "ca": d / "ca.pem",
        "server": {"key": d / "server-privkey.pem", "cert": d / "server-cert.pem", "ca": d / "ca.pem"},
        "client": {"key": d / "client-privkey.pem", "cert": d / "client-cert.pem"},
        "rogue": {"key": d / "rogue-privkey.pem", "cert": d / "rogue-cert.pem"},
    }


@pytest.fixture
def nb_tls(tmp_path, tls_certs):
    _require_schema("7.11.0")
    db = NbDatabase(tmp_path, "7.11.0").start_standalone(ssl=tls_certs["server"])
    yield db
    db.stop()
