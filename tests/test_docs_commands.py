"""Every ``lmsdk ...`` command line in the README and docs/*.md names a command that exists and only options
that command's --help lists (the docs cannot drift from the CLI again)."""

import re
import shlex
from pathlib import Path

import pytest
import typer.main

from lmsdk.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
INLINE = re.compile(r"(?<!`)`(lmsdk [^`]+)`")
COMMAND = re.compile(r"(?:^|\s)(?:-m\s+)?lmsdk(\s+[^|;&]*)")


def _command_lines(text: str) -> list[str]:
    """The part after ``lmsdk`` of every command line in fenced blocks and inline code spans."""
    lines = [line for block in FENCE.findall(text) for line in block.splitlines()] + INLINE.findall(text)
    found = []
    for line in lines:
        line = re.sub(r"\s#\s.*$", "", line.strip())  # a trailing comment (a '#' inside a path stays)
        match = COMMAND.search(line)
        if match and not line.startswith(("python", "import", "from", "det", "res", "print")):
            found.append(match.group(1).strip())
    return found


CASES = [(doc.relative_to(ROOT), line) for doc in DOCS for line in _command_lines(doc.read_text())]


def _options(command) -> set[str]:
    names = {"--help"}
    for param in command.params:
        if param.param_type_name == "option":
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def test_the_docs_have_command_lines_to_check():
    assert len(CASES) >= 20
    assert {line.split()[0] for _, line in CASES} >= {"train", "export", "eval", "track", "edit", "morph", "demo-video"}


@pytest.mark.parametrize(("doc", "line"), CASES, ids=[f"{d}:{line[:40]}" for d, line in CASES])
def test_documented_command_uses_only_options_its_help_lists(doc, line):
    group = typer.main.get_command(app)
    tokens = [t for t in shlex.split(line.replace("[", " ").replace("]", " ")) if t != "..."]
    global_options = _options(group)
    while tokens and tokens[0] in global_options:
        tokens.pop(0)
    assert tokens, f"{doc}: no command in 'lmsdk {line}'"
    assert tokens[0] in group.commands, f"{doc}: 'lmsdk {tokens[0]}' is not a command"
    known = _options(group.commands[tokens[0]])
    for token in tokens[1:]:
        if token.startswith("-") and not re.fullmatch(r"-?\d[\d.,:-]*", token):
            name = token.split("=")[0]
            assert name in known, f"{doc}: 'lmsdk {line}' uses {name}, which 'lmsdk {tokens[0]} --help' does not list"
