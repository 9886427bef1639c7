"""A strict fake of Ollama's native API: `POST /api/chat`, `GET /api/tags`, `POST /api/show`.

Follows https://github.com/ollama/ollama/blob/main/docs/api.md: `messages` with `role`,
`content`, `tool_calls` whose `function.arguments` is a JSON object (not a string),
`tools`, `options` (`num_ctx`, `num_predict`, `temperature`, `stop`), `keep_alive`;
`/api/show` takes `{"model": NAME, "verbose": bool?}` and answers with `capabilities`;
streaming is NDJSON (one object per line, the last with `done: true` and
`prompt_eval_count`/`eval_count`); errors are `{"error": "..."}` with the HTTP status.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
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

PULLED_MODELS = ("qwen2.5-coder:7b", "llama3.2:latest")
# `/api/show` capabilities of the pulled models; any other scripted model only completes.
CAPABILITIES = {
    "qwen2.5-coder:7b": ("completion", "tools", "insert"),
    "llama3.2:latest": ("completion", "tools"),
}


class Invalid(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def validate(body: Any, models: tuple[str, ...]) -> None:
    if not isinstance(body, dict):
        raise Invalid(400, "invalid character looking for beginning of value")
    if not body.get("model"):
        raise Invalid(400, "model is required")
    for i, m in enumerate(body.get("messages") or []):
        if m.get("role") not in ("system", "user", "assistant", "tool"):
            raise Invalid(400, f"invalid role {m.get('role')!r} in message {i}")
        if not isinstance(m.get("content", ""), str):
            raise Invalid(
                400,
                "json: cannot unmarshal array into Go struct field "
                "Message.messages.content of type string",
            )
        for call in m.get("tool_calls") or []:
            if not isinstance(call.get("function", {}).get("arguments"), dict):
                raise Invalid(
                    400,
                    "json: cannot unmarshal string into Go struct field "
                    "ToolCallFunction.messages.tool_calls.function.arguments of type "
                    "api.ToolCallFunctionArguments",
                )
    options = body.get("options")
    if options is not None and not isinstance(options, dict):
        raise Invalid(400, "json: cannot unmarshal into Go struct field ChatRequest.options")
    for tool in body.get("tools") or []:
        if tool.get("type") != "function" or not (tool.get("function") or {}).get("name"):
            raise Invalid(400, 'invalid tool definition: type must be "function" with a name')
    if body["model"] not in models:
        raise Invalid(404, f'model "{body["model"]}" not found, try pulling it first')


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _final(model: str, reply: Text | Tools) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": _now(),
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        "total_duration": 4883583458,
        "load_duration": 1334875,
        "prompt_eval_count": reply.input_tokens,
        "prompt_eval_duration": 342546000,
        "eval_count": reply.output_tokens,
        "eval_duration": 4535599000,
    }


def _calls(reply: Tools) -> list[dict[str, Any]]:
    return [
        {
            "function": {
                "name": c.name,
                "arguments": c.arguments,
            }
        }
        for c in reply.calls
    ]


async def ndjson(model: str, reply: Text | Tools | Cut | StreamError) -> AsyncIterator[str]:
    full = reply if isinstance(reply, Text | Tools) else Text(reply.text)
    for piece in chunks(full.text) if full.text else []:
        line = {
            "model": model,
            "created_at": _now(),
            "message": {"role": "assistant", "content": piece},
            "done": False,
        }
        yield json.dumps(line) + "\n"
    if isinstance(reply, Cut):
        raise ConnectionCut("scripted disconnect")
    if isinstance(reply, StreamError):
        yield json.dumps({"error": reply.message}) + "\n"
        return
    if isinstance(full, Tools):
        message = {"role": "assistant", "content": "", "tool_calls": _calls(full)}
        yield (
            json.dumps({"model": model, "created_at": _now(), "message": message, "done": False})
            + "\n"
        )
    yield json.dumps(_final(model, full)) + "\n"


def create_app(script: Script) -> Starlette:
    models = script.models or PULLED_MODELS

    async def chat(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            body = None
        headers = dict(request.headers)
        try:
            validate(body, script.models or models)
        except Invalid as exc:
            script.requests.append(Recorded("POST", request.url.path, headers, body, str(exc)))
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        script.requests.append(Recorded("POST", request.url.path, headers, body))
        reply = await script.next_reply(body)
        if isinstance(reply, Fail):
            return JSONResponse({"error": reply.message}, status_code=reply.status)
        if isinstance(reply, BodyError):
            raise AssertionError("BodyError is an OpenRouter behaviour; Ollama never does it")
        if body.get("stream", True):  # Ollama streams unless told otherwise
            return StreamingResponse(
                ndjson(body["model"], reply), media_type="application/x-ndjson"
            )
        if isinstance(reply, Cut | StreamError):
            return dropped()
        final = _final(body["model"], reply)
        final["message"] = {"role": "assistant", "content": reply.text}
        if isinstance(reply, Tools):
            final["message"]["tool_calls"] = _calls(reply)
        return JSONResponse(final)

    async def tags(request: Request) -> Response:
        data = [
            {
                "name": m,
                "model": m,
                "modified_at": "2025-10-01T10:00:00Z",
                "size": 4683087332,
                "digest": "sha256:" + "0" * 64,
                "details": {
                    "format": "gguf",
                    "family": "qwen2",
                    "parameter_size": "7.6B",
                    "quantization_level": "Q4_K_M",
                },
            }
            for m in (script.models or models)
        ]
        return JSONResponse({"models": data})

    async def show(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            body = None
        headers = dict(request.headers)
        try:
            validate_show(body, script.models or models)
        except Invalid as exc:
            script.requests.append(Recorded("POST", request.url.path, headers, body, str(exc)))
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        script.requests.append(Recorded("POST", request.url.path, headers, body))
        name = body["model"]
        return JSONResponse(
            {
                "modelfile": f"FROM {name}\n",
                "parameters": "num_ctx 4096",
                "template": "{{ .Prompt }}",
                "details": {"format": "gguf", "family": "qwen2", "parameter_size": "7.6B"},
                "model_info": {"general.architecture": "qwen2"},
                "capabilities": list(CAPABILITIES.get(name, ("completion",))),
                "modified_at": "2025-10-01T10:00:00Z",
            }
        )

    return Starlette(
        routes=[
            Route("/api/chat", chat, methods=["POST"]),
            Route("/api/tags", tags, methods=["GET"]),
            Route("/api/show", show, methods=["POST"]),
        ]
    )


def validate_show(body: Any, models: tuple[str, ...]) -> None:
    if not isinstance(body, dict):
        raise Invalid(400, "invalid character looking for beginning of value")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Invalid(400, "model is required")
    if "verbose" in body and not isinstance(body["verbose"], bool):
        raise Invalid(
            400, "json: cannot unmarshal into Go struct field ShowRequest.verbose of type bool"
        )
    if body["model"] not in models:
        raise Invalid(404, f"model '{body['model']}' not found")
