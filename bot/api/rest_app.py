"""Assembles `/api/v1`, `/openapi.json` and `/docs` from the operation table.

The OpenAI-compatible `/v1` routes add their path items to the same OpenAPI document through
`extra_openapi_paths`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from bot.api.dispatch import ALL_METHODS, build_routes
from bot.api.errors import error_body
from bot.api.openapi import API_PREFIX, build_openapi, render_docs
from bot.api.operations import Operation
from bot.api.routes import agents, conversations, deliveries, files, keys, projects, tasks, usage
from bot.api.types import ApiDeps


def api_operations() -> list[Operation]:
    """Every `/api/v1` operation: the single table routes and documentation come from."""
    return [
        *projects.operations(),
        *agents.operations(),
        *tasks.operations(),
        *conversations.operations(),
        *files.operations(),
        *usage.operations(),
        *deliveries.operations(),
        *keys.operations(),
    ]


def build_api_routes(
    deps: ApiDeps,
    *,
    extra_openapi_paths: Mapping[str, Mapping[str, Any]] | None = None,
    extra_openapi_schemas: Mapping[str, Any] | None = None,
) -> list[BaseRoute]:
    """`/api/v1/...`, `GET /openapi.json` and `GET /docs`, ready to add to the app's routes.

    `extra_openapi_paths`/`extra_openapi_schemas` put other routes (such as `/v1`) into the
    same document; their schemas are referenced as `#/components/schemas/<name>`.
    """
    operations = api_operations()
    document = build_openapi(
        operations, extra_paths=extra_openapi_paths, extra_schemas=extra_openapi_schemas
    )
    page = render_docs(document)

    async def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(document)

    async def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def unknown(request: Request) -> JSONResponse:
        return JSONResponse(
            error_body("not_found", f"no API route {request.url.path}; see /docs"),
            status_code=404,
        )

    return [
        Mount(
            API_PREFIX,
            routes=[
                *build_routes(operations, deps),
                Route("/{rest:path}", unknown, methods=ALL_METHODS),
            ],
        ),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
    ]
