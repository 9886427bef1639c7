"""What the gateway's raw path knows about its upstreams without a client library: which
speak OpenAI's wire format, and how their failures become our errors. (The client,
`bot.v1.upstream_pool`, needs the `server` extra; this module does not.)"""

from __future__ import annotations

import json
from typing import Any

from agents.providers import errors
from agents.providers._common import error_for_status

# The upstreams whose `/chat/completions` speaks OpenAI's wire format.
RAW_PROVIDERS = frozenset({"openai", "openrouter"})


class UpstreamBroken(Exception):
    """The upstream's answer broke off after its headers; the message names the cause."""


def error_message(raw: bytes) -> str:
    try:
        body: Any = json.loads(raw)
    except ValueError:
        return raw[:200].decode(errors="replace") or "no error body"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return str(body)[:200]


def body_error(provider: str, error: Any, *, model: str, base_url: str) -> errors.ProviderError:
    """An error the upstream reported inside a 200 body or an SSE event (OpenRouter)."""
    details = error if isinstance(error, dict) else {"message": str(error)}
    code = details.get("code")
    return error_for_status(
        provider,
        code if isinstance(code, int) else 502,
        str(details.get("message") or "error in response body"),
        model=model,
        base_url=base_url,
    )
