"""Gateway mode: `/v1` passes `<provider>/<model>` through to the provider, here the strict
fake provider servers, with the official `openai` SDK as the client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from sqlalchemy import select

from storage.sql.models import Usage
from tests.bot.v1_support import V1App, eventually, served_v1, v1_settings
from tests.fakes.llm.fixtures import Fake, fresh
from tests.fakes.llm.script import Call, Cut, Fail, Text, Tools


@pytest.fixture
def upstream(live_fakes: dict[str, Fake]) -> Fake:
    return fresh(live_fakes, "openai")


@pytest.fixture
def gateway(tmp_path: Path, upstream: Fake, live_fakes: dict[str, Fake]) -> Iterator[V1App]:
    anthropic = fresh(live_fakes, "anthropic")
    settings = v1_settings(
        tmp_path,
        gateway_mode=True,
        default_model=f"openai:{upstream.model}",
        gateway_models=["anthropic:claude-sonnet-4-6"],
        openai_base_url=upstream.base_url,
        openai_api_key=upstream.script.api_key,
        anthropic_base_url=anthropic.base_url,
        anthropic_api_key=anthropic.script.api_key,
        llm_max_retries=1,
    )
    with served_v1(settings, []) as app:
        yield app


def test_gateway_models_are_listed(gateway: V1App, upstream: Fake) -> None:
    ids = {m.id for m in gateway.client().models.list()}
    assert {f"openai/{upstream.model}", "anthropic/claude-sonnet-4-6"} <= ids
    assert "codemonkey/team" in ids


def test_passthrough_forwards_the_request_and_answer(gateway: V1App, upstream: Fake) -> None:
    upstream.script.push(Text("passed through", input_tokens=11, output_tokens=3))
    completion = gateway.client().chat.completions.create(
        model=f"openai/{upstream.model}",
        messages=[
            {"role": "system", "content": "be terse"},
            {"role": "user", "content": "ping"},
        ],
        max_tokens=50,
        temperature=0.2,
        stop=["END"],
    )
    assert completion.choices[0].message.content == "passed through"
    assert completion.model == f"openai/{upstream.model}"
    assert completion.usage is not None and completion.usage.prompt_tokens == 11
    sent = upstream.script.accepted[0].body
    assert sent["model"] == upstream.model
    assert sent["messages"] == [
        {"role": "system", "content": "be terse"},
        {"role": "user", "content": "ping"},
    ]
    assert sent["temperature"] == 0.2 and sent["stop"] == ["END"]
    usage = eventually(lambda: _one_usage_row(gateway))
    assert (usage.provider, usage.model, usage.input_tokens) == ("openai", upstream.model, 11)


def _one_usage_row(app: V1App) -> Usage | None:
    with app.services.database.session() as session:
        return session.scalars(select(Usage)).one_or_none()


def test_passthrough_streams_and_tool_calls(gateway: V1App, upstream: Fake) -> None:
    upstream.script.push(Tools((Call("get_weather", {"city": "Oslo"}, id="call_9"),)))
    stream = gateway.client().chat.completions.create(
        model=f"openai/{upstream.model}",
        messages=[{"role": "user", "content": "weather?"}],
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
        ],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].id == "call_9"
    assert "".join(c.function.arguments or "" for c in calls if c.function) == '{"city": "Oslo"}'
    finish = [c.choices[0].finish_reason for c in chunks if c.choices][-1]
    assert finish == "tool_calls"
    assert chunks[-1].usage is not None


def test_upstream_rate_limit_after_retries_is_a_429(gateway: V1App, upstream: Fake) -> None:
    upstream.script.push(Fail(429, "slow down", retry_after=0.01), Fail(429, "slow", 0.01))
    with pytest.raises(openai.RateLimitError):
        gateway.client().chat.completions.create(
            model=f"openai/{upstream.model}", messages=[{"role": "user", "content": "hi"}]
        )
    assert len(upstream.script.accepted) == 2  # one try and one retry


def test_upstream_retry_then_success(gateway: V1App, upstream: Fake) -> None:
    upstream.script.push(Fail(500, "boom"), Text("recovered"))
    completion = gateway.client().chat.completions.create(
        model=f"openai/{upstream.model}", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content == "recovered"


def test_stream_cut_midway_reaches_the_client_as_an_error(gateway: V1App, upstream: Fake) -> None:
    upstream.script.push(Cut("The answer starts and then"))
    stream = gateway.client().chat.completions.create(
        model=f"openai/{upstream.model}",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
    )
    received = []
    with pytest.raises(openai.APIError, match="stream was interrupted"):
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert "".join(received) == "The answer starts and then"


def test_unknown_provider_and_gateway_off(tmp_path: Path, upstream: Fake) -> None:
    settings = v1_settings(
        tmp_path,
        openai_base_url=upstream.base_url,
        openai_api_key=upstream.script.api_key,
    )
    with served_v1(settings, []) as app, pytest.raises(openai.NotFoundError):
        app.client().chat.completions.create(
            model=f"openai/{upstream.model}", messages=[{"role": "user", "content": "x"}]
        )
    assert upstream.script.accepted == []
