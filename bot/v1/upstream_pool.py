"""One pooled HTTP client per OpenAI-compatible upstream, for the gateway's raw path.

The clients are `aiohttp.ClientSession`s speaking HTTP/1.1 with keep-alive: aiohttp's C
HTTP parser and connection pool cost a fraction of httpx's per request, which is most of
what the gateway adds to a call (httpx's pool scans every connection on each request,
encode/httpx#3215). They belong to the server's event loop: created there on first use and
closed by the app's lifespan (`aclose`), so they never cross loops (the agents' clients
live on the `ModelLoop`). A non-200 answer or a transport failure becomes our
`ProviderError` here, in one place; its message (with the upstream's text) goes to the
server log only.
"""

from __future__ import annotations

import asyncio

import aiohttp

from agents.providers import errors
from agents.providers._common import (
    connection_error,
    error_for_status,
    parse_retry_after,
    timeout_error,
)
from agents.providers.provider_config import KEY_VARIABLES, LLMConfig, ProviderConfig
from bot.v1.upstream_errors import UpstreamBroken, error_message

_KEEPALIVE_SECONDS = 30.0
_TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError)


class UpstreamAnswer:
    """A 200 answer whose headers have arrived and whose body has not been read yet.
    `close` must be called once done with it (it returns the connection to the pool
    when the body was read to the end, else drops the connection)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self._content = response.content

    async def read(self) -> bytes:
        """The whole body; raise UpstreamBroken when it breaks off."""
        try:
            return await self._response.read()
        except _TRANSPORT_ERRORS as exc:
            raise UpstreamBroken(type(exc).__name__) from None

    async def next_chunk(self) -> bytes:
        """The next bytes as they arrive, b"" at the end; raise UpstreamBroken when the
        body breaks off."""
        try:
            return await self._content.readany()
        except _TRANSPORT_ERRORS as exc:
            raise UpstreamBroken(type(exc).__name__) from None

    def close(self) -> None:
        self._response.release()


class UpstreamPool:
    def __init__(self, config: LLMConfig, *, max_connections: int = 256) -> None:
        self._config = config
        self._max_connections = max_connections
        self._sessions: dict[str, aiohttp.ClientSession] = {}
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

    def _session(self, provider: str) -> aiohttp.ClientSession:
        session = self._sessions.get(provider)
        if session is None:
            config = self.config(provider)
            seconds = config.timeout_seconds
            session = self._sessions[provider] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections, keepalive_timeout=_KEEPALIVE_SECONDS
                ),
                # `sock_read` bounds each wait for bytes, as a stream needs (not the total).
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=min(10.0, seconds), sock_read=seconds
                ),
                headers=dict(config.headers),
                # Callers share the clients: an upstream's cookies must not follow one
                # caller into another's request.
                cookie_jar=aiohttp.DummyCookieJar(),
                # Bytes are relayed as they arrive, never decoded.
                auto_decompress=False,
                skip_auto_headers=("accept-encoding",),
            )
        return session

    async def aclose(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            await session.close()

    async def open(self, provider: str, model: str, body: bytes, *, stream: bool) -> UpstreamAnswer:
        """POST `body` to the upstream's `/chat/completions`; the answer, headers read,
        body not yet read. Raise ProviderError for a non-200 answer or no answer."""
        config = self.config(provider)
        if not config.api_key:
            variable = KEY_VARIABLES.get(provider, "the API key")
            raise errors.ConfigurationError(
                f"no {provider} API key; set {variable}", provider=provider
            )
        base = config.effective_base_url
        session = self._session(provider)
        try:
            response = await session.post(
                f"{base}/chat/completions",
                data=body,
                headers=_headers(config.api_key, base, stream=stream),
                allow_redirects=False,
            )
        except TimeoutError:
            raise timeout_error(provider, base) from None
        except aiohttp.ClientError as exc:
            raise connection_error(provider, base, type(exc).__name__) from None
        if response.status == 200:
            return UpstreamAnswer(response)
        try:
            raw = await response.read()
        except _TRANSPORT_ERRORS:
            raw = b""
        finally:
            response.release()
        raise error_for_status(
            provider,
            response.status,
            error_message(raw),
            model=model,
            base_url=base,
            retry_after=parse_retry_after(response.headers),
        )


def _headers(api_key: str, base_url: str, *, stream: bool) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
        # A compressed stream could not be relayed as it arrives.
        "accept-encoding": "identity",
    }
    # Credentials in the base URL (a proxy's) go as Basic auth in place of the key, as
    # httpx, and so the SDKs' path, send them; aiohttp refuses both at once.
    if "@" not in base_url.partition("://")[2].partition("/")[0]:
        headers["authorization"] = f"Bearer {api_key}"
    return headers
