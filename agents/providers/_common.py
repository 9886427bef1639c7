"""Helpers shared by the provider implementations: status-to-error mapping, argument
parsing, `retry-after` parsing."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

from agents.providers import errors
from agents.providers.provider_config import KEY_VARIABLES, URL_VARIABLES
from agents.providers.types import ToolCall


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """`retry-after-ms` (OpenAI), `retry-after` in seconds or as an HTTP date."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def error_for_status(
    provider: str,
    status: int,
    message: str,
    *,
    model: str,
    base_url: str,
    retry_after: float | None = None,
    kind: str | None = None,
) -> errors.ProviderError:
    """Map an HTTP status (and the provider's error type, when it has one) to our error."""
    prefix = f"{provider} returned {status}: {message}"
    key_var = KEY_VARIABLES.get(provider, "the API key")
    if kind == "overloaded_error" or status == 529:
        return errors.OverloadedError(
            f"{prefix}; the provider is overloaded, retry later or configure a fallback model",
            provider=provider,
            status=status,
            retry_after=retry_after,
        )
    if status == 401:
        return errors.AuthenticationError(
            f"{prefix}; set {key_var} to a valid key", provider=provider, status=status
        )
    if status == 403:
        return errors.AuthenticationError(
            f"{prefix}; the key in {key_var} lacks permission for this request or model",
            provider=provider,
            status=status,
        )
    if status == 402:
        return errors.QuotaExceededError(
            f"{prefix}; add credits to the {provider} account or use another model",
            provider=provider,
            status=status,
        )
    if status == 404:
        hint = (
            f"run `ollama pull {model}` on the Ollama host"
            if provider == "ollama"
            else f"check the model name {model!r} (and {URL_VARIABLES.get(provider, '')})"
        )
        return errors.ModelNotFoundError(f"{prefix}; {hint}", provider=provider, status=status)
    if status == 429:
        return errors.RateLimitError(
            f"{prefix}; rate limited, lower provider_concurrency or wait",
            provider=provider,
            retry_after=retry_after,
        )
    if status == 408:
        return errors.ProviderTimeout(
            f"{prefix}; the request timed out at the provider, retry or raise the timeout",
            provider=provider,
            status=status,
        )
    if status >= 500:
        return errors.ServerError(
            f"{prefix}; the provider failed, retry later or configure a fallback model",
            provider=provider,
            status=status,
            retry_after=retry_after,
        )
    return errors.InvalidRequestError(
        f"{prefix}; the request was rejected as invalid, fix the messages or options "
        f"(base URL {base_url})",
        provider=provider,
        status=status,
    )


def connection_error(provider: str, base_url: str, detail: str) -> errors.ProviderError:
    variable = URL_VARIABLES.get(provider, "the base URL")
    return errors.ProviderConnectionError(
        f"could not reach {provider} at {base_url} ({detail}); check {variable} and that "
        "the service is running and reachable",
        provider=provider,
    )


def timeout_error(provider: str, base_url: str) -> errors.ProviderError:
    return errors.ProviderTimeout(
        f"{provider} at {base_url} did not answer in time; raise llm_timeout_seconds "
        "or retry later",
        provider=provider,
    )


def tool_call_from_json(call_id: str, name: str, raw: str) -> ToolCall:
    """A tool call whose arguments arrived as JSON text (possibly invalid)."""
    if not raw.strip():
        return ToolCall(call_id, name, {})
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        return ToolCall(call_id, name, {}, raw_arguments=raw, parse_error=f"invalid JSON: {exc}")
    if not isinstance(value, dict):
        return ToolCall(
            call_id,
            name,
            {},
            raw_arguments=raw,
            parse_error=f"arguments must be a JSON object, got {type(value).__name__}",
        )
    return ToolCall(call_id, name, value)
