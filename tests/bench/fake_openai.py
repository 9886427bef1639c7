"""A lean, fast fake of OpenAI's `POST /v1/chat/completions`, for benchmarks.

Served by uvicorn as `--factory tests.bench.fake_openai:create_app`; the expected API key is
read from `BENCH_UPSTREAM_KEY` by the factory. It is a bare ASGI callable (no framework) so
that the upstream costs as little as possible and proxies in front of it show their own cost.

Requests are checked the way the real API checks them (bearer key, JSON object, required
`model` and `messages`, known parameters only, `stream_options` only with `stream`), and
answers follow the documented shapes: a `chat.completion` object, or `chat.completion.chunk`
server-sent events ending with `data: [DONE]`, with a usage chunk when
`stream_options.include_usage` is set. Errors use the documented `{"error": {...}}` body.

Streams wait `THINK_SECONDS` before the first event and before the first content piece, as
a model does, so that a proxy receives them on a stream it is already waiting on. Each
event carries `x_sent_ns`, the upstream's `time.monotonic_ns()` (one clock for every
process of the machine) as it sends the event: a client subtracts it from its own clock
on arrival to time what each hop added to that chunk.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ANSWER_PIECES = ("Hello", " from", " the", " bench", " upstream", ".")
ANSWER = "".join(ANSWER_PIECES)
KEY_ENV = "BENCH_UPSTREAM_KEY"
THINK_SECONDS = 0.002
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
# The request body parameters documented for Create chat completion.
KNOWN_PARAMS = frozenset(
    {
        "model", "messages", "audio", "frequency_penalty", "function_call", "functions",
        "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "metadata",
        "modalities", "n", "parallel_tool_calls", "prediction", "presence_penalty",
        "prompt_cache_key", "prompt_cache_retention", "reasoning_effort", "response_format",
        "safety_identifier", "seed", "service_tier", "stop", "store", "stream",
        "stream_options", "temperature", "tool_choice", "tools", "top_logprobs", "top_p",
        "user", "verbosity", "web_search_options",
    }
)  # fmt: skip
MAX_BODY = 1 << 20


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": code,
            }
        }


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    key = os.environ.get(KEY_ENV)
    if not key:
        raise RuntimeError(f"Set {KEY_ENV} to the API key the fake upstream should accept.")
    return FakeOpenAI(key)


class FakeOpenAI:
    def __init__(self, api_key: str) -> None:
        self._auth = f"Bearer {api_key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        try:
            if path == "/health" and method == "GET":
                await _send_json(send, 200, {"status": "ok"})
                return
            if path != "/v1/chat/completions":
                raise ApiError(404, f"Invalid URL ({method} {path})", code="unknown_url")
            if method != "POST":
                raise ApiError(405, f"Method {method} is not allowed on {path}; use POST.")
            self._check_key(scope)
            body = _parse(await _read_body(receive))
        except ApiError as exc:
            await _send_json(send, exc.status, exc.body)
            return
        if body.get("stream") is True:
            await _stream(send, body)
        else:
            await _send_json(send, 200, _completion(body))

    def _check_key(self, scope: Scope) -> None:
        for name, value in scope["headers"]:
            if name == b"authorization":
                if value == self._auth:
                    return
                raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")
        raise ApiError(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, f"Request body exceeds {MAX_BODY} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(
            400, "We could not parse the JSON body of your request. Send valid JSON."
        ) from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    for name in body:
        if name not in KNOWN_PARAMS:
            raise ApiError(400, f"Unrecognized request argument supplied: {name}", param=name)
    for name in ("model", "messages"):
        if name not in body:
            raise ApiError(
                400,
                f"Missing required parameter: '{name}'.",
                param=name,
                code="missing_required_parameter",
            )
    if not isinstance(body["model"], str) or not body["model"]:
        raise ApiError(400, "'model' must be a non-empty string.", param="model")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty array.", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ApiError(
                400,
                f"Invalid value for 'messages[{index}].role': expected one of {sorted(ROLES)}.",
                param=f"messages[{index}].role",
            )
    if "stream" in body and not isinstance(body["stream"], bool):
        raise ApiError(400, "'stream' must be a boolean.", param="stream")
    if body.get("stream_options") is not None and body.get("stream") is not True:
        raise ApiError(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
        )
    count = body.get("n", 1)
    if count is None:
        body["n"] = 1
    elif not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 128:
        raise ApiError(400, "'n' must be an integer from 1 to 128.", param="n")
    return body


def _usage(body: dict[str, Any]) -> dict[str, int]:
    # A rough count (about four characters a token) keeps the figures plausible.
    prompt = sum(len(json.dumps(m.get("content", ""))) // 4 + 4 for m in body["messages"])
    completion = len(ANSWER_PIECES) * int(body.get("n", 1))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _header(body: dict[str, Any], obj: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": obj,
        "created": int(time.time()),
        "model": body["model"],
        "system_fingerprint": "fp_bench",
        "service_tier": "default",
    }


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    choices = [
        {
            "index": index,
            "message": {"role": "assistant", "content": ANSWER, "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
        for index in range(int(body.get("n", 1)))
    ]
    return {**_header(body, "chat.completion"), "choices": choices, "usage": _usage(body)}


async def _stream(send: Send, body: dict[str, Any]) -> None:
    head = _header(body, "chat.completion.chunk")
    options = body.get("stream_options") or {}
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    indexes = range(int(body.get("n", 1)))

    def event(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        chunk = {**head, "choices": choices, **extra}
        if include_usage and "usage" not in chunk:
            chunk["usage"] = None
        chunk["x_sent_ns"] = time.monotonic_ns()
        return {"type": "http.response.body", "body": _sse(chunk), "more_body": True}

    def choice(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}

    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream; charset=utf-8")],
        }
    )
    start = {"role": "assistant", "content": "", "refusal": None}
    await asyncio.sleep(THINK_SECONDS)
    await send(event([choice(i, start) for i in indexes]))
    await asyncio.sleep(THINK_SECONDS)
    for piece in ANSWER_PIECES:
        await send(event([choice(i, {"content": piece}) for i in indexes]))
    await send(event([choice(i, {}, "stop") for i in indexes]))
    if include_usage:
        await send(event([], usage=_usage(body)))
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
