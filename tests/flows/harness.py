"""The whole service around the team, for end-to-end tests: a served fake GitHub with a
sample repository (a tiny unittest suite), the webhook route in a Starlette app, the real
queue and SQL, the flows registered by `register_flows`, and a scripted model behind the
`LLM` facade. Only the model is scripted."""

from __future__ import annotations

import dataclasses
import signal
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis import Redis
from rq import SimpleWorker
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agents.providers.llm import LLM
from agents.providers.provider_config import LLMConfig, RetryConfig
from agents.providers.registry import ProviderRegistry
from agents.providers.scripted import Responder, ScriptedModel
from agents.providers.types import ChatMessage, TokenUsage
from bot.flows.flow_table import register_flows
from bot.github.app_auth import AppCredentials, InstallationTokens
from bot.github.host import GitHubHost
from bot.github.types import MemoryTokenCache
from bot.metrics import Metrics
from bot.queue.handlers import HandlerRegistry
from bot.queue.inprocess import InProcessQueue
from bot.queue.reaper import Reaper
from bot.queue.rq_backend import RQTaskQueue, bind_runner, unbind_runner
from bot.queue.wiring import build_inprocess_queue, build_runner, build_store
from bot.routes.webhooks import webhook_deps, webhook_route
from bot.services import Services
from bot.settings import Settings, load_settings
from storage.kv import build_kv
from storage.sql.database import Database
from storage.sql.models import Task
from storage.task_graph import TaskSnapshot, group_tasks
from storage.usage import SqlUsageSink
from storage.vectors import build_vector_store
from tests.fakegithub.fake import FakeGitHub, WebhookDelivery
from tests.fakes.embedder import HashEmbedder
from tests.fakes.llm.fixtures import Fake
from tests.fakes.llm.wire_team import WireTeam
from tests.github.conftest import FAST

REPO = "acme/widgets"
# Retries that a flow over HTTP can afford (the fakes answer at once).
WIRE_RETRY = RetryConfig(max_retries=3, base_delay=0.01, max_delay=0.05, max_retry_after=1.0)
SECRET = "flows-webhook-secret"
APP_PY = 'def greet(name):\n    return f"Hello, {name}!"\n'
TEST_APP_PY = (
    "import unittest\n\nfrom app import greet\n\n\n"
    "class GreetTest(unittest.TestCase):\n"
    "    def test_greet(self):\n"
    '        self.assertEqual(greet("Ada"), "Hello, Ada!")\n'
)
SAMPLE_FILES = {
    "README.md": "# widgets\n",
    "app.py": APP_PY,
    "tests/__init__.py": "",
    "tests/test_app.py": TEST_APP_PY,
}


def turn(messages: list[ChatMessage]) -> int:
    """How many times the model already answered in this conversation."""
    return sum(1 for m in messages if m.role == "assistant")


def flow_settings(data_dir: Path, api_url: str, fake: FakeGitHub, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "webhook_secret": SECRET,
        "github_app_slug": "codemonkey",
        "github_api_url": api_url,
        "github_app_id": fake.app.id,
        "github_private_key": fake.app.private_key_pem,
        "default_model": "scripted:team",
        "task_lease_seconds": 30.0,
        "task_reaper_interval_seconds": 0.2,
        "task_retry_base_seconds": 0.05,
        "task_retry_max_seconds": 0.2,
        "worker_threads": 4,
    }
    values.update(extra)
    return load_settings(**values)


class RQDriver:
    """RQ on the real Redis: an RQ `SimpleWorker` in burst mode in this thread, and the
    reaper, until SQL holds no unfinished task (as `tests/queue` drives RQ)."""

    def __init__(
        self, settings: Settings, database: Database, registry: HandlerRegistry, redis: Redis
    ) -> None:
        self.redis = redis
        self.rq = RQTaskQueue(redis, f"flows-{uuid.uuid4().hex[:12]}")
        self.store = build_store(settings, database)
        self.runner = build_runner(settings, database, self.store, registry, self.rq)
        self.reaper = Reaper(self.store, self.rq, interval_seconds=0.2)

    def enqueue(self, task_ids: Iterable[int]) -> None:
        self.rq.enqueue(task_ids)

    def depth(self) -> int:
        return self.rq.depth()

    def run_until_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                SimpleWorker([self.rq.rq_queue], connection=self.redis).work(
                    burst=True, logging_level="WARNING"
                )
            finally:
                for sig, handler in saved.items():
                    signal.signal(sig, handler)
            if self.rq.depth() == 0 and self.store.count_unfinished() == 0:
                return True
            self.reaper.reap_once()
            time.sleep(0.05)
        return False

    def start(self) -> None:
        bind_runner(self.runner)

    def stop(self, drain: bool = False) -> None:
        unbind_runner()
        self.runner.close()
        self.rq.rq_queue.delete(delete_jobs=True)
        markers = list(self.redis.scan_iter(f"codemonkey:rq:{self.rq.name}:*"))
        if markers:
            self.redis.delete(*markers)


@dataclass
class World:
    fake: FakeGitHub
    installation_id: int
    settings: Settings
    database: Database
    model: ScriptedModel | WireTeam
    services: Services
    queue: InProcessQueue | RQDriver
    client: TestClient
    wire: Fake | None = None
    hosts_made: dict[int, GitHubHost] = field(default_factory=dict)

    def host(self, installation_id: int | None = None) -> GitHubHost:
        wanted = installation_id or self.installation_id
        if wanted not in self.hosts_made:
            credentials = AppCredentials(self.fake.app.id, self.fake.app.private_key_pem)
            tokens = InstallationTokens(
                credentials, api_url=self.fake.urls.api, cache=MemoryTokenCache()
            )
            self.hosts_made[wanted] = GitHubHost.for_installation(
                tokens, wanted, api_url=self.fake.urls.api, policy=FAST
            )
        return self.hosts_made[wanted]

    def run_until_idle(self, timeout: float = 60.0) -> None:
        assert self.queue.run_until_idle(timeout), self.describe()

    def tasks(self, group: str) -> list[TaskSnapshot]:
        with self.database.session() as session:
            return group_tasks(session, group)

    def all_tasks(self) -> list[Task]:
        with self.database.session() as session:
            return list(session.scalars(select(Task).order_by(Task.id)))

    def describe(self) -> str:
        return "\n".join(
            f"#{t.id} {t.kind} {t.role} {t.state} {(t.error or '')[-300:]}"
            for t in self.all_tasks()
        )

    def pushes(self) -> int:
        return sum(
            1
            for r in self.fake.requests
            if r.method == "POST" and r.path.endswith("git-receive-pack") and r.status == 200
        )

    def comments(self, number: int) -> list[str]:
        return [c.body for c in self.fake.comments.values() if c.number == number]

    def file_at(self, ref: str, path: str) -> str | None:
        found = self.fake.read_blob(REPO, ref, path)
        return None if found is None else found[0].decode()


def deliver_to(client: TestClient) -> Callable[[WebhookDelivery], int]:
    def post(delivery: WebhookDelivery) -> int:
        response = client.post("/webhooks/github", content=delivery.body, headers=delivery.headers)
        return response.status_code

    return post


@contextmanager
def world(
    tmp_path: Path,
    database: Database,
    fake: FakeGitHub,
    responder: Responder,
    *,
    files: dict[str, str] | None = None,
    latency_seconds: float = 0.0,
    start_queue: bool = True,
    rq_redis: Redis | None = None,
    wire: Fake | None = None,
    **settings_extra: Any,
) -> Iterator[World]:
    """The service around the team. With `wire`, the team's model is that provider's real
    client class talking HTTP to the provider's fake, which plays `responder`; otherwise
    the in-process scripted model plays it."""
    fake.create_repo(REPO, files or SAMPLE_FILES)
    installation = fake.install("acme", [REPO])
    fake.set_permission(REPO, "alice", "write")
    fake.set_permission(REPO, "mallory", "read")
    model: ScriptedModel | WireTeam
    if wire is None:
        model = ScriptedModel(
            responder,
            provider_id="scripted",
            strict=True,
            latency_seconds=latency_seconds,
            usage=TokenUsage(input_tokens=100, output_tokens=20),
            cost_usd=0.001,
        )
        config = LLMConfig(default_model="scripted:team")
        registry = ProviderRegistry(config, providers={"scripted": model})
    else:
        model = WireTeam(wire.name, responder)
        wire.script.reset()
        wire.script.responder = model
        config = dataclasses.replace(wire.llm_config(), retry=WIRE_RETRY)
        registry = ProviderRegistry(config)
        settings_extra.setdefault("default_model", wire.model_id)
    settings = flow_settings(tmp_path / "data", fake.urls.api, fake, **settings_extra)
    llm = LLM(config, registry=registry, usage=SqlUsageSink(database))
    handlers = HandlerRegistry()
    queue: InProcessQueue | RQDriver = (
        build_inprocess_queue(settings, database, handlers)
        if rq_redis is None
        else RQDriver(settings, database, handlers, rq_redis)
    )
    embedder = HashEmbedder()
    services = Services(
        settings=settings,
        database=database,
        kv=build_kv(None),
        embedder=embedder,
        vectors=build_vector_store(None, tmp_path / "chroma", embedder),
        llm=llm,
        metrics=Metrics(),
        queue=queue if isinstance(queue, InProcessQueue) else queue.rq,
        handlers=handlers,
    )
    app = Starlette(routes=[webhook_route(webhook_deps(settings, database=database, queue=queue))])
    with TestClient(app) as client:
        made = World(
            fake, installation.id, settings, database, model, services, queue, client, wire
        )
        register_flows(services, handlers, hosts=made.host)
        fake.send_webhooks_to(deliver_to(client), SECRET)
        if start_queue:
            queue.start()
        try:
            yield made
        finally:
            fake.send_webhooks_to(None, "")
            if start_queue:
                queue.stop(drain=False)
            llm.close()
            if wire is not None:
                wire.script.reset()


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
