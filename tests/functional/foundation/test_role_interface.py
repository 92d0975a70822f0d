# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' interface: meta/argument_specs.yml is the source of truth and defaults/main.yml
mirrors it; every variable a role or playbook sets follows one naming scheme; loop registers are
not read by position; the NB connection has one shape in every role that talks to the NB."""
from __future__ import annotations

import re

import pytest
import yaml

from support.ansible import REPO

ROLES = sorted(p.parent.parent.name for p in (REPO / "roles").glob("*/meta/argument_specs.yml"))
# Every role that talks to the OVN NB takes these (role ovn_nb's options with the role's prefix).
NB_SUFFIXES = ("_nb_connection", "_nb_timeout", "_nb_ca_cert", "_nb_certificate", "_nb_private_key")
NB_DISCOVERY_SUFFIXES = ("_nb_discovery", "_nb_service", "_nb_tls_secret")


def options(role: str) -> dict:
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


def defaults(role: str) -> dict:
    path = REPO / "roles" / role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def yaml_files(*folders):
    for folder in folders:
        yield from sorted((REPO / folder).rglob("*.yml"))


def test_every_role_has_an_argument_spec():
    assert set(ROLES) == {p.name for p in (REPO / "roles").iterdir() if (p / "tasks").is_dir()}
    assert len(ROLES) >= 7


@pytest.mark.parametrize("role", ROLES)
def test_defaults_mirror_the_argument_spec(role):
    documented, given = options(role), defaults(role)
    undocumented = sorted(set(given) - set(documented))
    assert not undocumented, f"{role}: defaults/main.yml sets undocumented variables {undocumented}"
    for name, option in documented.items():
        assert name.startswith(f"{role}_"), f"{role}: option {name} lacks the role's prefix"
        if option.get("required"):
            assert name not in given, f"{role}: {name} is required and has a default"
            assert "default" not in option, f"{role}: {name} is required and documents a default"
        elif not _host_variable(option):
            assert name in given, f"{role}: {name} is neither required nor given a default in defaults/main.yml"
            assert option.get("default") == given[name], (
                f"{role}: {name} documents default {option.get('default')!r}, defaults/main.yml has {given[name]!r}")


def _host_variable(option) -> bool:
    """A per-host inventory variable without a default (documented as such)."""
    description = option.get("description")
    first = description[0] if isinstance(description, list) else description
    return first.startswith("(host variable)") and "default" not in option


def _set_names(task):
    """Variable names a task defines: register, set_fact keys, task vars."""
    names = []
    if isinstance(task, dict):
        if "register" in task:
            names.append(task["register"])
        facts = task.get("ansible.builtin.set_fact") or {}
        names += [k for k in facts if k != "cacheable"] if isinstance(facts, dict) else []
        for child in task.get("block", []) + task.get("rescue", []) + task.get("always", []):
            names += _set_names(child)
    return names


def _tasks(path):
    data = yaml.safe_load(path.read_text()) or []
    return data if isinstance(data, list) else []


@pytest.mark.parametrize("role", ROLES)
def test_role_variables_follow_one_naming_scheme(role):
    """Inputs are <role>_<name> (documented); what the role sets for itself is <role>__<name>;
    outputs are <role>_<name> too. Variables handed to another role are that role's options."""
    documented = set(options(role))
    internal = re.compile(rf"^{role}__[a-z0-9_]+$")
    public = re.compile(rf"^{role}_[a-z0-9][a-z0-9_]*$")
    vars_file = REPO / "roles" / role / "vars" / "main.yml"
    names = list((yaml.safe_load(vars_file.read_text()) or {}) if vars_file.exists() else {})
    for path in sorted((REPO / "roles" / role / "tasks").glob("*.yml")):
        for task in _tasks(path):
            names += _set_names(task)
            for child in [task] + task.get("block", []) + task.get("always", []):
                names += [n for n in child.get("vars", {}) if "include_role" not in str(child)]
                include = child.get("ansible.builtin.include_role")
                if include:
                    other = include["name"].split(".")[-1]
                    unknown = set(child.get("vars", {})) - set(options(other))
                    assert not unknown, f"{path}: passes {sorted(unknown)}, not options of role {other}"
    for name in names:
        assert internal.match(name) or (public.match(name) and name not in documented), (
            f"role {role}: variable {name!r} is neither {role}__<name> nor a {role}_<name> output")


def test_no_register_is_read_by_position():
    for path in yaml_files("roles", "playbooks"):
        text = path.read_text()
        assert not re.search(r"\.results\[\d+\]", text), f"{path}: reads a loop register by position"


@pytest.mark.parametrize("role", [r for r in ROLES if any(n.endswith("_nb_connection") for n in options(r))])
def test_nb_connection_has_one_shape(role):
    names = set(options(role))
    prefix = "ovn" if role == "ovn_nb" else role
    missing = [prefix + s for s in NB_SUFFIXES if prefix + s not in names]
    assert not missing, f"{role}: lacks {missing}"
    if f"{prefix}_k8s_auth" in names or role == "ovn_nb":
        missing = [prefix + s for s in NB_DISCOVERY_SUFFIXES if prefix + s not in names]
        assert not missing, f"{role}: talks to Kubernetes but lacks {missing}"
    for path in (REPO / "roles" / role / "tasks").glob("*.yml") if role != "ovn_nb" else ():
        # the connection reaches the NB modules only through module_defaults of the ovn group
        assert not re.search(r"^\s+(connection|ca_cert|certificate|private_key): ", path.read_text(), re.M), path


def test_nb_roles_cover_every_role_using_ovn_modules():
    for role in ROLES:
        text = "".join(p.read_text() for p in (REPO / "roles" / role / "tasks").glob("*.yml"))
        if re.search(r"kubeovn\.egress_gateway\.ovn_(?!nb\b)", text):
            assert any(n.endswith("_nb_connection") for n in options(role)), role
            assert "group/kubeovn.egress_gateway.ovn" in text, f"{role}: NB modules without module_defaults"
