"""`make demo` and `make demo-standalone`, run exactly as README.md prints them (as root, from
the repository, as a user runs them after cloning). Each demo checks its own story as it goes
(flows through both gateways, the interruption ends, the new pod takes the old one's addresses)
and exits non-zero when a step does not hold; here: it exits 0, it told every step, and it left
neither its work directory nor a network namespace of its own (its harness's, its pods') behind.
"""
from __future__ import annotations

import pathlib
import re
import subprocess

import pytest

from support import readme
from support.ansible import REPO
from support.dataplane import run

pytestmark = [pytest.mark.kube, pytest.mark.dataplane, pytest.mark.slow]

# the heading of each demo's last step
LAST_STEP = {"demo": "=== 6. Remove the gateway with playbooks/remove.yml ===",
             "demo-standalone": "=== 6. Remove the gateway ==="}


def demo_commands() -> list:
    return [c for c in readme.collect(REPO, programs=("make",))[0] if c.argv[1:2] and c.argv[1].startswith("demo")]


def test_the_readme_prints_both_demos():
    assert sorted({c.argv[1] for c in demo_commands()}) == sorted(LAST_STEP), [str(c) for c in demo_commands()]


@pytest.mark.parametrize("command", sorted({c.text: c for c in demo_commands()}.values(), key=str), ids=str)
def test_demo_runs_as_printed(command):
    before = {n for n in run("ip", "netns", "list").split() if n.startswith("cni-")}
    proc = subprocess.run(command.argv, cwd=REPO, capture_output=True, text=True, timeout=900, check=False)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    for step in ("=== 1.", "=== 4.", "=== 5.", LAST_STEP[command.argv[1]], "=== Cleanup ==="):
        assert step in proc.stdout, step
    assert "traffic interrupted for" in proc.stdout
    workdir, prefix = re.search(r"work dir (\S+), network namespaces (\S+)-\*", proc.stdout).groups()
    assert not pathlib.Path(workdir).exists(), workdir
    left = [n for n in run("ip", "netns", "list").split() if n.startswith(prefix)]
    assert not left, left
    pods = [n for n in run("ip", "netns", "list").split() if n.startswith("cni-")]
    assert not set(pods) - before, set(pods) - before
