"""ansible-rulebook running the collection's rulebook, as extensions/eda/README.md starts it."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess

from support.ansible import REPO, ansible_env

RULEBOOK = "kubeovn.egress_gateway.gateway_reconcile"


class Rulebook:
    """``ansible-rulebook -r kubeovn.egress_gateway.gateway_reconcile -i inventory.yml --vars vars.yml``
    (the command of extensions/eda/README.md), from the repo's venv, stopped by its pid."""

    def __init__(self, workdir: pathlib.Path, cluster, nb_connection, **variables):
        self.workdir = workdir
        self.cluster = cluster
        self.log = workdir / "rulebook.log"
        (workdir / "inventory.yml").write_text(json.dumps({"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}))
        (workdir / "vars.yml").write_text(json.dumps({
            "egress_gateway_nb_connection": nb_connection,
            "egress_gateway_kubeconfig": str(cluster.kubeconfig), **variables}))
        self.proc = None

    def start(self, extra_args=()):
        env = ansible_env({"K8S_AUTH_KUBECONFIG": str(self.cluster.kubeconfig), "ANSIBLE_LOCAL_TEMP": str(self.workdir)})
        log = open(self.log, "ab")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "ansible-rulebook"), "-r", RULEBOOK, "-i", "inventory.yml",
             "--vars", "vars.yml", *extra_args], cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        return self

    def actions(self) -> int:
        """How many playbook runs ansible-rulebook started so far (its log lines)."""
        return self.log.read_text(errors="replace").count("PLAY [Reconcile VPC egress gateways")

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return
        # the process group: ansible-rulebook and the ansible-runner children it started
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
