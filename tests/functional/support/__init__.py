"""Harnesses shared by the functional tests (real ovsdb-server, kube-apiserver, namespaces, OVN).

``OVN_CACHE``, ``OVN_BIN``: the OVN the harnesses run (hack/install-ovn.sh).

``DATA``: example inputs more than one suite uses (the seed document's gateways), once each;
``data/invalid_gateways.py``: the invalid-input catalogue of the unit and the functional tests.
"""
import os
import pathlib

DATA = pathlib.Path(__file__).parent / "data"
# What hack/install-ovn.sh provides, where hack/env.sh says (the suites run with it sourced; the
# same rule when they do not).
OVN_CACHE = pathlib.Path(os.environ.get("OVN_CACHE") or pathlib.Path(
    os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "kubeovn-egress-gateway" / "ovn")
OVN_BIN = OVN_CACHE / "25.03" / "bin"


def hack_script(name: str):
    """hack/<name>.py of the repository, imported as a module (the scripts are not a package)."""
    import importlib.util  # pylint: disable=import-outside-toplevel

    spec = importlib.util.spec_from_file_location(name, pathlib.Path(__file__).resolve().parents[3] / "hack" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
