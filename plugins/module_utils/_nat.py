# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNAT of a gateway instance: the VEG-MASQUERADE chain and our rules in nat PREROUTING/POSTROUTING.

PRIVATE to the collection: not a public API.

The result reads in ``iptables -t nat -S`` as in Kube-OVN's documentation::

    -N VEG-MASQUERADE
    -A PREROUTING -i eth0 -j MARK --set-xmark 0x4000/0x4000
    -A POSTROUTING -d 10.18.0.0/16 -j RETURN
    -A POSTROUTING -s 10.18.0.0/16 -j RETURN
    -A POSTROUTING -j VEG-MASQUERADE
    -A VEG-MASQUERADE -j MARK --set-xmark 0x0/0xffffffff
    -A VEG-MASQUERADE -j MASQUERADE --random-fully

Unlike Kube-OVN's script, built-in chains are never flushed. We own the ``VEG-MASQUERADE`` chain
(rewritten whole) and, in built-in chains, the rules we wrote. Rules carry no comment (the listing
must read as above), so ownership is recorded in a state file per namespace
(``<state_dir>/nat/<netns>.json``: the namespace's dev:inode and our rules per family). A record
whose namespace identity differs (the namespace was recreated) is ignored. A built-in rule
identical to a wanted one is adopted (Kube-OVN's script may have written it).

Backend: the iptables front end (``iptables-restore``/``ip6tables-restore``), which on Debian 12
and 13 is iptables-nft: rules land in nftables' ``ip nat``/``ip6 nat`` tables, where kube-proxy,
Kube-OVN and ``iptables -t nat -S`` (the documented check) see them, on both releases. Writing a
native nftables table instead would be invisible to that check, and its hooks would run beside,
not inside, the iptables chains. No maintained Python library drives iptables-nft (python-iptables
only speaks the legacy backend), so the CLI is used, in one ``--noflush`` restore per family:
the kernel applies the whole batch or nothing, so there is no rule-by-rule race.
"""
from __future__ import annotations

import json
import os
import subprocess

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._address import parse_cidr, parse_ip
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._fields import interface_name, state_dir as check_state_dir, string_list
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._netlink import entered, iproute, lookup_route, netns_identity, netns_key

CHAIN = "VEG-MASQUERADE"
MARK_INTERNAL = "0x4000/0x4000"
TOOLS = {4: ("iptables-save", "iptables-restore"), 6: ("ip6tables-save", "ip6tables-restore")}
DEFAULT_STATE_DIR = "/run/kubeovn-egress-gateway"


def normalise_sources(sources, version, field):
    """No-SNAT sources as iptables-save lists them (``a.b.c.d/len``); host bits and duplicates are errors."""
    return list(string_list(sources, field, lambda value, path: parse_cidr(value, path, version)))


def desired_rules(internal_iface, no_snat_sources):
    """The rules we want, as iptables-save prints them: {"builtin": [...], "chain": [...]}."""
    builtin = [f"-A PREROUTING -i {internal_iface} -j MARK --set-xmark {MARK_INTERNAL}"]
    for source in no_snat_sources:
        builtin += [f"-A POSTROUTING -d {source} -j RETURN", f"-A POSTROUTING -s {source} -j RETURN"]
    builtin.append(f"-A POSTROUTING -j {CHAIN}")
    chain = [f"-A {CHAIN} -j MARK --set-xmark 0x0/0xffffffff", f"-A {CHAIN} -j MASQUERADE --random-fully"]
    return {"builtin": builtin, "chain": chain}


def parse_save(text):
    """{"chains": [names], "rules": [rule lines in order]} of the nat table in iptables-save output."""
    chains, rules, in_nat = [], [], False
    for line in text.splitlines():
        if line.startswith("*"):
            in_nat = line == "*nat"
        elif not in_nat:
            continue
        elif line.startswith(":"):
            chains.append(line[1:].split()[0])
        elif line.startswith("-A "):
            rules.append(line.strip())
    return {"chains": chains, "rules": rules}


def _chain_of(rule):
    return rule.split()[1]


def _delete(rule):
    return "-D" + rule[2:]


def plan(have, want, recorded, state="present"):
    """Restore lines that turn ``have`` into ``want``, touching only our chain and our rules.

    ``recorded``: built-in rules we wrote earlier (ownership record). Returns (lines, owned_after).
    """
    want_builtin = want["builtin"] if state == "present" else []
    builtin_have = [r for r in have["rules"] if _chain_of(r) != CHAIN]
    ours = set(recorded) | set(want_builtin)
    lines = []

    # Our rules in built-in chains, in their current order, and the copies to delete.
    seen, keep, deletes = set(), [], []
    for rule in builtin_have:
        if rule not in ours:
            continue
        if rule in want_builtin and rule not in seen:
            seen.add(rule)
            keep.append(rule)
        else:
            deletes.append(rule)

    # The RETURN rules must come before our jump in POSTROUTING: if one is after it, redo them all.
    jump = f"-A POSTROUTING -j {CHAIN}"
    returns = [r for r in want_builtin if r.startswith("-A POSTROUTING") and r != jump]
    post_keep = [r for r in keep if r.startswith("-A POSTROUTING")]
    if jump in post_keep and any(post_keep.index(r) > post_keep.index(jump) for r in returns if r in post_keep):
        deletes += post_keep
        keep = [r for r in keep if r not in post_keep]
    lines += [_delete(r) for r in deletes]

    chain_present = CHAIN in have["chains"]
    chain_have = [r for r in have["rules"] if _chain_of(r) == CHAIN]
    if state == "present":
        if not chain_present or chain_have != want["chain"]:
            lines.append(f":{CHAIN} - [0:0]")  # declares the chain, or empties ours under --noflush
            lines += want["chain"]
        for rule in want_builtin:
            if rule in keep:
                continue
            if rule in returns:
                # -I POSTROUTING 1, each source's -s then -d, so -d reads first as in Kube-OVN.
                lines.append("-I POSTROUTING 1" + rule[len("-A POSTROUTING"):])
            else:
                lines.append(rule)
    elif chain_present:
        lines += [f":{CHAIN} - [0:0]", f"-X {CHAIN}"]
    return _order_inserts(lines), list(want_builtin)


def _order_inserts(lines):
    """Inserts at position 1 land in reverse: emit them so the final order is the wanted one."""
    inserts = [line for line in lines if line.startswith("-I POSTROUTING 1 ")]
    others = [line for line in lines if not line.startswith("-I POSTROUTING 1 ")]
    head = [line for line in others if not line.startswith("-A ")]
    tail = [line for line in others if line.startswith("-A ")]
    return head + list(reversed(inserts)) + tail


def _run(argv, text=None):
    try:
        proc = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError as exc:
        raise EgressGatewayError(f"{argv[0]} is not installed (Debian package iptables)") from exc
    if proc.returncode != 0:
        raise EgressGatewayError(f"{' '.join(argv)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def read_table(version):
    return parse_save(_run([TOOLS[version][0], "-t", "nat"]))


def restore(version, lines):
    payload = "*nat\n" + "\n".join(lines) + "\nCOMMIT\n"
    _run([TOOLS[version][1], "--noflush", "--wait", "10"], payload)


def state_file(state_dir, netns):
    return os.path.join(state_dir, "nat", f"{netns_key(netns)}.json")


def load_record(path, identity):
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (FileNotFoundError, ValueError):
        return {}
    return record if record.get("netns") == identity else {}


def save_record(path, record):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1, sort_keys=True)
    os.replace(tmp, path)


def render(parsed):
    return "\n".join(([f"-N {CHAIN}"] if CHAIN in parsed["chains"] else []) + parsed["rules"]) + "\n"


def resolve_internal_iface(config):
    """The internal interface: given, or the one the route toward the first internal gateway uses."""
    if config["internal_iface"] or config["state"] == "absent":
        return config["internal_iface"] or ""
    version, gateway = config["internal_gateways"][0]
    with iproute(config["netns"]) as ipr:
        dev = lookup_route(ipr, gateway, f"ipv{version}.internal_gateway")[0]
    return interface_name(dev, "internal_iface")


def reconcile(config, check_mode=False):
    """Make the nat table of each family match the validated ``config`` (nat_from_params).

    The internal interface is resolved first (given, or by route lookup); families not in
    ``config["families"]`` are cleared of our chain and rules. The module result.
    """
    netns, state, state_dir = config["netns"], config["state"], config["state_dir"]
    families = config["families"]
    internal_iface = resolve_internal_iface(config)
    identity = netns_identity(netns)
    path = state_file(state_dir, netns)
    record = load_record(path, identity)
    new_record = {"netns": identity}
    changed, before, after, applied = False, [], [], {}
    with entered(netns):
        for version in (4, 6):
            family_state = state if version in families else "absent"
            want = desired_rules(internal_iface, families.get(version, []))
            have = read_table(version)
            recorded = record.get(f"ipv{version}", [])
            lines, owned = plan(have, want, recorded, family_state)
            applied[f"ipv{version}"] = lines
            before.append(f"# ipv{version} nat\n" + render(have))
            if lines:
                changed = True
                if not check_mode:
                    lines, owned = _restore_replanning(version, lines, owned, want, recorded, family_state)
                    applied[f"ipv{version}"] = lines
                    have = read_table(version)
            after.append(f"# ipv{version} nat\n" + (render(have) if not check_mode else _predict(have, lines)))
            new_record[f"ipv{version}"] = owned
    if check_mode:
        pass
    elif state == "absent":
        if os.path.exists(path):
            os.unlink(path)
    elif new_record != record:
        save_record(path, new_record)
    return {"changed": changed, "commands": applied, "internal_iface": internal_iface,
            "diff": {"before": "".join(before), "after": "".join(after)}}


def _restore_replanning(version, lines, owned, want, recorded, state, attempts=3):
    """Restore ``lines``; when another writer changed the table between our read and our restore
    (a rule to delete is gone, so the whole batch was refused), read and plan again."""
    for attempt in range(attempts):
        try:
            if lines:
                restore(version, lines)
            return lines, owned
        except EgressGatewayError:
            if attempt == attempts - 1:
                raise
            lines, owned = plan(read_table(version), want, recorded, state)
    return lines, owned


def _predict(have, lines):
    """The listing check mode expects after ``lines``: good enough for --check --diff."""
    rules = list(have["rules"])
    chains = list(have["chains"])
    for line in lines:
        if line.startswith("-D "):
            target = "-A" + line[2:]
            if target in rules:
                rules.remove(target)
        elif line.startswith("-I POSTROUTING 1 "):
            rule = "-A POSTROUTING " + line[len("-I POSTROUTING 1 "):]
            first = next((i for i, r in enumerate(rules) if _chain_of(r) == "POSTROUTING"), len(rules))
            rules.insert(first, rule)
        elif line.startswith(":"):
            if CHAIN not in chains:
                chains.append(CHAIN)
            rules = [r for r in rules if _chain_of(r) != CHAIN]
        elif line.startswith("-X "):
            chains.remove(CHAIN)
        else:
            rules.append(line)
    # iptables-save lists rules chain by chain, in the order of the chains.
    rules.sort(key=lambda rule: chains.index(_chain_of(rule)) if _chain_of(rule) in chains else len(chains))
    return render({"chains": chains, "rules": rules})


def nat_from_params(params):
    """The validated module options, without any I/O: {netns, state, state_dir, internal_iface
    (None: found by route lookup), internal_gateways [(version, address)], families {version:
    [no-SNAT CIDRs]}}."""
    families, gateways = {}, []
    for version in (4, 6):
        given = params.get(f"ipv{version}")
        if given is None:
            continue
        families[version] = normalise_sources(given.get("no_snat_sources") or [], version,
                                              f"ipv{version}.no_snat_sources")
        if given.get("internal_gateway"):
            field = f"ipv{version}.internal_gateway"
            gateways.append((version, str(parse_ip(given["internal_gateway"], field, version))))
    internal_iface = params.get("internal_iface")
    if internal_iface is not None:
        internal_iface = interface_name(internal_iface, "internal_iface")
    state = params.get("state", "present")
    if state == "present" and not internal_iface and not gateways:
        raise EgressGatewayError("internal_iface: give internal_iface, or internal_gateway to find it (got None)",
                                 field="internal_iface", value=None)
    return {"netns": params.get("netns"), "state": state, "internal_iface": internal_iface,
            "internal_gateways": gateways, "families": {} if state == "absent" else families,
            "state_dir": check_state_dir(params.get("state_dir") or DEFAULT_STATE_DIR, "state_dir")}
