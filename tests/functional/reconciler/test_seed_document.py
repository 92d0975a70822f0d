"""The seed document's example gateways, reconciled: ovn_nb_info shows what its listings show.

The document (Kube-OVN's "Configure Egress Gateway") prints `lr-policy-list ovn-cluster` for
gateway1 with 1 and 2 replicas and for gateway2 with BFD, and `list bfd` for gateway2
(data/seed-doc-nbctl.txt, verbatim). The NB here holds Kube-OVN's other policies of that listing;
after ovn_egress_gateway reconciles the example specs (support/data/gateway*.yaml, verbatim) with the
document's pods as instances, ovn_nb_info must report the same rows in the same order:
priorities, matches, actions, nexthops and the bfd flag. Names are computed from the gateway
(sha256 of "<namespace>/<name>"), never copied: the document's gateway2 listing carries
gateway1's names (erratum), so its hash is replaced by gateway2's own.
"""
from __future__ import annotations

import hashlib
import pathlib
import re

import pytest
import yaml

from support import DATA
from support.ansible import run_module
from support.nbworld import BFD_PORT, ROUTER, build

pytestmark = pytest.mark.ovsdb

DOC = pathlib.Path(__file__).parent / "data" / "seed-doc-nbctl.txt"
DOC_HASH = "8ca38ae7da18"
LINE = re.compile(r"^\s*(\d+)\s+(.+?)\s+(allow|drop|reroute)(?:\s+(\d[\d.:a-f, ]*?))?(\s+bfd)?\s*$")


def doc_sections() -> dict:
    sections, name = {}, None
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            name = line[3:]
            sections[name] = []
        elif name and line.strip():
            sections[name].append(line)
    return sections


def doc_policies(section: str, gateway_hash: str) -> list[tuple]:
    rows = []
    for line in doc_sections()[f"lr-policy-list {section}"]:
        priority, match, action, nexthops, bfd = LINE.match(line).groups()
        rows.append((int(priority), match.replace(DOC_HASH, gateway_hash), action,
                     [n.strip() for n in nexthops.split(",")] if nexthops else [], bool(bfd)))
    return rows


def doc_bfd() -> list[dict]:
    rows, row = [], {}
    for line in doc_sections()["list bfd gateway2-bfd"] + ["_uuid : end"]:
        key, _colon, value = (part.strip() for part in line.partition(":"))
        if key == "_uuid" and row:
            rows.append(row)
            row = {}
        row[key] = value
    out = []
    for r in rows:
        ids = dict(kv.split("=", 1) for kv in r["external_ids"].strip("{}").split(", "))
        out.append({"logical_port": r["logical_port"].strip('"'), "dst_ip": r["dst_ip"].strip('"'),
                    "min_rx": int(r["min_rx"]), "min_tx": int(r["min_tx"]), "detect_mult": int(r["detect_mult"]),
                    "external_ids": {k: v.strip('"') for k, v in ids.items()}})
    return out


def sha12(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def spec(name: str) -> dict:
    return yaml.safe_load((DATA / f"{name}.yaml").read_text())


def nb_info(nb) -> dict:
    out = run_module("ovn_nb_info", {"connection": nb.connection, "router": ROUTER})
    assert not out["failed"], out
    return out


def listed(info) -> list[tuple]:
    return [(p["priority"], p["match"], p["action"], sorted(p["nexthops"]), bool(p["bfd_sessions"]))
            for p in info["policies"]]


def pod(name, node, internal, external):
    return {"name": name, "node": node, "internal_ips": [internal], "external_ips": [external]}


def test_seed_document_listings(nb_new):
    nb = nb_new
    build(nb, pods=("client-1.default",), other_owners=False)
    g1 = spec("gateway1")
    assert sha12("default/gateway1") == DOC_HASH
    common = {"connection": nb.connection, "pod_ports": ["client-1.default"], "subnet_cidrs": {"subnet1": "10.17.0.0/16"}}

    # gateway1, 1 replica: the pod of `kubectl get pod -o wide`
    worker = pod("gateway1-b9f8b4448-76lhm", "kube-ovn-worker", "10.16.0.12", "172.17.0.11")
    out = run_module("ovn_egress_gateway", dict(common, spec=g1, instances=[worker]))
    assert out["changed"], out
    assert listed(nb_info(nb)) == doc_policies("gateway1-replicas-1", DOC_HASH)

    # kubectl scale veg gateway1 --replicas=2
    g1["spec"]["replicas"] = 2
    worker2 = pod("gateway1-b9f8b4448-zd4dl", "kube-ovn-worker2", "10.16.0.13", "172.17.0.12")
    out = run_module("ovn_egress_gateway", dict(common, spec=g1, instances=[worker, worker2]))
    assert out["changed"], out
    assert listed(nb_info(nb)) == doc_policies("gateway1-replicas-2", DOC_HASH)

    # gateway2 with BFD (the document's listing shows no gateway1 rows any more)
    assert run_module("ovn_egress_gateway", {"connection": nb.connection, "name": "gateway1",
                                             "state": "absent"})["changed"]
    h2 = sha12("default/gateway2")
    instances = [pod("gateway2-fcc6b8b87-8lgvx", "kube-ovn-worker2", "10.16.0.103", "172.17.0.14"),
                 pod("gateway2-fcc6b8b87-wmww6", "kube-ovn-worker", "10.16.0.102", "172.17.0.13")]
    out = run_module("ovn_egress_gateway", {"connection": nb.connection, "spec": spec("gateway2"),
                                            "instances": instances})
    assert out["changed"], out
    info = nb_info(nb)
    assert listed(info) == doc_policies("gateway2-bfd", h2)
    assert h2 != DOC_HASH and all(DOC_HASH not in p["match"] for p in info["policies"])
    ours = [{k: b[k] for k in ("logical_port", "dst_ip", "min_rx", "min_tx", "detect_mult", "external_ids")}
            for b in info["bfd"]]
    assert sorted(ours, key=lambda b: b["dst_ip"]) == doc_bfd()
    assert {b["logical_port"] for b in ours} == {BFD_PORT}
    # each 29100 reroute follows both BFD sessions
    for policy in info["policies"]:
        if policy["priority"] == 29100:
            assert sorted(s["dst_ip"] for s in policy["bfd_sessions"]) == ["10.16.0.102", "10.16.0.103"]
