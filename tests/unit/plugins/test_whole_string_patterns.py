# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every check of a value against a pattern matches the whole string (issue 12, class 1).

Python's ``$`` also matches before a final newline, so ``re.match('^…$')`` and Jinja's
``is match('^…$')`` accept ``"gateway1\\n"``. The collection's rule is ``fullmatch`` (or ``\\Z``);
this test reads the collection's sources and fails on a pattern check written any other way.
"""
from __future__ import annotations

import pathlib
import re

COLLECTION = pathlib.Path(__file__).resolve().parents[3]
SOURCES = [p for top in ("plugins", "extensions", "roles", "playbooks")
           for p in sorted((COLLECTION / top).rglob("*")) if p.suffix in (".py", ".yml", ".yaml", ".j2")]
# `$` right before the end of a pattern literal, or a Jinja `match`/`regex_search` test
DOLLAR_ANCHOR = re.compile(r"""[^\\]\$['"]\)?""")
CHECK = re.compile(r"""re\.(match|search)\(|\.match\(|is\s+(match|search)\(|regex_search\(""")


def test_the_sources_were_found():
    assert any(p.name == "_fields.py" for p in SOURCES)
    assert any(p.parts[-3:-1] == ("external_subnet", "tasks") for p in SOURCES)


def test_no_pattern_check_stops_at_a_final_newline():
    found = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0] if path.suffix == ".py" else line
            # in Jinja a pattern is often a literal handed to a `select('search', pattern)` later
            pattern_literal = path.suffix != ".py" and re.search(r"""['"]\^""", code)
            if DOLLAR_ANCHOR.search(code) and ("re.compile(" in code or CHECK.search(code) or pattern_literal):
                found.append(f"{path.relative_to(COLLECTION)}:{number}: {line.strip()}")
    assert not found, "patterns anchored with $ (use fullmatch or \\Z):\n" + "\n".join(found)
