"""Anthropic (Claude) through the official SDK's Messages API.

System prompts go outside `messages`; consecutive tool results are merged into one user
turn (the API requires alternating roles). Prompt caching uses all four breakpoints the API
allows: the last tool, the last system block, the last block of the conversation and the
last block of the user turn before it. An agent's next step extends the conversation, so
its prefix up to the previous request's last block is read from the cache and only the
new turn is paid in full; the breakpoint on the previous user turn finds that prefix even
when the new turn holds more blocks than the API looks back over.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2

from agents.providers import errors
from agents.providers._common import (
    connection_error,
    error_for_status,
    parse_retry_after,
    timeout_error,
    tool_call_from_json,
)
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

EPHEMERAL = {"type": "ephemeral"}
_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def build_request(messages: list[ChatMessage], options: ChatOptions) -> dict[str, Any]:
    """The Messages API body for our neutral messages."""
    system: list[dict[str, Any]] = [
        {"type": "text", "text": m.content} for m in messages if m.role == "system" and m.content
    ]
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    _mark_conversation(turns)
    body: dict[str, Any] = {
        "model": options.model,
        "max_tokens": options.max_tokens,
        "messages": turns,
    }
    if system:
        system[-1]["cache_control"] = EPHEMERAL
        body["system"] = system
    # No `temperature`: the Messages API of the SDK we target (2.x) has no sampling
    # parameters, and sending one would be rejected.
    if options.stop:
        body["stop_sequences"] = list(options.stop)
    if options.tools:
        tools: list[dict[str, Any]] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in options.tools
        ]
        tools[-1]["cache_control"] = EPHEMERAL
        body["tools"] = tools
        choice = _tool_choice(options)
        if choice is not None:
            body["tool_choice"] = choice
    return body


def _mark_conversation(turns: list[dict[str, Any]]) -> None:
    """Breakpoints on the last block of the last turn and of the user turn before it
    (with the system prompt's and the tools', four: the API's limit)."""
    users = [t for t in turns if t["role"] == "user"]
    marked = [turns[-1]] if turns else []
    earlier = [t for t in users if t is not turns[-1]]
    if earlier:
        marked.append(earlier[-1])
    for turn in marked:
        turn["content"][-1] = {**turn["content"][-1], "cache_control": EPHEMERAL}


def _blocks(message: ChatMessage) -> list[dict[str, Any]]:
    if message.role == "tool":
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id}
        if message.content:
            block["content"] = message.content
        if message.is_error:
            block["is_error"] = True
        return [block]
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls:
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
    return blocks


def _tool_choice(options: ChatOptions) -> dict[str, Any] | None:
    choice = options.tool_choice
    if choice is None or choice == "auto":
        result: dict[str, Any] = {"type": "auto"}
    elif choice == "none":
        return {"type": "none"}
    elif choice == "required":
        result = {"type": "any"}
    else:
        result = {"type": "tool", "name": choice}
    if not options.parallel_tool_calls:
        result["disable_parallel_tool_use"] = True
    elif choice is None:
        return None
    return result


def _usage(usage: Any) -> TokenUsage:
    return TokenUsage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_read_tokens=getattr(usage, "cache_read_input_tokens", None) or 0,
        cache_write_tokens=getattr(usage, "cache_creation_input_tokens", None) or 0,
    )


def _timeout(options: ChatOptions) -> float | anthropic.NotGiven:
    """The per-call timeout, or the client's own (never `None`, which means no timeout)."""
    return options.timeout_seconds if options.timeout_seconds else anthropic.NOT_GIVEN


class AnthropicProvider:
    type: ProviderType = "cloud"

    def __init__(self, config: ProviderConfig, *, provider_id: str = "anthropic") -> None:
        self._config = config
        self._id = provider_id
        self._client: anthropic.AsyncAnthropic | None = None

    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return "Anthropic"

    @property
    def config(self) -> dict[str, Any]:
        return self._config.public()

    def _sdk(self) -> anthropic.AsyncAnthropic:
        if not self._config.api_key:
            raise errors.ConfigurationError(
                "no Anthropic API key; set ANTHROPIC_API_KEY", provider=self._id
            )
        if self._client is None:
            # max_retries=0: our resilience layer owns retries, backoff and fallback.
            self._client = anthropic.AsyncAnthropic(
                api_key=self._config.api_key,
                base_url=self._config.effective_base_url,
                timeout=self._config.timeout_seconds,
                max_retries=0,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()

    def _translate(self, exc: Exception, model: str) -> errors.ProviderError:
        """The one place where SDK errors become ours."""
        base = self._config.effective_base_url
        if isinstance(exc, errors.ProviderError):
            return exc
        if isinstance(exc, anthropic.APITimeoutError):
            return timeout_error(self._id, base)
        if isinstance(exc, anthropic.APIConnectionError):
            return connection_error(self._id, base, str(exc.__cause__ or exc))
        if isinstance(exc, anthropic.APIStatusError):
            message = exc.api_message or str(exc)
            status = exc.status_code
            kind = exc.type
            if status == 200 and kind:  # an `error` event inside a stream
                status = {"overloaded_error": 529, "rate_limit_error": 429}.get(kind, 500)
            return error_for_status(
                self._id,
                status,
                message,
                model=model,
                base_url=base,
                retry_after=parse_retry_after(exc.response.headers),
                kind=kind,
            )
        if isinstance(exc, anthropic.APIError):
            return errors.ServerError(f"anthropic: {exc}", provider=self._id)
        if isinstance(exc, httpx2.TransportError):
            # The SDK does not wrap errors raised while a stream's body is being read.
            return connection_error(self._id, base, str(exc) or type(exc).__name__)
        raise exc

    async def list_models(self) -> list[str]:
        try:
            return [model.id async for model in self._sdk().models.list()]
        except Exception as exc:
            raise self._translate(exc, "") from exc

    async def supports_tools(self, model: str) -> bool | None:
        """Every Claude model on the Messages API calls tools."""
        return True

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        started = time.monotonic()
        try:
            message = await self._sdk().messages.create(
                **build_request(messages, options), timeout=_timeout(options)
            )
        except Exception as exc:
            raise self._translate(exc, options.model) from exc
        text = "".join(b.text for b in message.content if b.type == "text")
        calls = tuple(
            ToolCall(b.id, b.name, dict(b.input) if isinstance(b.input, dict) else {})
            for b in message.content
            if b.type == "tool_use"
        )
        return ChatResponse(
            id=message.id,
            provider=self._id,
            model=message.model,
            content=text,
            tool_calls=calls,
            finish_reason=_FINISH.get(message.stop_reason or "", "stop"),
            usage=_usage(message.usage),
            latency_ms=int((time.monotonic() - started) * 1000),
        )

    async def stream(
        self, messages: list[ChatMessage], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        started = time.monotonic()
        text: list[str] = []
        try:
            events = await self._sdk().messages.create(
                **build_request(messages, options),
                stream=True,
                timeout=_timeout(options),
            )
        except Exception as exc:
            raise self._translate(exc, options.model) from exc
        state = _StreamState()
        try:
            async for event in events:
                for out in state.feed(event):
                    if isinstance(out, TextDelta):
                        text.append(out.text)
                    yield out
        except Exception as exc:
            error = self._translate(exc, options.model)
            if text or state.tools or isinstance(error, errors.ProviderConnectionError):
                raise errors.StreamInterruptedError(
                    f"the Anthropic stream broke off after {len(''.join(text))} characters "
                    f"({error}); retry the request",
                    provider=self._id,
                    partial_text="".join(text),
                ) from exc
            raise error from exc
        if not state.stopped:
            raise errors.StreamInterruptedError(
                "the Anthropic stream ended without `message_stop`; the answer is incomplete, "
                "retry the request",
                provider=self._id,
                partial_text="".join(text),
            )
        yield StreamEnd(
            ChatResponse(
                id=state.message_id,
                provider=self._id,
                model=state.model or options.model,
                content="".join(text),
                tool_calls=state.tool_calls(),
                finish_reason=_FINISH.get(state.stop_reason, "stop"),
                usage=state.usage,
                latency_ms=int((time.monotonic() - started) * 1000),
            )
        )


class _StreamState:
    """Assembles the SSE events (`message_start`, `content_block_*`, `message_delta`,
    `message_stop`) into a response."""

    def __init__(self) -> None:
        self.message_id = ""
        self.model = ""
        self.stop_reason = ""
        self.stopped = False
        self.usage = TokenUsage()
        # content index -> [tool id, name, partial json]
        self.tools: dict[int, list[str]] = {}

    def feed(self, event: Any) -> list[StreamEvent]:
        kind = event.type
        if kind == "message_start":
            self.message_id = event.message.id
            self.model = event.message.model
            self.usage = _usage(event.message.usage)
        elif kind == "content_block_start" and event.content_block.type == "tool_use":
            block = event.content_block
            self.tools[event.index] = [block.id, block.name, ""]
            position = len(self.tools) - 1
            return [ToolCallDelta(position, block.id, block.name, "")]
        elif kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta" and delta.text:
                return [TextDelta(delta.text)]
            if delta.type == "input_json_delta" and event.index in self.tools:
                self.tools[event.index][2] += delta.partial_json
                position = list(self.tools).index(event.index)
                return [ToolCallDelta(position, None, None, delta.partial_json)]
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            # message_delta's usage is cumulative; output tokens are final here.
            self.usage = TokenUsage(
                input_tokens=getattr(event.usage, "input_tokens", None) or self.usage.input_tokens,
                output_tokens=event.usage.output_tokens or 0,
                cache_read_tokens=self.usage.cache_read_tokens,
                cache_write_tokens=self.usage.cache_write_tokens,
            )
        elif kind == "message_stop":
            self.stopped = True
        return []

    def tool_calls(self) -> tuple[ToolCall, ...]:
        return tuple(tool_call_from_json(i, n, raw) for i, n, raw in self.tools.values())
