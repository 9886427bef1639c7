"""Hooks that feed the Prometheus metrics and the log context from the running service."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agents.providers.usage_sinks import UsageRecord, UsageSink
from bot.logs import log_context
from bot.metric_labels import route_label
from bot.metrics import Metrics
from bot.queue.handlers import Handler, HandlerRegistry, TaskContext


class MeteredUsageSink:
    """Records each model call in SQL (the inner sink) and in the metrics."""

    def __init__(self, inner: UsageSink, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def record(self, usage: UsageRecord) -> None:
        self._observe(usage)
        self._inner.record(usage)

    def record_many(self, records: Sequence[UsageRecord]) -> None:
        """A batch, in one transaction. Written first: a failed batch is retried row by row
        through `record`, which observes each row itself."""
        self._inner.record_many(records)
        for usage in records:
            self._observe(usage)

    def _observe(self, usage: UsageRecord) -> None:
        provider, model = usage.provider, usage.model
        self._metrics.llm_latency.labels(provider, model).observe(usage.latency_ms / 1000)
        for direction, count in (
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
            ("cache_read", usage.cache_read_tokens),
            ("cache_write", usage.cache_write_tokens),
        ):
            if count:
                self._metrics.llm_tokens.labels(provider, model, direction).inc(count)
        if usage.cost_usd:
            self._metrics.llm_cost.labels(provider, model).inc(usage.cost_usd)
        if not usage.ok:
            self._metrics.errors.labels("llm", provider).inc()


def timed_handlers(registry: HandlerRegistry, metrics: Metrics) -> None:
    """Wrap every registered handler so its duration and outcome land in the metrics."""
    for kind in registry.kinds():
        handler = registry.get(kind)
        assert handler is not None
        registry.register(kind, _timed(kind, handler, metrics), replace=True)


def _timed(kind: str, handler: Handler, metrics: Metrics) -> Handler:
    def run(ctx: TaskContext) -> dict[str, Any] | None:
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = handler(ctx)
            outcome = "succeeded"
            return result
        finally:
            metrics.task_duration.labels(kind, outcome).observe(time.perf_counter() - started)
            if outcome == "failed":
                metrics.errors.labels("task", kind).inc()

    return run


class RequestContextMiddleware:
    """Gives every request an id (X-Request-Id, echoed back) carried on each log line, and
    counts requests by route template (never the raw path) and status class."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 else uuid.uuid4().hex
        status = 500
        root_path = scope.get("root_path", "")

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = route_label(scope, root_path)
                self.metrics.http_requests.labels(route, f"{status // 100}xx").inc()
