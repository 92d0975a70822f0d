# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A pod's port on a local loopback port, through the API server, as ``kubectl port-forward``.

PRIVATE to the collection: not a public API. For controllers outside the cluster (AWX, a laptop)
that cannot reach the NB's ClusterIP. A detached helper process listens on 127.0.0.1 only and,
for each connection it accepts, opens the API server's ``pods/portforward`` websocket (the
kubernetes client's ``portforward``) and copies bytes both ways. It exits when stopped by its pid
(``stop``, which checks the process's start time so a reused pid is never signalled), or after
``idle_timeout`` seconds with no connection open.
"""
from __future__ import annotations

import os
import select
import signal
import socket
import threading
import time

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError

try:
    from kubernetes import client as k8s_client
    from kubernetes.stream import portforward
except ImportError:  # reported by the module
    k8s_client = None


def start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), "" if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def find_pod(api_client, namespace: str, label_selector: str) -> str:
    """The first Running pod matching the selector (Kube-OVN labels the NB leader
    ``ovn-nb-leader=true`` among ``app=ovn-central``)."""
    core = k8s_client.CoreV1Api(api_client)
    try:
        pods = core.list_namespaced_pod(namespace, label_selector=label_selector).items
    except k8s_client.ApiException as exc:
        raise EgressGatewayError(f"cannot list the pods of namespace {namespace}: {exc.status} {exc.reason}",
                                 field="namespace", value=namespace) from exc
    running = sorted(p.metadata.name for p in pods if (p.status and p.status.phase) == "Running")
    if not running:
        raise EgressGatewayError(f"no Running pod in namespace {namespace} matches {label_selector!r} "
                                 f"(got {len(pods)} pod(s): {', '.join(sorted(p.metadata.name for p in pods)) or 'none'})",
                                 field="label_selector", value=label_selector)
    return running[0]


def _open(api_client, namespace, pod, port):
    core = k8s_client.CoreV1Api(api_client)
    forward = portforward(core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port))
    remote = forward.socket(port)
    remote.setblocking(True)
    return forward, remote


def probe(api_client, namespace: str, pod: str, port: int, timeout: float):
    """One round trip of the tunnel's set-up, so a broken path fails the task, not the first NB call."""
    try:
        forward = _open(api_client, namespace, pod, port)[0]
    except Exception as exc:  # pylint: disable=broad-except
        raise EgressGatewayError(f"port-forward to {namespace}/{pod}:{port} through the API server failed: "
                                 f"{' '.join(str(exc).split())}", field="pod", value=pod) from exc
    deadline = time.monotonic() + timeout
    while forward.connected and forward.error(port) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    error = forward.error(port)
    forward.close()
    if error:
        raise EgressGatewayError(f"port-forward to {namespace}/{pod}:{port}: {error}", field="pod", value=pod)


def _copy(api_client, namespace, pod, port, local):
    try:
        forward, remote = _open(api_client, namespace, pod, port)
    except Exception:  # pylint: disable=broad-except
        local.close()
        return
    try:
        while True:
            readable = select.select([local, remote], [], [])[0]
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (remote if source is local else local).sendall(data)
    except OSError:
        return
    finally:
        local.close()
        forward.close()


def serve(api_client, listener: socket.socket, namespace: str, pod: str, port: int, idle_timeout: float):
    """Accept on the listener until stopped or idle; one tunnel per accepted connection."""
    active = []
    last = time.monotonic()
    while True:
        active = [t for t in active if t.is_alive()]
        if active:
            last = time.monotonic()
        elif time.monotonic() - last > idle_timeout:
            return
        readable = select.select([listener], [], [], 1.0)[0]
        if readable:
            local = listener.accept()[0]
            thread = threading.Thread(target=_copy, args=(api_client, namespace, pod, port, local), daemon=True)
            thread.start()
            active.append(thread)


def start(api_client, namespace: str, pod: str, port: int, idle_timeout: float) -> dict:
    """Start the detached helper; returns ``{"local_port", "pid", "start_time"}``."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    local_port = listener.getsockname()[1]
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the helper process
        os.close(read_end)
        os.setsid()
        if os.fork():
            os._exit(0)  # pylint: disable=protected-access
        os.write(write_end, str(os.getpid()).encode())
        os.close(write_end)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # pylint: disable=protected-access
        try:
            serve(api_client, listener, namespace, pod, port, idle_timeout)
        finally:
            os._exit(0)  # pylint: disable=protected-access
    os.close(write_end)
    os.waitpid(child, 0)
    pid = int(os.read(read_end, 32) or b"0")
    os.close(read_end)
    listener.close()
    return {"local_port": local_port, "pid": pid, "start_time": start_time(pid)}


def stop(pid: int, started: str) -> bool:
    """Stop the helper ``pid`` if it is still the process started at ``started``; True when it ran."""
    if not started or start_time(pid) != started:
        return False
    os.kill(pid, signal.SIGTERM)
    return True
