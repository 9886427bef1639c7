"""Model ids, provider construction, and the `LLM` facade agents call.

A model id is `provider:model`; only the first colon separates them, so
`ollama:qwen2.5-coder:7b` is provider `ollama`, model `qwen2.5-coder:7b`. Providers are
built on first use and constructing them does no network I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from agents.providers import errors
from agents.providers.anthropic import AnthropicProvider
from agents.providers.config import PROVIDER_NAMES, LLMConfig, ProviderConfig
from agents.providers.ollama import OllamaProvider
from agents.providers.openai_compat import OpenAICompatProvider
from agents.providers.types import Provider

ProviderFactory = Callable[[ProviderConfig], Provider]

DEFAULT_FACTORIES: Mapping[str, ProviderFactory] = {
    "anthropic": AnthropicProvider,
    "openai": OpenAICompatProvider,
    "openrouter": OpenAICompatProvider,
    "ollama": OllamaProvider,
}


@dataclass(frozen=True)
class ModelId:
    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


def parse_model_id(model_id: str, known: set[str] | None = None) -> ModelId:
    provider, sep, model = model_id.partition(":")
    names = known if known is not None else set(PROVIDER_NAMES)
    if not sep or not provider or not model:
        raise errors.ConfigurationError(
            f"model id {model_id!r} is not `provider:model`; write e.g. "
            "`anthropic:claude-sonnet-4-6` or `ollama:qwen2.5-coder:7b`"
        )
    if provider not in names:
        raise errors.ConfigurationError(
            f"unknown provider {provider!r} in model id {model_id!r}; "
            f"use one of: {', '.join(sorted(names))}"
        )
    return ModelId(provider, model)


class ProviderRegistry:
    """Builds each provider once, lazily; extra providers (e.g. scripted) can be added."""

    def __init__(
        self,
        config: LLMConfig,
        *,
        factories: Mapping[str, ProviderFactory] = DEFAULT_FACTORIES,
        providers: Mapping[str, Provider] | None = None,
    ) -> None:
        self._config = config
        self._factories = dict(factories)
        self._providers: dict[str, Provider] = dict(providers or {})
        # Providers handed in (or registered) are kept by `forget_clients`; only the ones
        # this registry built, which own HTTP clients, are rebuilt.
        self._given = set(self._providers)

    @property
    def names(self) -> set[str]:
        return set(self._factories) | set(self._providers)

    def register(self, name: str, provider: Provider) -> None:
        self._providers[name] = provider
        self._given.add(name)

    def forget_clients(self) -> None:
        """Drop the providers this registry built (without closing their clients, whose
        loop is gone); they are built again on next use."""
        self._providers = {n: p for n, p in self._providers.items() if n in self._given}

    def get(self, name: str) -> Provider:
        if name not in self._providers:
            factory = self._factories.get(name)
            if factory is None:
                raise errors.ConfigurationError(
                    f"unknown provider {name!r}; use one of: {', '.join(sorted(self.names))}"
                )
            self._providers[name] = factory(self._config.provider(name))
        return self._providers[name]

    async def aclose(self) -> None:
        for provider in self._providers.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    def resolve(self, role_or_model: str) -> ModelId:
        """A model id as given, a role's configured model, or the default model."""
        if ":" in role_or_model:
            return parse_model_id(role_or_model, self.names)
        chosen = self._config.role_models.get(role_or_model, self._config.default_model)
        return parse_model_id(chosen, self.names)

    def chain(self, role_or_model: str) -> list[ModelId]:
        """The model to try first, then its fallbacks (configured per model id or role)."""
        first = self.resolve(role_or_model)
        fallbacks = self._config.fallback_models.get(
            str(first)
        ) or self._config.fallback_models.get(role_or_model, ())
        chain = [first]
        for model_id in fallbacks:
            parsed = parse_model_id(model_id, self.names)
            if parsed not in chain:
                chain.append(parsed)
        return chain
