"""Token counts from the usage object an OpenAI-compatible upstream reports."""

from __future__ import annotations

from typing import Any

from agents.providers.types import TokenUsage


def tokens_of(usage: Any) -> TokenUsage:
    """Our token classes from an OpenAI-shaped usage object (anything else counts 0)."""
    if not isinstance(usage, dict):
        return TokenUsage()
    details = usage.get("prompt_tokens_details")
    details = details if isinstance(details, dict) else {}
    cached = _count(details.get("cached_tokens"))
    written = _count(details.get("cache_write_tokens"))
    prompt = _count(usage.get("prompt_tokens"))
    # prompt_tokens counts cached tokens too; ours keeps each class separate.
    return TokenUsage(
        input_tokens=max(0, prompt - cached - written),
        output_tokens=_count(usage.get("completion_tokens")),
        cache_read_tokens=cached,
        cache_write_tokens=written,
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
