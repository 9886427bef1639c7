"""The settings, the repository config example and the Action that README.md describes are
the ones the code has: names, defaults, keys and inputs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices

from bot.config_keys import OTHER_VARIABLES
from bot.settings import Settings
from tests.docs import readme
from webhooks.repo_config import RepoConfig, parse_repo_config

README = readme.text()


def _aliases() -> dict[str, str]:
    """Every environment variable name a setting reads -> the setting."""
    names: dict[str, str] = {}
    for field, info in Settings.model_fields.items():
        names[f"CODEMONKEY_{field.upper()}"] = field
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update({str(choice): field for choice in alias.choices})
    return names


def test_every_codemonkey_variable_in_the_readme_is_a_setting() -> None:
    known = set(_aliases()) | OTHER_VARIABLES
    named = {v for v in readme.variables(README) if v.startswith("CODEMONKEY_")}
    assert len(named) > 20  # the extraction sees the configuration table
    unknown = [
        name
        for name in named - known
        if not (name.endswith("_*") and any(k.startswith(name[:-1]) for k in known))
    ]
    assert unknown == []


def _table_rows(section: str) -> list[list[str]]:
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def _shown(value: Any) -> str:
    if isinstance(value, Path):
        return f"./{value}"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a whole number of hours or seconds is written without ".0"
    return str(value)


def test_the_configuration_table_names_real_variables_and_their_defaults() -> None:
    aliases = _aliases()
    checked = 0
    for setting, default, _meaning in _table_rows(readme.section(README, "Configuration")):
        names = re.findall(r"`([A-Z][A-Z0-9_]+)(?:\[(_[A-Z_]+)\])?`", setting)
        variables = [n + s for n, suffix in names for s in ("", suffix) if s or not suffix]
        if "`*_BASE_URL`" in setting:  # "(and `*_BASE_URL`)": each provider's base URL
            variables += [v.replace("_API_KEY", "_BASE_URL") for v in variables if "_API" in v]
        for name in variables:
            assert name in aliases, f"{name} in the README is not a setting"
        # A default cell of literals lists one per variable, in order; "unset" means None.
        literals = re.findall(r"`([^`]*)`", default)
        fields = [aliases[n] for n, _ in names]
        if default.startswith("unset"):
            assert all(Settings.model_fields[f].default is None for f in fields), setting
            checked += 1
        elif literals and len(literals) == len(fields):
            for field, literal in zip(fields, literals, strict=True):
                info = Settings.model_fields[field]
                value = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
                assert _shown(value) == literal, f"{field}: README says {literal!r}"
                checked += 1
    assert checked >= 10


def test_the_repository_config_example_is_valid() -> None:
    block = next(
        b.text
        for b in readme.code_blocks(readme.section(README, "Per-repository configuration"))
        if b.language == "yaml"
    )
    config = parse_repo_config(block, defaults=RepoConfig())  # unknown keys are refused
    assert config.trigger_label == "ai-help" and config.budgets.max_steps == 30


def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((readme.ROOT / "action.yml").read_text())
    return loaded


def test_the_action_inputs_in_the_readme_are_the_action_yml_inputs() -> None:
    section = readme.section(README, "GitHub Action")
    listed = re.search(r"Inputs: (.*?)(?: \(|\.\n)", section, re.S)
    assert listed is not None, "README's GitHub Action section lists the inputs"
    names = re.findall(r"`(\w+)`", listed[1])
    assert sorted(names) == sorted(_action()["inputs"])


def test_every_uses_of_the_action_is_the_same_reference() -> None:
    workflow = (readme.ROOT / ".github" / "workflows" / "codemonkey.yml").read_text()
    ours = re.compile(r"uses: ([^\s`]+/codemonkey@[^\s`]+)")
    example = ours.findall(workflow)
    assert len(example) == 1
    in_readme = ours.findall(README)
    assert len(in_readme) >= 3  # the table and both workflow examples
    assert set(in_readme) == set(example)
    # The workflow example parses and passes only inputs the Action has.
    steps = yaml.safe_load(workflow)["jobs"]["codemonkey"]["steps"]
    step = next(s for s in steps if str(s.get("uses", "")).endswith(example[0].split("/")[-1]))
    assert set(step.get("with", {})) <= set(_action()["inputs"])
