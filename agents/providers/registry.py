"""Model ids, provider construction, and the `LLM` facade agents call.

A model id is `provider:model`; only the first colon separates them, so
`ollama:qwen2.5-coder:7b` is provider `ollama`, model `qwen2.5-coder:7b`. Providers are
built on first use and constructing them does no network I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agents.providers import errors
from agents.providers.anthropic import AnthropicProvider
from agents.providers.model_ids import ModelId, ModelIdError
from agents.providers.model_ids import parse_model_id as parse_model_name
from agents.providers.ollama import OllamaProvider
from agents.providers.openai_compat import OpenAICompatProvider
from agents.providers.provider_config import LLMConfig, ProviderConfig
from agents.providers.types import Provider
from agents.roles.names import ROLE_ALIASES, known_role_names

__all__ = ["DEFAULT_FACTORIES", "ModelId", "ProviderRegistry", "parse_model_id"]

ProviderFactory = Callable[[ProviderConfig], Provider]

DEFAULT_FACTORIES: Mapping[str, ProviderFactory] = {
    "anthropic": AnthropicProvider,
    "openai": OpenAICompatProvider,
    "openrouter": OpenAICompatProvider,
    "ollama": OllamaProvider,
}


def parse_model_id(model_id: str, known: set[str] | None = None) -> ModelId:
    """`provider:model`, or ConfigurationError saying how to write it."""
    try:
        return parse_model_name(model_id, known)
    except ModelIdError as exc:
        raise errors.ConfigurationError(str(exc)) from None


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
        """A model id as given, a role's configured model, or the default model.

        A name without a colon must be a role: anything else (say `gpt-4o`) is refused,
        never quietly replaced by the default model.
        """
        if ":" in role_or_model:
            return parse_model_id(role_or_model, self.names)
        role = ROLE_ALIASES.get(role_or_model, role_or_model)
        roles = self._config.role_models
        configured = role_or_model in roles or role in roles
        if not configured and role_or_model not in known_role_names():
            parse_model_id(role_or_model, self.names)  # raises: not `provider:model`
        chosen = roles.get(role_or_model) or roles.get(role) or self._config.default_model
        return parse_model_id(chosen, self.names)

    def chain(self, role_or_model: str) -> list[ModelId]:
        """The model to try first, then its fallbacks (configured per model id or role)."""
        first = self.resolve(role_or_model)
        configured = self._config.fallback_models
        role = ROLE_ALIASES.get(role_or_model, role_or_model)
        fallbacks = (
            configured.get(str(first)) or configured.get(role_or_model) or configured.get(role, ())
        )
        chain = [first]
        for model_id in fallbacks:
            parsed = parse_model_id(model_id, self.names)
            if parsed not in chain:
                chain.append(parsed)
        return chain
