# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FastParser splits a stream of JSON-RPC messages exactly like python-ovs' own parser."""
from __future__ import annotations

import json
import random

import pytest

ovs_json = pytest.importorskip("ovs.json")

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._ovs_json import (  # noqa: E402
    FastParser, use_fast_json,
)

MESSAGES = [
    {"id": 1, "result": {"Logical_Switch_Port": {"u1": {"initial": {"name": "p1.default"}}}}, "error": None},
    {"method": "update2", "params": [None, {"Address_Set": {"u": {"modify": {"addresses": ["set", ["10.0.0.0/8"]]}}}}]},
    {"id": "echo", "result": ["a \\\" quoted } brace ] and { [", "back\\\\slash\\\\", "\u00e9\u4e2d", 1.5, -3, True]},
    {"match": "ip4.src == $VEG.8ca38ae7da18_ip4 && ip4.dst == {10.0.0.1, 10.0.0.2}", "x": [[], {}, [[{}]]]},
]


def split_stream(text, rng):
    cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(1, 40))))
    return [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]


def parse_stream(parser_class, pieces):
    """What ovs.jsonrpc.Connection.recv does: feed pieces, one parser per message."""
    out, parser, pending = [], None, ""
    for piece in pieces:
        pending += piece
        while pending:
            parser = parser or parser_class()
            pending = pending[parser.feed(pending):]
            if parser.is_done():
                out.append(parser.finish())
                parser = None
    return out


@pytest.mark.parametrize("seed", range(200))
def test_same_messages_as_python_ovs(seed):
    rng = random.Random(seed)
    text = "".join(json.dumps(m, separators=(",", ":") if seed % 2 else (", ", ": ")) for m in MESSAGES)
    pieces = split_stream(text, rng)
    assert parse_stream(FastParser, pieces) == MESSAGES
    assert parse_stream(ovs_json.Parser if ovs_json.PARSER != ovs_json.PARSER_C else FastParser, pieces) == MESSAGES


def test_piece_ending_in_an_escape():
    text = json.dumps({"a": "x\\\"y"})
    cut = text.index("\\") + 1
    assert parse_stream(FastParser, [text[:cut], text[cut:]]) == [{"a": "x\\\"y"}]


def test_invalid_json_is_an_error_string():
    parser = FastParser()
    parser.feed('{"a": tru}')
    assert parser.is_done() and isinstance(parser.finish(), str)


def test_from_string_uses_it(monkeypatch):
    monkeypatch.setattr(ovs_json, "Parser", ovs_json.Parser)   # restored after the test
    use_fast_json()
    assert ovs_json.from_string('{"a": [1, "}"]}') == {"a": [1, "}"]}
    assert isinstance(ovs_json.from_string('{"a": 1} trailing'), str)
