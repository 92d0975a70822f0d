# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The setup: one set of pins everywhere, and `make install` on a set-up machine changes nothing."""
from __future__ import annotations

import os
import pathlib
import subprocess

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from support.ansible import REPO, ansible_env, requirement_pins, requirement_ranges


def test_every_requirements_list_uses_the_development_pins():
    dev = requirement_pins(REPO / "requirements.txt")
    pins = requirement_pins(REPO / "tests" / "unit" / "requirements.txt")
    assert pins and {name: dev.get(name) for name in pins} == pins
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())["dependencies"]
    assert ee["ansible_core"]["package_pip"] == f"ansible-core=={dev['ansible-core']}"
    assert ee["ansible_runner"]["package_pip"] == f"ansible-runner=={dev['ansible-runner']}"


def test_collection_requirements_are_ranges_that_hold_the_tested_versions():
    """meta/ee-requirements.txt: ranges (a user's site may have other versions), each with a floor
    and a ceiling, and the versions the tests run with (requirements.txt) inside them."""
    dev = requirement_pins(REPO / "requirements.txt")
    ranges = requirement_ranges(REPO / "meta" / "ee-requirements.txt")
    assert {"kubernetes", "ovs", "netaddr", "pyroute2"} <= set(ranges)
    for name, specifier in ranges.items():
        operators = {spec.operator for spec in specifier}
        assert "==" not in operators and ">=" in operators and "<" in operators, (name, str(specifier))
        assert dev[name] in specifier, (name, dev[name], str(specifier))


def test_pinned_ansible_core_satisfies_requires_ansible():
    """requires_ansible: its floor is the ansible-core line the tests run (the oldest tested), and
    no older than what the content uses (`meta: end_role` needs 2.18)."""
    requires = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"]
    pinned = requirement_pins(REPO / "requirements.txt")["ansible-core"]
    assert pinned in SpecifierSet(requires)
    floor = next(Version(s.version) for s in SpecifierSet(requires) if s.operator == ">=")
    assert (floor.major, floor.minor) == Version(pinned).release[:2]
    uses_end_role = any("end_role" in p.read_text() for p in (REPO / "roles").glob("*/tasks/*.yml"))
    assert not uses_end_role or floor >= Version("2.18")


def _state():
    """What `make install` produces: its stamps and the collections it extracted."""
    paths = [REPO / ".venv" / ".requirements.sha256", REPO / ".venv" / "bin" / "python"]
    collections = REPO / "build" / "collections" / "ansible_collections"
    paths += sorted(collections.glob(".ansible-*"))
    paths += [collections / "kubernetes" / "core" / "MANIFEST.json"]
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "kubeovn-egress-gateway")
    ovn = pathlib.Path(cache) / "ovn"
    paths += [ovn / version / ".packages" for version in ("23.03", "25.03")]
    paths += sorted((ovn / "25.03" / "bin").iterdir()) + sorted((ovn / "schemas").iterdir())
    paths += [collections / "kubeovn" / "egress_gateway"]
    return {str(p): os.lstat(p).st_mtime_ns for p in paths}


def test_make_install_again_changes_nothing():
    before = _state()
    proc = subprocess.run(["make", "-s", "install"], cwd=REPO, capture_output=True, text=True,
                          timeout=600, check=False, env=ansible_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "installing" not in proc.stdout, proc.stdout
    assert "python venv: up to date" in proc.stdout
    assert "collections: up to date" in proc.stdout
    assert "system packages: all" in proc.stdout
    assert _state() == before
