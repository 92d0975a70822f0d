"""A real Kubernetes API server for the tests: etcd + kube-apiserver + kube-controller-manager.

The two Kubernetes binaries come from hack/kube-build.sh (built once per machine from Debian's
``kubernetes`` source package, cached in $KUBEOVN_EGRESS_CACHE/kube/, hack/env.sh); etcd is Debian's.
Everything listens on 127.0.0.1 on ports picked free at start, keys and certificates are made
with openssl in the cluster's own directory, and every process is stopped by the pid saved at
start. The controller-manager turns Deployments into ReplicaSets and Pods and gives namespaces
their default ServiceAccount (and its token Secret).

What this cluster does NOT have: no scheduler, no kubelet, no CNI. Pods stay Pending until a
test plays the node's part itself through the API - see ``NodeStandIn`` below, which binds pods
to Node objects it created, writes the pod status (podIPs, Ready) a kubelet would write and the
annotations Multus and Kube-OVN would write (``k8s.v1.cni.cncf.io/network-status``,
``ovn.kubernetes.io/ip_address`` ...). Nothing here pretends to be more than that.

Usable from a shell (molecule create/destroy use it)::

    python tests/functional/support/kube.py start DIR   # with the CRDs; prints DIR/kubeconfig when ready
    python tests/functional/support/kube.py stop DIR
"""
from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import os
import pathlib
import shutil
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

if __package__ in (None, ""):   # run as a script (see the docstring): make `support` importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from support.processes import alive, free_port, openssl, stop as stop_pids  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[3]
CRDS = REPO / "roles" / "egress_gateway" / "files" / "crds"
ADMIN_TOKEN = "vegE-admin-token"
READY_TIMEOUT = 120


def kube_bin_dir(*binaries: str) -> pathlib.Path:
    """The cached folder of the Kubernetes binaries (built on first use): by default the
    kube-apiserver and kube-controller-manager this module runs; support/node.py asks for more."""
    if os.environ.get("KUBE_BIN_DIR"):
        return pathlib.Path(os.environ["KUBE_BIN_DIR"])
    wanted = binaries or ("kube-apiserver", "kube-controller-manager")
    out = subprocess.run(["bash", str(REPO / "hack" / "kube-build.sh"), *wanted], check=True, text=True,
                         stdout=subprocess.PIPE)
    return pathlib.Path(out.stdout.strip().splitlines()[-1])


def make_certs(pki: pathlib.Path):
    """A CA, a serving certificate for 127.0.0.1 and the service-account key pair."""
    pki.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=vegE-test-ca",
            "-keyout", "ca.key", "-out", "ca.crt", cwd=pki)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
            "-keyout", "server.key", "-out", "server.csr", cwd=pki)
    (pki / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.cnf", "-out", "server.crt", cwd=pki)
    openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)


def kubeconfig_text(server: str, ca: pathlib.Path, token: str, user: str = "admin") -> str:
    ca_data = base64.b64encode(ca.read_bytes()).decode()
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "veg",
        "clusters": [{"name": "veg", "cluster": {"server": server, "certificate-authority-data": ca_data}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "veg", "context": {"cluster": "veg", "user": user}}],
    }, indent=1)


class Cluster:
    """One etcd + kube-apiserver + kube-controller-manager living in ``workdir``."""

    def __init__(self, workdir: pathlib.Path, watch_cache: bool = True, feature_gates: str = ""):
        self.workdir = pathlib.Path(workdir)
        self.watch_cache = watch_cache  # False: watches go to etcd, so compaction makes old ones 410
        # e.g. IPv6DualStack=true (alpha in 1.20): without it the API keeps one pod IP only
        self.feature_gates = feature_gates
        self.etcd = ""
        self.pki = self.workdir / "pki"
        self.kubeconfig = self.workdir / "kubeconfig"
        self.state_file = self.workdir / "cluster.json"
        self.pids: dict[str, int] = {}
        self.server = ""

    # -- lifecycle -------------------------------------------------------------------------
    def start(self):
        bins = kube_bin_dir()
        self.workdir.mkdir(parents=True, exist_ok=True)
        make_certs(self.pki)
        (self.pki / "tokens.csv").write_text(f'{ADMIN_TOKEN},admin,admin-uid,"system:masters"\n')
        etcd_client, etcd_peer, etcd_metrics, api_port = (free_port() for _ in range(4))
        self.server = f"https://127.0.0.1:{api_port}"
        self.etcd = f"http://127.0.0.1:{etcd_client}"
        self._spawn("etcd", [
            "etcd", "--data-dir", str(self.workdir / "etcd"), "--name", "vegE",
            "--listen-client-urls", f"http://127.0.0.1:{etcd_client}",
            "--advertise-client-urls", f"http://127.0.0.1:{etcd_client}",
            "--listen-peer-urls", f"http://127.0.0.1:{etcd_peer}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{etcd_peer}",
            "--initial-cluster", f"vegE=http://127.0.0.1:{etcd_peer}",
            "--listen-metrics-urls", f"http://127.0.0.1:{etcd_metrics}",
        ])
        self._spawn("kube-apiserver", [
            str(bins / "kube-apiserver"), f"--etcd-servers=http://127.0.0.1:{etcd_client}",
            "--bind-address=127.0.0.1", f"--secure-port={api_port}", "--insecure-port=0",
            "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
            f"--tls-cert-file={self.pki / 'server.crt'}", f"--tls-private-key-file={self.pki / 'server.key'}",
            f"--client-ca-file={self.pki / 'ca.crt'}", f"--token-auth-file={self.pki / 'tokens.csv'}",
            "--authorization-mode=RBAC", "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={self.pki / 'sa.pub'}",
            f"--service-account-signing-key-file={self.pki / 'sa.key'}",
            "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true",
            *([] if self.watch_cache else ["--watch-cache=false"]),
            *self.feature_gate_args(),
        ])
        self.kubeconfig.write_text(kubeconfig_text(self.server, self.pki / "ca.crt", ADMIN_TOKEN))
        self._save()
        self._wait_ready()
        self._spawn("kube-controller-manager", [
            str(bins / "kube-controller-manager"), f"--kubeconfig={self.kubeconfig}", "--port=0",
            "--secure-port=0", "--leader-elect=false",
            f"--service-account-private-key-file={self.pki / 'sa.key'}",
            f"--root-ca-file={self.pki / 'ca.crt'}", "--use-service-account-credentials=false",
            "--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-route,-service",
            *self.feature_gate_args(),
        ])
        self._save()
        return self

    def feature_gate_args(self) -> list:
        """The --feature-gates argument of every component (none when there are no gates)."""
        return [f"--feature-gates={self.feature_gates}"] if self.feature_gates else []

    def compact(self) -> int:
        """Compact etcd at its current revision (what its periodic compaction does): a watch or
        list from an older resourceVersion then gets 410 Gone. Returns the revision."""
        status = json.loads(subprocess.run(["etcdctl", f"--endpoints={self.etcd}", "endpoint", "status", "-w", "json"],
                                           capture_output=True, text=True, check=True, timeout=30).stdout)
        revision = status[0]["Status"]["header"]["revision"]
        subprocess.run(["etcdctl", f"--endpoints={self.etcd}", "compact", str(revision)],
                       capture_output=True, text=True, check=True, timeout=30)
        return revision

    def _spawn(self, name, argv):
        log = open(self.workdir / f"{name}.log", "wb")  # pylint: disable=consider-using-with
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pids[name] = proc.pid

    def _save(self):
        self.state_file.write_text(json.dumps({"server": self.server, "pids": self.pids}))

    @classmethod
    def attach(cls, workdir) -> "Cluster":
        cluster = cls(workdir)
        state = json.loads(cluster.state_file.read_text())
        cluster.server, cluster.pids = state["server"], state["pids"]
        return cluster

    def _wait_ready(self):
        context = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        request = urllib.request.Request(f"{self.server}/readyz",
                                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        deadline = time.monotonic() + READY_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            for name, pid in self.pids.items():
                if not alive(pid):
                    raise RuntimeError(f"{name} exited during start; see {self.workdir / (name + '.log')}")
            try:
                with urllib.request.urlopen(request, context=context, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError as exc:
                last = exc
            time.sleep(0.3)
        raise RuntimeError(f"kube-apiserver not ready after {READY_TIMEOUT}s ({last})")

    def stop(self, remove=True):
        for name in ("kube-controller-manager", "kube-apiserver", "etcd"):
            pid = self.pids.get(name)
            if pid:
                stop_pids([pid], timeout=20)
        self.pids = {}
        if remove:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- clients ----------------------------------------------------------------------------
    def api_client(self, token: str = ADMIN_TOKEN):
        """A kubernetes.client.ApiClient for this cluster with a bearer token."""
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        config = client.Configuration()
        config.host = self.server
        config.ssl_ca_cert = str(self.pki / "ca.crt")
        config.api_key = {"authorization": f"Bearer {token}"}
        return client.ApiClient(config)

    def dynamic(self, token: str = ADMIN_TOKEN):
        from kubernetes.dynamic import DynamicClient  # pylint: disable=import-outside-toplevel

        return DynamicClient(self.api_client(token))

    def kubeconfig_for(self, token: str, path: pathlib.Path, user: str = "user") -> pathlib.Path:
        path.write_text(kubeconfig_text(self.server, self.pki / "ca.crt", token, user))
        return path

    def service_account_token(self, namespace: str, name: str, timeout: float = 60) -> str:
        """Create a ServiceAccount and return its token (the controller-manager writes the Secret)."""
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        core = client.CoreV1Api(self.api_client())
        core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            account = core.read_namespaced_service_account(name, namespace)
            for ref in account.secrets or []:
                secret = core.read_namespaced_secret(ref.name, namespace)
                if secret.data and secret.data.get("token"):
                    return base64.b64decode(secret.data["token"]).decode()
            time.sleep(0.3)
        raise RuntimeError(f"no token Secret for ServiceAccount {namespace}/{name} after {timeout}s")


# ---------------------------------------------------------------------------------------------
# Playing the node's part (there is no scheduler, kubelet, Multus or Kube-OVN CNI here)

NETWORK_STATUS = "k8s.v1.cni.cncf.io/network-status"


class NodeStandIn:
    """Stands in for kube-scheduler + kubelet + Multus + the Kube-OVN CNI, through the API only.

    ``start()`` runs a thread that, for every Pending pod matching ``label_selector``:
    binds it (``pods/binding``) to one of ``nodes`` that has no pod of the same gateway yet (the
    Deployment's required anti-affinity; with a preferred one and every node taken, to the node
    with the fewest), then writes what the node-side components would:
    the Kube-OVN annotations (``ovn.kubernetes.io/ip_address``, ``logical_switch``, ``allocated``),
    Multus' ``k8s.v1.cni.cncf.io/network-status`` with the eth0 and net1 addresses, and the pod
    status a kubelet reports (phase Running, podIP/podIPs, Ready=True). Addresses come from the
    pod's ``ip_pool`` annotations when set (as Kube-OVN does: addresses, or the name of an IPPool
    whose spec.ips - addresses and CIDRs - are allocated from), else from ``internal_pool`` /
    ``external_pool``. Pods being deleted are removed at once (the kubelet's confirmation).
    No container runs: this only makes the API look like a node ran the pod.
    """

    def __init__(self, cluster: Cluster, nodes, label_selector="app=vpc-egress-gateway",
                 internal_pool=None, external_pool=None, interval=0.3):
        from kubernetes import client  # pylint: disable=import-outside-toplevel

        self.core = client.CoreV1Api(cluster.api_client())
        self.custom = client.CustomObjectsApi(cluster.api_client())
        self.nodes = list(nodes)
        self.label_selector = label_selector
        self.internal_pool = list(internal_pool or [f"10.16.0.{i}" for i in range(100, 200)])
        self.external_pool = list(external_pool or [f"172.17.0.{i}" for i in range(100, 200)])
        self.interval = interval
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name="node-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.step()
            except Exception as exc:  # pylint: disable=broad-except
                # A conflict with the controller-manager is normal; keep the last few for debugging.
                self.errors = (self.errors + [repr(exc)])[-20:]
            self._stop.wait(self.interval)

    def step(self):
        """One pass over the pods (usable without the thread)."""
        pods = self.core.list_pod_for_all_namespaces(label_selector=self.label_selector).items
        for pod in pods:
            if pod.metadata.deletion_timestamp:
                self.core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0)
        pods = [p for p in pods if not p.metadata.deletion_timestamp]
        used = {(p.metadata.namespace, p.spec.node_name, _gateway_of(p)) for p in pods if p.spec.node_name}
        taken_internal = {ip for p in pods for ip in (p.metadata.annotations or {}).get(
            "ovn.kubernetes.io/ip_address", "").split(",") if ip}
        taken_external = {ip for p in pods for key, v in (p.metadata.annotations or {}).items()
                          if key.endswith(".kubernetes.io/ip_address") and not key.startswith("ovn.")
                          for ip in v.split(",") if ip}
        for pod in pods:
            if pod.spec.node_name:
                continue
            node = next((n for n in self.nodes
                         if (pod.metadata.namespace, n, _gateway_of(pod)) not in used), None)
            anti = pod.spec.affinity.pod_anti_affinity if pod.spec.affinity else None
            if node is None and anti is not None and not anti.required_during_scheduling_ignored_during_execution:
                same = [p for p in pods if p.metadata.namespace == pod.metadata.namespace and p.spec.node_name
                        and _gateway_of(p) == _gateway_of(pod)]
                node = min(self.nodes, key=lambda n: sum(p.spec.node_name == n for p in same))
            if node is None:
                continue  # the scheduler would leave it Pending too
            pod.spec.node_name = node  # the next pod of this pass counts it
            used.add((pod.metadata.namespace, node, _gateway_of(pod)))
            self._run_pod(pod, node, taken_internal, taken_external)

    def _run_pod(self, pod, node, taken_internal, taken_external):
        annotations = pod.metadata.annotations or {}
        name, namespace = pod.metadata.name, pod.metadata.namespace
        networks = annotations.get("k8s.v1.cni.cncf.io/networks", "")
        internal = _pick(self._ip_pool(annotations.get("ovn.kubernetes.io/ip_pool")), self.internal_pool,
                         taken_internal)
        status = [{"name": "kube-ovn", "interface": "eth0", "ips": internal.split(","), "default": True}]
        patch = {"ovn.kubernetes.io/ip_address": internal, "ovn.kubernetes.io/allocated": "true",
                 "ovn.kubernetes.io/logical_switch": annotations.get("ovn.kubernetes.io/logical_switch", "ovn-default")}
        if networks:
            nad_ns, _, nad = networks.split(",")[0].partition("/")
            provider = f"{nad}.{nad_ns}"
            external = _pick(self._ip_pool(annotations.get(f"{provider}.kubernetes.io/ip_pool")), self.external_pool,
                             taken_external)
            patch[f"{provider}.kubernetes.io/ip_address"] = external
            patch[f"{provider}.kubernetes.io/allocated"] = "true"
            status.append({"name": f"{nad_ns}/{nad}", "interface": "net1", "ips": external.split(",")})
        patch[NETWORK_STATUS] = json.dumps(status)
        self.core.create_namespaced_binding(namespace, {
            "apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        }, _preload_content=False)
        self.core.patch_namespaced_pod(name, namespace, {"metadata": {"annotations": patch}})
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        ips = internal.split(",")
        containers = [c.name for c in pod.spec.containers]
        self.core.patch_namespaced_pod_status(name, namespace, {"status": {
            "phase": "Running", "hostIP": "127.0.0.1", "podIP": ips[0], "podIPs": [{"ip": ip} for ip in ips],
            "startTime": now,
            "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                           for t in ("Initialized", "PodScheduled", "ContainersReady", "Ready")],
            "containerStatuses": [{"name": c, "ready": True, "restartCount": 0, "image": "stand-in",
                                   "imageID": "", "started": True, "state": {"running": {"startedAt": now}}}
                                  for c in containers],
        }})

    def _ip_pool(self, annotation: str | None) -> str | None:
        """An ip_pool annotation with an IPPool's name (one entry, not an address) as the pool's
        addresses, ';'-separated; any other annotation as it is."""
        if not annotation or any(c in annotation for c in ",;") or _is_ip(annotation):
            return annotation
        pool = self.custom.get_cluster_custom_object("kubeovn.io", "v1", "ippools", annotation)
        addresses = []
        for entry in pool["spec"]["ips"]:
            network = ipaddress.ip_network(entry, strict=False)
            addresses += [str(a) for a in (network.hosts() if network.num_addresses > 1 else [network.network_address])]
        return ";".join(addresses)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _gateway_of(pod) -> str:
    return (pod.metadata.labels or {}).get("ovn.kubernetes.io/vpc-egress-gateway", pod.metadata.name)


def _pick(ip_pool: str | None, pool: list, taken: set) -> str:
    """The first free address of the pod's ip_pool annotation (';'-separated) or of ``pool``."""
    candidates = ip_pool.split(";") if ip_pool else pool
    for candidate in candidates:
        if not set(candidate.split(",")) & taken:
            taken.update(candidate.split(","))
            return candidate
    raise RuntimeError(f"no free address left in {candidates}")


def add_node(cluster: Cluster, name: str, labels: dict | None = None):
    """A Node object as a kubelet would register it (Ready), with the hostname label."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    core = client.CoreV1Api(cluster.api_client())
    node_labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **(labels or {})}
    core.create_node({"metadata": {"name": name, "labels": node_labels,
                                   "annotations": {"ovn.kubernetes.io/port_name": f"node-{name}"}}})
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    core.patch_node_status(name, {"status": {
        "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": now,
                        "lastTransitionTime": now, "reason": "KubeletReady", "message": "stand-in"}],
        "addresses": [{"type": "Hostname", "address": name}],
    }})


BFD_IP = "10.255.255.255"


def create_namespace(cluster: Cluster, name: str, labels: dict | None = None, timeout: float = 60):
    """A namespace pods can be created in: the controller-manager has made its default
    ServiceAccount and (Kubernetes 1.20) that account's token Secret, without which a pod is
    refused with "No API token found for service account"."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    core = client.CoreV1Api(cluster.api_client())
    core.create_namespace({"metadata": {"name": name, "labels": labels or {}}})
    deadline = time.monotonic() + timeout
    while not any(sa.secrets for sa in core.list_namespaced_service_account(
            name, field_selector="metadata.name=default").items):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no token of the default ServiceAccount in namespace {name} after {timeout}s")
        time.sleep(0.2)


def kube_ovn_objects(cluster: Cluster, bfd_ip: str = BFD_IP):
    """The cluster-scoped objects Kube-OVN keeps, as its controller reports them: the default VPC
    ovn-cluster (with a BFD port) and the subnets ovn-default and subnet1. Idempotent."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel

    custom = client.CustomObjectsApi(cluster.api_client())

    def ensure(plural, body):
        try:
            custom.create_cluster_custom_object("kubeovn.io", "v1", plural, body)
        except ApiException as exc:
            if exc.status != 409:
                raise

    ensure("vpcs", {"apiVersion": "kubeovn.io/v1", "kind": "Vpc", "metadata": {"name": "ovn-cluster"},
                    "spec": {"bfdPort": {"enabled": True, "ip": bfd_ip}}})
    custom.patch_cluster_custom_object_status("kubeovn.io", "v1", "vpcs", "ovn-cluster", {"status": {
        "router": "ovn-cluster", "defaultLogicalSwitch": "ovn-default", "default": True,
        "bfdPort": {"name": "bfd@ovn-cluster", "ip": bfd_ip, "nodes": []}}})
    for name, cidr, gateway in (("ovn-default", "10.16.0.0/16", "10.16.0.1"), ("subnet1", "10.17.0.0/16", "10.17.0.1")):
        ensure("subnets", {"apiVersion": "kubeovn.io/v1", "kind": "Subnet", "metadata": {"name": name},
                           "spec": {"protocol": "IPv4", "provider": "ovn", "cidrBlock": cidr, "gateway": gateway,
                                    "vpc": "ovn-cluster"}})


@contextlib.contextmanager
def running_cluster(workdir: pathlib.Path, **options):
    """A started Cluster (``options``: Cluster's) with the collection's CRDs; stopped afterwards."""
    cluster = Cluster(workdir, **options)
    try:
        cluster.start()
        install_crds(cluster)
        yield cluster
    finally:
        cluster.stop()


def install_crds(cluster: Cluster, timeout: float = 60, documents=None) -> list:
    """Apply CRD manifests - the collection's by default, else ``documents`` (parsed YAML, e.g.
    Kube-OVN's own) - and wait until each is Established."""
    import yaml  # pylint: disable=import-outside-toplevel
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    ext = client.ApiextensionsV1Api(cluster.api_client())
    if documents is None:
        documents = [yaml.safe_load(path.read_text()) for path in sorted(CRDS.glob("*.yaml"))]
    names = []
    for body in documents:
        ext.create_custom_resource_definition(body)
        names.append(body["metadata"]["name"])
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            crd = ext.read_custom_resource_definition(name)
            if any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or []):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"CRD {name} not Established after {timeout}s")
            time.sleep(0.2)
    return names


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(f"usage: {argv[0]} start|stop DIR", file=sys.stderr)
        return 2
    workdir = pathlib.Path(argv[2]).resolve()
    if argv[1] == "start":
        cluster = Cluster(workdir).start()
        try:
            install_crds(cluster)
        except Exception:
            cluster.stop(remove=False)
            raise
        print(cluster.kubeconfig)
    elif (workdir / "cluster.json").exists():
        Cluster.attach(workdir).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
