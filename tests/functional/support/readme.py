"""The commands a README prints, as a user would copy them, and the files it shows beside them.

Generic over README.md and roles/*/README.md: a command is a line of a fenced block (any
language but yaml/json) or an inline code span that starts with one of ``programs``
(``ansible-playbook`` unless told), with
backslash continuations joined, a ``$ `` prompt and trailing ``# comment`` removed. A file is a
fenced yaml block whose first line is ``# <name>.yaml`` (or .yml).
"""
from __future__ import annotations

import dataclasses
import pathlib
import re
import shlex

PROGRAMS = ("ansible-playbook",)
_FENCE = re.compile(r"^```([\w-]*)\s*$")
_FILE_HEADER = re.compile(r"^#\s*([\w./-]+\.ya?ml)\s*$")


@dataclasses.dataclass(frozen=True)
class Command:
    readme: str        # path relative to the repository
    line: int          # 1-based line of the command's first line
    text: str          # as printed, continuations joined

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.text)

    def __str__(self):
        return f"{self.readme}:{self.line}: {self.text}"


def _strip_comment(line: str) -> str:
    """`cmd -e x=y   # note` -> `cmd -e x=y` (a # inside quotes or a word stays)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def parse(path: pathlib.Path, repo: pathlib.Path, programs=PROGRAMS):
    """(commands, files) of one markdown file."""
    inline = re.compile(r"`((?:%s) [^`]+)`" % "|".join(map(re.escape, programs)))
    rel = str(path.relative_to(repo))
    lines = path.read_text().splitlines()
    commands, files = [], {}
    language, block, start = None, [], 0
    for number, line in enumerate(lines, 1):
        fence = _FENCE.match(line)
        if fence and language is None:
            language, block, start = fence.group(1) or "text", [], number + 1
            continue
        if fence:
            if language in ("yaml", "yml") and block and _FILE_HEADER.match(block[0]):
                files[_FILE_HEADER.match(block[0]).group(1)] = "\n".join(block[1:]) + "\n"
            elif language not in ("yaml", "yml", "json"):
                commands += _block_commands(rel, start, block, programs)
            language = None
            continue
        if language is not None:
            block.append(line)
        else:
            commands += [Command(rel, number, m.group(1).strip()) for m in inline.finditer(line)]
    return commands, files


def _block_commands(readme, start, block, programs):
    found, pending, first = [], "", 0
    for offset, raw in enumerate(block):
        line = raw.strip()
        if line.startswith("$ "):
            line = line[2:]
        if not pending and not line.startswith(tuple(f"{p} " for p in programs)):
            continue
        if not pending:
            first = start + offset
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        found.append(Command(readme, first, _strip_comment(pending + line)))
        pending = ""
    return found


def readmes(repo: pathlib.Path) -> list[pathlib.Path]:
    return [repo / "README.md", *sorted((repo / "roles").glob("*/README.md"))]


def collect(repo: pathlib.Path, programs=PROGRAMS):
    """Every command of every README, and every file they show (by name)."""
    commands, files = [], {}
    for path in readmes(repo):
        found, shown = parse(path, repo, programs)
        commands += found
        files.update(shown)
    return commands, files
