"""A test world for the Kubernetes roles' molecule scenarios, started and stopped from a shell.

    python tests/functional/kube/molecule_env.py start DIR   # writes DIR/env.json
    python tests/functional/kube/molecule_env.py stop DIR

start: the real kube-apiserver harness (support/kube.py) with the CRDs, Kube-OVN's objects
(Vpc ovn-cluster with a BFD port, Subnets ovn-default and subnet1), three Node objects, a real
OVN NB ovsdb-server (NB schema 7.11.0) holding a Kube-OVN-like router (support/nbworld.py),
and a node stand-in process. No kubelet, scheduler, CNI or Kube-OVN controller runs: the stand-in
plays their part for gateway pods through the API (support/kube.py NodeStandIn).
Every process is stopped by the pid recorded in DIR.
"""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[2] / "build" / "collections"))

from support import kube  # noqa: E402
from support.ovsdb import NbDatabase  # noqa: E402
from support import nbworld  # noqa: E402

NODES = ("molecule-node1", "molecule-node2", "molecule-node3")


def start(workdir: pathlib.Path):
    workdir.mkdir(parents=True, exist_ok=True)
    cluster = kube.Cluster(workdir / "kube").start()
    kube.install_crds(cluster)
    kube.kube_ovn_objects(cluster)
    for i, name in enumerate(NODES):
        kube.add_node(cluster, name, {"egress": "true" if i < 2 else "false"})
    (workdir / "nb").mkdir(exist_ok=True)
    nb = NbDatabase(workdir / "nb", "7.11.0").start_standalone()
    nbworld.build(nb, other_owners=False)
    stand_in = subprocess.Popen([sys.executable, __file__, "stand-in", str(workdir)], start_new_session=True,
                                stdout=open(workdir / "stand-in.log", "wb"), stderr=subprocess.STDOUT)
    env = {"kubeconfig": str(cluster.kubeconfig), "nb_connection": nb.connection,
           "pids": {"nb": nb.servers[0].pid, "stand-in": stand_in.pid}}
    (workdir / "env.json").write_text(json.dumps(env, indent=1))
    print(workdir / "env.json")


def run_stand_in(workdir: pathlib.Path):
    cluster = kube.Cluster.attach(workdir / "kube")
    stand_in = kube.NodeStandIn(cluster, NODES)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        try:
            stand_in.step()
        except Exception as exc:  # pylint: disable=broad-except
            print(repr(exc), flush=True)
        time.sleep(0.3)


def stop(workdir: pathlib.Path):
    env_file = workdir / "env.json"
    if env_file.exists():
        for pid in json.loads(env_file.read_text())["pids"].values():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    if (workdir / "kube" / "cluster.json").exists():
        kube.Cluster.attach(workdir / "kube").stop()


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop", "stand-in"):
        print(f"usage: {argv[0]} start|stop DIR", file=sys.stderr)
        return 2
    workdir = pathlib.Path(argv[2]).resolve()
    {"start": start, "stop": stop, "stand-in": run_stand_in}[argv[1]](workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
