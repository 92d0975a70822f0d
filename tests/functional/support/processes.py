"""Process and port helpers every test harness shares: a free loopback port, openssl, the
lifecycle of the processes a test started (by the pid it saved), and ``Harness``, the start that
stops what it started when a step fails."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def openssl(*args: str, cwd) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def alive(pid: int) -> bool:
    """True while pid runs. A zombie counts as gone: our own child is reaped here, a detached
    daemon's zombie (reaped by init, sometimes seconds later) is recognised by its state."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def stop(pids, sig=signal.SIGTERM, timeout: float = 5) -> None:
    """Signal each pid (ours), wait up to ``timeout`` seconds for all, SIGKILL what is left."""
    pids = list(pids)
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.02)
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.02)


class Harness:
    """Processes started together by ``_start`` and stopped together by ``stop``: when a step of
    the start fails or is interrupted, what it started already is stopped before the error goes on."""

    def start(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError
