"""Real Kubernetes nodes for the tests and the demo: containerd + kubelet per node, one kube-scheduler.

Beside support/kube.py (etcd + kube-apiserver + kube-controller-manager). kubelet and
kube-scheduler come from hack/kube-build.sh (the same Debian ``kubernetes`` source as the
apiserver), containerd, runc and the CNI plugins from Debian. Pods really run: the scheduler
places them, each node's kubelet starts them through its own containerd and runc, and the CNI
stand-in (support/cni_standin.py, playing Kube-OVN's controller + CNI and Multus) puts eth0 on
the OVN data plane of support/dataplane.py and net1 (Debian's macvlan) on its external network;
its controller part (``PodAddresses``) runs here, in a thread watching the pods bound to these
nodes, so that a pod's address and Logical_Switch_Port exist before its sandbox, as in Kube-OVN.

Every node has its own containerd (root, state, socket; a kubelet removes containers it does not
know, so nodes cannot share one), ``restrict_oom_score_adj`` (this machine has no
CAP_SYS_RESOURCE) and the overlayfs snapshotter. Images come from OCI archives imported with
``ctr images import``: the pause image (built here from the source's pause.c by kube-build.sh)
and the gateway image (``make image``). The kubelet registers its Node itself
(``--node-labels``); the harness's controller-manager runs without the nodelifecycle
controller, which is what would lift the ``node.kubernetes.io/not-ready`` taint once the node is
Ready, so the harness removes that taint itself after the node reports Ready.

The external network's master link for macvlan is a veth inside the data plane's "ext"
namespace (``<prefix>m``, its peer on that namespace's bridge): nothing is attached to a real
interface. Everything is stopped by pid: pods deleted, kubelets and the scheduler stopped, the
remaining containers killed through ctr, containerd stopped, mounts under the node dirs removed.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from support import kube, processes
from support.cni_standin import PodAddresses
from support.dataplane import Dataplane, HarnessError, run

REPO = pathlib.Path(__file__).resolve().parents[3]
CNI_PLUGINS = pathlib.Path("/usr/lib/cni")
PAUSE_IMAGE = "localhost/pause:3.4"
STANDIN = pathlib.Path(__file__).resolve().parent / "cni_standin.py"
READY_TIMEOUT = 120


def pause_archive(bins: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
    """The pause image as an OCI archive (one layer: /pause), cached beside the binary."""
    sys.path.insert(0, str(REPO / "containers"))
    import oci  # pylint: disable=import-outside-toplevel

    cache = bins.parent / "pause-image"
    archive = cache / "pause.oci.tar"
    if not archive.exists():
        tree = pathlib.Path(tempfile.mkdtemp(prefix="vegK-pause-"))
        try:
            shutil.copy2(bins / "pause", tree / "pause")
            oci.layer(tree, cache / "layer")
            oci.pack(archive, PAUSE_IMAGE, {"Entrypoint": ["/pause"]}, [cache / "layer"])
        finally:
            shutil.rmtree(tree, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    return archive


def gateway_image() -> tuple[str, pathlib.Path]:
    """Build (or reuse) the gateway image with containers/gateway/build.sh: (name, archive)."""
    out = subprocess.run(["bash", str(REPO / "containers" / "gateway" / "build.sh")], check=True, text=True,
                         stdout=subprocess.PIPE, cwd=REPO)
    name = out.stdout.strip().splitlines()[-1]
    version = name.rsplit(":", 1)[1]
    return name, REPO / "build" / "image" / f"kubeovn-egress-gateway-{version}.oci.tar"


class Node:
    """One node: containerd + kubelet in ``workdir``."""

    def __init__(self, cluster: kube.Cluster, name: str, workdir: pathlib.Path, cni_conf: dict,
                 labels: dict | None = None):
        self.cluster, self.name, self.workdir = cluster, name, pathlib.Path(workdir)
        self.labels = labels or {}
        self.cni_conf = cni_conf
        self.socket = self.workdir / "containerd.sock"
        self.pids: dict[str, int] = {}

    def ctr(self, *args, check=True, timeout=300) -> str:
        proc = subprocess.run(["ctr", "-a", str(self.socket), "-n", "k8s.io", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise HarnessError(f"ctr {' '.join(map(str, args))}: {proc.stderr.strip()}")
        return proc.stdout

    def _spawn(self, name: str, argv: list):
        log = open(self.workdir / f"{name}.log", "wb")  # pylint: disable=consider-using-with
        proc = subprocess.Popen([str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.pids[name] = proc.pid

    def start_containerd(self, images: list):
        w = self.workdir
        (w / "cni-conf").mkdir(parents=True, exist_ok=True)
        bin_dir = w / "cni-bin"
        bin_dir.mkdir(exist_ok=True)
        for plugin in CNI_PLUGINS.iterdir():
            (bin_dir / plugin.name).symlink_to(plugin)
        # containerd runs the plugin by name from bin_dir: a wrapper around the repo's stand-in
        (bin_dir / "kube-ovn-standin").write_text(f"#!/bin/sh\nexec {sys.executable} {STANDIN}\n")
        (bin_dir / "kube-ovn-standin").chmod(0o755)
        (w / "cni-conf" / "10-kube-ovn-standin.conf").write_text(json.dumps(
            {"cniVersion": "0.4.0", "name": "kube-ovn", "type": "kube-ovn-standin", **self.cni_conf}, indent=1))
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        (w / "containerd.toml").write_text(f"""version = 2
root = "{w / 'root'}"
state = "{w / 'state'}"
[grpc]
  address = "{self.socket}"
[{cri}]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [{cri}.cni]
    bin_dir = "{bin_dir}"
    conf_dir = "{w / 'cni-conf'}"
""")
        self._spawn("containerd", ["containerd", "--config", w / "containerd.toml"])
        deadline = time.monotonic() + 60
        while subprocess.run(["ctr", "-a", str(self.socket), "version"], capture_output=True,
                             check=False).returncode != 0:
            self._check_alive()
            if time.monotonic() > deadline:
                raise HarnessError(f"containerd of {self.name} not up; see {w / 'containerd.log'}")
            time.sleep(0.2)
        for archive in images:
            self.ctr("images", "import", "--snapshotter", "overlayfs", archive)

    def start_kubelet(self, bins: pathlib.Path):
        w = self.workdir
        labels = ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        self._spawn("kubelet", [
            bins / "kubelet", f"--kubeconfig={self.cluster.kubeconfig}", "--container-runtime=remote",
            f"--container-runtime-endpoint=unix://{self.socket}", "--cgroup-driver=cgroupfs",
            "--fail-swap-on=false", f"--root-dir={w / 'kubelet'}", f"--cert-dir={w / 'kubelet-pki'}",
            f"--hostname-override={self.name}", f"--pod-infra-container-image={PAUSE_IMAGE}",
            "--node-ip=127.0.0.1", "--address=127.0.0.1", f"--port={kube.free_port()}", "--read-only-port=0",
            "--healthz-port=0", "--cgroups-per-qos=false", "--enforce-node-allocatable=", "--eviction-hard=",
            "--image-gc-high-threshold=100", "--image-gc-low-threshold=99", "--serialize-image-pulls=false",
            *([f"--node-labels={labels}"] if labels else []), *self.cluster.feature_gate_args(),
        ])

    def _check_alive(self):
        for name, pid in self.pids.items():
            if not processes.alive(pid):
                raise HarnessError(f"{name} of {self.name} exited; see {self.workdir / (name + '.log')}")

    def stop(self):
        if "kubelet" in self.pids:
            processes.stop([self.pids.pop("kubelet")])
        if "containerd" in self.pids and processes.alive(self.pids["containerd"]):
            # what the kubelet left: kill the tasks, then remove the containers (their CNI DEL ran
            # when the pods were deleted; a sandbox left over is torn down by containerd itself)
            for task in self.ctr("tasks", "ls", "-q", check=False).split():
                self.ctr("tasks", "kill", "-s", "SIGKILL", task, check=False)
            deadline = time.monotonic() + 20
            while self.ctr("tasks", "ls", "-q", check=False).split() and time.monotonic() < deadline:
                for task in self.ctr("tasks", "ls", "-q", check=False).split():
                    self.ctr("tasks", "delete", "-f", task, check=False)
                time.sleep(0.2)
            for container in self.ctr("containers", "ls", "-q", check=False).split():
                self.ctr("containers", "rm", container, check=False)
        if "containerd" in self.pids:
            processes.stop([self.pids.pop("containerd")])
        _unmount_below(self.workdir)


def _unmount_below(path: pathlib.Path):
    mounts = [line.split()[1] for line in pathlib.Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(str(path) + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], check=False, capture_output=True)


class Nodes(processes.Harness):
    """``count`` nodes (``<prefix>-node<i>``) and one kube-scheduler, networked by the CNI stand-in
    on ``dataplane``. ``labels`` maps a node index (1-based) to extra node labels."""

    def __init__(self, cluster: kube.Cluster, dataplane: Dataplane, count: int = 3,
                 labels: dict | None = None, workdir: pathlib.Path | None = None):
        self.cluster, self.dp = cluster, dataplane
        self.prefix = dataplane.prefix
        self.workdir = pathlib.Path(workdir or tempfile.mkdtemp(prefix=f"{self.prefix}-nodes-"))
        self.master = f"{self.prefix}m"
        self.state = self.workdir / "cni-state"
        dp_state = self.workdir / "dataplane.json"
        self.cni_conf = {"kubeconfig": str(cluster.kubeconfig), "dataplane": str(dp_state),
                         "external_netns": dataplane.ext_ns, "external_master": self.master,
                         "state_dir": str(self.state)}
        self.nodes = [Node(cluster, f"{self.prefix.lower()}-node{i}", self.workdir / f"node{i}", self.cni_conf,
                           (labels or {}).get(i)) for i in range(1, count + 1)]
        self.scheduler_pid = None
        self.image = ""
        self.addresses: PodAddresses | None = None
        self._addresses_stop = threading.Event()
        self._addresses_thread: threading.Thread | None = None

    @property
    def names(self) -> list:
        return [n.name for n in self.nodes]

    def _start(self):
        bins = kube.kube_bin_dir("kube-apiserver", "kube-controller-manager", "kubelet", "kube-scheduler", "pause")
        for binary in ("kubelet", "kube-scheduler", "pause"):
            if not (bins / binary).exists():
                raise HarnessError(f"{bins / binary} missing: run hack/kube-build.sh")
        self.image, gateway_archive = gateway_image()
        images = [pause_archive(bins, self.workdir), gateway_archive]
        self.prepare_network()
        self.addresses = PodAddresses(str(self.cluster.kubeconfig), self.dp, self.names)
        self._addresses_thread = threading.Thread(target=self.addresses.run, args=(self._addresses_stop,),
                                                  name="kube-ovn-controller-pods", daemon=True)
        self._addresses_thread.start()
        for node in self.nodes:
            node.workdir.mkdir(parents=True, exist_ok=True)
            node.start_containerd(images)
        for node in self.nodes:
            node.start_kubelet(bins)
        log = open(self.workdir / "kube-scheduler.log", "wb")  # pylint: disable=consider-using-with
        self.scheduler_pid = subprocess.Popen(
            [str(bins / "kube-scheduler"), f"--kubeconfig={self.cluster.kubeconfig}", "--leader-elect=false",
             "--port=0", "--secure-port=0"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True).pid
        self.wait_ready()

    def prepare_network(self):
        """What the CNI stand-in needs: the data plane's saved state and the macvlan master, a veth
        in the external network's namespace whose peer is on that namespace's bridge."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.dp.save(self.workdir / "dataplane.json")
        run("ip", "link", "add", self.master, "type", "veth", "peer", "name", f"{self.master}b", netns=self.dp.ext_ns)
        run("ip", "link", "set", f"{self.master}b", "master", "br0", "up", netns=self.dp.ext_ns)
        run("ip", "link", "set", self.master, "up", netns=self.dp.ext_ns)

    def wait_ready(self):
        """Every node registered and Ready; then the not-ready taint lifted (see the module doc)."""
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        core = client.CoreV1Api(self.cluster.api_client())
        deadline = time.monotonic() + READY_TIMEOUT
        pending = set(self.names)
        while pending:
            for node in self.nodes:
                node._check_alive()  # pylint: disable=protected-access
            for name in sorted(pending):
                try:
                    obj = core.read_node(name)
                except client.ApiException:
                    continue
                ready = any(c.type == "Ready" and c.status == "True" for c in obj.status.conditions or [])
                if ready:
                    taints = [t for t in obj.spec.taints or [] if not t.key.startswith("node.kubernetes.io/not-ready")]
                    core.patch_node(name, {"spec": {"taints": [t.to_dict() for t in taints] or None}})
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise HarnessError(f"nodes {sorted(pending)} not Ready after {READY_TIMEOUT}s")
            time.sleep(0.5)

    # ---- what the tests look at --------------------------------------------------------------
    def pod_record(self, namespace: str, name: str) -> dict:
        """What the CNI stand-in recorded for a running pod (netns, host_if, lsp)."""
        for record in self.state.glob("*.json"):
            data = json.loads(record.read_text())
            if data.get("pod") == f"{namespace}/{name}":
                return data
        raise HarnessError(f"pod {namespace}/{name} has no network (no CNI record)")

    def pod_netns(self, namespace: str, name: str) -> str:
        """The network namespace (name under /run/netns) of a running pod."""
        return pathlib.Path(self.pod_record(namespace, name)["netns"]).name

    def stop(self):
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        try:
            core = client.CoreV1Api(self.cluster.api_client())
            # the cluster is the harness's own: its Deployments go first, or their pods come back
            apps = client.AppsV1Api(self.cluster.api_client())
            for deployment in apps.list_deployment_for_all_namespaces().items:
                apps.delete_namespaced_deployment(deployment.metadata.name, deployment.metadata.namespace,
                                                  propagation_policy="Foreground")
            for pod in core.list_pod_for_all_namespaces().items:
                if pod.spec.node_name in self.names:
                    core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0)
            deadline = time.monotonic() + 60
            while any(p.spec.node_name in self.names for p in core.list_pod_for_all_namespaces().items) \
                    and time.monotonic() < deadline:
                time.sleep(0.5)
        except Exception:  # pylint: disable=broad-except  # the API may be gone already; stop the rest anyway
            pass
        self._addresses_stop.set()
        if self._addresses_thread:
            self._addresses_thread.join(timeout=10)
        if self.scheduler_pid:
            processes.stop([self.scheduler_pid])
            self.scheduler_pid = None
        for node in self.nodes:
            node.stop()
        # containerd removes a sandbox's netns only when it removes the sandbox, which a stopped
        # kubelet never asks for: delete those of our pods that are left (and have no process)
        seen = self.state / "netns.list"
        for path in sorted(set(seen.read_text().split())) if seen.exists() else []:
            name = pathlib.Path(path).name
            if pathlib.Path(path).exists() and not run("ip", "netns", "pids", name, check=False).strip():
                run("ip", "netns", "del", name, check=False)
        run("ip", "link", "del", self.master, netns=self.dp.ext_ns, check=False)
        if not os.environ.get("VEGF_KEEP_WORKDIR"):
            _unmount_below(self.workdir)
            shutil.rmtree(self.workdir, ignore_errors=True)
