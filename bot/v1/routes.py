"""`/v1/models` and `/v1/chat/completions`, backed by a model catalog.

A catalog maps an OpenAI `model` name to something that chats: a role agent
(`codemonkey/<role>`, optionally `@owner/repo`), the team (`codemonkey/team`), or, in
gateway mode, a provider model passed straight through (`anthropic/claude-...`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from agents.providers.types import ChatMessage, ChatOptions, ChatResponse, StreamEvent
from bot.json_input import JsonRejected, parse_json
from bot.request_body import BodyTooLarge, read_body
from bot.v1.convert import (
    ChunkWriter,
    RequestConversionError,
    completion_body,
    sse_stream,
    to_messages,
    to_tool_specs,
)
from bot.v1.errors import OpenAIError, model_not_found
from bot.v1.json_members import JsonObject, NotAnObject, scan_object
from bot.v1.schemas import ChatCompletionRequest

log = logging.getLogger(__name__)

PROJECT_HEADER = "x-codemonkey-project"
CHAT_PATH = "/v1/chat/completions"
DEFAULT_MAX_TOKENS = 4096


@dataclass(frozen=True)
class ModelInfo:
    id: str
    owned_by: str


@dataclass(frozen=True)
class ChatTarget:
    """What a request resolved to: the backend, and the model name to report back."""

    backend: ChatBackend
    model: str
    provider_model: str


class ChatBackend(Protocol):
    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse: ...

    def stream(
        self, messages: list[ChatMessage], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]: ...


class RawRoute(Protocol):
    """Answers a request from its raw body (gateway mode's pass-through)."""

    async def respond(self, body: JsonObject, public_model: str) -> Response: ...


# Returns the raw route for a model, or None for the ChatBackend path.
RawResolver = Callable[[str, str | None, Any], Awaitable[RawRoute | None]]


class ModelCatalog(Protocol):
    def list_models(self, caller: Any) -> list[ModelInfo]: ...

    async def resolve(self, model: str, project: str | None, caller: Any) -> ChatTarget:
        """Raise OpenAIError (404) for an unknown model or project."""
        ...


# Returns the authenticated caller, or raises OpenAIError (401/403/429).
Authenticator = Callable[[Request], Awaitable[Any]]
# Maps a provider error to an OpenAIError; returns None when it is not a provider error.
ErrorMapper = Callable[[BaseException], OpenAIError | None]


def v1_routes(
    catalog: ModelCatalog,
    authenticate: Authenticator,
    map_error: ErrorMapper,
    *,
    max_body_bytes: int,
    chat_authenticate: Authenticator | None = None,
    raw_routes: RawResolver | None = None,
) -> list[BaseRoute]:
    """`chat_authenticate` guards `/v1/chat/completions` (it spends model budget); by
    default the same check as the model list. `raw_routes` picks the models whose request
    bytes are passed straight through (gateway mode)."""
    authenticate_chat = chat_authenticate or authenticate

    async def list_models(request: Request) -> Response:
        try:
            caller = await authenticate(request)
        except OpenAIError as exc:
            return exc.response()
        created = int(time.time())
        data = [
            {"id": m.id, "object": "model", "created": created, "owned_by": m.owned_by}
            for m in catalog.list_models(caller)
        ]
        return JSONResponse({"object": "list", "data": data})

    async def get_model(request: Request) -> Response:
        try:
            caller = await authenticate(request)
        except OpenAIError as exc:
            return exc.response()
        wanted = request.path_params["model"]
        for model in catalog.list_models(caller):
            if model.id == wanted:
                return JSONResponse(
                    {"id": model.id, "object": "model", "created": 0, "owned_by": model.owned_by}
                )
        return model_not_found(wanted).response()

    async def chat_completions(request: Request) -> Response:
        try:
            caller = await authenticate_chat(request)
            raw = await _read_body(request, max_body_bytes)
            if raw_routes is not None:
                answered = await _try_raw(raw_routes, raw, request, caller)
                if answered is not None:
                    return answered
            body = _decode_json(raw)
            parsed = _parse(body)
            target = await catalog.resolve(
                parsed.model, request.headers.get(PROJECT_HEADER), caller
            )
            messages = to_messages(parsed)
            options = ChatOptions(
                model=target.provider_model,
                max_tokens=parsed.token_limit or DEFAULT_MAX_TOKENS,
                temperature=parsed.temperature,
                stop=parsed.stop_sequences,
                tools=to_tool_specs(parsed),
                tool_choice=parsed.tool_choice_value,
                parallel_tool_calls=parsed.parallel_tool_calls is not False,
                extra={"user": parsed.user} if parsed.user else {},
            )
            if parsed.stream:
                include_usage = bool(parsed.stream_options and parsed.stream_options.include_usage)
                return await _stream_response(target, messages, options, include_usage, map_error)
            response = await target.backend.chat(messages, options)
        except OpenAIError as exc:
            return exc.response()
        except RequestConversionError as exc:
            return OpenAIError(400, str(exc), param=exc.param).response()
        except Exception as exc:
            mapped = map_error(exc)
            if mapped is None:
                raise
            return mapped.response()
        return JSONResponse(completion_body(response, target.model))

    return [
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", get_model, methods=["GET"]),
        Route(CHAT_PATH, chat_completions, methods=["POST"]),
    ]


async def _try_raw(
    raw_routes: RawResolver, raw: bytes, request: Request, caller: Any
) -> Response | None:
    """The raw route's answer, or None when the model is not served that way (or the body
    is not a JSON object: the ordinary path then says what is wrong with it)."""
    try:
        body = scan_object(raw.decode())
    except (UnicodeDecodeError, NotAnObject):
        return None
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return None
    route = await raw_routes(model, request.headers.get(PROJECT_HEADER), caller)
    if route is None:
        return None
    return await route.respond(body, model)


async def _read_body(request: Request, limit: int) -> bytes:
    try:
        return await read_body(request, limit)
    except BodyTooLarge:
        raise OpenAIError(
            413, f"Request body exceeds {limit} bytes; send a smaller request."
        ) from None


def _decode_json(raw: bytes) -> Any:
    try:
        return parse_json(raw)
    except JsonRejected as exc:
        raise OpenAIError(
            400,
            f"We could not parse the JSON body of your request ({exc}). Send a valid JSON object.",
        ) from None


def _parse(body: Any) -> ChatCompletionRequest:
    try:
        return ChatCompletionRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise OpenAIError(400, f"Invalid request: {param}: {first['msg']}", param=param) from None


async def _stream_response(
    target: ChatTarget,
    messages: list[ChatMessage],
    options: ChatOptions,
    include_usage: bool,
    map_error: ErrorMapper,
) -> Response:
    events = target.backend.stream(messages, options).__aiter__()
    # Pull the first event before answering so that an immediate upstream failure
    # (bad key, rate limit) still gets a proper HTTP status instead of a 200 stream.
    first = await events.__anext__()
    writer = ChunkWriter(target.model, include_usage=include_usage)

    async def replay() -> AsyncIterator[StreamEvent]:
        yield first
        async for event in events:
            yield event

    async def body() -> AsyncIterator[bytes]:
        try:
            async for line in sse_stream(replay(), writer):
                yield line
        except Exception as exc:
            mapped = map_error(exc)
            if mapped is None:
                log.exception("stream failed")
                yield writer.error("The stream failed on the server; retry the request.")
            else:
                yield writer.error(mapped.message, mapped.error_type)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
