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

# A complete string (skipped), or a character that changes nesting, or the opening quote of a
# string that goes on past the end of the piece (captured).
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|([{}\[\]"])', re.S)
# Inside a string: everything up to the closing quote or a backslash that ends the piece.
_STRING_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.S)


class FastParser:
    """Drop-in for ovs.json.Parser (the pure-Python one): feed(str) -> chars consumed.

    Per piece, the regex (C) drops the strings and leaves the nesting characters; Python only
    walks those (a few per row). The piece where the message ends is scanned again with
    positions, to return how much of it belongs to this message.
    """

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
        start = self._end_of_string(s, 0) if self.in_string else 0
        if start is None:
            self.pieces.append(s)
            return len(s)
        nesting = "".join(_TOKENS.findall(s, start))
        quote = nesting.find('"')
        if quote >= 0:
            nesting = nesting[:quote]
        depth = self.depth
        for char in nesting:
            depth += 1 if char in "{[" else -1
            if depth == 0:
                return self._end_of_message(s, start)
        self.depth = depth
        if quote >= 0:                       # a string runs past the end of this piece
            self.in_string = True
            self.escape = (len(s) - len(s.rstrip("\\"))) % 2 == 1
        self.pieces.append(s)
        return len(s)

    def _end_of_string(self, s, start):
        """Index after the closing quote of the string we are in, or None if it goes on."""
        if self.escape:
            self.escape = False
            start += 1
        end = _STRING_BODY.match(s, start).end()
        if end >= len(s):
            return None
        if s[end] == "\\":                     # the escaped character is in the next piece
            self.escape = True
            return None
        self.in_string = False
        return end + 1

    def _end_of_message(self, s, start):
        depth = self.depth
        for match in _TOKENS.finditer(s, start):
            char = match.group(1)
            if char:
                depth += 1 if char in "{[" else -1
                if depth == 0:
                    self.pieces.append(s[:match.end()])
                    self.done = True
                    return match.end()
        raise AssertionError("unreachable: the nesting walk saw the end of the message")

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
