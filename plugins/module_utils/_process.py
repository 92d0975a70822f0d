# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent's long-running processes (bfdd, the SNAT recorder), known by the pid in their pid
file: a process counts as ours only while that pid runs the command line we started, so a
recycled pid is never signalled.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import os
import signal
import time


def read_file(path):
    """The text of ``path``, None when it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def cmdline(pid):
    """The argv of a live process, None when pid is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = [a.decode(errors="replace") for a in handle.read().split(b"\0")[:-1]]
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            zombie = handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if zombie else argv


def running(pidfile, is_ours):
    """(pid, argv) of the process whose pid is in ``pidfile`` when ``is_ours(argv)``; else (None, None)."""
    text = read_file(pidfile)
    if not text or not text.strip().isdigit():
        return None, None
    pid = int(text.strip())
    argv = cmdline(pid)
    if not argv or not is_ours(argv):
        return None, None
    return pid, argv


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(p) for p in handle.read().split()]
    except FileNotFoundError:
        return []


def netns_of(pid):
    """The network namespace a process runs in (``dev:inode``), None when pid is gone."""
    try:
        stat = os.stat(f"/proc/{pid}/ns/net")
    except FileNotFoundError:
        return None
    return f"{stat.st_dev}:{stat.st_ino}"


def stop(pid, argv, timeout):
    """SIGTERM, then SIGKILL every ``timeout`` seconds, until pid no longer runs ``argv``."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while cmdline(pid) == argv:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline += timeout
            time.sleep(0.02)
    except ProcessLookupError:  # it exited on its own meanwhile
        pass
