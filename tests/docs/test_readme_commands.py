"""Every `codemonkey ...` command line in README.md names commands, options and choices
that the CLI's parser has, and the two set-up commands do what the README says."""

from __future__ import annotations

import argparse
import tomllib

import pytest

from bot.cli import COMMANDS, build_parser
from tests.docs import readme

README = readme.text()


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {o: a for a in parser._actions for o in a.option_strings}


def _positionals(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not a.option_strings and a.dest != "command"]


def problems_in(words: list[str]) -> list[str]:
    """What is wrong with `codemonkey WORDS` as the README writes it (placeholders allowed)."""
    line = "codemonkey " + " ".join(words)
    if words[0] not in COMMANDS:
        return [f"{line}: no command {words[0]!r} (known: {', '.join(COMMANDS)})"]
    parser = build_parser(words[0])
    parser = _subparsers(parser)[words[0]]
    found: list[str] = []
    rest = words[1:]
    # Descend into `keys create`, `secrets set`, ...
    while rest and _subparsers(parser) and not rest[0].startswith(("-", "[")):
        children = _subparsers(parser)
        if rest[0] not in children:
            return [f"{line}: no action {rest[0]!r} (known: {', '.join(children)})"]
        parser, rest = children[rest[0]], rest[1:]
    options = _options(parser)
    positionals = iter(_positionals(parser))
    i = 0
    while i < len(rest):
        word = rest[i].strip("[]")
        if word.startswith("--"):
            flag, _, inline_value = word.partition("=")
            if flag not in options:
                found.append(f"{line}: no option {flag} (known: {', '.join(sorted(options))})")
            else:
                action = options[flag]
                takes_value = action.nargs != 0
                value = inline_value or (rest[i + 1].strip("[]") if takes_value else "")
                if takes_value and not inline_value:
                    i += 1
                choices = {str(c) for c in action.choices or ()}
                if choices and "|" in value:  # `--role admin|member|viewer`: every choice
                    if set(value.split("|")) != choices:
                        found.append(f"{line}: {flag} choices are {sorted(choices)}")
                elif choices and value.islower() and value not in choices:
                    found.append(f"{line}: {flag} {value!r} is not one of {sorted(choices)}")
        elif word and word[0].islower() and word not in ("|",):
            positional = next(positionals, None)
            if positional is not None and positional.choices and word not in positional.choices:
                found.append(f"{line}: {word!r} is not one of {sorted(positional.choices)}")
        i += 1
    return found


def test_the_readme_names_commands_in_many_places() -> None:
    named = {words[0] for words in readme.commands(README)}
    # The extraction must see the Commands table; a README rewrite that hides it fails here.
    assert {"serve", "worker", "migrate", "run", "keys", "secrets", "tasks", "trace"} <= named


def test_every_command_in_the_readme_exists_with_its_options() -> None:
    problems = [p for words in readme.commands(README) for p in problems_in(words)]
    assert problems == []


def test_every_command_is_in_the_readme_commands_table() -> None:
    table = {words[0] for words in readme.commands(readme.section(README, "Commands"))}
    missing = [name for name in COMMANDS if name not in table]
    assert missing == [], "add a row to the README's Commands table for each"


@pytest.mark.parametrize(
    ("words", "wrong"),
    [
        (["run", "--max-stepz", "3", "task"], "--max-stepz"),
        (["keys", "create", "--name", "N", "--role", "admin|member"], "choices"),
        (["keys", "create", "--name", "N", "--role", "owner"], "owner"),
        (["keys", "rotate", "ID"], "rotate"),
        (["secrets", "set", "gemini"], "gemini"),
        (["projects", "remove", "owner/repo"], "remove"),
        (["deploy"], "deploy"),
    ],
)
def test_the_command_check_catches_what_is_wrong(words: list[str], wrong: str) -> None:
    problems = problems_in(words)
    assert problems and wrong in problems[0]


def test_the_set_up_commands_run_the_service_and_the_checks() -> None:
    section = readme.section(README, "Set-up on a fresh machine")
    blocks = [b.text.strip() for b in readme.code_blocks(section)]
    assert blocks[0] == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[all]' && .venv/bin/codemonkey serve"
    )
    assert blocks[1] == "bash .ci/check"
    # `pip install -e '.[all]'` gives the `codemonkey` script, with what `serve` needs on the
    # embedded defaults (the server and the semantic index) ...
    project = tomllib.loads((readme.ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["codemonkey"] == "bot.cli:main"
    extras = project["project"]["optional-dependencies"]
    assert extras["all"] == ["codemonkey[server,index]"]
    assert any(d.startswith("uvicorn") for d in extras["server"])
    assert any(d.startswith("chromadb") for d in extras["index"])
    # ... and the checks' `dev` extra includes all of it.
    assert "codemonkey[all]" in extras["dev"]
    # ... and .ci/check installs the test tools and ends by running the tests (CI runs it too).
    check = (readme.ROOT / ".ci" / "check").read_text()
    assert "pip\" install -q -e '.[dev]'" in check
    assert check.rstrip().splitlines()[-1].startswith('"$VENV/bin/pytest"')
    assert (readme.ROOT / ".ci" / "run").read_text().rstrip().endswith("bash .ci/check")
