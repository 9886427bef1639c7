"""A strict fake of Anthropic's Messages API (`POST /v1/messages`, `GET /v1/models`).

Follows https://docs.anthropic.com/en/api/messages, /en/api/messages-streaming,
/en/api/errors, /en/docs/build-with-claude/tool-use and /prompt-caching: it rejects what the
real API rejects, with the documented status and `{"type":"error","error":{...}}` body, and
answers with the documented JSON and SSE event sequence.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.llm.script import (
    BodyError,
    ConnectionCut,
    Cut,
    Fail,
    Recorded,
    Script,
    StreamError,
    Text,
    Tools,
    chunks,
    dropped,
)

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
KNOWN_MODELS = ("claude-sonnet-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1")


class Invalid(Exception):
    def __init__(self, status: int, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind or _ERROR_TYPES.get(status, "api_error")


def error_response(
    status: int, kind: str, message: str, retry_after: float | None = None
) -> Response:
    headers = {"request-id": "req_fake"}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    body = {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_fake",
    }
    return JSONResponse(body, status_code=status, headers=headers)


def check_headers(request: Request, script: Script) -> None:
    # The docs show `x-api-key`; the installed SDK (2.x) sends the key as a Bearer token,
    # which the API also accepts. Either is fine; neither is a 401.
    bearer = request.headers.get("authorization", "")
    key = request.headers.get("x-api-key") or (bearer[7:] if bearer.startswith("Bearer ") else "")
    if not key:
        raise Invalid(401, "x-api-key header is required")
    if key != script.api_key:
        raise Invalid(401, "invalid x-api-key")
    if not request.headers.get("anthropic-version"):
        raise Invalid(400, "anthropic-version: header is required")


def _blocks(content: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        if not content:
            raise Invalid(400, f"{where}: text content blocks must be non-empty")
        return [{"type": "text", "text": content}]
    if not isinstance(content, list) or not content:
        raise Invalid(400, f"{where}: content must be a non-empty string or list of blocks")
    for i, block in enumerate(content):
        if not isinstance(block, dict) or "type" not in block:
            raise Invalid(400, f"{where}.{i}.type: Field required")
        if block["type"] == "text" and not block.get("text"):
            raise Invalid(400, f"{where}.{i}: text content blocks must be non-empty")
        if block["type"] == "tool_use" and not isinstance(block.get("input"), dict):
            raise Invalid(400, f"{where}.{i}.tool_use.input: Input should be a valid dictionary")
        _check_cache_control(block, f"{where}.{i}")
    return content


def _check_cache_control(block: dict[str, Any], where: str) -> int:
    control = block.get("cache_control")
    if control is None:
        return 0
    if not isinstance(control, dict) or control.get("type") != "ephemeral":
        raise Invalid(400, f"{where}.cache_control.type: Input should be 'ephemeral'")
    return 1


def validate(body: Any) -> None:
    """The checks the real API applies before running the model."""
    if not isinstance(body, dict):
        raise Invalid(400, "Request body must be a JSON object")
    if "model" not in body:
        raise Invalid(400, "model: Field required")
    if "max_tokens" not in body:
        raise Invalid(400, "max_tokens: Field required")
    if not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1:
        raise Invalid(400, "max_tokens: Input should be greater than or equal to 1")
    if "temperature" in body and not 0 <= body["temperature"] <= 1:
        raise Invalid(400, "temperature: Input should be less than or equal to 1")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise Invalid(400, "messages: Field required")
    if not messages:
        raise Invalid(400, "messages: at least one message is required")
    breakpoints = 0
    system = body.get("system")
    if isinstance(system, list):
        for i, block in enumerate(system):
            if block.get("type") != "text" or not block.get("text"):
                raise Invalid(400, f"system.{i}: text content blocks must be non-empty")
            breakpoints += _check_cache_control(block, f"system.{i}")
    elif system is not None and not isinstance(system, str):
        raise Invalid(400, "system: Input should be a valid string or list of text blocks")
    pending_tool_uses: list[str] = []
    previous_role = None
    for i, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise Invalid(400, f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if i == 0 and role != "user":
            raise Invalid(400, 'messages: first message must use the "user" role')
        if role == previous_role:
            raise Invalid(
                400,
                'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row',
            )
        blocks = _blocks(message.get("content"), f"messages.{i}.content")
        breakpoints += sum(1 for b in blocks if b.get("cache_control"))
        results = [b["tool_use_id"] for b in blocks if b["type"] == "tool_result"]
        if role == "user":
            unexpected = [r for r in results if r not in pending_tool_uses]
            if unexpected:
                raise Invalid(
                    400,
                    f"messages.{i}.content.0: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {unexpected[0]}. Each `tool_result` block must have a "
                    "corresponding `tool_use` block in the previous message.",
                )
            missing = [t for t in pending_tool_uses if t not in results]
            if missing:
                raise Invalid(
                    400,
                    f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {missing[0]}. Each `tool_use` block must have a "
                    "corresponding `tool_result` block in the next message.",
                )
            pending_tool_uses = []
        else:
            if results:
                raise Invalid(
                    400, f"messages.{i}: tool_result blocks are only allowed in user turns"
                )
            pending_tool_uses = [b["id"] for b in blocks if b["type"] == "tool_use"]
        previous_role = role
    tools = body.get("tools") or []
    for i, tool in enumerate(tools):
        if not _TOOL_NAME.match(str(tool.get("name", ""))):
            raise Invalid(
                400,
                f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'",
            )
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise Invalid(400, f"tools.{i}.custom.input_schema.type: Input should be 'object'")
        breakpoints += _check_cache_control(tool, f"tools.{i}")
    if breakpoints > 4:
        raise Invalid(
            400, f"A maximum of 4 blocks with cache_control may be provided. Found {breakpoints}."
        )
    choice = body.get("tool_choice")
    if choice is not None:
        if choice.get("type") not in ("auto", "any", "tool", "none"):
            raise Invalid(400, "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
        if choice["type"] == "tool" and choice.get("name") not in {t["name"] for t in tools}:
            raise Invalid(400, "tool_choice.name: the named tool is not in `tools`")
    if body["model"] not in KNOWN_MODELS:
        raise Invalid(404, f"model: {body['model']}")


def _usage(reply: Text | Tools, output: int | None = None) -> dict[str, int]:
    return {
        "input_tokens": reply.input_tokens,
        "cache_creation_input_tokens": reply.cache_write,
        "cache_read_input_tokens": reply.cache_read,
        "output_tokens": reply.output_tokens if output is None else output,
    }


def _content(reply: Text | Tools) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    if isinstance(reply, Tools):
        for n, call in enumerate(reply.calls):
            arguments = call.arguments if isinstance(call.arguments, dict) else {}
            blocks.append(
                {
                    "type": "tool_use",
                    "id": call.id or f"toolu_fake{n}",
                    "name": call.name,
                    "input": arguments,
                }
            )
    return blocks


def message_json(model: str, reply: Text | Tools) -> dict[str, Any]:
    return {
        "id": "msg_fake01",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _content(reply),
        "stop_reason": "tool_use" if isinstance(reply, Tools) else "end_turn",
        "stop_sequence": None,
        "usage": _usage(reply),
    }


def _sse(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"


async def event_stream(model: str, reply: Text | Tools | Cut | StreamError) -> AsyncIterator[str]:
    """The documented sequence: message_start, (content_block_start, ping?, deltas,
    content_block_stop)*, message_delta, message_stop."""
    full = reply if isinstance(reply, Text | Tools) else Text(reply.text)
    start = message_json(model, full) | {"content": [], "stop_reason": None}
    start["usage"] = _usage(full, output=1)
    yield _sse("message_start", {"message": start})
    index = 0
    if isinstance(reply, Cut) and not reply.text:
        raise ConnectionCut("scripted disconnect")
    if isinstance(reply, StreamError) and not reply.text:
        yield _sse("error", {"error": {"type": reply.kind, "message": reply.message}})
        return
    if full.text:
        yield _sse(
            "content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}
        )
        yield _sse("ping", {})
        for piece in chunks(full.text):
            yield _sse(
                "content_block_delta",
                {"index": 0, "delta": {"type": "text_delta", "text": piece}},
            )
        if isinstance(reply, Cut):
            raise ConnectionCut("scripted disconnect")
        if isinstance(reply, StreamError):
            yield _sse("error", {"error": {"type": reply.kind, "message": reply.message}})
            return
        yield _sse("content_block_stop", {"index": 0})
        index = 1
    if isinstance(full, Tools):
        for n, call in enumerate(full.calls):
            block = {
                "type": "tool_use",
                "id": call.id or f"toolu_fake{n}",
                "name": call.name,
                "input": {},
            }
            yield _sse("content_block_start", {"index": index, "content_block": block})
            for piece in chunks(call.arguments_json(), 7):
                yield _sse(
                    "content_block_delta",
                    {"index": index, "delta": {"type": "input_json_delta", "partial_json": piece}},
                )
            yield _sse("content_block_stop", {"index": index})
            index += 1
    stop = "tool_use" if isinstance(full, Tools) else "end_turn"
    yield _sse(
        "message_delta",
        {
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": full.output_tokens},
        },
    )
    yield _sse("message_stop", {})


def create_app(script: Script) -> Starlette:
    async def messages(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            body = None
        headers = dict(request.headers)
        try:
            check_headers(request, script)
            if body is None:
                raise Invalid(400, "Request body is not valid JSON")
            validate(body)
        except Invalid as exc:
            script.requests.append(Recorded("POST", request.url.path, headers, body, str(exc)))
            return error_response(exc.status, exc.kind, str(exc))
        script.requests.append(Recorded("POST", request.url.path, headers, body))
        reply = await script.next_reply(body)
        if script.prompt_cache is not None and isinstance(reply, Text | Tools):
            measured = script.prompt_cache.usage(body)
            reply = dataclasses.replace(
                reply,
                input_tokens=measured.input_tokens,
                cache_read=measured.cache_read,
                cache_write=measured.cache_write,
            )
        if isinstance(reply, Fail):
            kind = reply.kind or _ERROR_TYPES.get(reply.status, "api_error")
            return error_response(reply.status, kind, reply.message, reply.retry_after)
        if isinstance(reply, BodyError):
            raise AssertionError("BodyError is an OpenRouter behaviour; Anthropic never does it")
        if body.get("stream"):
            return StreamingResponse(
                event_stream(body["model"], reply),
                media_type="text/event-stream",
                headers={"request-id": "req_fake", "cache-control": "no-cache"},
            )
        if isinstance(reply, Cut | StreamError):
            return dropped()
        return JSONResponse(message_json(body["model"], reply), headers={"request-id": "req_fake"})

    async def models(request: Request) -> Response:
        try:
            check_headers(request, script)
        except Invalid as exc:
            return error_response(exc.status, exc.kind, str(exc))
        names = script.models or KNOWN_MODELS
        data = [
            {"type": "model", "id": m, "display_name": m, "created_at": "2025-09-29T00:00:00Z"}
            for m in names
        ]
        return JSONResponse(
            {"data": data, "has_more": False, "first_id": names[0], "last_id": names[-1]}
        )

    return Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
