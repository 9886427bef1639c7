"""The benchmark's fast fake upstream answers in OpenAI's documented shapes.

Checked through the official SDK (which parses the objects, the SSE stream and the error
bodies) and through raw HTTP for the validation the real API does.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai
import pytest

from tests.bench.fake_openai import ANSWER, FakeOpenAI

KEY = "sk-test-upstream"
URL = "http://upstream.test/v1/chat/completions"
MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]


def http(app: FakeOpenAI) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app))


def sdk(key: str = KEY) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key=key,
        base_url="http://upstream.test/v1",
        http_client=http(FakeOpenAI(KEY)),
        max_retries=0,
    )


async def test_completion_parses_with_the_sdk() -> None:
    completion = await sdk().chat.completions.create(
        model="bench-model", messages=MESSAGES, max_completion_tokens=16
    )
    assert completion.object == "chat.completion"
    assert completion.model == "bench-model"
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    usage = completion.usage
    assert usage is not None and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


async def test_stream_with_usage_parses_with_the_sdk() -> None:
    stream = await sdk().chat.completions.create(
        model="bench-model",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ANSWER
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1


async def test_stream_without_usage_has_no_usage_chunk_and_ends_with_done() -> None:
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    headers = {"authorization": f"Bearer {KEY}"}
    async with http(FakeOpenAI(KEY)) as client:
        response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [e for e in response.text.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    payloads = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert all(p["object"] == "chat.completion.chunk" and p["choices"] for p in payloads)
    assert all("usage" not in p for p in payloads)


async def test_wrong_key_is_an_authentication_error_in_the_sdk() -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        await sdk("sk-wrong").chat.completions.create(model="m", messages=MESSAGES)
    assert caught.value.code == "invalid_api_key"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "m"}, 400, "messages"),
        ({"messages": MESSAGES}, 400, "model"),
        ({"model": "m", "messages": []}, 400, "messages"),
        ({"model": "m", "messages": [{"role": "robot", "content": "x"}]}, 400, "messages[0].role"),
        ({"model": "m", "messages": MESSAGES, "temprature": 1}, 400, "temprature"),
        ({"model": "m", "messages": MESSAGES, "stream_options": {}}, 400, "stream_options"),
        ({"model": "m", "messages": MESSAGES, "n": 0}, 400, "n"),
        ([1, 2], 400, None),
    ],
)
async def test_invalid_requests_are_refused_as_documented(
    body: Any, status: int, param: str | None
) -> None:
    headers = {"authorization": f"Bearer {KEY}"}
    async with http(FakeOpenAI(KEY)) as client:
        response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"]


async def test_missing_key_bad_json_method_and_path() -> None:
    async with http(FakeOpenAI(KEY)) as client:
        unauthenticated = await client.post(URL, json={"model": "m", "messages": MESSAGES})
        broken = await client.post(
            URL, content=b"{not json", headers={"authorization": f"Bearer {KEY}"}
        )
        wrong_method = await client.get(URL, headers={"authorization": f"Bearer {KEY}"})
        unknown = await client.post("http://upstream.test/v1/completions", json={})
    assert unauthenticated.status_code == 401
    assert "API key" in unauthenticated.json()["error"]["message"]
    assert broken.status_code == 400
    assert wrong_method.status_code == 405
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_url"
