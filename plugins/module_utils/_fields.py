# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed, path-named access to a user's mapping, and the name checks Kubernetes applies.

Every check raises EgressGatewayError naming the field path and the value. Pure Python, no I/O.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, shown


# Every pattern is matched whole (fullmatch): "$" would also match before a final newline.
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
# OVN identifiers (ovn/lib/lex.c): what may follow `$` in a match. Port group and address set
# names outside this set would break the match or inject into it.
OVN_IDENTIFIER = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*")


def fail(path: str, value: Any, problem: str):
    raise EgressGatewayError(f"{path}: {problem} (got {shown(value)})", field=path, value=value)


# ---------------------------------------------------------------------------------------------
# Typed access to the user's mapping, with the field path of every value.

def _type_name(types) -> str:
    names = {bool: "a boolean", int: "an integer", str: "a string", list: "a list", dict: "a mapping"}
    return " or ".join(names[t] for t in types)


def check_type(value, path, *types):
    ok = any(
        isinstance(value, (list, tuple)) if t is list else
        isinstance(value, Mapping) if t is dict else
        (isinstance(value, int) and not isinstance(value, bool)) if t is int else
        isinstance(value, t)
        for t in types
    )
    if not ok:
        fail(path, value, f"must be {_type_name(types)}")
    return value


class Fields:
    """A mapping read field by field; unknown keys are errors (a typo never passes silently)."""

    def __init__(self, value, path: str, known: tuple[str, ...]):
        self.value = check_type(value, path, dict)
        self.path = path
        for key in self.value:
            if not isinstance(key, str) or key not in known:
                hint = [k for k in known if isinstance(key, str) and k.lower() == key.lower()]
                problem = f"unknown field; did you mean {hint[0]!r}?" if hint else \
                    f"unknown field; known fields are {', '.join(known)}"
                fail(self.sub(key), self.value[key], problem)

    def sub(self, key) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def get(self, key, types, default=None, required=False):
        if key not in self.value or self.value[key] is None:
            if required:
                fail(self.sub(key), self.value.get(key), "is required")
            return default
        return check_type(self.value[key], self.sub(key), *types)


def check_name(value, path, pattern=DNS1123_SUBDOMAIN, max_len=253, what="a DNS-1123 subdomain"):
    check_type(value, path, str)
    if not value:
        fail(path, value, "must not be empty")
    if len(value) > max_len:
        fail(path, value, f"is {len(value)} characters long; at most {max_len} are allowed")
    if not pattern.fullmatch(value):
        fail(path, value, f"must be {what} (lower-case letters, digits, '-' and '.')")
    return value


def label_key(key, path):
    check_type(key, path, str)
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.fullmatch(prefix)):
        fail(path, key, "label key prefix must be a DNS-1123 subdomain of at most 253 characters")
    if not name or len(name) > 63 or not _LABEL_NAME.fullmatch(name):
        fail(path, key, "label key name must be at most 63 characters of letters, digits, '-', '_', '.', "
             "starting and ending with a letter or digit")
    return key


def label_value(value, path):
    check_type(value, path, str)
    if value and (len(value) > 63 or not _LABEL_NAME.fullmatch(value)):
        fail(path, value, "label value must be empty or at most 63 characters of letters, digits, '-', '_', "
             "'.', starting and ending with a letter or digit")
    return value


def string_list(value, path, item_check, unique=True):
    check_type(value, path, list)
    items = []
    seen = {}
    for i, item in enumerate(value):
        item_path = f"{path}[{i}]"
        normal = item_check(item, item_path)
        if unique and normal in seen:
            fail(item_path, item, f"duplicate of {path}[{seen[normal]}]")
        seen.setdefault(normal, i)
        items.append(normal)
    return tuple(items)


# Linux's dev_valid_name (net/core/dev.c): 1 to IFNAMSIZ-1 = 15 bytes, not "." or "..", no '/',
# ':' or whitespace. Within that, only the characters that no consumer of the name parses
# specially: iptables reads a trailing '+' as a wildcard and a leading '!' as negation, FRR and
# iptables-restore split on whitespace and quotes, a sysctl path on '/'.
IFNAMSIZ = 16
_INTERFACE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,15}")


def interface_name(value, path):
    """A Linux network interface name, checked before it reaches netlink, sysctl or iptables."""
    check_type(value, path, str)
    if not value:
        fail(path, value, "must not be empty")
    if len(value.encode()) >= IFNAMSIZ:
        fail(path, value, f"is {len(value.encode())} bytes long; a Linux interface name has at most {IFNAMSIZ - 1}")
    if value in (".", ".."):
        fail(path, value, "is not a valid Linux interface name")
    if not _INTERFACE_NAME.fullmatch(value):
        fail(path, value, "must be a Linux interface name of letters, digits, '-', '_' and '.'")
    return value


# A state directory reaches FRR's configuration (``log file DIR/bfdd.log``) and argv: absolute,
# printable, no whitespace.
_STATE_DIR = re.compile(r"/[^\s\x00-\x1f\x7f]*")


def state_dir(value, path):
    check_type(value, path, str)
    if len(value) > 1024 or not _STATE_DIR.fullmatch(value):
        fail(path, value, "must be an absolute path without whitespace or control characters")
    return value
