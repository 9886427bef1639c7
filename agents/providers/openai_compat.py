"""OpenAI and OpenRouter: two providers over one wire format (chat completions).

The provider (credentials, base URL, headers) is separate from the wire format, so
OpenRouter is the same code with its attribution headers and its habit of reporting
errors inside a 200 body.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from agents.providers import errors
from agents.providers._common import (
    connection_error,
    error_for_status,
    parse_retry_after,
    timeout_error,
    tool_call_from_json,
)
from agents.providers.capabilities import tools_in_listing
from agents.providers.provider_config import KEY_VARIABLES, ProviderConfig
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
    ToolCallDelta,
)

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def build_request(
    messages: list[ChatMessage], options: ChatOptions, *, max_tokens_field: str = "max_tokens"
) -> dict[str, Any]:
    """The chat-completions body for our neutral messages."""
    wire: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            wire.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content})
        elif m.role == "assistant" and m.tool_calls:
            wire.append(
                {
                    "role": "assistant",
                    "content": m.content or None,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {
                                "name": c.name,
                                "arguments": c.raw_arguments
                                if c.parse_error and c.raw_arguments is not None
                                else json.dumps(c.arguments),
                            },
                        }
                        for c in m.tool_calls
                    ],
                }
            )
        else:
            wire.append({"role": m.role, "content": m.content})
    body: dict[str, Any] = {
        "model": options.model,
        "messages": wire,
        max_tokens_field: options.max_tokens,
    }
    if options.temperature is not None:
        body["temperature"] = options.temperature
    if options.stop:
        body["stop"] = list(options.stop)
    if options.tools:
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
        if options.tool_choice in ("auto", "none", "required"):
            body["tool_choice"] = options.tool_choice
        elif options.tool_choice:
            body["tool_choice"] = {"type": "function", "function": {"name": options.tool_choice}}
        body["parallel_tool_calls"] = options.parallel_tool_calls
    return body


def _usage(usage: Any) -> TokenUsage:
    if usage is None:
        return TokenUsage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = (getattr(details, "cached_tokens", None) or 0) if details else 0
    written = (getattr(details, "cache_write_tokens", None) or 0) if details else 0
    prompt = usage.prompt_tokens or 0
    # prompt_tokens counts cached tokens too; ours keeps each class separate.
    return TokenUsage(
        input_tokens=max(0, prompt - cached - written),
        output_tokens=usage.completion_tokens or 0,
        cache_read_tokens=cached,
        cache_write_tokens=written,
    )


def _reported_cost(usage: Any) -> float:
    """OpenRouter reports what the call actually cost (`usage.cost`, in USD)."""
    extra = getattr(usage, "model_extra", None) or {}
    cost = extra.get("cost")
    return float(cost) if isinstance(cost, int | float) else 0.0


def _error_body(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _request_options(options: ChatOptions) -> openai.RequestOptions:
    """What `chat.completions.create` would send besides the body: bearer auth, and the
    per-call timeout or the client's own (never `None`, which means no timeout)."""
    request: openai.RequestOptions = {"security": {"bearer_auth": True}}
    if options.timeout_seconds:
        request["timeout"] = options.timeout_seconds
    return request


class OpenAICompatProvider:
    """`provider_id` is "openai" or "openrouter" (or any OpenAI-compatible service)."""

    def __init__(self, config: ProviderConfig, *, provider_id: str | None = None) -> None:
        self._config = config
        self._id = provider_id or config.name
        self._client: openai.AsyncOpenAI | None = None

    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return "OpenRouter" if self._id == "openrouter" else "OpenAI"

    @property
    def type(self) -> ProviderType:
        return "cloud"

    @property
    def config(self) -> dict[str, Any]:
        return self._config.public()

    def _sdk(self) -> openai.AsyncOpenAI:
        if not self._config.api_key:
            variable = KEY_VARIABLES.get(self._id, "the API key")
            raise errors.ConfigurationError(
                f"no {self.name} API key; set {variable}", provider=self._id
            )
        if self._client is None:
            # max_retries=0: our resilience layer owns retries, backoff and fallback.
            self._client = openai.AsyncOpenAI(
                api_key=self._config.api_key,
                base_url=self._config.effective_base_url,
                timeout=self._config.timeout_seconds,
                max_retries=0,
                default_headers=dict(self._config.headers) or None,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()

    def _body(self, messages: list[ChatMessage], options: ChatOptions) -> dict[str, Any]:
        # OpenAI deprecated `max_tokens` for `max_completion_tokens`; OpenRouter documents
        # `max_tokens`.
        field = "max_completion_tokens" if self._id == "openai" else "max_tokens"
        return build_request(messages, options, max_tokens_field=field)

    # Both calls below post the body through the SDK's generic `post` rather than
    # `chat.completions.create`: `create` first walks every message against the SDK's typed
    # request schema (`async_maybe_transform`), about 0.3 ms per message, so a 200-message
    # agent history cost ~35 ms per call before anything was sent. `build_request` already
    # produces the wire format, which that walk leaves unchanged (it only renames aliased
    # keys and encodes dates and files, none of which a chat body has). Auth headers, the
    # error mapping, response parsing and SSE decoding stay the SDK's.
    async def _complete(self, body: dict[str, Any], options: ChatOptions) -> ChatCompletion:
        return await self._sdk().post(
            "/chat/completions",
            body=body,
            options=_request_options(options),
            cast_to=ChatCompletion,
        )

    async def _chunks(
        self, body: dict[str, Any], options: ChatOptions
    ) -> openai.AsyncStream[ChatCompletionChunk]:
        return await self._sdk().post(
            "/chat/completions",
            body={**body, "stream": True, "stream_options": {"include_usage": True}},
            options=_request_options(options),
            cast_to=ChatCompletion,
            stream=True,
            stream_cls=openai.AsyncStream[ChatCompletionChunk],
        )

    def _translate(self, exc: Exception, model: str) -> errors.ProviderError:
        """The one place where SDK errors (and in-body errors) become ours."""
        base = self._config.effective_base_url
        if isinstance(exc, errors.ProviderError):
            return exc
        if isinstance(exc, openai.APITimeoutError):
            return timeout_error(self._id, base)
        if isinstance(exc, openai.APIConnectionError):
            return connection_error(self._id, base, str(exc.__cause__ or exc))
        if isinstance(exc, openai.APIStatusError):
            body = _error_body(exc.body) or {}
            return error_for_status(
                self._id,
                exc.status_code,
                str(body.get("message") or exc.message),
                model=model,
                base_url=base,
                retry_after=parse_retry_after(exc.response.headers),
            )
        if isinstance(exc, openai.APIError):
            return self._body_error(_error_body(exc.body) or {"message": exc.message}, model)
        raise exc

    def _body_error(self, error: dict[str, Any], model: str) -> errors.ProviderError:
        """An error reported inside a 200 body or an SSE chunk (OpenRouter does this)."""
        code = error.get("code")
        status = code if isinstance(code, int) else 502
        return error_for_status(
            self._id,
            status,
            str(error.get("message") or "error in response body"),
            model=model,
            base_url=self._config.effective_base_url,
        )

    async def list_models(self) -> list[str]:
        try:
            return [model.id async for model in self._sdk().models.list()]
        except Exception as exc:
            raise self._translate(exc, "") from exc

    async def supports_tools(self, model: str) -> bool | None:
        """From the model's `/models` entry: OpenRouter's `supported_parameters` or a local
        server's `capabilities`; OpenAI's own models all call tools; otherwise unknown."""
        try:
            async for entry in self._sdk().models.list():
                if entry.id == model:
                    return tools_in_listing(entry.model_extra or {}, self._config)
        except Exception as exc:
            raise self._translate(exc, "") from exc
        return None

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        started = time.monotonic()
        try:
            completion = await self._complete(self._body(messages, options), options)
        except Exception as exc:
            raise self._translate(exc, options.model) from exc
        extra = completion.model_extra or {}
        if extra.get("error") or not completion.choices:
            raise self._body_error(
                _error_body(extra.get("error")) or {"message": "response has no choices"},
                options.model,
            )
        choice = completion.choices[0]
        calls = tuple(
            tool_call_from_json(c.id, c.function.name, c.function.arguments or "")
            for c in choice.message.tool_calls or ()
            if c.type == "function"
        )
        return ChatResponse(
            id=completion.id,
            provider=self._id,
            model=completion.model,
            content=choice.message.content or "",
            tool_calls=calls,
            finish_reason=_FINISH.get(choice.finish_reason or "", "stop"),
            usage=_usage(completion.usage),
            cost_usd=_reported_cost(completion.usage),
            latency_ms=int((time.monotonic() - started) * 1000),
        )

    async def stream(
        self, messages: list[ChatMessage], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        started = time.monotonic()
        try:
            chunks = await self._chunks(self._body(messages, options), options)
        except Exception as exc:
            raise self._translate(exc, options.model) from exc
        text: list[str] = []
        tools: dict[int, list[str]] = {}
        finish = ""
        usage = TokenUsage()
        cost = 0.0
        response_id = model = ""
        try:
            async for chunk in chunks:
                response_id = chunk.id or response_id
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = _usage(chunk.usage)
                    cost = _reported_cost(chunk.usage)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        yield TextDelta(delta.content)
                    for call in delta.tool_calls or ():
                        slot = tools.setdefault(call.index, ["", "", ""])
                        name = call.function.name if call.function else None
                        arguments = (call.function.arguments if call.function else None) or ""
                        slot[0] = call.id or slot[0]
                        slot[1] = name or slot[1]
                        slot[2] += arguments
                        yield ToolCallDelta(call.index, call.id, name, arguments)
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except Exception as exc:
            error = self._translate(exc, options.model)
            if text or tools or isinstance(error, errors.ProviderConnectionError):
                raise errors.StreamInterruptedError(
                    f"the {self.name} stream broke off after {len(''.join(text))} characters "
                    f"({error}); retry the request",
                    provider=self._id,
                    partial_text="".join(text),
                ) from exc
            raise error from exc
        if not finish or finish == "error":
            raise errors.StreamInterruptedError(
                f"the {self.name} stream ended without a finish reason; the answer is "
                "incomplete, retry the request",
                provider=self._id,
                partial_text="".join(text),
            )
        yield StreamEnd(
            ChatResponse(
                id=response_id,
                provider=self._id,
                model=model or options.model,
                content="".join(text),
                tool_calls=tuple(tool_call_from_json(i, n, raw) for i, n, raw in tools.values()),
                finish_reason=_FINISH.get(finish, "stop"),
                usage=usage,
                cost_usd=cost,
                latency_ms=int((time.monotonic() - started) * 1000),
            )
        )
