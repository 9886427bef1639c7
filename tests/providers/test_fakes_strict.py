"""The fakes reject what the real APIs reject, with the documented statuses and bodies.

Raw HTTP straight at each fake: if a fake accepted anything, these tests would fail.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.llm.fixtures import Fake, fresh
from tests.fakes.llm.script import Text

ANTHROPIC_HEADERS = {"x-api-key": "test-key", "anthropic-version": "2023-06-01"}
USER = {"role": "user", "content": "hi"}


def _anthropic(
    fake: Fake, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.post(
        f"{fake.base_url}/v1/messages", json=body, headers=headers or ANTHROPIC_HEADERS
    )


def _assert_anthropic_error(response: httpx.Response, status: int, kind: str, text: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == kind
    assert text in body["error"]["message"]


@pytest.fixture
def anthropic_fake(live_fakes: dict[str, Fake]) -> Fake:
    return fresh(live_fakes, "anthropic")


@pytest.fixture
def openai_fake(live_fakes: dict[str, Fake]) -> Fake:
    return fresh(live_fakes, "openai")


TOOL_USE_TURN = {
    "role": "assistant",
    "content": [{"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a"}}],
}


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"model": "claude-sonnet-4-6", "messages": [USER]}, "max_tokens: Field required"),
        (
            {"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [USER, USER]},
            "roles must alternate",
        ),
        (
            {
                "model": "claude-sonnet-4-6",
                "max_tokens": 10,
                "messages": [{"role": "assistant", "content": "x"}],
            },
            'first message must use the "user" role',
        ),
        (
            {
                "model": "claude-sonnet-4-6",
                "max_tokens": 10,
                "messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}],
            },
            "text content blocks must be non-empty",
        ),
        (
            {
                "model": "claude-sonnet-4-6",
                "max_tokens": 10,
                "messages": [
                    USER,
                    {"role": "assistant", "content": "ok"},
                    {
                        "role": "user",
                        "content": [
                            {"type": "tool_result", "tool_use_id": "toolu_9", "content": "x"}
                        ],
                    },
                ],
            },
            "unexpected `tool_use_id` found in `tool_result` blocks: toolu_9",
        ),
        (
            {
                "model": "claude-sonnet-4-6",
                "max_tokens": 10,
                "messages": [USER, TOOL_USE_TURN, {"role": "user", "content": "no result"}],
            },
            "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1",
        ),
        (
            {
                "model": "claude-sonnet-4-6",
                "max_tokens": 10,
                "messages": [USER],
                "tools": [{"name": "bad name!", "input_schema": {"type": "object"}}],
            },
            "String should match pattern",
        ),
        (
            {
                "model": "claude-sonnet-4-6",
                "max_tokens": 10,
                "messages": [USER],
                "system": [
                    {"type": "text", "text": f"s{i}", "cache_control": {"type": "ephemeral"}}
                    for i in range(5)
                ],
            },
            "A maximum of 4 blocks with cache_control may be provided. Found 5.",
        ),
    ],
    ids=[
        "no-max-tokens",
        "same-role-twice",
        "assistant-first",
        "empty-text",
        "orphan-tool-result",
        "unanswered-tool-use",
        "bad-tool-name",
        "five-cache-breakpoints",
    ],
)
def test_anthropic_fake_rejects_invalid_bodies(
    anthropic_fake: Fake, body: dict[str, Any], text: str
) -> None:
    anthropic_fake.script.push(Text("must not be consumed"))
    _assert_anthropic_error(_anthropic(anthropic_fake, body), 400, "invalid_request_error", text)
    assert len(anthropic_fake.script.replies) == 1
    assert anthropic_fake.script.requests[-1].rejected


def test_anthropic_fake_requires_key_and_version(anthropic_fake: Fake) -> None:
    body = {"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [USER]}
    no_key = _anthropic(anthropic_fake, body, {"anthropic-version": "2023-06-01"})
    _assert_anthropic_error(no_key, 401, "authentication_error", "x-api-key header is required")
    wrong = _anthropic(
        anthropic_fake, body, {"x-api-key": "nope", "anthropic-version": "2023-06-01"}
    )
    _assert_anthropic_error(wrong, 401, "authentication_error", "invalid x-api-key")
    no_version = _anthropic(anthropic_fake, body, {"x-api-key": "test-key"})
    _assert_anthropic_error(no_version, 400, "invalid_request_error", "anthropic-version")
    unknown = _anthropic(anthropic_fake, body | {"model": "claude-9"})
    _assert_anthropic_error(unknown, 404, "not_found_error", "model: claude-9")


def test_anthropic_fake_accepts_a_valid_tool_round_trip(anthropic_fake: Fake) -> None:
    anthropic_fake.script.push(Text("fine"))
    body = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 10,
        "messages": [
            USER,
            TOOL_USE_TURN,
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "x"}],
            },
        ],
    }
    response = _anthropic(anthropic_fake, body)
    assert response.status_code == 200
    assert response.json()["content"] == [{"type": "text", "text": "fine"}]


def test_anthropic_fake_streams_the_documented_event_sequence(anthropic_fake: Fake) -> None:
    anthropic_fake.script.push(Text("Hi there"))
    body = {"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [USER], "stream": True}
    response = _anthropic(anthropic_fake, body)
    events = [line[7:] for line in response.text.splitlines() if line.startswith("event: ")]
    assert events == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert response.headers["content-type"].startswith("text/event-stream")


def _openai(fake: Fake, body: dict[str, Any], key: str | None = "test-key") -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{fake.base_url}/chat/completions", json=body, headers=headers)


ASSISTANT_CALL = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ],
}


@pytest.mark.parametrize(
    ("body", "text", "code"),
    [
        (
            {
                "model": "gpt-4.1",
                "messages": [USER, {"role": "tool", "tool_call_id": "call_x", "content": "r"}],
            },
            "messages with role 'tool' must be a response to a preceeding message "
            "with 'tool_calls'",
            None,
        ),
        (
            {"model": "gpt-4.1", "messages": [USER, ASSISTANT_CALL, USER]},
            "The following tool_call_ids did not have response messages: call_1",
            None,
        ),
        (
            {
                "model": "gpt-4.1",
                "messages": [USER],
                "tools": [
                    {
                        "type": "function",
                        "function": {"name": "f", "parameters": {"type": "string"}},
                    }
                ],
            },
            "Invalid schema for function 'f'",
            "invalid_function_parameters",
        ),
        (
            {"model": "gpt-4.1", "messages": [USER], "tool_choice": "auto"},
            "'tool_choice' is only allowed when 'tools' are specified",
            None,
        ),
        (
            {"model": "gpt-4.1", "messages": [USER], "stream_options": {"include_usage": True}},
            "'stream_options' parameter is only allowed when 'stream' is enabled",
            None,
        ),
    ],
    ids=[
        "orphan-tool-message",
        "unanswered-tool-call",
        "non-object-schema",
        "tool-choice-without-tools",
        "stream-options-without-stream",
    ],
)
def test_openai_fake_rejects_invalid_bodies(
    openai_fake: Fake, body: dict[str, Any], text: str, code: str | None
) -> None:
    openai_fake.script.push(Text("must not be consumed"))
    response = _openai(openai_fake, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert text in error["message"] and error["code"] == code
    assert error["type"] == "invalid_request_error"
    assert len(openai_fake.script.replies) == 1


def test_openai_fake_requires_a_bearer_key(openai_fake: Fake) -> None:
    body = {"model": "gpt-4.1", "messages": [USER]}
    missing = _openai(openai_fake, body, key=None)
    assert missing.status_code == 401
    assert "You didn't provide an API key" in missing.json()["error"]["message"]
    wrong = _openai(openai_fake, body, key="sk-wrong")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    unknown = _openai(openai_fake, body | {"model": "gpt-9"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"


def test_openai_fake_streams_usage_then_done(openai_fake: Fake) -> None:
    openai_fake.script.push(Text("Hello"))
    body = {
        "model": "gpt-4.1",
        "messages": [USER],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    lines = [line for line in _openai(openai_fake, body).text.splitlines() if line]
    assert lines[-1] == "data: [DONE]"
    assert '"choices": []' in lines[-2] and '"usage"' in lines[-2]


def test_openrouter_fake_errors_comments_and_200_errors(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "openrouter")
    missing = _openai(fake, {"model": "openai/gpt-4.1", "messages": [USER]}, key=None)
    assert missing.status_code == 401
    assert missing.json() == {
        "error": {"code": 401, "message": "No auth credentials found", "metadata": {}}
    }
    fake.script.push(Text("Hi"))
    body = {"model": "openai/gpt-4.1", "messages": [USER], "stream": True}
    text = _openai(fake, body).text
    assert text.startswith(": OPENROUTER PROCESSING\n\n")
    assert '"cost"' in text  # OpenRouter always reports usage, with cost


def test_ollama_fake_rejects_string_arguments_and_unknown_models(
    live_fakes: dict[str, Fake],
) -> None:
    fake = fresh(live_fakes, "ollama")
    bad_call = {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": "f", "arguments": '{"a": 1}'}}],
    }
    body = {"model": "qwen2.5-coder:7b", "messages": [USER, bad_call], "stream": False}
    response = httpx.post(f"{fake.base_url}/api/chat", json=body)
    assert response.status_code == 400
    assert "cannot unmarshal string" in response.json()["error"]
    missing = httpx.post(
        f"{fake.base_url}/api/chat", json=body | {"model": "llama9", "messages": [USER]}
    )
    assert missing.status_code == 404
    assert missing.json() == {"error": 'model "llama9" not found, try pulling it first'}
    no_model = httpx.post(f"{fake.base_url}/api/chat", json={"messages": [USER]})
    assert no_model.status_code == 400 and no_model.json() == {"error": "model is required"}


def test_ollama_fake_streams_ndjson_ending_with_done(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "ollama")
    fake.script.push(Text("Hello there", input_tokens=26, output_tokens=3))
    response = httpx.post(
        f"{fake.base_url}/api/chat", json={"model": "qwen2.5-coder:7b", "messages": [USER]}
    )
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [httpx.Response(200, content=line).json() for line in response.text.splitlines()]
    assert all(not line["done"] for line in lines[:-1])
    assert lines[-1]["done"] is True
    assert (lines[-1]["prompt_eval_count"], lines[-1]["eval_count"]) == (26, 3)
