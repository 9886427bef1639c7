"""The service's dependencies, built once from the settings in `main()` and passed down.

Embedded defaults (no servers): SQLite in the data dir, in-process cache/locks/rates, an
in-process worker pool, embedded Chroma. Setting `CODEMONKEY_REDIS_URL` moves the queue to
RQ (run `codemonkey worker`) and cache/locks/rates to Redis; `CODEMONKEY_DATABASE_URL` and
`CODEMONKEY_CHROMA_URL` move SQL and vectors to their servers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.providers.llm import LLM
from agents.providers.registry import ProviderRegistry
from agents.providers.usage_sinks import UsageSink
from bot.backends import embedder_from, kv_from, storage_checks, vector_store_from
from bot.github.app_manifest import with_stored_app
from bot.llm_config import llm_config, secret_store
from bot.metrics import Metrics
from bot.observability import MeteredUsageSink, timed_handlers
from bot.open_database import open_database
from bot.queue.handlers import HandlerRegistry
from bot.queue.inprocess import InProcessQueue
from bot.queue.wiring import build_inprocess_queue
from bot.readiness import Check
from bot.sandbox_setup import sandbox_check
from bot.settings import Settings
from bot.usage_writer import BackgroundUsageSink
from bot.workspace_sweep import sweep_workspaces, workspaces_root
from storage.checks import CheckResult
from storage.extras import require
from storage.kv import KvBackends
from storage.sql.database import Database
from storage.usage import SqlUsageSink
from storage.vectors import ChromaVectorStore, Embedder, NoVectorStore

if TYPE_CHECKING:
    # Redis and RQ come with the `server` extra; the Action and embedded mode run without.
    from redis import Redis

    from bot.queue.rq_backend import RQTaskQueue

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    database: Database
    kv: KvBackends
    embedder: Embedder
    vectors: ChromaVectorStore | NoVectorStore
    llm: LLM
    metrics: Metrics
    queue: InProcessQueue | RQTaskQueue
    handlers: HandlerRegistry
    redis: Redis | None = None
    # Where model usage goes (the background writer); the gateway's raw path records here.
    usage: UsageSink | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def embedded_queue(self) -> InProcessQueue | None:
        return self.queue if isinstance(self.queue, InProcessQueue) else None

    def start(self) -> None:
        """Start the in-process workers (embedded mode); RQ workers run on their own.

        First, what finished tasks left in the checkouts is removed (the process that ran
        them may have died before it could)."""
        if self.embedded_queue is not None:
            root = workspaces_root(self.settings.data_dir)
            sweep_workspaces(root, self.database)
            self.embedded_queue.start()

    def close(self) -> None:
        if self.embedded_queue is not None:
            self.embedded_queue.stop(drain=False)
        for closer in reversed(self._closers):
            closer()

    def checks(self) -> list[Check]:
        checks = storage_checks(self.database, self.kv, self.vectors, None, self.settings)
        if self.redis is not None:
            checks.append(Check("queue", _redis_queue_check(self.redis, self.queue)))
        if self.embedded_queue is not None:
            # Only a process that runs tasks runs agent commands. With RQ the workers do, and
            # the app (which in Kubernetes gets the default seccomp profile) must not be
            # reported unready for a sandbox it never uses; `doctor` checks it on a worker.
            checks.append(sandbox_check(self.settings))
        return checks

    def search(self, project: str, kind: str, query: str, n: int) -> Sequence[dict[str, Any]]:
        """Semantic search over a project's indexed material (the API's context search)."""
        return [
            {"id": hit.id, "text": hit.text, "metadata": hit.metadata, "score": hit.score}
            for hit in self.vectors.query(project, kind, query, n=n)
        ]


def _redis_queue_check(
    redis: Redis, queue: InProcessQueue | RQTaskQueue
) -> Callable[[], CheckResult]:
    def run() -> CheckResult:
        try:
            redis.ping()
        except Exception as exc:
            return CheckResult(
                "queue",
                False,
                f"Redis does not answer ({type(exc).__name__}); check CODEMONKEY_REDIS_URL",
            )
        return CheckResult("queue", True, f"rq, {queue.depth()} waiting")

    return run


# Registers the task handlers (the flows) into the registry; called once the services exist,
# because handlers use them (models, database, queue for delegated work).
HandlerFactory = Callable[["Services", HandlerRegistry], None]


def build_services(settings: Settings, register_handlers: HandlerFactory) -> Services:
    database = open_database(settings)
    # An App created from the manifest fills the App settings the environment leaves unset.
    settings = with_stored_app(settings, secret_store(settings, database))
    kv = kv_from(settings)
    embedder = embedder_from(settings)
    vectors = vector_store_from(settings, embedder)
    config = llm_config(settings, secret_store(settings, database))
    metrics = Metrics()
    usage = BackgroundUsageSink(MeteredUsageSink(SqlUsageSink(database), metrics))
    llm = LLM(config, registry=ProviderRegistry(config), usage=usage)
    handlers = HandlerRegistry()
    redis: Redis | None = None
    queue: InProcessQueue | RQTaskQueue
    if settings.redis_url is not None:
        from bot.queue.wiring import build_rq_queue

        redis = require("redis", "CODEMONKEY_REDIS_URL (RQ on Redis)").Redis.from_url(
            settings.redis_url
        )
        queue = build_rq_queue(settings, redis)
    else:
        queue = build_inprocess_queue(settings, database, handlers)
    services = Services(
        settings=settings,
        database=database,
        kv=kv,
        embedder=embedder,
        vectors=vectors,
        llm=llm,
        metrics=metrics,
        queue=queue,
        handlers=handlers,
        redis=redis,
        usage=usage,
    )
    register_handlers(services, handlers)
    timed_handlers(handlers, metrics)
    services.metrics.track_queue_depth(queue.depth)
    services._closers.extend([database.dispose, kv.close, usage.close])
    if redis is not None:
        services._closers.append(redis.close)
    return services
