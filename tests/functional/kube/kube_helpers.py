"""Running the collection's roles and playbooks against the test kube-apiserver."""
from __future__ import annotations

import pathlib
import re

from support.ansible import run_playbook

HERE = pathlib.Path(__file__).parent
REPO = HERE.parents[2]
ROLE_PLAYBOOK = HERE / "playbooks" / "role.yml"


def recap(proc) -> dict:
    """The PLAY RECAP counters of localhost (ok, changed, failed ...)."""
    match = re.search(r"^localhost\s+:\s+(.*)$", proc.stdout, re.M)
    assert match, proc.stdout
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def run_role(cluster, role: str, check: bool = True, kubeconfig=None, **variables):
    """Run roles/<role> with ``variables``; K8S_AUTH_KUBECONFIG points at the test cluster."""
    env = {"K8S_AUTH_KUBECONFIG": str(kubeconfig or cluster.kubeconfig)}
    return run_playbook(ROLE_PLAYBOOK, extra_vars={"role_under_test": role, **variables}, env=env, check=check)


def run_collection_playbook(cluster, name: str, *args: str, check: bool = True, kubeconfig=None, **variables):
    """Run playbooks/<name>.yml of the collection against the test cluster (args: e.g. --check)."""
    env = {"K8S_AUTH_KUBECONFIG": str(kubeconfig or cluster.kubeconfig)}
    return run_playbook(REPO / "playbooks" / f"{name}.yml", *args, extra_vars=variables, env=env, check=check)
