"""The LLM facade with the scripted model: routing, fallback, retries, concurrency,
tool-call repair, usage in SQL; and the network guard itself."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from types import MappingProxyType

import pytest
from sqlalchemy import select

from agents.providers import errors
from agents.providers.llm import LLM
from agents.providers.provider_config import LLMConfig, ProviderConfig, RetryConfig
from agents.providers.registry import ProviderRegistry, parse_model_id
from agents.providers.resilience import RetryPolicy
from agents.providers.scripted import ScriptedModel, reply
from agents.providers.types import (
    ChatMessage,
    ChatOptions,
    ChatResponse,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolSpec,
)
from agents.providers.usage_sinks import MemoryUsageSink
from storage.sql.database import Database
from storage.sql.models import Usage
from storage.usage import SqlUsageSink
from tests.fakes.llm.fixtures import FAST_RETRY, Fake, fresh
from tests.fakes.llm.script import Call, Text, Tools
from tests.network_guard import NetworkAccessError

HI = [ChatMessage.user("hi")]
TOOL = ToolSpec(
    "read_file", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}}
)


def llm_with(
    models: dict[str, ScriptedModel],
    *,
    default: str = "a:model",
    roles: dict[str, str] | None = None,
    fallbacks: dict[str, tuple[str, ...]] | None = None,
    concurrency: int = 8,
    usage: MemoryUsageSink | SqlUsageSink | None = None,
) -> LLM:
    config = LLMConfig(
        default_model=default,
        role_models=MappingProxyType(roles or {}),
        fallback_models=MappingProxyType(fallbacks or {}),
        provider_concurrency=concurrency,
        retry=FAST_RETRY,
    )
    return LLM(
        config, registry=ProviderRegistry(config, factories={}, providers=models), usage=usage
    )


def test_model_ids_split_on_the_first_colon() -> None:
    parsed = parse_model_id("ollama:qwen2.5-coder:7b")
    assert (parsed.provider, parsed.model) == ("ollama", "qwen2.5-coder:7b")
    assert str(parse_model_id("openrouter:meta-llama/llama-3.3-70b-instruct")) == (
        "openrouter:meta-llama/llama-3.3-70b-instruct"
    )
    with pytest.raises(errors.ConfigurationError, match="unknown provider 'gemini'"):
        parse_model_id("gemini:pro")
    with pytest.raises(errors.ConfigurationError, match="not `provider:model`"):
        parse_model_id("anthropic:")


async def test_roles_resolve_to_their_model_or_the_default() -> None:
    a, b = ScriptedModel(["from a"], provider_id="a"), ScriptedModel(["from b"], provider_id="b")
    llm = llm_with({"a": a, "b": b}, roles={"reviewer": "b:big"})
    assert (await llm.chat("reviewer", HI)).content == "from b"
    assert b.requests[0].options.model == "big"
    assert (await llm.chat("backend", HI)).content == "from a"
    assert a.requests[0].options.model == "model"
    with pytest.raises(errors.ConfigurationError, match="not `provider:model`"):
        await llm.chat("gpt-4o", HI)
    assert len(a.requests) == 1 and len(b.requests) == 1


async def test_role_fallback_chain_and_failure_summary() -> None:
    down = errors.ServerError("a is down", provider="a", status=500)
    a = ScriptedModel([down, down, down, down, down, down], provider_id="a")
    refused = errors.AuthenticationError("bad key for b", provider="b")
    b = ScriptedModel([refused, refused], provider_id="b")
    c = ScriptedModel(["c answers", down, down, down], provider_id="c")
    llm = llm_with({"a": a, "b": b, "c": c}, fallbacks={"qa": ("b:x", "c:y")})
    assert (await llm.chat("qa", HI)).content == "c answers"
    with pytest.raises(errors.AllModelsFailedError) as caught:
        await llm.chat("qa", HI)
    assert "a:model" in str(caught.value) and "b:x" in str(caught.value)
    assert [model for model, _ in caught.value.errors] == ["a:model", "b:x", "c:y"]


async def test_retry_after_longer_than_the_cap_falls_back_at_once() -> None:
    slow = errors.RateLimitError("wait an hour", provider="a", retry_after=3600)
    a = ScriptedModel([slow], provider_id="a")
    b = ScriptedModel(["b answers"], provider_id="b")
    llm = llm_with({"a": a, "b": b}, fallbacks={"a:model": ("b:m",)})
    assert (await asyncio.wait_for(llm.chat("a:model", HI), 2)).content == "b answers"
    assert len(a.requests) == 1


def test_retry_policy() -> None:
    policy = RetryPolicy(RetryConfig(max_retries=3, base_delay=1.0, max_delay=3.0, jitter=0.0))
    server = errors.ServerError("x")
    assert [policy.delay(n, server) for n in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, None]
    assert policy.delay(1, errors.RateLimitError("x", retry_after=7)) == 7
    assert policy.delay(1, errors.RateLimitError("x", retry_after=600)) is None
    assert policy.delay(1, errors.InvalidRequestError("x")) is None
    assert policy.delay(1, errors.AuthenticationError("x")) is None


async def test_stream_falls_back_when_the_first_model_fails_before_output() -> None:
    a = ScriptedModel([errors.OverloadedError("busy", provider="a")] * 3, provider_id="a")
    b = ScriptedModel(["streamed by b"], provider_id="b")
    llm = llm_with({"a": a, "b": b}, fallbacks={"a:model": ("b:m",)})
    events = [e async for e in llm.stream("a:model", HI)]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "streamed by b"
    assert isinstance(events[-1], StreamEnd) and events[-1].response.provider == "b"


async def test_scripted_model_records_requests_and_runs_out_loudly() -> None:
    model = ScriptedModel(["one", ToolCall("t1", "read_file", {"path": "x"})], latency_seconds=0.01)
    llm = llm_with({"a": model})
    assert (await llm.chat("a:m", HI)).content == "one"
    second = await llm.chat("a:m", [*HI, ChatMessage.assistant("one"), ChatMessage.user("more")])
    assert second.tool_calls == (ToolCall("t1", "read_file", {"path": "x"}),)
    assert [len(r.messages) for r in model.requests] == [1, 3]
    with pytest.raises(errors.ScriptExhaustedError, match="ran out of replies after 2 calls"):
        await llm.chat("a:m", HI)


class _Counting:
    """Wraps a provider to measure how many calls run at once."""

    def __init__(self, inner: ScriptedModel) -> None:
        self.inner = inner
        self.active = 0
        self.peak = 0
        self.id, self.name, self.type, self.config = inner.id, inner.name, inner.type, inner.config

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            return await self.inner.chat(messages, options)
        finally:
            self.active -= 1

    def stream(
        self, messages: list[ChatMessage], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        return self.inner.stream(messages, options)


async def test_per_provider_concurrency_limit() -> None:
    counting = _Counting(ScriptedModel(["ok"] * 6, provider_id="a", latency_seconds=0.03))
    config = LLMConfig(default_model="a:m", provider_concurrency=2, retry=FAST_RETRY)
    llm = LLM(config, registry=ProviderRegistry(config, factories={}, providers={"a": counting}))
    results = await asyncio.gather(*(llm.chat("a:m", HI) for _ in range(6)))
    assert [r.content for r in results] == ["ok"] * 6
    assert counting.peak == 2


async def test_invalid_tool_arguments_get_one_repair_round(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "openai")
    fake.script.push(
        Tools((Call("read_file", '{"path": "a.py"', id="call_bad"),)),
        Tools((Call("read_file", {"path": "a.py"}, id="call_good"),)),
    )
    llm = fake.llm()
    response = await llm.chat(fake.model_id, HI, ChatOptions(model="", tools=(TOOL,)))
    assert response.tool_calls == (ToolCall("call_good", "read_file", {"path": "a.py"}),)
    repair = fake.script.accepted[1].body["messages"]
    assert repair[1]["tool_calls"][0]["function"]["arguments"] == '{"path": "a.py"'
    assert repair[2]["role"] == "tool" and "invalid JSON" in repair[2]["content"]
    await llm.aclose()


async def test_repair_is_attempted_only_once() -> None:
    bad = ToolCall("t", "read_file", {}, raw_arguments="{oops", parse_error="invalid JSON")
    model = ScriptedModel([bad, bad, "never"])
    llm = llm_with({"a": model})
    response = await llm.chat("a:m", HI, ChatOptions(model="", tools=(TOOL,)))
    assert response.tool_calls[0].parse_error == "invalid JSON"
    assert len(model.requests) == 2 and model.remaining == 1


@pytest.mark.parametrize(
    "content",
    [
        '{"name": "read_file", "arguments": {"path": "src/x.py"}}',
        'Let me look.\n```json\n{"name": "read_file", "arguments": {"path": "src/x.py"}}\n```',
        '<tool_call>\n{"name": "read_file", '
        '"arguments": "{\\"path\\": \\"src/x.py\\"}"}\n</tool_call>',
    ],
    ids=["bare", "fenced", "tagged"],
)
async def test_tool_calls_written_as_text_are_recovered(
    live_fakes: dict[str, Fake], content: str
) -> None:
    fake = fresh(live_fakes, "ollama")
    fake.script.push(Text(content))
    llm = fake.llm()
    response = await llm.chat(fake.model_id, HI, ChatOptions(model="", tools=(TOOL,)))
    (call,) = response.tool_calls
    assert (call.name, call.arguments) == ("read_file", {"path": "src/x.py"})
    assert response.finish_reason == "tool_calls" and response.content == ""
    await llm.aclose()


async def test_text_that_names_no_offered_tool_stays_text() -> None:
    text = '{"name": "delete_repo", "arguments": {}}'
    llm = llm_with({"a": ScriptedModel([text, text])})
    assert (await llm.chat("a:m", HI, ChatOptions(model="", tools=(TOOL,)))).content == text
    assert (await llm.chat("a:m", HI)).tool_calls == ()


async def test_usage_lands_in_sql(database: Database) -> None:
    model = ScriptedModel(
        ["hello", errors.InvalidRequestError("bad", provider="anthropic")],
        provider_id="anthropic",
        usage=TokenUsage(1000, 200, cache_read_tokens=5000, cache_write_tokens=100),
    )
    llm = llm_with(
        {"anthropic": model}, default="anthropic:claude-sonnet-4-6", usage=SqlUsageSink(database)
    )
    response = await llm.chat("devops", HI, ChatOptions(model="", role="devops"))
    with pytest.raises(errors.InvalidRequestError):
        await llm.chat("devops", HI)
    # 1000*3 + 200*15 + 5000*0.3 + 100*3.75 = 7875 micro-dollars
    assert response.cost_usd == pytest.approx(0.007875)
    with database.session() as session:
        rows = session.scalars(select(Usage).order_by(Usage.id)).all()
        assert [(r.provider, r.model, r.ok, r.role) for r in rows] == [
            ("anthropic", "claude-sonnet-4-6", True, "devops"),
            ("anthropic", "claude-sonnet-4-6", False, None),
        ]
        assert float(rows[0].cost_usd) == pytest.approx(0.007875)


def test_prices_from_settings_override_the_defaults() -> None:
    config = LLMConfig.build(
        providers=[ProviderConfig("openai", api_key="k")],
        default_model="openai:gpt-4.1",
        prices={"openai:gpt-4.1": {"input": 1.0, "output": 1.0}},
    )
    assert config.prices["openai:gpt-4.1"].input == 1.0
    with pytest.raises(ValueError, match="needs 'input' and 'output'"):
        LLMConfig.build(providers=[], default_model="a:b", prices={"x": {"input": 1.0}})


def test_keys_never_appear_in_reprs() -> None:
    config = ProviderConfig("anthropic", api_key="sk-ant-very-secret")
    assert "sk-ant-very-secret" not in repr(config)
    assert "sk-ant-very-secret" not in repr(LLMConfig(providers=(config,)))
    assert config.public()["api_key"] == "set"


def test_network_guard_blocks_non_loopback_connections() -> None:
    with pytest.raises(NetworkAccessError, match="only reach loopback"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)


async def test_a_model_without_a_price_has_an_unknown_cost_not_zero() -> None:
    usage = TokenUsage(1000, 200)
    unpriced = ScriptedModel(["a", "b"], provider_id="openai", usage=usage)
    llm = llm_with({"openai": unpriced}, default="openai:my-finetune")
    response = await llm.chat("qa", HI)
    assert response.cost_known is False and response.cost_usd == 0.0
    # A listed model, and a provider that reports its own charge, have a known cost.
    priced = await llm.chat("openai:gpt-4.1", HI)
    assert priced.cost_known is True and priced.cost_usd == pytest.approx(0.0036)
    reported = ScriptedModel([reply("c", cost_usd=0.5)], provider_id="openrouter", usage=usage)
    llm = llm_with({"openrouter": reported}, default="openrouter:some/new-model")
    answer = await llm.chat("qa", HI)
    assert answer.cost_known is True and answer.cost_usd == 0.5
