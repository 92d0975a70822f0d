"""Harnesses shared by the functional tests (real ovsdb-server, kube-apiserver, namespaces, OVN).

``DATA``: example inputs more than one suite uses (the seed document's gateways), once each.
"""
import pathlib

DATA = pathlib.Path(__file__).parent / "data"
