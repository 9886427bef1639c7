"""`check_providers`: for `codemonkey doctor` — is each provider configured, does it answer,
which models does it list (`/v1/models`, OpenRouter's `/models`, Ollama's `/api/tags`)."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

from agents.providers import errors
from agents.providers.anthropic import AnthropicProvider
from agents.providers.ollama import OllamaProvider
from agents.providers.openai_compat import OpenAICompatProvider
from agents.providers.provider_config import KEY_VARIABLES, PROVIDER_NAMES, LLMConfig
from agents.providers.redact import redact_url

_CLASSES: dict[str, type[AnthropicProvider | OpenAICompatProvider | OllamaProvider]] = {
    "anthropic": AnthropicProvider,
    "openai": OpenAICompatProvider,
    "openrouter": OpenAICompatProvider,
    "ollama": OllamaProvider,
}


@dataclass(frozen=True)
class ProviderStatus:
    name: str
    configured: bool
    reachable: bool
    base_url: str
    models: tuple[str, ...] = ()
    # What went wrong and how to fix it; None when the provider answered.
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.configured and self.reachable


async def check_provider(config: LLMConfig, name: str, timeout_seconds: float) -> ProviderStatus:
    provider_config = dataclasses.replace(config.provider(name), timeout_seconds=timeout_seconds)
    base_url = redact_url(provider_config.effective_base_url)
    if not provider_config.configured:
        return ProviderStatus(
            name, False, False, base_url, error=f"not configured; set {KEY_VARIABLES[name]}"
        )
    provider = _CLASSES[name](provider_config)
    try:
        models = await provider.list_models()
    except errors.ProviderError as error:
        return ProviderStatus(name, True, False, base_url, error=str(error))
    finally:
        await provider.aclose()
    return ProviderStatus(name, True, True, base_url, tuple(models))


async def check_providers(
    config: LLMConfig,
    *,
    names: tuple[str, ...] = PROVIDER_NAMES,
    timeout_seconds: float = 10.0,
) -> list[ProviderStatus]:
    """Probe the providers concurrently; never raises for a provider that is down."""
    return list(
        await asyncio.gather(*(check_provider(config, name, timeout_seconds) for name in names))
    )


@dataclass(frozen=True)
class ModelStatus:
    """A configured model as its provider sees it."""

    model_id: str
    # Whether the provider lists the model; None when the provider could not be asked.
    listed: bool | None
    # Whether the provider says the model calls tools; None when it does not say.
    tools: bool | None = None
    error: str | None = None


async def check_model(
    config: LLMConfig, status: ProviderStatus, model_id: str, model: str, timeout_seconds: float
) -> ModelStatus:
    if not status.ok:
        return ModelStatus(model_id, None, error=f"{status.name} is not usable")
    if model not in status.models:
        shown = ", ".join(status.models[:10]) + (" ..." if len(status.models) > 10 else "")
        return ModelStatus(
            model_id, False, error=f"{status.name} does not list {model!r}; it lists: {shown}"
        )
    provider_config = dataclasses.replace(
        config.provider(status.name), timeout_seconds=timeout_seconds
    )
    provider = _CLASSES[status.name](provider_config)
    try:
        return ModelStatus(model_id, True, await provider.supports_tools(model))
    except errors.ProviderError as error:
        return ModelStatus(model_id, True, error=f"cannot ask about tool support: {error}")
    finally:
        await provider.aclose()


async def check_models(
    config: LLMConfig,
    providers: list[ProviderStatus],
    model_ids: list[str],
    *,
    timeout_seconds: float = 10.0,
) -> list[ModelStatus]:
    """Each configured model (`provider:model`) of a known provider: listed, and tools."""
    by_name = {status.name: status for status in providers}
    checks = []
    for model_id in dict.fromkeys(model_ids):
        name, _, model = model_id.partition(":")
        if name in by_name:
            checks.append(check_model(config, by_name[name], model_id, model, timeout_seconds))
    return list(await asyncio.gather(*checks))
