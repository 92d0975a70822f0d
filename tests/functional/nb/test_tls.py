"""Mutual TLS to the NB: certificates made by the test; no/invalid client certificate refused."""
import json

import pytest

from support.ansible import run_module

pytestmark = pytest.mark.ovsdb


def args(nb, client, ca):
    return {"connection": nb.connection, "name": "VEG.tls", "addresses": ["10.0.0.0/24"], "timeout": 5,
            "private_key": str(client["key"]), "certificate": str(client["cert"]), "ca_cert": str(ca)}


def test_valid_client_certificate_works(nb_tls, tls_certs):
    out = run_module("ovn_address_set", args(nb_tls, tls_certs["client"], tls_certs["ca"]), diff=True)
    assert out["changed"] and not out["failed"], out
    assert len(nb_tls.select("Address_Set", [["name", "==", "VEG.tls"]])) == 1
    # no key material (or its path, a no_log option) anywhere in the output
    text = json.dumps(out)
    key = tls_certs["client"]["key"].read_text()
    assert "PRIVATE KEY" not in text and key.splitlines()[1] not in text
    assert str(tls_certs["client"]["key"]) not in text


def test_certificate_from_another_ca_is_refused(nb_tls, tls_certs):
    out = run_module("ovn_address_set", args(nb_tls, tls_certs["rogue"], tls_certs["ca"]))
    assert out["failed"] and nb_tls.connection in out["msg"], out
    assert "PRIVATE KEY" not in json.dumps(out)
    assert nb_tls.select("Address_Set") == []


def test_no_client_certificate_is_refused(nb_tls, tls_certs):
    no_cert = {"connection": nb_tls.connection, "name": "VEG.tls", "ca_cert": str(tls_certs["ca"]), "timeout": 5}
    out = run_module("ovn_address_set", no_cert)
    assert out["failed"] and "private_key" in out["msg"], out
    # a server certificate the client's CA did not sign is refused too
    out = run_module("ovn_address_set", args(nb_tls, tls_certs["client"], tls_certs["rogue"]["cert"]))
    assert out["failed"], out
    assert nb_tls.select("Address_Set") == []


def test_unreadable_key_is_named_not_shown(nb_tls, tls_certs, tmp_path):
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("-----BEGIN PRIVATE KEY-----\nnot-a-key-secret-text\n-----END PRIVATE KEY-----\n")
    client = {"key": bogus, "cert": tls_certs["client"]["cert"]}
    out = run_module("ovn_address_set", args(nb_tls, client, tls_certs["ca"]))
    assert out["failed"], out
    assert "not-a-key-secret-text" not in json.dumps(out)
