"""Prometheus metrics, kept in a registry owned by the service (no module-level globals)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)


class Metrics:
    """Every metric the service exports. One instance per process, passed to whoever records."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.webhooks = Counter(
            "codemonkey_webhook_deliveries",
            "Webhook deliveries received, by event and outcome.",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "codemonkey_queue_depth",
            "Task ids waiting on the queue.",
            registry=self.registry,
        )
        self.task_duration = Histogram(
            "codemonkey_task_duration_seconds",
            "Time spent running a task, by kind and outcome.",
            ["kind", "outcome"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900),
            registry=self.registry,
        )
        self.llm_latency = Histogram(
            "codemonkey_llm_request_seconds",
            "Model call latency by provider and model.",
            ["provider", "model"],
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=self.registry,
        )
        self.llm_tokens = Counter(
            "codemonkey_llm_tokens",
            "Tokens used, by provider, model and direction (input/output/cache_read/cache_write).",
            ["provider", "model", "direction"],
            registry=self.registry,
        )
        self.llm_cost = Counter(
            "codemonkey_llm_cost_usd",
            "Model cost in US dollars, by provider and model.",
            ["provider", "model"],
            registry=self.registry,
        )
        self.errors = Counter(
            "codemonkey_errors",
            "Errors by component and kind.",
            ["component", "kind"],
            registry=self.registry,
        )
        self.http_requests = Counter(
            "codemonkey_http_requests",
            "HTTP requests served, by route and status class.",
            ["route", "status"],
            registry=self.registry,
        )

    def track_queue_depth(self, read_depth: Callable[[], int]) -> None:
        """Read the queue depth at scrape time instead of keeping a counter in sync."""
        self.queue_depth.set_function(lambda: float(read_depth()))

    def render(self) -> bytes:
        return generate_latest(self.registry)
