"""Harnesses shared by the functional tests (real ovsdb-server, kube-apiserver, namespaces, OVN).

``DATA``: example inputs more than one suite uses (the seed document's gateways), once each;
``data/invalid_gateways.py``: the invalid-input catalogue of the unit and the functional tests.
"""
import pathlib

DATA = pathlib.Path(__file__).parent / "data"
