"""Network namespaces for tests: create/delete, veth pairs, commands inside, a clientip server.

Test harness code: it sets up with iproute2's own `ip` (allowed for harnesses) and reads state
independently of the collection's pyroute2 code. Every name carries the caller's prefix
(e.g. ``vegD<pid>``), so parallel helpers never collide, and cleanup deletes only those names.
"""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

CLIENTIP = pathlib.Path(__file__).with_name("clientip.py")


def sh(*argv: str, check: bool = True, timeout: float = 30, input: str | None = None) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed (rc={proc.returncode}): {proc.stderr}{proc.stdout}")
    return proc.stdout


def exec_in(ns: str, *argv: str, check: bool = True, timeout: float = 30, input: str | None = None) -> str:
    """Run argv inside network namespace ns and return its stdout."""
    return sh("ip", "netns", "exec", ns, *argv, check=check, timeout=timeout, input=input)


def ip(ns: str, *args: str, check: bool = True) -> str:
    return sh("ip", "-n", ns, *args, check=check)


def create(name: str) -> str:
    """Create a namespace with lo up; error if it already exists."""
    sh("ip", "netns", "add", name)
    ip(name, "link", "set", "lo", "up")
    return name


def delete(name: str) -> None:
    if os.path.exists(f"/run/netns/{name}"):
        sh("ip", "netns", "del", name, check=False)


def exists(name: str) -> bool:
    return os.path.exists(f"/run/netns/{name}")


def veth(ns_a: str, if_a: str, ns_b: str, if_b: str) -> None:
    """A veth pair created directly inside two namespaces (no name ever appears on the host)."""
    sh("ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b, "netns", ns_b)
    ip(ns_a, "link", "set", if_a, "up")
    ip(ns_b, "link", "set", if_b, "up")


def addr(ns: str, iface: str, cidr: str) -> None:
    extra = ["nodad"] if ":" in cidr else []
    ip(ns, "addr", "add", cidr, "dev", iface, *extra)


def sysctl(ns: str, name: str, value: str) -> None:
    exec_in(ns, "sysctl", "-qw", f"{name}={value}")


class ClientIPServer:
    """A TCP server in a namespace that answers each connection with the source address it sees."""

    def __init__(self, ns: str, address: str, port: int = 8080):
        self.ns, self.address, self.port = ns, address, port
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, str(CLIENTIP), "serve", address, str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready = self.proc.stdout.readline()
        if not ready.startswith("ready"):
            self.stop()
            raise AssertionError(f"clientip server did not start in {ns}: {ready}{self.proc.stderr.read()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ask_clientip(ns: str, server: str, port: int, source: str, timeout: float = 5) -> str:
    """Connect from ``source`` inside ``ns`` to the clientip server; return the address it saw."""
    out = exec_in(ns, sys.executable, str(CLIENTIP), "ask", server, str(port), source, str(timeout),
                  timeout=timeout + 10)
    return out.strip()


def wait_for(predicate, timeout: float = 10, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
