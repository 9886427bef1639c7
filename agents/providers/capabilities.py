"""Whether a model calls tools, as far as its provider says.

Small local models often cannot; the providers report it in different places: Ollama's
`/api/show` `capabilities`, OpenRouter's `/models` `supported_parameters`, and local
OpenAI-compatible servers' `/v1/models` `capabilities`. `None` means the provider does not say.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from agents.providers.provider_config import DEFAULT_BASE_URLS, ProviderConfig


class ToolSupport(Protocol):
    async def supports_tools(self, model: str) -> bool | None: ...


def tools_in_listing(entry: Mapping[str, Any], config: ProviderConfig) -> bool | None:
    """Tool support from one `/models` entry's extra fields."""
    for field in ("supported_parameters", "capabilities"):
        values = entry.get(field)
        if isinstance(values, list):
            return "tools" in values
    if config.effective_base_url == DEFAULT_BASE_URLS["openai"] and config.name == "openai":
        return True
    return None


def describe(supports: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[supports]
