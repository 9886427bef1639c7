"""Provider configuration as frozen dataclasses; `bot` builds these from its Settings.

Keys are plain strings here (agents must not depend on pydantic's SecretStr), so every
dataclass that holds one hides it from `repr` and from `public()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

PROVIDER_NAMES = ("anthropic", "openai", "openrouter", "ollama")

DEFAULT_BASE_URLS = {
    "anthropic": "https://api.anthropic.com",
    "openai": "https://api.openai.com/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "ollama": "http://127.0.0.1:11434",
}

# The environment variables a user sets to configure each provider, for error messages.
KEY_VARIABLES = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
}
URL_VARIABLES = {
    "anthropic": "ANTHROPIC_BASE_URL",
    "openai": "OPENAI_BASE_URL",
    "openrouter": "OPENROUTER_BASE_URL",
    "ollama": "OLLAMA_HOST",
}


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    timeout_seconds: float = 120.0
    # OpenRouter's attribution headers (`HTTP-Referer`, `X-Title`) and the like.
    headers: tuple[tuple[str, str], ...] = ()
    # Ollama: context window and how long the model stays loaded.
    num_ctx: int | None = None
    keep_alive: str | None = None

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS.get(self.name, "")).rstrip("/")

    @property
    def configured(self) -> bool:
        """A cloud provider needs a key; Ollama only an address (it has a default)."""
        return self.name == "ollama" or bool(self.api_key)

    def public(self) -> dict[str, Any]:
        """Non-secret values, safe to print or log."""
        return {
            "name": self.name,
            "base_url": self.effective_base_url,
            "timeout_seconds": self.timeout_seconds,
            "api_key": "set" if self.api_key else "unset",
        }


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens."""

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None


@dataclass(frozen=True)
class RetryConfig:
    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    # A provider's `retry-after` is honoured up to this many seconds; a longer wait is
    # better spent on the next model in the fallback chain.
    max_retry_after: float = 60.0
    jitter: float = 0.25


@dataclass(frozen=True)
class LLMConfig:
    providers: tuple[ProviderConfig, ...] = ()
    default_model: str = "anthropic:claude-sonnet-4-6"
    role_models: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # model id (or role name) -> the model ids to try next, in order
    fallback_models: MappingProxyType[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # model id (`provider:model`) or bare model name -> price; overrides the defaults
    prices: MappingProxyType[str, ModelPrice] = field(default_factory=lambda: MappingProxyType({}))
    provider_concurrency: int = 8
    retry: RetryConfig = RetryConfig()

    def provider(self, name: str) -> ProviderConfig:
        for config in self.providers:
            if config.name == name:
                return config
        return ProviderConfig(name=name)

    @staticmethod
    def build(
        *,
        providers: list[ProviderConfig],
        default_model: str,
        role_models: dict[str, str] | None = None,
        fallback_models: dict[str, list[str]] | None = None,
        prices: dict[str, dict[str, float]] | None = None,
        provider_concurrency: int = 8,
        retry: RetryConfig | None = None,
    ) -> LLMConfig:
        """Build from plain mappings (as found in settings)."""
        return LLMConfig(
            providers=tuple(providers),
            default_model=default_model,
            role_models=MappingProxyType(dict(role_models or {})),
            fallback_models=MappingProxyType(
                {k: tuple(v) for k, v in (fallback_models or {}).items()}
            ),
            prices=MappingProxyType(
                {k: price_from_mapping(k, v) for k, v in (prices or {}).items()}
            ),
            provider_concurrency=provider_concurrency,
            retry=retry or RetryConfig(),
        )


def price_from_mapping(model: str, values: dict[str, float]) -> ModelPrice:
    if "input" not in values or "output" not in values:
        raise ValueError(
            f"price for {model!r} needs 'input' and 'output' (USD per million tokens), "
            f"got keys {sorted(values)}"
        )
    return ModelPrice(
        input=float(values["input"]),
        output=float(values["output"]),
        cache_read=float(values["cache_read"]) if "cache_read" in values else None,
        cache_write=float(values["cache_write"]) if "cache_write" in values else None,
    )
