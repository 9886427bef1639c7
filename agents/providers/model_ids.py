"""Model ids (`provider:model`) and their validation, without importing any provider SDK.

Settings and the command line check model names here at load time, so a name such as
`gpt-4o` (no provider) is refused with the fix instead of being replaced by the default.
Only the first colon separates provider and model: `ollama:qwen2.5-coder:7b` is provider
`ollama`, model `qwen2.5-coder:7b`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agents.providers.provider_config import PROVIDER_NAMES

# Replies from a script rather than a language model (`codemonkey run --model scripted:PATH`
# and the test suite); accepted wherever a model id is, never suggested in messages.
SCRIPTED_PROVIDER = "scripted"
ACCEPTED_PROVIDERS = frozenset((*PROVIDER_NAMES, SCRIPTED_PROVIDER))


class ModelIdError(ValueError):
    """A model id is malformed or names an unknown provider; the message says the fix."""


@dataclass(frozen=True)
class ModelId:
    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


def _listed(names: Iterable[str]) -> str:
    shown = sorted(n for n in names if n != SCRIPTED_PROVIDER) or sorted(names)
    return ", ".join(shown)


def parse_model_id(model_id: str, known: Iterable[str] | None = None) -> ModelId:
    names = set(known) if known is not None else set(ACCEPTED_PROVIDERS)
    provider, sep, model = model_id.partition(":")
    if not sep or not provider or not model:
        raise ModelIdError(
            f"model {model_id!r} is not `provider:model`; write e.g. "
            f"`anthropic:claude-sonnet-4-6` or `ollama:qwen2.5-coder:7b` "
            f"(providers: {_listed(names)})"
        )
    if provider not in names:
        raise ModelIdError(
            f"unknown provider {provider!r} in model id {model_id!r}; use one of: {_listed(names)}"
        )
    return ModelId(provider, model)


def check_model_id(model_id: str) -> str:
    """The model id unchanged, or ModelIdError saying how to write it."""
    parse_model_id(model_id)
    return model_id
