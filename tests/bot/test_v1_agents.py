"""`/v1` with role agents, driven by the official `openai` SDK over real HTTP.

The model behind the agents is a ScriptedModel (a fixed sequence of replies); everything
around it (HTTP, auth, SQL, the vector store) is real.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import openai
import pytest
from openai.types.chat import ChatCompletionToolParam
from sqlalchemy import select

from agents.providers.types import ToolCall
from storage.sql.models import Agent, Conversation, Message, Project
from storage.vectors import VectorItem
from tests.bot.v1_support import PROJECT, V1App, served_v1, v1_settings

WEATHER_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[V1App]:
    marker = request.node.get_closest_marker("replies")
    replies = list(marker.args) if marker else ["Hello from the architect."]
    with served_v1(v1_settings(tmp_path), replies) as served:
        yield served


def test_models_lists_every_role_and_the_team(app: V1App) -> None:
    ids = {model.id for model in app.client().models.list()}
    assert {"codemonkey/architect", "codemonkey/code_reviewer", "codemonkey/team"} <= ids
    assert not any(i.startswith("openai/") for i in ids)  # gateway mode is off
    assert app.client().models.retrieve("codemonkey/qa").id == "codemonkey/qa"


def test_chat_answers_with_the_role_prompt_and_stores_the_exchange(app: V1App) -> None:
    completion = app.client().chat.completions.create(
        model=f"codemonkey/architect@{PROJECT}",
        messages=[
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "How should we split the service?"},
        ],
    )
    assert completion.object == "chat.completion"
    assert completion.model == f"codemonkey/architect@{PROJECT}"
    assert completion.choices[0].message.content == "Hello from the architect."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens == 15
    sent = app.model.requests[0]
    system = sent.messages[0]
    assert system.role == "system"
    assert "architect" in system.content.lower() and "Answer briefly." in system.content
    assert PROJECT in system.content
    assert sent.messages[-1].content == "How should we split the service?"
    with app.services.database.session() as session:
        conversation = session.scalars(select(Conversation)).one()
        stored = session.scalars(select(Message).order_by(Message.id)).all()
        assert conversation.kind == "chat" and conversation.project_id is not None
        assert [m.role for m in stored] == ["user", "assistant"]
        assert stored[1].content == "Hello from the architect."


@pytest.mark.replies("first", "second")
def test_async_client_and_project_header(app: V1App) -> None:
    async def talk() -> list[str | None]:
        client = app.async_client()
        answers = []
        for question in ("one", "two"):
            completion = await client.chat.completions.create(
                model="codemonkey/team",
                messages=[{"role": "user", "content": question}],
                extra_headers={"X-CodeMonkey-Project": PROJECT},
            )
            answers.append(completion.choices[0].message.content)
        await client.close()
        return answers

    assert asyncio.run(talk()) == ["first", "second"]
    assert "project manager" in app.model.requests[0].messages[0].content.lower()


@pytest.mark.replies("Streaming works fine.")
def test_streaming_chunks_in_openai_order_with_usage(app: V1App) -> None:
    stream = app.client().chat.completions.create(
        model="codemonkey/qa",
        messages=[{"role": "user", "content": "status?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Streaming works fine."
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and all(f is None for f in finishes[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 5


@pytest.mark.replies(ToolCall("call_1", "get_weather", {"city": "Oslo"}))
def test_client_declared_tools_come_back_as_tool_calls(app: V1App) -> None:
    completion = app.client().chat.completions.create(
        model="codemonkey/backend_developer",
        messages=[{"role": "user", "content": "weather in Oslo?"}],
        tools=[WEATHER_TOOL],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Oslo"}  # type: ignore[union-attr]
    assert [t.name for t in app.model.requests[0].options.tools] == ["get_weather"]


@pytest.mark.replies(ToolCall("call_1", "get_weather", {"city": "Oslo"}))
def test_streamed_tool_calls_reach_the_client(app: V1App) -> None:
    stream = app.client().chat.completions.create(
        model="codemonkey/backend_developer",
        messages=[{"role": "user", "content": "weather?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    chunks = list(stream)
    deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert deltas[0].function is not None and deltas[0].function.name == "get_weather"
    arguments = "".join(d.function.arguments or "" for d in deltas if d.function)
    assert json.loads(arguments) == {"city": "Oslo"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.replies(
    ToolCall("call_s", "search_code", {"query": "how are rockets launched"}),
    "Launches go through launch_pad.fire().",
)
def test_server_side_search_runs_and_the_agent_answers(app: V1App) -> None:
    app.services.vectors.upsert(
        PROJECT,
        "code",
        [
            VectorItem(
                "pad", "def fire():\n    '''Ignite the rocket engines.'''", {"path": "pad.py"}
            ),
            VectorItem("db", "def connect(url): open a database connection", {"path": "db.py"}),
        ],
    )
    completion = app.client().chat.completions.create(
        model=f"codemonkey/architect@{PROJECT}",
        messages=[{"role": "user", "content": "Where is the ignition code?"}],
    )
    assert completion.choices[0].message.content == "Launches go through launch_pad.fire()."
    assert completion.choices[0].message.tool_calls is None
    second = app.model.requests[1].messages
    tool_result = next(m for m in second if m.role == "tool")
    assert tool_result.tool_call_id == "call_s" and "pad.py" in tool_result.content
    # Usage of both rounds is reported.
    assert completion.usage is not None and completion.usage.prompt_tokens == 20


def test_errors_are_openai_shaped(app: V1App) -> None:
    client = app.client()
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(
            model="codemonkey/astronaut", messages=[{"role": "user", "content": "hi"}]
        )
    assert unknown.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="codemonkey/qa@nobody/nothing", messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(openai.AuthenticationError):
        app.client(key="cm_not_a_real_key").models.list()
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="codemonkey/qa", messages=[])
    assert bad.value.param == "messages"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="codemonkey/qa",
            messages=cast(Any, [{"role": "tool", "content": "orphan"}]),
        )
    # A project key cannot reach another project, even one that exists.
    with pytest.raises(openai.NotFoundError):
        app.client(key=app.project_key).chat.completions.create(
            model="openai/gpt-4.1@other/repo", messages=[{"role": "user", "content": "hi"}]
        )
    assert app.model.requests == []


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    settings = v1_settings(tmp_path, api_rate_limit_per_minute=2)
    with served_v1(settings, []) as app:
        client = app.client()
        client.models.list()
        client.models.list()
        with pytest.raises(openai.RateLimitError) as limited:
            client.models.list()
    assert int(limited.value.response.headers["retry-after"]) >= 1
    assert limited.value.code == "rate_limit_exceeded"


def test_openapi_document_describes_v1_and_api_and_validates(app: V1App) -> None:
    import httpx
    from openapi_spec_validator import validate

    document = httpx.get(f"{app.url}/openapi.json").json()
    validate(document)
    assert "/v1/chat/completions" in document["paths"]
    assert "/v1/models" in document["paths"]
    assert any(path.startswith("/api/v1/") for path in document["paths"])
    docs = httpx.get(f"{app.url}/docs")
    assert docs.status_code == 200 and "/v1/chat/completions" in docs.text


def test_cached_keys_expire_so_revocation_takes_effect() -> None:
    from bot.api.types import Principal, Role
    from bot.v1.auth import PrincipalCache

    now = [100.0]
    cache = PrincipalCache(ttl_seconds=5, clock=lambda: now[0])
    principal = Principal(key_id=1, name="k", role=Role.ADMIN, project_id=None)
    cache.put("Bearer cm_x", principal)
    assert cache.get("Bearer cm_x") == principal
    assert cache.get("Bearer cm_y") is None
    now[0] += 5.1
    assert cache.get("Bearer cm_x") is None


@pytest.mark.replies("from the project's model", "from the global model")
def test_chat_uses_the_models_set_through_the_api(app: V1App) -> None:
    with app.services.database.session() as session:
        project = session.scalars(select(Project).where(Project.name == PROJECT)).one()
        session.add_all(
            [
                Agent(project_id=project.id, role="architect", model="scripted:project-model"),
                Agent(project_id=None, role="architect", model="scripted:global-model"),
            ]
        )
    for model in (f"codemonkey/architect@{PROJECT}", "codemonkey/architect"):
        app.client().chat.completions.create(
            model=model, messages=[{"role": "user", "content": "which model?"}]
        )
    assert [r.options.model for r in app.model.requests] == ["project-model", "global-model"]
