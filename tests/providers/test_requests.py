"""Request snapshots (the outgoing JSON has the documented shape) and provider-specific
behaviour: Anthropic caching and turn merging, OpenRouter's in-body errors, Ollama options."""

from __future__ import annotations

import pytest

from agents.providers import errors
from agents.providers.types import ChatMessage, ChatOptions, StreamEnd, ToolCall, ToolSpec
from tests.fakes.llm.fixtures import Fake, fresh
from tests.fakes.llm.script import BodyError, Call, Fail, StreamError, Text, Tools

SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
TOOLS = (
    ToolSpec("read_file", "Read a file", SCHEMA),
    ToolSpec("list_dir", "List a folder", SCHEMA),
)
CALLS = (
    ToolCall("call_1", "read_file", {"path": "a.py"}),
    ToolCall("call_2", "list_dir", {"path": "."}),
)
HISTORY = [
    ChatMessage.system("You are the reviewer."),
    ChatMessage.system("Repository: acme/app."),
    ChatMessage.user("Look at a.py and the root."),
    ChatMessage.assistant("Reading.", CALLS),
    ChatMessage.tool("call_1", "print('a')"),
    ChatMessage.tool("call_2", "a.py b.py", is_error=True),
]


async def test_anthropic_request_snapshot(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "anthropic")
    fake.script.push(Text("ok"))
    provider = fake.provider()
    options = ChatOptions(
        model=fake.model,
        max_tokens=512,
        temperature=0.2,
        stop=("END",),
        tools=TOOLS,
        tool_choice="required",
        parallel_tool_calls=False,
    )
    await provider.chat(HISTORY, options)
    (request,) = fake.script.accepted
    assert request.headers["anthropic-version"]
    assert request.body == {
        "model": "claude-sonnet-4-6",
        "max_tokens": 512,
        "system": [
            {"type": "text", "text": "You are the reviewer."},
            {
                "type": "text",
                "text": "Repository: acme/app.",
                "cache_control": {"type": "ephemeral"},
            },
        ],
        "messages": [
            {
                # the user turn before the last one: a breakpoint the next step reads from
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": "Look at a.py and the root.",
                        "cache_control": {"type": "ephemeral"},
                    }
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Reading."},
                    {
                        "type": "tool_use",
                        "id": "call_1",
                        "name": "read_file",
                        "input": {"path": "a.py"},
                    },
                    {
                        "type": "tool_use",
                        "id": "call_2",
                        "name": "list_dir",
                        "input": {"path": "."},
                    },
                ],
            },
            {
                # both tool results merged into one user turn
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "print('a')"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "call_2",
                        "content": "a.py b.py",
                        "is_error": True,
                        # the conversation's last block: this step's prefix is cached
                        "cache_control": {"type": "ephemeral"},
                    },
                ],
            },
        ],
        "stop_sequences": ["END"],
        "tools": [
            {"name": "read_file", "description": "Read a file", "input_schema": SCHEMA},
            {
                "name": "list_dir",
                "description": "List a folder",
                "input_schema": SCHEMA,
                "cache_control": {"type": "ephemeral"},
            },
        ],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
    }
    await provider.aclose()  # type: ignore[attr-defined]


async def test_anthropic_overloaded_and_in_stream_errors(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "anthropic")
    provider = fake.provider()
    options = ChatOptions(model=fake.model)
    fake.script.push(Fail(529, "Overloaded", retry_after=3))
    with pytest.raises(errors.OverloadedError) as caught:
        await provider.chat([ChatMessage.user("hi")], options)
    assert caught.value.retry_after == 3 and caught.value.retryable
    fake.script.push(StreamError("", kind="overloaded_error"))
    with pytest.raises(errors.OverloadedError):
        [e async for e in provider.stream([ChatMessage.user("hi")], options)]
    fake.script.push(StreamError("half an answer", kind="api_error", message="Internal"))
    with pytest.raises(errors.StreamInterruptedError) as interrupted:
        [e async for e in provider.stream([ChatMessage.user("hi")], options)]
    assert interrupted.value.partial_text == "half an answer"
    await provider.aclose()  # type: ignore[attr-defined]


async def test_openai_request_snapshot(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "openai")
    fake.script.push(Text("ok"))
    provider = fake.provider()
    options = ChatOptions(model=fake.model, max_tokens=256, tools=TOOLS, tool_choice="read_file")
    await provider.chat(HISTORY, options)
    (request,) = fake.script.accepted
    assert request.headers["authorization"] == "Bearer test-key"
    function = {
        "type": "function",
        "function": {"name": "read_file", "arguments": '{"path": "a.py"}'},
    }
    assert request.body == {
        "model": "gpt-4.1",
        "messages": [
            {"role": "system", "content": "You are the reviewer."},
            {"role": "system", "content": "Repository: acme/app."},
            {"role": "user", "content": "Look at a.py and the root."},
            {
                "role": "assistant",
                "content": "Reading.",
                "tool_calls": [
                    {"id": "call_1"} | function,
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "list_dir", "arguments": '{"path": "."}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "print('a')"},
            {"role": "tool", "tool_call_id": "call_2", "content": "a.py b.py"},
        ],
        "max_completion_tokens": 256,
        "tools": [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": SCHEMA},
            }
            for t in TOOLS
        ],
        "tool_choice": {"type": "function", "function": {"name": "read_file"}},
        "parallel_tool_calls": True,
    }
    await provider.aclose()  # type: ignore[attr-defined]


async def test_openai_parallel_tool_calls_are_all_returned(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "openai")
    fake.script.push(
        Tools((Call("read_file", {"path": "a"}, "c1"), Call("list_dir", {"path": "b"}, "c2")))
    )
    provider = fake.provider()
    events = [
        e
        async for e in provider.stream(
            [ChatMessage.user("go")], ChatOptions(model=fake.model, tools=TOOLS)
        )
    ]
    final = events[-1]
    assert isinstance(final, StreamEnd)
    assert [(c.id, c.name, c.arguments) for c in final.response.tool_calls] == [
        ("c1", "read_file", {"path": "a"}),
        ("c2", "list_dir", {"path": "b"}),
    ]
    await provider.aclose()  # type: ignore[attr-defined]


async def test_openrouter_headers_and_errors_in_a_200_body(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "openrouter")
    provider = fake.provider()
    options = ChatOptions(model=fake.model, max_tokens=100)
    fake.script.push(Text("ok"))
    await provider.chat([ChatMessage.user("hi")], options)
    request = fake.script.accepted[0]
    assert request.headers["http-referer"] == "https://codemonkey.dev"
    assert request.headers["x-title"] == "CodeMonkey"
    assert request.body["max_tokens"] == 100 and "max_completion_tokens" not in request.body
    fake.script.push(BodyError(502, "Provider returned error"))
    with pytest.raises(errors.ServerError, match="Provider returned error"):
        await provider.chat([ChatMessage.user("hi")], options)
    fake.script.push(BodyError(402, "Insufficient credits"))
    with pytest.raises(errors.QuotaExceededError, match="add credits"):
        await provider.chat([ChatMessage.user("hi")], options)
    fake.script.push(StreamError("partial", message="upstream died"))
    with pytest.raises(errors.StreamInterruptedError, match="upstream died"):
        [e async for e in provider.stream([ChatMessage.user("hi")], options)]
    await provider.aclose()  # type: ignore[attr-defined]


async def test_ollama_request_snapshot(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "ollama")
    fake.script.push(Text("ok"))
    provider = fake.provider(num_ctx=16384, keep_alive="10m")
    options = ChatOptions(model=fake.model, max_tokens=300, temperature=0.0, tools=TOOLS[:1])
    await provider.chat(HISTORY[2:5], options)
    (request,) = fake.script.accepted
    assert request.body == {
        "model": "qwen2.5-coder:7b",
        "messages": [
            {"role": "user", "content": "Look at a.py and the root."},
            {
                "role": "assistant",
                "content": "Reading.",
                "tool_calls": [
                    {"function": {"name": "read_file", "arguments": {"path": "a.py"}}},
                    {"function": {"name": "list_dir", "arguments": {"path": "."}}},
                ],
            },
            {"role": "tool", "content": "print('a')", "tool_name": "read_file"},
        ],
        "stream": False,
        "options": {"num_predict": 300, "num_ctx": 16384, "temperature": 0.0},
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "read_file",
                    "description": "Read a file",
                    "parameters": SCHEMA,
                },
            }
        ],
        "keep_alive": "10m",
    }
    await provider.aclose()  # type: ignore[attr-defined]


async def test_ollama_error_line_mid_stream(live_fakes: dict[str, Fake]) -> None:
    fake = fresh(live_fakes, "ollama")
    provider = fake.provider()
    fake.script.push(StreamError("some text", message="out of memory"))
    with pytest.raises(errors.StreamInterruptedError, match="out of memory"):
        [e async for e in provider.stream([ChatMessage.user("hi")], ChatOptions(model=fake.model))]
    await provider.aclose()  # type: ignore[attr-defined]
