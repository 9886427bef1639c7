"""Checks for the model settings (`default_model`, `role_models`, `fallback_models`).

They run when the settings load, so a model without a provider (`gpt-4o`) or a misspelled
role stops the command with the fix, instead of a role silently using the default model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agents.providers.model_ids import check_model_id
from agents.roles.names import canonical_role


def checked_role_models(value: Mapping[str, str]) -> dict[str, str]:
    """Role (canonical or short name) -> model id; keys come back canonical."""
    out: dict[str, str] = {}
    for role, model in value.items():
        out[canonical_role(role)] = check_model_id(model)
    return out


def checked_fallback_models(value: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Model id or role -> the model ids to try next; role keys come back canonical."""
    out: dict[str, list[str]] = {}
    for key, chain in value.items():
        first = check_model_id(key) if ":" in key else canonical_role(key)
        out[first] = [check_model_id(model) for model in chain]
    return out
