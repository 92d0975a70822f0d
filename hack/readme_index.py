"""The README's index of the collection's public content, from the content's own documentation.

Modules, filters, roles, playbooks, the event source and the rulebooks, each with its short
description (DOCUMENTATION, the filter's .yml, the role's argument_specs, the playbook's play
name, the rulebook's header); content documented as private is left out. The index sits in
README.md between the two ``index`` markers:

    python hack/readme_index.py          rewrite it in README.md
    python hack/readme_index.py --check  exit 1 when README.md's index is not what this writes
"""
from __future__ import annotations

import argparse
import ast
import pathlib
import re
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
START, END = "<!-- index:start (hack/readme_index.py) -->", "<!-- index:end -->"


def _module_doc(path: pathlib.Path) -> dict:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)
    raise SystemExit(f"{path}: no DOCUMENTATION")


def _private(doc) -> bool:
    return "PRIVATE" in str(doc.get("description", "")) or doc.get("short_description", "").startswith("Private:")


def _plain(text: str) -> str:
    """Ansible doc markup (C(x), M(x), O(x) ...) as Markdown code."""
    return re.sub(r"\b[CMOVRIP]\(([^)]*)\)", r"`\1`", text).rstrip(".")


def sections() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """[(heading, [(name, link, description)])]."""
    modules, filters, roles, playbooks, eda = [], [], [], [], []
    for path in sorted((REPO / "plugins" / "modules").glob("*.py")):
        doc = _module_doc(path)
        if not _private(doc):
            modules.append((f"kubeovn.egress_gateway.{path.stem}", f"plugins/modules/{path.name}",
                            _plain(doc["short_description"])))
    for path in sorted((REPO / "plugins" / "filter").glob("*.yml")):
        doc = yaml.safe_load(path.read_text())["DOCUMENTATION"]
        if not _private(doc):
            filters.append((f"kubeovn.egress_gateway.{path.stem}", f"plugins/filter/{path.name}",
                            _plain(doc["short_description"])))
    for path in sorted((REPO / "roles").iterdir()):
        spec = yaml.safe_load((path / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
        roles.append((f"kubeovn.egress_gateway.{path.name}", f"roles/{path.name}/README.md"
                      if (path / "README.md").exists() else f"roles/{path.name}", _plain(spec["short_description"])))
    for path in sorted((REPO / "playbooks").glob("*.yml")):
        play = yaml.safe_load(path.read_text())[0]
        playbooks.append((f"kubeovn.egress_gateway.{path.stem}", f"playbooks/{path.name}", play["name"]))
    for path in sorted((REPO / "extensions" / "eda" / "plugins" / "event_source").glob("*.py")):
        first = (ast.get_docstring(ast.parse(path.read_text())) or "").split("\n\n")[0]
        eda.append((f"kubeovn.egress_gateway.{path.stem}", f"extensions/eda/plugins/event_source/{path.name}",
                    " ".join(first.split()).split(" - ", 1)[-1].rstrip(".")))
    for path in sorted((REPO / "extensions" / "eda" / "rulebooks").glob("*.yml")):
        eda.append((f"kubeovn.egress_gateway.{path.stem}", f"extensions/eda/rulebooks/{path.name}",
                    "rulebook: " + yaml.safe_load(path.read_text())[0]["name"]))
    return [("Modules", modules), ("Filters", filters), ("Roles", roles), ("Playbooks", playbooks),
            ("Event-Driven Ansible (event source, rulebooks)", eda)]


def render() -> str:
    lines = [START]
    for heading, rows in sections():
        lines += ["", f"**{heading}**", ""]
        lines += [f"- [`{name}`]({link}): {text}" for name, link, text in rows]
    return "\n".join(lines + ["", END])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    readme = REPO / "README.md"
    text = readme.read_text()
    start, end = text.index(START), text.index(END) + len(END)
    new = text[:start] + render() + text[end:]
    if args.check:
        if new != text:
            print("README.md's index is out of date: run python hack/readme_index.py", file=sys.stderr)
            return 1
        return 0
    readme.write_text(new)
    print("README.md: index written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
