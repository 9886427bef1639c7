"""The `LLM` facade: what agents call. It applies the fallback chain, retries, the
per-provider concurrency limit, tool-call repair, cost accounting and usage recording.

Every call runs on the facade's own `ModelLoop`, whichever event loop or thread calls it:
provider clients are bound to the loop that made them, and that loop lives as long as the
facade (see `model_loop.py`)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator

from agents.providers import errors
from agents.providers.model_loop import ModelLoop
from agents.providers.pricing import cost_usd, find_price
from agents.providers.provider_config import LLMConfig
from agents.providers.registry import ModelId, ProviderRegistry
from agents.providers.repair import (
    has_invalid_arguments,
    recover_text_tool_calls,
    repair_messages,
)
from agents.providers.resilience import (
    ConcurrencyLimits,
    RetryPolicy,
    Sleep,
    call_with_retries,
    stream_with_retries,
)
from agents.providers.types import (
    ChatMessage,
    ChatOptions,
    ChatResponse,
    StreamEnd,
    StreamEvent,
    TokenUsage,
)
from agents.providers.usage_sinks import UsageSink, usage_record

logger = logging.getLogger(__name__)


class LLM:
    def __init__(
        self,
        config: LLMConfig,
        *,
        registry: ProviderRegistry | None = None,
        usage: UsageSink | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config
        self.registry = registry or ProviderRegistry(config)
        self._usage = usage
        self._policy = RetryPolicy(config.retry)
        self._limits = ConcurrencyLimits(config.provider_concurrency)
        self._sleep = sleep
        self._loop = ModelLoop(on_fork=self._forget_clients)

    def _forget_clients(self) -> None:
        """In a forked child: the parent's clients and semaphores belong to a loop that
        does not run here; build new ones on first use."""
        self.registry.forget_clients()
        self._limits = ConcurrencyLimits(self.config.provider_concurrency)

    async def aclose(self) -> None:
        """Close the provider clients on the loop that owns them, then stop that loop."""
        await self._loop.run(self.registry.aclose())
        self._loop.stop()

    def close(self) -> None:
        """`aclose` for synchronous callers (process shutdown)."""
        self._loop.run_sync(self.registry.aclose())
        self._loop.stop()

    async def chat(
        self,
        role_or_model: str,
        messages: list[ChatMessage],
        options: ChatOptions | None = None,
    ) -> ChatResponse:
        return await self._loop.run(self._chat(role_or_model, messages, options))

    def stream(
        self,
        role_or_model: str,
        messages: list[ChatMessage],
        options: ChatOptions | None = None,
    ) -> AsyncIterator[StreamEvent]:
        return self._loop.iterate(self._stream(role_or_model, messages, options))

    async def _chat(
        self,
        role_or_model: str,
        messages: list[ChatMessage],
        options: ChatOptions | None,
    ) -> ChatResponse:
        base = options or ChatOptions(model="")
        failures: list[tuple[str, errors.ProviderError]] = []
        chain = self.registry.chain(role_or_model)
        for position, model_id in enumerate(chain):
            try:
                response = await self._chat_one(model_id, messages, base)
            except errors.ProviderError as error:
                failures.append((str(model_id), error))
                if not error.fallback:
                    raise
                if position + 1 < len(chain):
                    logger.warning(
                        "model failed, trying the next in the chain",
                        extra={"model": str(model_id), "next": str(chain[position + 1])},
                    )
                continue
            if has_invalid_arguments(response):
                response = await self._repair(model_id, messages, base, response)
            return response
        raise _chain_error(failures)

    async def _chat_one(
        self, model_id: ModelId, messages: list[ChatMessage], base: ChatOptions
    ) -> ChatResponse:
        provider = self.registry.get(model_id.provider)
        options = dataclasses.replace(base, model=model_id.model)
        started = time.monotonic()

        async def attempt() -> ChatResponse:
            async with self._limits.for_provider(model_id.provider):
                return await provider.chat(messages, options)

        try:
            response = await call_with_retries(attempt, self._policy, sleep=self._sleep)
        except errors.ProviderError:
            await self._record(model_id, options, TokenUsage(), 0.0, started, ok=False)
            raise
        return await self._finish(model_id, options, response, started)

    async def _finish(
        self, model_id: ModelId, options: ChatOptions, response: ChatResponse, started: float
    ) -> ChatResponse:
        price = find_price(model_id.provider, model_id.model, self.config.prices)
        # A cost the provider reported (OpenRouter does) is the real charge; else our table.
        cost = response.cost_usd or cost_usd(response.usage, price)
        known = bool(response.cost_usd) or price is not None
        latency = int((time.monotonic() - started) * 1000)
        response = recover_text_tool_calls(response, options)
        response = dataclasses.replace(
            response, cost_usd=cost, latency_ms=latency, cost_known=known
        )
        await self._record(
            model_id, options, response.usage, cost, started, ok=True, cost_known=known
        )
        return response

    async def _repair(
        self,
        model_id: ModelId,
        messages: list[ChatMessage],
        base: ChatOptions,
        response: ChatResponse,
    ) -> ChatResponse:
        """One round: show the model its invalid arguments and ask again."""
        followup = repair_messages(messages, response)
        try:
            repaired = await self._chat_one(model_id, followup, base)
        except errors.ProviderError as error:
            logger.warning("tool-call repair round failed", extra={"error": str(error)})
            return response
        return dataclasses.replace(
            repaired,
            usage=repaired.usage + response.usage,
            cost_usd=repaired.cost_usd + response.cost_usd,
            cost_known=repaired.cost_known and response.cost_known,
        )

    async def _stream(
        self,
        role_or_model: str,
        messages: list[ChatMessage],
        options: ChatOptions | None,
    ) -> AsyncIterator[StreamEvent]:
        base = options or ChatOptions(model="")
        failures: list[tuple[str, errors.ProviderError]] = []
        for model_id in self.registry.chain(role_or_model):
            yielded = False
            try:
                async for event in self._stream_one(model_id, messages, base):
                    if isinstance(event, StreamEnd) and has_invalid_arguments(event.response):
                        event = StreamEnd(
                            await self._repair(model_id, messages, base, event.response)
                        )
                    yielded = yielded or not isinstance(event, StreamEnd)
                    yield event
                return
            except errors.ProviderError as error:
                failures.append((str(model_id), error))
                # Another model cannot continue an answer that was partly shown.
                if yielded or not error.fallback:
                    raise
        raise _chain_error(failures)

    async def _stream_one(
        self, model_id: ModelId, messages: list[ChatMessage], base: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        provider = self.registry.get(model_id.provider)
        options = dataclasses.replace(base, model=model_id.model)
        started = time.monotonic()

        async def limited() -> AsyncIterator[StreamEvent]:
            async with self._limits.for_provider(model_id.provider):
                async for event in provider.stream(messages, options):
                    yield event

        try:
            async for event in stream_with_retries(limited, self._policy, sleep=self._sleep):
                if isinstance(event, StreamEnd):
                    event = StreamEnd(
                        await self._finish(model_id, options, event.response, started)
                    )
                yield event
        except errors.ProviderError:
            await self._record(model_id, options, TokenUsage(), 0.0, started, ok=False)
            raise

    async def _record(
        self,
        model_id: ModelId,
        options: ChatOptions,
        usage: TokenUsage,
        cost: float,
        started: float,
        *,
        ok: bool,
        cost_known: bool = True,
    ) -> None:
        if self._usage is None:
            return
        try:
            record = usage_record(
                model_id.provider,
                model_id.model,
                usage,
                cost=cost,
                cost_known=cost_known,
                started=started,
                ok=ok,
                task_id=options.task_id,
                project_id=options.project_id,
                role=options.role,
            )
            await asyncio.to_thread(self._usage.record, record)
        except Exception:
            # Losing one usage row must not fail the model call that already succeeded.
            logger.exception("could not record usage", extra={"model": str(model_id)})


def _chain_error(failures: list[tuple[str, errors.ProviderError]]) -> errors.ProviderError:
    if len(failures) == 1:
        return failures[0][1]
    return errors.AllModelsFailedError(failures)
