"""One pooled HTTP client per OpenAI-compatible upstream, for the gateway's raw path.

The clients are `httpx.AsyncClient`s speaking HTTP/1.1 with keep-alive. They belong to the
server's event loop: created there on first use and closed by the app's lifespan
(`aclose`), so they never cross loops (the agents' clients live on the `ModelLoop`).
A non-200 answer or a transport failure becomes our `ProviderError` here, in one place;
its message (with the upstream's text) goes to the server log only.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from agents.providers import errors
from agents.providers._common import (
    connection_error,
    error_for_status,
    parse_retry_after,
    timeout_error,
)
from agents.providers.config import KEY_VARIABLES, LLMConfig, ProviderConfig

# The upstreams whose `/chat/completions` speaks OpenAI's wire format.
RAW_PROVIDERS = frozenset({"openai", "openrouter"})
_KEEPALIVE_SECONDS = 30.0


class UpstreamPool:
    def __init__(self, config: LLMConfig, *, max_connections: int = 256) -> None:
        self._config = config
        self._limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=_KEEPALIVE_SECONDS,
        )
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    def config(self, provider: str) -> ProviderConfig:
        return self._config.provider(provider)

    def limit(self, provider: str) -> asyncio.Semaphore:
        """The per-provider concurrency limit the agents' calls have too."""
        semaphore = self._semaphores.get(provider)
        if semaphore is None:
            semaphore = self._semaphores[provider] = asyncio.Semaphore(
                self._config.provider_concurrency
            )
        return semaphore

    def _client(self, provider: str) -> httpx.AsyncClient:
        client = self._clients.get(provider)
        if client is None:
            config = self.config(provider)
            timeout = httpx.Timeout(
                config.timeout_seconds, connect=min(10.0, config.timeout_seconds)
            )
            client = self._clients[provider] = httpx.AsyncClient(
                timeout=timeout, limits=self._limits, headers=dict(config.headers)
            )
        return client

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()

    async def open(self, provider: str, model: str, body: bytes, *, stream: bool) -> httpx.Response:
        """POST `body` to the upstream's `/chat/completions`; the response, headers read,
        body not yet read. Raise ProviderError for a non-200 answer or no answer."""
        config = self.config(provider)
        if not config.api_key:
            variable = KEY_VARIABLES.get(provider, "the API key")
            raise errors.ConfigurationError(
                f"no {provider} API key; set {variable}", provider=provider
            )
        base = config.effective_base_url
        client = self._client(provider)
        request = client.build_request(
            "POST",
            f"{base}/chat/completions",
            content=body,
            headers={
                "authorization": f"Bearer {config.api_key}",
                "content-type": "application/json",
                "accept": "text/event-stream" if stream else "application/json",
                # Bytes are relayed as they arrive; a compressed stream could not be.
                "accept-encoding": "identity",
            },
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            raise timeout_error(provider, base) from None
        except httpx.HTTPError as exc:
            raise connection_error(provider, base, type(exc).__name__) from None
        if response.status_code == 200:
            return response
        try:
            raw = await response.aread()
        except httpx.HTTPError:
            raw = b""
        finally:
            await response.aclose()
        raise error_for_status(
            provider,
            response.status_code,
            _error_message(raw),
            model=model,
            base_url=base,
            retry_after=parse_retry_after(response.headers),
        )


def _error_message(raw: bytes) -> str:
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
