"""Functional tests run the collection against real components started by the tests themselves.

Fixture modules live in support/fixtures_*.py and are loaded here as pytest plugins, one per area
(ovsdb-server, network namespaces, kube-apiserver, OVN data plane).
"""
import pathlib

pytest_plugins = sorted(
    f"support.{path.stem}" for path in (pathlib.Path(__file__).parent / "support").glob("fixtures_*.py")
)
