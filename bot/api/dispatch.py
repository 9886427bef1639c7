"""HTTP plumbing shared by every `/api/v1` operation.

Order of checks: authenticate (401), rate limit (429), body size (413), then inside one
transaction: authorise (403/404), parse JSON (400), validate (422), run the handler, write
the audit entry for a write, commit; task ids go to the queue only after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.api.auth import authenticate, require_global_role, require_project_role
from bot.api.errors import (
    FieldError,
    MalformedJson,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    error_body,
    error_response,
)
from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.ratelimit import enforce_rate_limit
from bot.api.types import ApiDeps, Principal
from bot.json_input import JsonRejected, int64_or_none, parse_json
from bot.request_body import BodyTooLarge, read_body
from storage.sql.models import AuditEntry, Project, Task

logger = logging.getLogger(__name__)

# Every route accepts every method so an unsupported one gets our JSON 405, not Starlette's.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def build_routes(operations: Sequence[Operation], deps: ApiDeps) -> list[BaseRoute]:
    """One Starlette route per path; the method is dispatched here so 405s are JSON too."""
    by_path: dict[str, dict[str, Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, {})[op.method] = op
    return [
        Route(path, _endpoint(methods, deps), methods=ALL_METHODS)
        for path, methods in by_path.items()
    ]


def _endpoint(
    methods: dict[str, Operation], deps: ApiDeps
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            # HEAD is answered like GET (servers drop the body), as Starlette does.
            op = methods.get("GET" if request.method == "HEAD" else request.method)
            if op is None:
                allowed = ", ".join(sorted(methods))
                raise MethodNotAllowed(f"{request.method} is not supported here; use {allowed}")
            return await _serve(op, request, deps)
        except Exception as exc:
            response = error_response(exc)
            if response is None:
                logger.exception("unexpected error in %s %s", request.method, request.url.path)
                return JSONResponse(
                    error_body("internal_error", "an internal error occurred; see server logs"),
                    status_code=500,
                )
            return response

    return endpoint


def _check_numbers(path: dict[str, Any], query: dict[str, str]) -> None:
    """Ids beyond 64 bits name nothing (404); such query numbers are invalid (422). Both
    would otherwise overflow the database driver."""
    for name, value in path.items():
        if isinstance(value, int) and int64_or_none(str(value)) is None:
            raise NotFound(f"no {name.removesuffix('_id')} has id {value}; list them to find one")
    too_big = [
        FieldError(field=name, location="query", message="the number does not fit in 64 bits")
        for name, value in query.items()
        if value.lstrip("-").isdigit() and int64_or_none(value) is None
    ]
    if too_big:
        raise ValidationFailed(too_big)


async def _serve(op: Operation, request: Request, deps: ApiDeps) -> Response:
    principal = await run_in_threadpool(
        authenticate, deps.database, request.headers.get("authorization")
    )
    limit = deps.settings.api_rate_limit_per_minute
    decision = await run_in_threadpool(enforce_rate_limit, deps.rate_limiter, principal, limit)
    _check_numbers(dict(request.path_params), dict(request.query_params))
    raw = await _read_body(request, deps.settings.api_max_body_bytes) if op.body else b""
    source_ip = request.client.host if request.client else ""
    reply = await run_in_threadpool(
        _run,
        op,
        deps,
        principal,
        dict(request.path_params),
        dict(request.query_params),
        raw,
        source_ip,
    )
    if reply.enqueue:
        await _enqueue(deps, reply.enqueue)
    headers = {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(decision.remaining)}
    if reply.body is None:
        return Response(status_code=op.status, headers=headers)
    return JSONResponse(reply.body.model_dump(mode="json"), status_code=op.status, headers=headers)


async def _enqueue(deps: ApiDeps, task_ids: tuple[int, ...]) -> None:
    """Hand committed task ids to the queue.

    The change is already committed and SQL is the source of truth: queued rows whose ids
    never reached the queue are recovered from SQL, so a queue outage must not turn a
    successful request into an error.
    """
    try:
        await run_in_threadpool(deps.queue.enqueue, task_ids)
    except Exception:
        logger.exception(
            "could not enqueue tasks %s; they stay queued in SQL and will be recovered",
            list(task_ids),
        )


async def _read_body(request: Request, max_bytes: int) -> bytes:
    try:
        return await read_body(request, max_bytes)
    except BodyTooLarge as exc:
        raise PayloadTooLarge(str(exc)) from None


def _run(
    op: Operation,
    deps: ApiDeps,
    principal: Principal,
    path: dict[str, Any],
    query: dict[str, str],
    raw: bytes,
    source_ip: str,
) -> Reply:
    with deps.database.session() as session:
        project: Project | None = None
        task: Task | None = None
        if op.scope is Scope.GLOBAL:
            require_global_role(principal, op.role)
        elif op.scope is Scope.PROJECT:
            project = session.get(Project, path["project_id"])
            if project is None:
                raise NotFound(f"project {path['project_id']} not found; list the projects")
            require_project_role(principal, op.role, project.id)
        elif op.scope is Scope.TASK:
            task = session.get(Task, path["task_id"])
            if task is None or principal.role_on(task.project_id) is None:
                raise NotFound(f"task {path['task_id']} not found; list the tasks")
            require_project_role(principal, op.role, task.project_id)
        else:
            require_project_role(principal, op.role, principal.project_id)
        call = Call(
            session=session,
            principal=principal,
            deps=deps,
            path=path,
            query=_validate(op.query, query, "query") if op.query else None,
            body=_validate(op.body, _parse_json(raw), "body") if op.body else None,
            project=project,
            task=task,
        )
        reply = op.handler(call)
        if op.is_write:
            session.add(
                AuditEntry(
                    actor=principal.actor,
                    action=op.operation_id,
                    target=reply.audit_target,
                    details=dict(reply.audit_details),
                    source_ip=source_ip,
                )
            )
    return reply


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise MalformedJson("this request needs a JSON object body")
    try:
        return parse_json(raw)
    except JsonRejected as exc:
        raise MalformedJson(f"{exc}; send a JSON object") from None


def _validate(model: type[BaseModel], data: Any, location: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            [
                FieldError(
                    field=".".join(str(p) for p in err["loc"]) or location,
                    location=location,
                    message=err["msg"],
                )
                for err in exc.errors()
            ]
        ) from None
