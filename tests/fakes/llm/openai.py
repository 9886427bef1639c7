"""A strict fake of OpenAI's chat completions API, and of OpenRouter's variant of it.

OpenAI: https://platform.openai.com/docs/api-reference/chat/create (request, response,
streaming chunks, `stream_options.include_usage`, `data: [DONE]`),
/docs/guides/function-calling and /docs/guides/error-codes (`{"error": {"message", "type",
"param", "code"}}`).
OpenRouter (`openrouter=True`): https://openrouter.ai/docs/api-reference/overview,
/docs/api-reference/streaming (`: OPENROUTER PROCESSING` comments, mid-stream errors as data
events with `finish_reason: "error"`), /docs/api-reference/errors (`{"error": {"code",
"message", "metadata"}}`, errors inside a 200 once the model started) and the attribution
headers `HTTP-Referer` / `X-Title`.
"""

from __future__ import annotations

import json
import re
import time
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

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
OPENAI_MODELS = ("gpt-4.1", "gpt-4.1-mini", "gpt-4o")
OPENROUTER_MODELS = (
    "meta-llama/llama-3.3-70b-instruct",
    "openai/gpt-4.1",
    "anthropic/claude-sonnet-4.5",
)
_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "requests",
    500: "server_error",
    503: "server_error",
}


class Invalid(Exception):
    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.param = param
        self.code = code


class ChatFake:
    def __init__(self, script: Script, *, openrouter: bool = False) -> None:
        self.script = script
        self.openrouter = openrouter

    # errors

    def error(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        kind: str | None = None,
        retry_after: float | None = None,
    ) -> Response:
        headers = {"x-request-id": "req_fake"}
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
        if self.openrouter:
            body: dict[str, Any] = {"error": {"code": status, "message": message, "metadata": {}}}
        else:
            body = {
                "error": {
                    "message": message,
                    "type": kind or _TYPES.get(status, "invalid_request_error"),
                    "param": param,
                    "code": code,
                }
            }
        return JSONResponse(body, status_code=status, headers=headers)

    def check_auth(self, request: Request) -> None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            if self.openrouter:
                raise Invalid(401, "No auth credentials found")
            raise Invalid(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        if auth[7:] != self.script.api_key:
            message = "User not found." if self.openrouter else "Incorrect API key provided."
            raise Invalid(401, message, code="invalid_api_key")

    # validation

    def validate(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise Invalid(400, "We could not parse the JSON body of your request.")
        if not body.get("model"):
            raise Invalid(400, "you must provide a model parameter", param="model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise Invalid(400, "[] is too short - 'messages'", param="messages")
        open_calls: list[str] = []
        for i, m in enumerate(messages):
            role = m.get("role")
            if role not in ("system", "developer", "user", "assistant", "tool"):
                raise Invalid(
                    400,
                    f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', "
                    "'user', 'tool', 'function', and 'developer'.",
                    param=f"messages[{i}].role",
                    code="invalid_value",
                )
            if role == "tool":
                if m.get("tool_call_id") not in open_calls:
                    raise Invalid(
                        400,
                        "Invalid parameter: messages with role 'tool' must be a response to a "
                        "preceeding message with 'tool_calls'.",
                        param=f"messages.[{i}].role",
                    )
                open_calls.remove(m["tool_call_id"])
                continue
            if open_calls:
                raise Invalid(
                    400,
                    "An assistant message with 'tool_calls' must be followed by tool messages "
                    "responding to each 'tool_call_id'. The following tool_call_ids did not "
                    f"have response messages: {', '.join(open_calls)}",
                    param=f"messages.[{i}].role",
                )
            if role == "assistant" and m.get("tool_calls"):
                for call in m["tool_calls"]:
                    if call.get("type") != "function" or not isinstance(
                        call.get("function", {}).get("arguments"), str
                    ):
                        raise Invalid(
                            400,
                            "Invalid tool call in assistant message",
                            param=f"messages[{i}].tool_calls",
                        )
                open_calls = [c["id"] for c in m["tool_calls"]]
            elif m.get("content") is None:
                raise Invalid(
                    400,
                    "Invalid value for 'content': expected a string, got null.",
                    param=f"messages.[{i}].content",
                )
        if open_calls:
            raise Invalid(
                400,
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(open_calls)}",
                param="messages",
            )
        tools = body.get("tools")
        if tools is not None:
            for i, tool in enumerate(tools):
                function = tool.get("function") or {}
                if tool.get("type") != "function":
                    raise Invalid(
                        400,
                        f"Invalid value: '{tool.get('type')}'. Supported values are: "
                        "'function' and 'custom'.",
                        param=f"tools[{i}].type",
                    )
                if not _NAME.match(str(function.get("name", ""))):
                    raise Invalid(
                        400,
                        f"Invalid 'tools[{i}].function.name': string does not match pattern. "
                        "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                        param=f"tools[{i}].function.name",
                        code="invalid_value",
                    )
                parameters = function.get("parameters", {"type": "object"})
                if not isinstance(parameters, dict) or parameters.get("type") != "object":
                    got = parameters.get("type") if isinstance(parameters, dict) else parameters
                    raise Invalid(
                        400,
                        f"Invalid schema for function '{function['name']}': schema must be a "
                        f"JSON Schema of 'type: \"object\"', got 'type: \"{got}\"'.",
                        param=f"tools[{i}].function.parameters",
                        code="invalid_function_parameters",
                    )
        for field in ("tool_choice", "parallel_tool_calls"):
            if field in body and not tools:
                raise Invalid(
                    400,
                    f"Invalid value for '{field}': '{field}' is only allowed when 'tools' "
                    "are specified.",
                    param=field,
                )
        if "stream_options" in body and not body.get("stream"):
            raise Invalid(
                400,
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                param="stream_options",
            )
        if "max_tokens" in body and "max_completion_tokens" in body:
            raise Invalid(
                400, "max_tokens and max_completion_tokens cannot both be set", param="max_tokens"
            )
        known = OPENROUTER_MODELS if self.openrouter else OPENAI_MODELS
        if body["model"] not in (self.script.models or known):
            raise Invalid(
                404,
                f"The model `{body['model']}` does not exist or you do not have access to it.",
                code="model_not_found",
            )

    # responses

    def usage(self, reply: Text | Tools) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "prompt_tokens": reply.input_tokens + reply.cache_read,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.cache_read + reply.output_tokens,
            "prompt_tokens_details": {"cached_tokens": reply.cache_read, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }
        if self.openrouter:
            usage["cost"] = 0.0001
        return usage

    @staticmethod
    def tool_calls(reply: Tools) -> list[dict[str, Any]]:
        return [
            {
                "id": c.id or f"call_fake{n}",
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_json()},
            }
            for n, c in enumerate(reply.calls)
        ]

    def completion(self, model: str, reply: Text | Tools) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text or None,
            "refusal": None,
        }
        if isinstance(reply, Tools):
            message["tool_calls"] = self.tool_calls(reply)
        return {
            "id": "chatcmpl-fake01",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if isinstance(reply, Tools) else "stop",
                }
            ],
            "usage": self.usage(reply),
            "system_fingerprint": "fp_fake",
        }

    def chunk(self, model: str, delta: dict[str, Any], finish: str | None = None) -> str:
        data = {
            "id": "chatcmpl-fake01",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        return f"data: {json.dumps(data)}\n\n"

    async def stream(
        self, body: dict[str, Any], reply: Text | Tools | Cut | StreamError
    ) -> AsyncIterator[str]:
        model = body["model"]
        if self.openrouter:
            yield ": OPENROUTER PROCESSING\n\n"
        yield self.chunk(model, {"role": "assistant", "content": ""})
        full = reply if isinstance(reply, Text | Tools) else Text(reply.text)
        for piece in chunks(full.text) if full.text else []:
            yield self.chunk(model, {"content": piece})
        if isinstance(reply, Cut):
            raise ConnectionCut("scripted disconnect")
        if isinstance(reply, StreamError):
            error = {"code": "server_error", "message": reply.message}
            data = json.loads(self.chunk(model, {"content": ""}, "error")[6:])
            yield f"data: {json.dumps(data | {'error': error})}\n\n"
            return
        if isinstance(full, Tools):
            for n, call in enumerate(self.tool_calls(full)):
                first = {
                    "index": n,
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["function"]["name"], "arguments": ""},
                }
                yield self.chunk(model, {"tool_calls": [first]})
                for piece in chunks(call["function"]["arguments"], 7):
                    yield self.chunk(
                        model, {"tool_calls": [{"index": n, "function": {"arguments": piece}}]}
                    )
        yield self.chunk(model, {}, "tool_calls" if isinstance(full, Tools) else "stop")
        if (body.get("stream_options") or {}).get("include_usage") or self.openrouter:
            data = json.loads(self.chunk(model, {})[6:])
            data["choices"] = []
            data["usage"] = self.usage(full)
            yield f"data: {json.dumps(data)}\n\n"
        yield "data: [DONE]\n\n"

    # endpoints

    async def completions(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            body = None
        headers = dict(request.headers)
        try:
            self.check_auth(request)
            self.validate(body)
        except Invalid as exc:
            self.script.requests.append(Recorded("POST", request.url.path, headers, body, str(exc)))
            return self.error(exc.status, str(exc), param=exc.param, code=exc.code)
        self.script.requests.append(Recorded("POST", request.url.path, headers, body))
        reply = await self.script.next_reply(body)
        if isinstance(reply, Fail):
            return self.error(
                reply.status, reply.message, kind=reply.kind, retry_after=reply.retry_after
            )
        if isinstance(reply, BodyError):
            if not self.openrouter:
                raise AssertionError("BodyError is an OpenRouter behaviour; OpenAI never does it")
            return JSONResponse(
                {"error": {"code": reply.code, "message": reply.message, "metadata": {}}}
            )
        if body.get("stream"):
            return StreamingResponse(self.stream(body, reply), media_type="text/event-stream")
        if isinstance(reply, Cut | StreamError):
            return dropped()
        return JSONResponse(
            self.completion(body["model"], reply), headers={"x-request-id": "req_fake"}
        )

    async def models(self, request: Request) -> Response:
        try:
            self.check_auth(request)
        except Invalid as exc:
            return self.error(exc.status, str(exc), code=exc.code)
        names = self.script.models or (OPENROUTER_MODELS if self.openrouter else OPENAI_MODELS)
        data = [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"} for m in names
        ]
        return JSONResponse({"object": "list", "data": data})


def create_app(script: Script, *, openrouter: bool = False) -> Starlette:
    fake = ChatFake(script, openrouter=openrouter)
    prefix = "/api/v1" if openrouter else "/v1"
    return Starlette(
        routes=[
            Route(f"{prefix}/chat/completions", fake.completions, methods=["POST"]),
            Route(f"{prefix}/models", fake.models, methods=["GET"]),
        ]
    )
