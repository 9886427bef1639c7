"""Cost of a call from its token usage and a price table (USD per million tokens).

`TokenUsage.input_tokens` never includes cached tokens (providers that count them inside
the prompt total are normalised that way), so each token class is priced exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.providers.provider_config import ModelPrice
from agents.providers.types import TokenUsage

# Published list prices; settings `prices` override any of them. Local models are free.
DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    "claude-opus-4-1": ModelPrice(15.0, 75.0, cache_read=1.5, cache_write=18.75),
    "claude-opus-4": ModelPrice(15.0, 75.0, cache_read=1.5, cache_write=18.75),
    "claude-sonnet-4-6": ModelPrice(3.0, 15.0, cache_read=0.3, cache_write=3.75),
    "claude-sonnet-4-5": ModelPrice(3.0, 15.0, cache_read=0.3, cache_write=3.75),
    "claude-sonnet-4": ModelPrice(3.0, 15.0, cache_read=0.3, cache_write=3.75),
    "claude-3-7-sonnet": ModelPrice(3.0, 15.0, cache_read=0.3, cache_write=3.75),
    "claude-haiku-4-5": ModelPrice(1.0, 5.0, cache_read=0.1, cache_write=1.25),
    "claude-3-5-haiku": ModelPrice(0.8, 4.0, cache_read=0.08, cache_write=1.0),
    "gpt-5": ModelPrice(1.25, 10.0, cache_read=0.125),
    "gpt-5-mini": ModelPrice(0.25, 2.0, cache_read=0.025),
    "gpt-4.1": ModelPrice(2.0, 8.0, cache_read=0.5),
    "gpt-4.1-mini": ModelPrice(0.4, 1.6, cache_read=0.1),
    "gpt-4.1-nano": ModelPrice(0.1, 0.4, cache_read=0.025),
    "gpt-4o": ModelPrice(2.5, 10.0, cache_read=1.25),
    "gpt-4o-mini": ModelPrice(0.15, 0.6, cache_read=0.075),
    "o3": ModelPrice(2.0, 8.0, cache_read=0.5),
    "o4-mini": ModelPrice(1.1, 4.4, cache_read=0.275),
    "meta-llama/llama-3.3-70b-instruct": ModelPrice(0.13, 0.40),
    "anthropic/claude-sonnet-4.5": ModelPrice(3.0, 15.0, cache_read=0.3, cache_write=3.75),
    "openai/gpt-4.1": ModelPrice(2.0, 8.0, cache_read=0.5),
}

FREE = ModelPrice(0.0, 0.0)


def find_price(provider: str, model: str, overrides: Mapping[str, ModelPrice]) -> ModelPrice | None:
    """Overrides first, then the defaults; by `provider:model`, then model, then a dated
    variant's base name (`claude-sonnet-4-5-20250929` -> `claude-sonnet-4-5`)."""
    if provider == "ollama" and f"ollama:{model}" not in overrides and model not in overrides:
        return FREE
    for table in (overrides, DEFAULT_PRICES):
        for key in (f"{provider}:{model}", model):
            if key in table:
                return table[key]
        best = max((k for k in table if model.startswith(k + "-")), key=len, default=None)
        if best is not None:
            return table[best]
    return None


def cost_usd(usage: TokenUsage, price: ModelPrice | None) -> float:
    if price is None:
        return 0.0
    cache_read = price.cache_read if price.cache_read is not None else price.input
    cache_write = price.cache_write if price.cache_write is not None else price.input
    total = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_read_tokens * cache_read
        + usage.cache_write_tokens * cache_write
    )
    return round(total / 1_000_000, 8)
