"""Settings names that CodeMonkey does not know, for `codemonkey doctor`: a misspelled key in
the config file or a misspelled `CODEMONKEY_` variable is otherwise silently ignored."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

import yaml

from bot.settings import DEFAULT_CONFIG_FILE, Settings

# Read by other parts of CodeMonkey than the settings (or by the Action's wrapper).
OTHER_VARIABLES = frozenset({"CODEMONKEY_CONFIG", "CODEMONKEY_REPO_CONFIG", "CODEMONKEY_VERSION"})


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def unknown_file_keys(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Problems with keys of the YAML config file, each with a suggestion."""
    path = Path(environ.get("CODEMONKEY_CONFIG") or DEFAULT_CONFIG_FILE)
    if not path.is_file():
        return []
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    known = sorted(Settings.model_fields)
    return [
        f"{path}: unknown key {key!r}{_suggest(str(key).lower(), known)}"
        for key in loaded
        if str(key).lower() not in Settings.model_fields
    ]


def unknown_variables(environ: Mapping[str, str] = os.environ) -> list[str]:
    known = sorted(f"CODEMONKEY_{name.upper()}" for name in Settings.model_fields)
    return [
        f"unknown variable {name}{_suggest(name, known)}"
        for name in sorted(environ)
        if name.startswith("CODEMONKEY_") and name not in known and name not in OTHER_VARIABLES
    ]
