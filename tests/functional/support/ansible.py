"""Run the collection's modules and playbooks the way Ansible does, from tests.

run_module() executes a module file in a subprocess with its arguments as JSON on stdin, exactly
what ansible-playbook's module execution does on a local host, minus the controller round trip.
run_action() runs an action plugin (controller-side) as an ad-hoc task.
run_playbook() runs ansible-playbook with this collection on the collections path.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / "build" / "collections"
MODULES = REPO / "plugins" / "modules"


def ansible_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(COLLECTIONS),
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        PATH=f"{REPO / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra or {})
    return env


def run_module(name: str, args: dict, check: bool = False, diff: bool = False) -> dict:
    """Run plugins/modules/<name>.py with args; return its JSON result (failed results included)."""
    payload = dict(args)
    payload["_ansible_check_mode"] = check
    payload["_ansible_diff"] = diff
    proc = subprocess.run(
        [sys.executable, str(MODULES / f"{name}.py")],
        input=json.dumps({"ANSIBLE_MODULE_ARGS": payload}),
        capture_output=True,
        text=True,
        env=ansible_env(),
        timeout=300,
        check=False,
    )
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"module {name} printed no JSON (rc={proc.returncode})\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        ) from exc
    result.setdefault("failed", False)
    return result


def run_action(name: str, args: dict, check: bool = False, diff: bool = False) -> dict:
    """Run the action plugin plugins/action/<name>.py as ansible-playbook does (an ad-hoc
    ``ansible localhost`` task); return its result as the tree callback records it (-vvv, for it
    drops the diff below)."""
    with tempfile.TemporaryDirectory(prefix="veg-action-") as tree:
        cmd = [str(REPO / ".venv" / "bin" / "ansible"), "localhost", "-c", "local",
               "-m", f"kubeovn.egress_gateway.{name}", "-a", json.dumps(args), "-vvv"]
        cmd += ["--check"] * check + ["--diff"] * diff
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, env=ansible_env({
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.tree",
            "ANSIBLE_CALLBACK_TREE_DIR": tree}))
        written = pathlib.Path(tree) / "localhost"
        if not written.exists():
            raise AssertionError(f"{name} left no result (rc={proc.returncode})\n{proc.stdout}\n{proc.stderr}")
        result = json.loads(written.read_text())
    result["failed"] = proc.returncode != 0
    return result


def run_playbook(playbook: str | os.PathLike, *args: str, extra_vars: dict | None = None,
                 env: dict | None = None, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ansible-playbook from the repo's venv; raise with its output when it fails and check is set."""
    cmd = [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(playbook), *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(env), timeout=timeout, cwd=REPO,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed (rc={proc.returncode})\n{proc.stdout}\n{proc.stderr}")
    return proc


def requirement_pins(path: str | os.PathLike) -> dict:
    """{package (lower case): version} of a pinned requirements file (`name==version` lines)."""
    pins = {}
    for line in pathlib.Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def requirement_ranges(path: str | os.PathLike) -> dict:
    """{package (lower case): SpecifierSet} of a requirements file with version ranges."""
    from packaging.requirements import Requirement  # pylint: disable=import-outside-toplevel

    ranges = {}
    for line in pathlib.Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            ranges[requirement.name.lower()] = requirement.specifier
    return ranges
