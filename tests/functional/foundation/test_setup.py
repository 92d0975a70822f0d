# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The setup: one set of pins everywhere, and `make install` on a set-up machine changes nothing."""
from __future__ import annotations

import os
import pathlib
import subprocess

import yaml
from packaging.specifiers import SpecifierSet

from support.ansible import REPO, ansible_env, requirement_pins


def test_every_requirements_list_uses_the_development_pins():
    dev = requirement_pins(REPO / "requirements.txt")
    for path in (REPO / "meta" / "ee-requirements.txt", REPO / "tests" / "unit" / "requirements.txt"):
        pins = requirement_pins(path)
        assert pins, path
        assert {name: dev.get(name) for name in pins} == pins, path
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())["dependencies"]
    assert ee["ansible_core"]["package_pip"] == f"ansible-core=={dev['ansible-core']}"
    assert ee["ansible_runner"]["package_pip"] == f"ansible-runner=={dev['ansible-runner']}"


def test_pinned_ansible_core_satisfies_requires_ansible():
    requires = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"]
    assert requirement_pins(REPO / "requirements.txt")["ansible-core"] in SpecifierSet(requires)


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
