"""One contract for every provider, run against each provider's strict fake."""

from __future__ import annotations

import time

import pytest

from agents.providers import errors
from agents.providers.types import (
    ChatMessage,
    ChatOptions,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolSpec,
)
from agents.providers.usage_sinks import MemoryUsageSink
from tests.fakes.llm.fixtures import Fake, fresh
from tests.fakes.llm.script import Call, Cut, Fail, Hang, Text, Tools

READ_FILE = ToolSpec(
    "read_file",
    "Read a file of the repository",
    {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)
QUESTION = [ChatMessage.system("You are terse."), ChatMessage.user("Say hello.")]


async def collect(events: object) -> list[StreamEvent]:
    return [event async for event in events]  # type: ignore[attr-defined]


async def test_plain_answer(fake: Fake) -> None:
    fake.script.push(Text("Hello there, world.", input_tokens=15, output_tokens=4))
    llm = fake.llm()
    response = await llm.chat(fake.model_id, QUESTION)
    assert response.content == "Hello there, world."
    assert response.finish_reason == "stop"
    assert response.tool_calls == ()
    assert response.provider == fake.name
    assert (response.usage.input_tokens, response.usage.output_tokens) == (15, 4)
    assert len(fake.script.accepted) == 1
    await llm.aclose()


async def test_streaming_deltas_join_to_the_final_answer(fake: Fake) -> None:
    text = "Streaming arrives in small pieces, in order, and nothing is lost."
    fake.script.push(Text(text, input_tokens=30, output_tokens=14))
    llm = fake.llm()
    events = await collect(llm.stream(fake.model_id, QUESTION))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 3
    assert isinstance(events[-1], StreamEnd)
    final = events[-1].response
    assert "".join(deltas) == final.content == text
    assert (final.usage.input_tokens, final.usage.output_tokens) == (30, 14)
    body = fake.script.accepted[0].body
    assert body["stream"] is True
    if fake.name in ("openai", "openrouter"):
        assert body["stream_options"] == {"include_usage": True}
    await llm.aclose()


async def test_tool_call_round_trip(fake: Fake) -> None:
    fake.script.push(
        Tools((Call("read_file", {"path": "src/app.py"}, id="call_abc"),)),
        Text("The file defines the app."),
    )
    llm = fake.llm()
    options = ChatOptions(model="", tools=(READ_FILE,))
    first = await llm.chat(fake.model_id, QUESTION, options)
    assert first.finish_reason == "tool_calls"
    (call,) = first.tool_calls
    assert (call.name, call.arguments) == ("read_file", {"path": "src/app.py"})
    history = [*QUESTION, first.as_message(), ChatMessage.tool(call.id, "app = Starlette()")]
    second = await llm.chat(fake.model_id, history, options)
    assert second.content == "The file defines the app."
    # The fake validated the pairing; check what went over the wire too.
    sent = fake.script.accepted[1].body["messages"]
    assert any("app = Starlette()" in str(m) for m in sent)
    assert len(fake.script.requests) == 2  # nothing was rejected
    await llm.aclose()


async def test_streamed_tool_call_is_assembled(fake: Fake) -> None:
    fake.script.push(Tools((Call("read_file", {"path": "README.md"}, id="call_s1"),)))
    llm = fake.llm()
    events = await collect(
        llm.stream(fake.model_id, QUESTION, ChatOptions(model="", tools=(READ_FILE,)))
    )
    assert any(isinstance(e, ToolCallDelta) for e in events)
    final = events[-1]
    assert isinstance(final, StreamEnd)
    (call,) = final.response.tool_calls
    assert (call.name, call.arguments) == ("read_file", {"path": "README.md"})
    assert final.response.finish_reason == "tool_calls"
    await llm.aclose()


async def test_usage_cost_and_cache_tokens_are_recorded(fake: Fake) -> None:
    fake.script.push(
        Text("cached", input_tokens=100, output_tokens=10, cache_read=400, cache_write=50)
    )
    sink = MemoryUsageSink()
    llm = fake.llm(usage=sink)
    response = await llm.chat(fake.model_id, QUESTION, ChatOptions(model="", task_id=7, role="qa"))
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens) == (100, 10)
    if fake.name == "anthropic":
        assert (usage.cache_read_tokens, usage.cache_write_tokens) == (400, 50)
    elif fake.name in ("openai", "openrouter"):
        # OpenAI counts cached tokens inside prompt_tokens; we keep them apart.
        assert (usage.cache_read_tokens, usage.cache_write_tokens) == (400, 0)
    else:
        assert (usage.cache_read_tokens, usage.cache_write_tokens) == (0, 0)
    (record,) = sink.records
    assert (record.provider, record.model, record.ok) == (fake.name, fake.model, True)
    assert (record.task_id, record.role) == (7, "qa")
    assert record.input_tokens == 100 and record.cache_read_tokens == usage.cache_read_tokens
    if fake.name == "ollama":
        assert response.cost_usd == record.cost_usd == 0.0
    elif fake.name == "openrouter":  # the fake reports usage.cost = 0.0001
        assert response.cost_usd == record.cost_usd == 0.0001
    else:
        assert response.cost_usd == record.cost_usd > 0
    await llm.aclose()


async def test_rate_limit_then_success_honours_retry_after(fake: Fake) -> None:
    fake.script.push(Fail(429, "slow down", retry_after=0.3), Text("after the wait"))
    llm = fake.llm()
    started = time.monotonic()
    response = await llm.chat(fake.model_id, QUESTION)
    elapsed = time.monotonic() - started
    assert response.content == "after the wait"
    if fake.name != "ollama":  # Ollama sends no retry-after; backoff applies instead
        assert elapsed >= 0.3
    assert len(fake.script.accepted) == 2
    await llm.aclose()


async def test_server_errors_exhaust_retries_with_a_clear_error(fake: Fake) -> None:
    fake.script.push(Fail(500, "boom"), Fail(500, "boom"), Fail(500, "boom"))
    llm = fake.llm()
    with pytest.raises(errors.ServerError) as caught:
        await llm.chat(fake.model_id, QUESTION)
    assert "500" in str(caught.value) and "retry later" in str(caught.value)
    assert caught.value.provider == fake.name
    assert len(fake.script.accepted) == 3  # first try + max_retries=2
    assert not fake.script.replies
    await llm.aclose()


async def test_mid_stream_disconnect_raises_and_is_not_retried(fake: Fake) -> None:
    fake.script.push(Cut("The answer begins and then the line goes dead"), Text("never sent"))
    llm = fake.llm()
    seen: list[str] = []
    with pytest.raises(errors.StreamInterruptedError) as caught:
        async for event in llm.stream(fake.model_id, QUESTION):
            assert not isinstance(event, StreamEnd)
            if isinstance(event, TextDelta):
                seen.append(event.text)
    assert seen and caught.value.partial_text == "".join(seen)
    assert "retry" in str(caught.value)
    assert len(fake.script.accepted) == 1
    await llm.aclose()


async def test_stream_cut_before_any_text_is_retried(fake: Fake) -> None:
    fake.script.push(Cut(""), Text("second try"))
    llm = fake.llm()
    events = await collect(llm.stream(fake.model_id, QUESTION))
    final = events[-1]
    assert isinstance(final, StreamEnd) and final.response.content == "second try"
    assert len(fake.script.accepted) == 2
    await llm.aclose()


async def test_fallback_to_the_second_provider(fake: Fake, live_fakes: dict[str, Fake]) -> None:
    backup = fresh(live_fakes, "openai" if fake.name == "anthropic" else "anthropic")
    fake.script.push(Fail(503, "down"), Fail(503, "down"), Fail(503, "down"))
    backup.script.push(Text("from the backup"))
    sink = MemoryUsageSink()
    llm = fake.llm(backup, fallbacks=(backup.model_id,), usage=sink)
    response = await llm.chat(fake.model_id, QUESTION)
    assert (response.provider, response.content) == (backup.name, "from the backup")
    assert [(r.provider, r.ok) for r in sink.records] == [(fake.name, False), (backup.name, True)]
    await llm.aclose()
    backup.script.reset()


async def test_bad_request_is_not_retried_nor_falls_back(
    fake: Fake, live_fakes: dict[str, Fake]
) -> None:
    backup = fresh(live_fakes, "openai" if fake.name == "anthropic" else "anthropic")
    fake.script.push(Fail(400, "bad field"))
    llm = fake.llm(backup, fallbacks=(backup.model_id,))
    with pytest.raises(errors.InvalidRequestError):
        await llm.chat(fake.model_id, QUESTION)
    assert len(fake.script.accepted) == 1 and not backup.script.requests
    await llm.aclose()


async def test_unknown_model_says_how_to_fix_it(fake: Fake) -> None:
    llm = fake.llm()
    with pytest.raises(errors.ModelNotFoundError) as caught:
        await llm.chat(f"{fake.name}:no-such-model", QUESTION)
    hint = "ollama pull" if fake.name == "ollama" else "check the model name"
    assert hint in str(caught.value)
    await llm.aclose()


async def test_a_provider_that_does_not_answer_times_out(fake: Fake) -> None:
    fake.script.push(Hang(2.0), Hang(2.0), Hang(2.0))
    llm = fake.llm()
    started = time.monotonic()
    with pytest.raises(errors.ProviderTimeout) as caught:
        await llm.chat(fake.model_id, QUESTION, ChatOptions(model="", timeout_seconds=0.2))
    assert time.monotonic() - started < 1.9  # three attempts of 0.2 s, not one of 2 s
    assert "llm_timeout_seconds" in str(caught.value)
    assert len(fake.script.requests) == 3
    await llm.aclose()


async def test_the_configured_timeout_applies_without_a_per_call_one(fake: Fake) -> None:
    fake.script.push(Hang(2.0))
    provider = fake.provider(timeout_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(errors.ProviderTimeout):
        await provider.chat(QUESTION, ChatOptions(model=fake.model))
    assert time.monotonic() - started < 1.5
    await provider.aclose()  # type: ignore[attr-defined]
