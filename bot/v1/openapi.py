"""The `/v1` part of the OpenAPI description served at `/openapi.json`."""

from __future__ import annotations

from typing import Any

from bot.v1.schemas import ChatCompletionRequest

_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
            "required": ["message", "type"],
        }
    },
    "required": ["error"],
}
_MODEL = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "object": {"const": "model"},
        "created": {"type": "integer"},
        "owned_by": {"type": "string"},
    },
    "required": ["id", "object", "created", "owned_by"],
}


def _errors(*statuses: int) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/OpenAIError"}
    return {
        str(s): {"description": "error", "content": {"application/json": {"schema": ref}}}
        for s in statuses
    }


def v1_openapi() -> tuple[dict[str, Any], dict[str, Any]]:
    """(paths, component schemas) for `/v1`."""
    schemas: dict[str, Any] = {"OpenAIError": _ERROR, "Model": _MODEL}
    request_schema = ChatCompletionRequest.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    schemas.update(request_schema.pop("$defs", {}))
    schemas["ChatCompletionRequest"] = request_schema
    security: list[dict[str, list[str]]] = [{"apiKey": []}]
    paths: dict[str, Any] = {
        "/v1/models": {
            "get": {
                "tags": ["openai"],
                "summary": "List the models: role agents, the team, gateway models",
                "operationId": "v1_models_list",
                "security": security,
                "responses": {
                    "200": {
                        "description": "the models",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "object": {"const": "list"},
                                        "data": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Model"},
                                        },
                                    },
                                }
                            }
                        },
                    },
                    **_errors(401, 429),
                },
            }
        },
        "/v1/chat/completions": {
            "post": {
                "tags": ["openai"],
                "summary": "Chat with an agent (or a provider model in gateway mode)",
                "description": "OpenAI-compatible. With `stream: true` the answer arrives as "
                "server-sent `chat.completion.chunk` events ending in `data: [DONE]`. "
                "Choose the project with `X-CodeMonkey-Project: owner/repo` or a model "
                "suffix `@owner/repo`.",
                "operationId": "v1_chat_completions",
                "security": security,
                "parameters": [
                    {
                        "name": "X-CodeMonkey-Project",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ChatCompletionRequest"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "a chat.completion object, or an SSE stream of chunks",
                        "content": {
                            "application/json": {"schema": {"type": "object"}},
                            "text/event-stream": {"schema": {"type": "string"}},
                        },
                    },
                    **_errors(400, 401, 404, 413, 429, 502, 503, 504),
                },
            }
        },
    }
    return paths, schemas
