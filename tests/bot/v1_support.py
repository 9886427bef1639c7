"""A served CodeMonkey app for `/v1` tests, talked to with the official `openai` SDK."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import openai

from agents.providers.scripted import ScriptedModel, ScriptedReply
from bot.api.keys import create_key
from bot.api.types import Role
from bot.app import create_app
from bot.queue.registry_factory import register_handlers
from bot.services import Services, build_services
from bot.settings import Settings, load_settings
from storage.sql.models import Project
from tests.fakes.llm.server import serve

PROJECT = "acme/rockets"
T = TypeVar("T")


@dataclass
class V1App:
    url: str
    services: Services
    key: str
    project_key: str
    model: ScriptedModel

    def client(self, key: str | None = None, **kwargs: Any) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"{self.url}/v1", api_key=key or self.key, max_retries=0, **kwargs
        )

    def async_client(self, key: str | None = None) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=f"{self.url}/v1", api_key=key or self.key, max_retries=0)


def v1_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "default_model": "scripted:test-model",
        "api_rate_limit_per_minute": 1000,
        "anthropic_api_key": None,
        "openai_api_key": None,
        "openrouter_api_key": None,
    }
    values.update(overrides)
    return load_settings(**values)


@contextmanager
def served_v1(settings: Settings, replies: list[ScriptedReply]) -> Iterator[V1App]:
    """The real app over real services; only the model is scripted (a ScriptedModel)."""
    services = build_services(settings, register_handlers)
    model = ScriptedModel(replies)
    services.llm.registry.register("scripted", model)
    with services.database.session() as session:
        project = Project(name=PROJECT)
        session.add(project)
        session.flush()
        admin = create_key(session, name="admin", role=Role.ADMIN, project_id=None)
        member = create_key(session, name="member", role=Role.MEMBER, project_id=project.id)
    try:
        with serve(create_app(services)) as url:
            yield V1App(url, services, admin.secret, member.secret, model)
    finally:
        services.close()


def eventually(probe: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Poll until `probe` returns something (usage rows are written in the background)."""
    deadline = time.monotonic() + timeout
    while (value := probe()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing after {timeout} s")
        time.sleep(0.02)
    return value
