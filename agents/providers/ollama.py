"""Ollama (local models) through its native API: `/api/chat` (NDJSON when streaming) and
`/api/tags`. Plain httpx; Ollama has no official async SDK we want to depend on."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from agents.providers import errors
from agents.providers._common import connection_error, error_for_status, timeout_error
from agents.providers.provider_config import ProviderConfig
from agents.providers.types import (
    ChatMessage,
    ChatOptions,
    ChatResponse,
    FinishReason,
    ProviderType,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolCallDelta,
)

_FINISH: dict[str, FinishReason] = {"stop": "stop", "length": "length"}


def build_request(
    messages: list[ChatMessage], options: ChatOptions, config: ProviderConfig, *, stream: bool
) -> dict[str, Any]:
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    wire: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            item["tool_calls"] = [
                {"function": {"name": c.name, "arguments": c.arguments}} for c in m.tool_calls
            ]
        if m.role == "tool" and m.tool_call_id in names:
            item["tool_name"] = names[m.tool_call_id]
        wire.append(item)
    model_options: dict[str, Any] = {"num_predict": options.max_tokens}
    if config.num_ctx:
        model_options["num_ctx"] = config.num_ctx
    if options.temperature is not None:
        model_options["temperature"] = options.temperature
    if options.stop:
        model_options["stop"] = list(options.stop)
    body: dict[str, Any] = {
        "model": options.model,
        "messages": wire,
        "stream": stream,
        "options": model_options,
    }
    # Ollama has no tool_choice: "none" is honoured by not offering the tools.
    if options.tools and options.tool_choice != "none":
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in options.tools
        ]
    if config.keep_alive is not None:
        body["keep_alive"] = config.keep_alive
    return body


def _tool_calls(message: dict[str, Any], first_index: int = 0) -> list[ToolCall]:
    calls = []
    for offset, raw in enumerate(message.get("tool_calls") or ()):
        function = raw.get("function") or {}
        arguments = function.get("arguments")
        call_id = raw.get("id") or f"call_{first_index + offset}"
        if isinstance(arguments, dict):
            calls.append(ToolCall(call_id, str(function.get("name", "")), arguments))
        else:
            calls.append(
                ToolCall(
                    call_id,
                    str(function.get("name", "")),
                    {},
                    raw_arguments=json.dumps(arguments),
                    parse_error="arguments must be a JSON object",
                )
            )
    return calls


def _usage(final: dict[str, Any]) -> TokenUsage:
    return TokenUsage(
        input_tokens=int(final.get("prompt_eval_count") or 0),
        output_tokens=int(final.get("eval_count") or 0),
    )


class OllamaProvider:
    def __init__(self, config: ProviderConfig, *, provider_id: str = "ollama") -> None:
        self._config = config
        self._id = provider_id
        self._client: httpx.AsyncClient | None = None

    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return "Ollama"

    @property
    def type(self) -> ProviderType:
        return "local"

    @property
    def config(self) -> dict[str, Any]:
        return self._config.public()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            base = self._config.effective_base_url
            if "://" not in base:  # OLLAMA_HOST is often written as host:port
                base = f"http://{base}"
            self._client = httpx.AsyncClient(
                base_url=base,
                timeout=self._config.timeout_seconds,
                headers=dict(self._config.headers),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _translate(self, exc: Exception) -> errors.ProviderError:
        """The one place where HTTP failures become our errors."""
        base = self._config.effective_base_url
        if isinstance(exc, errors.ProviderError):
            return exc
        if isinstance(exc, httpx.TimeoutException):
            return timeout_error(self._id, base)
        if isinstance(exc, httpx.TransportError):
            return connection_error(self._id, base, str(exc) or type(exc).__name__)
        raise exc

    async def _check(self, response: httpx.Response, model: str) -> None:
        if response.status_code < 400:
            return
        await response.aread()
        try:
            message = str(response.json().get("error", response.text))
        except ValueError:
            message = response.text
        raise error_for_status(
            self._id, response.status_code, message, model=model, base_url=str(response.url)
        )

    async def list_models(self) -> list[str]:
        try:
            response = await self._http().get("/api/tags")
        except httpx.HTTPError as exc:
            raise self._translate(exc) from exc
        await self._check(response, "")
        return [str(m.get("name") or m.get("model")) for m in response.json().get("models", [])]

    async def supports_tools(self, model: str) -> bool | None:
        """What `/api/show` says: `capabilities` lists "tools" for models that can call
        tools; None from servers too old to report capabilities."""
        try:
            response = await self._http().post("/api/show", json={"model": model})
        except httpx.HTTPError as exc:
            raise self._translate(exc) from exc
        await self._check(response, model)
        capabilities = response.json().get("capabilities")
        return "tools" in capabilities if isinstance(capabilities, list) else None

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        started = time.monotonic()
        body = build_request(messages, options, self._config, stream=False)
        try:
            response = await self._http().post(
                "/api/chat", json=body, timeout=options.timeout_seconds or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.HTTPError as exc:
            raise self._translate(exc) from exc
        await self._check(response, options.model)
        data = response.json()
        if data.get("error"):
            raise error_for_status(
                self._id, 500, str(data["error"]), model=options.model, base_url=str(response.url)
            )
        message = data.get("message") or {}
        calls = tuple(_tool_calls(message))
        return ChatResponse(
            id=f"ollama-{data.get('created_at', '')}",
            provider=self._id,
            model=str(data.get("model") or options.model),
            content=str(message.get("content") or ""),
            tool_calls=calls,
            finish_reason="tool_calls"
            if calls
            else _FINISH.get(str(data.get("done_reason")), "stop"),
            usage=_usage(data),
            latency_ms=int((time.monotonic() - started) * 1000),
        )

    async def stream(
        self, messages: list[ChatMessage], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        started = time.monotonic()
        body = build_request(messages, options, self._config, stream=True)
        text: list[str] = []
        calls: list[ToolCall] = []
        final: dict[str, Any] | None = None
        try:
            async with self._http().stream(
                "POST",
                "/api/chat",
                json=body,
                timeout=options.timeout_seconds or httpx.USE_CLIENT_DEFAULT,
            ) as response:
                await self._check(response, options.model)
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    chunk = json.loads(line)
                    if chunk.get("error"):
                        raise errors.ServerError(
                            f"ollama reported an error mid-stream: {chunk['error']}",
                            provider=self._id,
                        )
                    message = chunk.get("message") or {}
                    if message.get("content"):
                        text.append(message["content"])
                        yield TextDelta(message["content"])
                    for call in _tool_calls(message, len(calls)):
                        yield ToolCallDelta(
                            len(calls), call.id, call.name, json.dumps(call.arguments)
                        )
                        calls.append(call)
                    if chunk.get("done"):
                        final = chunk
                        break
        except (httpx.HTTPError, errors.ProviderError, json.JSONDecodeError) as exc:
            error = (
                errors.ServerError(f"ollama sent a line that is not JSON: {exc}", provider=self._id)
                if isinstance(exc, json.JSONDecodeError)
                else self._translate(exc)
            )
            if text or calls or isinstance(error, errors.ProviderConnectionError):
                raise errors.StreamInterruptedError(
                    f"the Ollama stream broke off after {len(''.join(text))} characters "
                    f"({error}); retry the request",
                    provider=self._id,
                    partial_text="".join(text),
                ) from exc
            raise error from exc
        if final is None:
            raise errors.StreamInterruptedError(
                "the Ollama stream ended without a `done` line; the answer is incomplete, "
                "retry the request",
                provider=self._id,
                partial_text="".join(text),
            )
        yield StreamEnd(
            ChatResponse(
                id=f"ollama-{final.get('created_at', '')}",
                provider=self._id,
                model=str(final.get("model") or options.model),
                content="".join(text),
                tool_calls=tuple(calls),
                finish_reason="tool_calls"
                if calls
                else _FINISH.get(str(final.get("done_reason")), "stop"),
                usage=_usage(final),
                latency_ms=int((time.monotonic() - started) * 1000),
            )
        )
