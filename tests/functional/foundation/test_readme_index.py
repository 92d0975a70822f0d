"""README.md's index is what hack/readme_index.py writes from the content's own documentation:
every public module, filter, role, playbook, event source and rulebook is listed, and nothing
documented as private."""
from __future__ import annotations

import pathlib
import re

from support import hack_script

REPO = pathlib.Path(__file__).resolve().parents[3]


def load():
    return hack_script("readme_index")


def test_the_readme_index_is_up_to_date():
    assert load().main(["--check"]) == 0, "run python hack/readme_index.py"


def test_the_index_lists_the_public_content_and_no_private_one():
    index = load().render()
    listed = set(re.findall(r"\[`kubeovn\.egress_gateway\.\w+`\]\(([^)]+)\)", index))
    for folder in ("plugins/modules", "plugins/filter", "playbooks", "extensions/eda/rulebooks",
                   "extensions/eda/plugins/event_source"):
        for path in (REPO / folder).glob("*.*"):
            if path.suffix not in (".py", ".yml") or (folder == "plugins/filter" and path.suffix == ".py"):
                continue
            private = "PRIVATE" in path.read_text() or "Private:" in path.read_text()
            assert (f"{folder}/{path.name}" in listed) != private, path
    assert {f"roles/{p.name}/README.md" for p in (REPO / "roles").iterdir()} <= listed
