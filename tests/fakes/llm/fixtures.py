"""Live fake LLM servers (one per provider, per session) and a clean script per test.

Registered as a pytest plugin in tests/conftest.py, so any test can use `live_fakes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType

import pytest

from agents.providers.llm import LLM
from agents.providers.provider_config import LLMConfig, ProviderConfig, RetryConfig
from agents.providers.registry import DEFAULT_FACTORIES, ProviderRegistry
from agents.providers.types import Provider
from agents.providers.usage_sinks import MemoryUsageSink
from tests.fakes.llm import anthropic, ollama, openai
from tests.fakes.llm.script import Script
from tests.fakes.llm.server import serve

PROVIDERS = ("anthropic", "openai", "openrouter", "ollama")
MODELS = {
    "anthropic": "claude-sonnet-4-6",
    "openai": "gpt-4.1",
    "openrouter": "meta-llama/llama-3.3-70b-instruct",
    "ollama": "qwen2.5-coder:7b",
}
# Fast retries so error-path tests take milliseconds.
FAST_RETRY = RetryConfig(max_retries=2, base_delay=0.01, max_delay=0.02, max_retry_after=1.0)


@dataclass
class Fake:
    """A running fake provider: its script, and how to point our code at it."""

    name: str
    script: Script
    base_url: str

    @property
    def model(self) -> str:
        return MODELS[self.name]

    @property
    def model_id(self) -> str:
        return f"{self.name}:{self.model}"

    def config(self, **overrides: object) -> ProviderConfig:
        values: dict[str, object] = {
            "name": self.name,
            "api_key": None if self.name == "ollama" else self.script.api_key,
            "base_url": self.base_url,
            "timeout_seconds": 10.0,
        }
        if self.name == "openrouter":
            values["headers"] = (
                ("HTTP-Referer", "https://codemonkey.dev"),
                ("X-Title", "CodeMonkey"),
            )
        values.update(overrides)
        return ProviderConfig(**values)  # type: ignore[arg-type]

    def provider(self, **overrides: object) -> Provider:
        return DEFAULT_FACTORIES[self.name](self.config(**overrides))

    def llm_config(self, *extra: Fake, fallbacks: tuple[str, ...] = ()) -> LLMConfig:
        return LLMConfig(
            providers=tuple(f.config() for f in (self, *extra)),
            default_model=self.model_id,
            fallback_models=MappingProxyType({self.model_id: fallbacks} if fallbacks else {}),
            retry=FAST_RETRY,
        )

    def llm(
        self, *extra: Fake, fallbacks: tuple[str, ...] = (), usage: MemoryUsageSink | None = None
    ) -> LLM:
        config = self.llm_config(*extra, fallbacks=fallbacks)
        return LLM(config, registry=ProviderRegistry(config), usage=usage)


def _app(name: str, script: Script) -> object:
    if name == "anthropic":
        return anthropic.create_app(script)
    if name == "ollama":
        return ollama.create_app(script)
    return openai.create_app(script, openrouter=name == "openrouter")


_PATHS = {"anthropic": "", "openai": "/v1", "openrouter": "/api/v1", "ollama": ""}


@pytest.fixture(scope="session")
def live_fakes() -> Iterator[dict[str, Fake]]:
    fakes: dict[str, Fake] = {}
    servers = []
    try:
        for name in PROVIDERS:
            script = Script()
            server = serve(_app(name, script))  # type: ignore[arg-type]
            root = server.__enter__()
            servers.append(server)
            fakes[name] = Fake(name, script, root + _PATHS[name])
        yield fakes
    finally:
        for server in servers:
            server.__exit__(None, None, None)


@pytest.fixture(params=PROVIDERS)
def fake(request: pytest.FixtureRequest, live_fakes: dict[str, Fake]) -> Iterator[Fake]:
    """Each provider's fake in turn, with an empty script."""
    chosen = live_fakes[request.param]
    chosen.script.reset()
    yield chosen
    chosen.script.reset()


def fresh(live_fakes: dict[str, Fake], name: str) -> Fake:
    chosen = live_fakes[name]
    chosen.script.reset()
    return chosen
