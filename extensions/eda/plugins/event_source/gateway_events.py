# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubeovn.egress_gateway.gateway_events - an ansible-rulebook event source: an event for the gateways
whose OVN Northbound rows differ from what the cluster asks for.

Watches the Kubernetes API (VpcEgressGateway objects, Namespaces, Subnets, Vpcs, the gateways'
own pods and - with server-side label selectors - only the pods the gateways' selectors can
match) and the OVN Northbound (the rows the gateways own and the Logical_Switch_Ports of the
selected pods), and puts on the queue ONE coalesced event per batch of gateways whose NB rows
differ from what the spec model wants (or, with ``manage_objects``, whose object needs deploying
or removing), with the reasons. The decisions are module_utils/_eda.py's; this file is I/O.

Starts with a full list of everything; a watch that expires (410 Gone) or loses its connection
relists and counts every difference as a change; the NB monitor reconnects by itself (python-ovs)
and its first replica after a reconnect is a full resync. While the API or the NB is
unreachable the affected gateways are held (no event from a partial read), the outage is logged
once and retried with a doubling delay.

Arguments:
  nb_connection:   OVN NB remote(s), as the collection's modules take them (required)
  nb_private_key, nb_certificate, nb_ca_cert: for ssl: remotes (file paths)
  kubeconfig:      path of a kubeconfig (default: in-cluster service account, else ~/.kube/config)
  context:         kubeconfig context
  gateway_selector: server-side label selector of the VpcEgressGateway objects to follow
  manage_objects:  true = the objects are the source of truth: deploy / update / remove (with
                   the collection's finalizer); false (default) = keep the NB rows of deployed gateways
  window:          coalescing window in seconds (default 0.1)
  settle_timeout:  seconds an action may take before its gateway is retried (default 30, doubling)
  watch_seconds:   how long one Kubernetes watch lasts before it is renewed from its last
                   resourceVersion (default 300)

Events: ``{"egress_gateway": {"action": "rows", "gateways": [ovn_egress_gateway gateways[] items],
"reasons": {key: [...]}}}``, ``{"action": "deploy", "gateway", "object"}``,
``{"action": "remove", "gateway", "name", "namespace"}``, ``{"action": "invalid", "gateway",
"field", "value", "message", ...}``.

Run alone (events printed as JSON lines)::

    python gateway_events.py '{"nb_connection": "tcp:127.0.0.1:6641", "kubeconfig": "kc"}'
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import pathlib
import select
import ssl
import sys
import threading
import time

try:
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _eda
except ImportError:
    # ansible-rulebook runs this file by path: the collection's ansible_collections/ folder
    # (six levels up) makes the collection's module_utils importable.
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[6]))
    from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _eda

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._nb_rows import Snapshot
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovsdb import NbConnection
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._reconcile import monitored_tables

LOG = logging.getLogger("kubeovn.egress_gateway.gateway_events")

RESOURCES = {
    "VpcEgressGateway": "/apis/kubeovn.io/v1/vpc-egress-gateways",
    "Namespace": "/api/v1/namespaces",
    "Subnet": "/apis/kubeovn.io/v1/subnets",
    "Vpc": "/apis/kubeovn.io/v1/vpcs",
    "GatewayPod": "/api/v1/pods",
}
LIST_PAGE = 500
WATCH_SECONDS = 300
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
NB_TIMEOUT = 10


class Gone(Exception):
    """The watch's resourceVersion is too old (410): list again."""


class Outage:
    """Logs a failure once (and its end), and yields the doubling retry delay."""

    def __init__(self, what):
        self.what = what
        self.delay = 0.0

    def failed(self, problem):
        if not self.delay:
            LOG.warning("%s: %s; retrying with backoff", self.what, problem)
        self.delay = min(max(self.delay * 2, BACKOFF_FIRST), BACKOFF_MAX)
        return self.delay

    def ok(self):
        if self.delay:
            LOG.warning("%s: working again", self.what)
        self.delay = 0.0


# -- Kubernetes ---------------------------------------------------------------------------------

class KubeApi:
    """List and watch over aiohttp, with the credentials of a kubeconfig or the pod's account."""

    def __init__(self, args):
        from kubernetes import client, config  # pylint: disable=import-outside-toplevel

        cfg = client.Configuration()
        in_cluster = os.environ.get("KUBERNETES_SERVICE_HOST") and not args.get("kubeconfig")
        if in_cluster:
            config.load_incluster_config(client_configuration=cfg)
        else:
            config.load_kube_config(config_file=args.get("kubeconfig") or None, context=args.get("context") or None,
                                    client_configuration=cfg)
        self.host = cfg.host.rstrip("/")
        self.watch_seconds = watch_seconds(args.get("watch_seconds"))
        self.ssl = ssl.create_default_context(cafile=cfg.ssl_ca_cert) if cfg.ssl_ca_cert else ssl.create_default_context()
        if cfg.cert_file:
            self.ssl.load_cert_chain(cfg.cert_file, cfg.key_file)
        if not cfg.verify_ssl:
            self.ssl.check_hostname = False
            self.ssl.verify_mode = ssl.CERT_NONE
        token = cfg.get_api_key_with_prefix("BearerToken", alias="authorization")
        self.headers = {"Authorization": token} if token else {}
        self.session = None

    async def open(self):
        import aiohttp  # pylint: disable=import-outside-toplevel

        self.session = aiohttp.ClientSession(headers=self.headers, connector=aiohttp.TCPConnector(ssl=self.ssl),
                                             timeout=aiohttp.ClientTimeout(total=None, sock_connect=10))

    async def close(self):
        if self.session is not None:
            await self.session.close()

    async def list(self, path, params):
        """Every item (paged), and the list's resourceVersion to watch from."""
        items, token = [], None
        while True:
            query = dict(params, limit=str(LIST_PAGE))
            if token:
                query["continue"] = token
            async with self.session.get(self.host + path, params=query) as resp:
                if resp.status == 410:
                    raise Gone()
                if resp.status != 200:
                    raise OSError(f"GET {path}: HTTP {resp.status} {(await resp.text())[:200]}")
                body = await resp.json()
            items += body.get("items") or []
            token = (body.get("metadata") or {}).get("continue")
            if not token:
                return items, body["metadata"]["resourceVersion"]

    async def watch(self, path, params, version, on_event):
        """Watch from ``version`` until the server ends the watch; returns the last version."""
        query = dict(params, watch="1", resourceVersion=version, allowWatchBookmarks="true",
                     timeoutSeconds=str(self.watch_seconds))
        async with self.session.get(self.host + path, params=query) as resp:
            if resp.status != 200:
                raise OSError(f"watch {path}: HTTP {resp.status} {(await resp.text())[:200]}")
            buffer = b""
            async for chunk in resp.content.iter_any():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    obj = event.get("object") or {}
                    if event.get("type") == "ERROR":
                        if obj.get("code") == 410:
                            raise Gone()
                        raise OSError(f"watch {path}: {obj.get('message')}")
                    version = (obj.get("metadata") or {}).get("resourceVersion") or version
                    if event.get("type") != "BOOKMARK":
                        on_event(event["type"], obj)
        return version


# -- OVN Northbound -------------------------------------------------------------------------------

class NbMonitor(threading.Thread):
    """A python-ovs monitor of the NB in its own thread; hands plain Snapshots to the event loop.

    What is monitored follows the gateways (server-side conditions): their rows and the rows on
    their identities (monitored_tables, as the module reads them) plus the Logical_Switch_Ports
    of the selected pods by name.
    """

    def __init__(self, args, post):
        super().__init__(name="nb-monitor", daemon=True)
        self.args = args
        self.post = post                    # called in this thread with a Snapshot or None
        self.tables = dict(monitored_tables([])[0], Logical_Router_Port=["name"], Logical_Switch_Port=["name"])
        self._lock = threading.Lock()
        self._conditions = self._conditions_for([], set())
        self._changed = False
        self._wake_r, self._wake_w = os.pipe()
        self._stopping = threading.Event()
        self.outage = Outage(f"OVN Northbound {args['nb_connection']}")

    @staticmethod
    def _conditions_for(targets, ports) -> dict:
        conditions = monitored_tables(targets)[1]
        conditions["Logical_Switch_Port"] = [["name", "==", p] for p in sorted(ports)]
        conditions.setdefault("Logical_Router_Port", [])
        # [false] monitors no row (Logical_Router has no condition: every router is read)
        return {table: clauses or [False] for table, clauses in conditions.items()}

    def follow(self, targets, ports):
        """Monitor the rows of these Targets and these switch ports from now on."""
        wanted = self._conditions_for(targets, ports)
        with self._lock:
            if wanted == self._conditions:
                return
            self._conditions, self._changed = wanted, True
        os.write(self._wake_w, b"x")

    def stop(self):
        self._stopping.set()
        os.write(self._wake_w, b"x")

    def run(self):
        import ovs.poller  # pylint: disable=import-outside-toplevel

        while not self._stopping.is_set():
            with self._lock:
                conditions, self._changed = dict(self._conditions), False
            conn = NbConnection(self.args["nb_connection"], self.tables, timeout=NB_TIMEOUT,
                                private_key=self.args.get("nb_private_key"),
                                certificate=self.args.get("nb_certificate"), ca_cert=self.args.get("nb_ca_cert"),
                                conditions=conditions, optional_columns={"Logical_Router_Policy": ["bfd_sessions"]})
            try:
                conn.connect()
            except EgressGatewayError as exc:
                self.post(None)
                self._stopping.wait(self.outage.failed(exc))
                continue
            self.outage.ok()
            try:
                self._monitor(conn, ovs.poller)
            finally:
                conn.close()

    def _monitor(self, conn, poller_module):
        idl = conn.idl
        session = idl._session  # pylint: disable=protected-access
        posted = None
        while not self._stopping.is_set():
            with self._lock:
                if self._changed:
                    for table, clauses in self._conditions.items():
                        idl.cond_change(table, clauses)
                    self._changed = False
            idl.run()
            if not session.is_connected():
                if posted != "down":
                    self.post(None)
                    self.outage.failed("connection lost")
                    posted = "down"
            elif (idl.state == idl.IDL_S_MONITORING and not idl.cond_changed
                  and conn._conditions_acked()):  # pylint: disable=protected-access
                state = (session.get_seqno(), idl.change_seqno)
                if posted != state:
                    self.outage.ok()
                    self.post(_plain_snapshot(conn))
                    posted = state
            poller = poller_module.Poller()
            idl.wait(poller)
            poller.fd_wait(self._wake_r, select.POLLIN)
            poller.timer_wait(1000)
            poller.block()
            _drain(self._wake_r)


def _plain_snapshot(conn):
    live = conn.snapshot()
    return Snapshot({table: live.rows(table) for table in live.columns}, live.columns)


def _drain(fd):
    while select.select([fd], [], [], 0)[0]:
        os.read(fd, 4096)


def watch_seconds(value) -> int:
    """The watch_seconds argument: a whole number of seconds, 1 or more (the API server reads 0 as
    its own default, half an hour or more); empty - WATCH_SECONDS."""
    if value in (None, ""):
        return WATCH_SECONDS
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0
    if seconds < 1 or seconds != int(seconds):
        raise ValueError(f"gateway_events: watch_seconds must be a whole number of seconds, 1 or more (got {value!r})")
    return int(seconds)


# -- the source -----------------------------------------------------------------------------------

class GatewayEvents:
    def __init__(self, queue, args):
        if not args.get("nb_connection"):
            raise ValueError("gateway_events: nb_connection is required (the OVN NB remote, e.g. tcp:IP:6641)")
        self.queue = queue
        self.args = args
        self.engine = _eda.Engine(manage_objects=bool(args.get("manage_objects", False)),
                                  window=float(args.get("window", 0.1)),
                                  settle_timeout=float(args.get("settle_timeout", 30)))
        self.kube = KubeApi(args)
        self.loop = None
        self.wake = asyncio.Event()
        self.pod_tasks = {}
        self.tasks = []
        self.nb = NbMonitor(args, self._post_nb)

    def _post_nb(self, snapshot):
        self.loop.call_soon_threadsafe(self._on_nb, snapshot)

    def _on_nb(self, snapshot):
        self.engine.set_nb(snapshot, time.monotonic())
        self.wake.set()

    async def _list_watch(self, kind, path, params, watch=None):
        outage = Outage(f"Kubernetes API: {kind if watch is None else watch}")
        store_kind = "Pod" if watch is not None else kind

        def on_event(event_type, obj):
            self.engine.apply(store_kind, event_type, obj, time.monotonic(), watch)
            self.wake.set()

        while True:
            try:
                items, version = await self.kube.list(path, params)
                self.engine.replace(store_kind, items, time.monotonic(), watch)
                self.wake.set()
                outage.ok()
                while True:
                    version = await self.kube.watch(path, params, version, on_event)
            except Gone:
                LOG.info("%s: watch expired (410 Gone), listing again", kind if watch is None else watch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                # aiohttp.ClientError, OSError, a bad JSON line: hold the gateways, list again later
                self.engine.set_synced(store_kind if watch is None else watch, False, time.monotonic())
                await asyncio.sleep(outage.failed(f"{type(exc).__name__}: {exc}"))

    def _start_watch(self, kind, path, params, watch=None):
        return asyncio.create_task(self._list_watch(kind, path, params, watch))

    def _follow_pods(self):
        wanted = self.engine.wanted_watches()
        for watch in set(self.pod_tasks) - wanted:
            self.pod_tasks.pop(watch).cancel()
            self.engine.drop_watch(watch, time.monotonic())
        for watch in wanted - set(self.pod_tasks):
            path = f"/api/v1/namespaces/{watch.namespace}/pods" if watch.namespace else "/api/v1/pods"
            params = {"labelSelector": watch.selector} if watch.selector else {}
            self.pod_tasks[watch] = self._start_watch("Pod", path, params, watch)

    async def run(self):
        self.loop = asyncio.get_running_loop()
        await self.kube.open()
        self.nb.start()
        selector = self.args.get("gateway_selector")
        for kind, path in RESOURCES.items():
            params = {}
            if kind == "GatewayPod":
                params["labelSelector"] = _eda.GATEWAY_PODS_SELECTOR
            elif kind == "VpcEgressGateway" and selector:
                params["labelSelector"] = selector
            self.tasks.append(self._start_watch(kind, path, params))
        try:
            await self._decide()
        finally:
            for task in self.tasks + list(self.pod_tasks.values()):
                task.cancel()
            self.nb.stop()
            await self.kube.close()

    async def _decide(self):
        engine = self.engine
        while True:
            engine.refresh()
            self._follow_pods()
            self.nb.follow([r.target for r in engine.resolved.values() if isinstance(r, _eda.Resolved)],
                           engine.wanted_ports())
            for event in engine.due(time.monotonic()):
                if "first_change" in event:
                    # wall-clock times, for the benchmark's breakdown (event delivery, window)
                    event["timing"] = {"first_change": time.time() - (time.monotonic() - event.pop("first_change")),
                                       "emitted": time.time()}
                timing = event.get("timing") or {}
                LOG.info("event %s for %s (first change %.3f, emitted %.3f)", event["action"],
                         ", ".join(g["spec"]["metadata"]["namespace"] + "/" + g["spec"]["metadata"]["name"]
                                   for g in event.get("gateways", [])) or event.get("gateway"),
                         timing.get("first_change", 0), timing.get("emitted", 0))
                await self.queue.put({"egress_gateway": event})
            wait = engine.next_wakeup(time.monotonic())
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass
            self.wake.clear()


async def main(queue, args):
    """ansible-rulebook's entry point."""
    await GatewayEvents(queue, args).run()


class _PrintQueue:
    """Prints each event as one JSON line (running the source without ansible-rulebook)."""

    async def put(self, event):
        print(json.dumps(event, sort_keys=True), flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(main(_PrintQueue(), json.loads(sys.argv[1])))
