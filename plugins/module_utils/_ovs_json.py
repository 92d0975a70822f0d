# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fast JSON parser for python-ovs when its C extension (ovs._json) is missing.

The PyPI ``ovs`` package builds ``ovs._json`` only against libopenvswitch; without it python-ovs
lexes JSON-RPC messages one character at a time in Python, which is most of the time spent
reading a Northbound database with thousands of rows (about 70% for 10,000 logical switch
ports). ``use_fast_json()`` swaps in a parser with the same interface (feed / is_done / finish)
that only finds where each message ends (a C-speed regex over the structural characters) and
decodes it with the standard library's C JSON decoder. Nothing else of python-ovs changes.

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

import json
import re

# Outside a string: the characters that change nesting or start a string.
_STRUCTURE = re.compile(r'["{}\[\]]')
# Inside a string: everything up to the closing quote or a backslash that ends the piece.
_STRING_BODY = re.compile(r'(?:[^"\\]|\\.)*', re.S)


class FastParser:
    """Drop-in for ovs.json.Parser (the pure-Python one): feed(str) -> chars consumed."""

    def __init__(self, check_trailer=False):
        self.check_trailer = check_trailer   # from_string(): the whole input is one value
        self.pieces = []
        self.depth = 0
        self.in_string = False
        self.escape = False                  # a piece ended with the backslash of an escape
        self.done = False

    def feed(self, s):
        if self.done:
            return 0
        if self.check_trailer:
            self.pieces.append(s)
            return len(s)
        i, n = 0, len(s)
        while i < n:
            if self.in_string:
                if self.escape:
                    self.escape = False
                    i += 1
                    continue
                end = _STRING_BODY.match(s, i).end()
                if end == n:
                    break
                if s[end] == "\\":          # the escaped character is in the next piece
                    self.escape = True
                    break
                self.in_string = False        # s[end] is the closing quote
                i = end + 1
                continue
            match = _STRUCTURE.search(s, i)
            if match is None:
                break
            i = match.end()
            char = match.group()
            if char == '"':
                self.in_string = True
            elif char in "{[":
                self.depth += 1
            else:
                self.depth -= 1
                if self.depth == 0:
                    self.pieces.append(s[:i])
                    self.done = True
                    return i
        self.pieces.append(s)
        return n

    def is_done(self):
        return self.done

    def finish(self):
        try:
            return json.loads("".join(self.pieces))
        except ValueError as exc:
            return f"error parsing JSON: {exc}"


def use_fast_json():
    """Make python-ovs parse JSON-RPC with FastParser unless its C parser is available."""
    import ovs.json

    if ovs.json.PARSER != ovs.json.PARSER_C:
        ovs.json.Parser = FastParser
