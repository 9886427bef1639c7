"""The OpenAPI 3.1 description, generated from the operation table and the pydantic schemas.

`extra_paths` lets other route families (the OpenAI-compatible `/v1`) add their path items
to the same document without this module knowing about them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bot.api.errors import ERROR_TABLE
from bot.api.operations import Operation, Scope
from bot.api.schemas import ErrorBody

API_PREFIX = "/api/v1"
_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
_REF = "#/components/schemas/{model}"

JsonMode = Literal["validation", "serialization"]


def openapi_path(path: str) -> str:
    """`/projects/{project_id:int}` -> `/api/v1/projects/{project_id}`."""
    return API_PREFIX + _PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def build_openapi(
    operations: Sequence[Operation],
    *,
    title: str = "CodeMonkey API",
    version: str = "1",
    extra_paths: Mapping[str, Mapping[str, Any]] | None = None,
    extra_schemas: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], JsonMode]] = [(ErrorBody, "serialization")]
    for op in operations:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        if op.response is not None:
            wanted.append((op.response, "serialization"))
    refs, defs = models_json_schema(list(dict.fromkeys(wanted)), ref_template=_REF)
    paths: dict[str, Any] = {}
    for op in operations:
        item = paths.setdefault(openapi_path(op.path), {})
        item[op.method.lower()] = _operation(op, refs)
    for path, path_item in (extra_paths or {}).items():
        paths.setdefault(path, {}).update(path_item)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": {**defs.get("$defs", {}), **(extra_schemas or {})},
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "cm_..."}
            },
        },
        "security": [{"apiKey": []}],
    }


def _operation(op: Operation, refs: Mapping[tuple[Any, JsonMode], Any]) -> dict[str, Any]:
    scope = {
        Scope.GLOBAL: "a global key",
        Scope.PROJECT: "on the project",
        Scope.TASK: "on the task's project",
        Scope.ANY: "results limited to the key's projects",
    }[op.scope]
    out: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "description": f"Requires role `{op.role.value}` ({scope}).",
        "tags": [op.tag],
        "x-required-role": op.role.value,
        "x-scope": op.scope.value,
        "parameters": _parameters(op),
        "responses": _responses(op, refs),
    }
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    return out


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for match in _PARAM.finditer(op.path):
        kind = "integer" if match.group(2) == "int" else "string"
        params.append(
            {"name": match.group(1), "in": "path", "required": True, "schema": {"type": kind}}
        )
    if op.query is not None:
        schema = op.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            param: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": {k: v for k, v in prop.items() if k not in {"title", "description"}},
            }
            if "description" in prop:
                param["description"] = prop["description"]
            params.append(param)
    return params


def _responses(op: Operation, refs: Mapping[tuple[Any, JsonMode], Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.response is not None:
        responses[str(op.status)] = {
            "description": "success",
            "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
        }
    else:
        responses[str(op.status)] = {"description": "success, no content"}
    error = {"application/json": {"schema": refs[(ErrorBody, "serialization")]}}
    possible = {401, 403, 404, 429}
    if op.body is not None:
        possible |= {400, 413, 422}
    if op.query is not None or "{role" in op.path:
        possible.add(422)
    if op.is_write:
        possible.add(409)
    codes = {status: code for status, code in ERROR_TABLE.values()}
    for status in sorted(possible):
        responses[str(status)] = {"description": f"error `{codes[status]}`", "content": error}
    return responses


def render_docs(document: Mapping[str, Any]) -> str:
    """A self-contained HTML page listing every operation; no scripts, no external assets."""
    e = html.escape
    rows = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ok = next(iter(op["responses"].items()))
            ok_schema = ok[1].get("content", {}).get("application/json", {}).get("schema", {})
            params = ", ".join(f"{p['name']} ({p['in']})" for p in op.get("parameters", []))
            rows.append(
                "<tr>"
                f"<td><code>{e(method.upper())}</code></td><td><code>{e(path)}</code></td>"
                f"<td>{e(op.get('x-required-role', ''))} / {e(op.get('x-scope', ''))}</td>"
                f"<td>{e(op.get('summary', ''))}</td><td>{e(params)}</td>"
                f"<td>{e(_ref_name(body.get('schema')))}</td>"
                f"<td>{e(ok[0])} {e(_ref_name(ok_schema))}</td>"
                "</tr>"
            )
    schemas = "".join(
        f'<h3 id="{e(name)}">{e(name)}</h3><pre>{e(json.dumps(schema, indent=2))}</pre>'
        for name, schema in document["components"]["schemas"].items()
    )
    title = e(document["info"]["title"])
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
        "pre{background:#f6f6f6;padding:8px}</style></head><body>"
        f"<h1>{title}</h1><p>Authenticate with <code>Authorization: Bearer cm_...</code>. "
        "Machine-readable description: <a href='/openapi.json'>/openapi.json</a>.</p>"
        "<table><tr><th>method</th><th>path</th><th>role / scope</th><th>summary</th>"
        "<th>parameters</th><th>request</th><th>response</th></tr>"
        + "".join(rows)
        + f"</table><h2>Schemas</h2>{schemas}</body></html>"
    )


def _ref_name(schema: Any) -> str:
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return ""
