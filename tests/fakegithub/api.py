"""The request pipeline of the fake REST API: auth, faults, rate-limit headers, recording."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakegithub.render import Renderer
from tests.fakegithub.state import RecordedRequest, Repo, TokenGrant

if TYPE_CHECKING:
    from tests.fakegithub.fake import FakeGitHub

DOCS = "https://docs.github.com/rest"
JWT_MAX_LIFETIME = 600
CLOCK_LEEWAY = 60


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message": self.message,
            "documentation_url": DOCS,
            "status": str(self.status),
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def invalid(top: str = "Validation Failed", /, **error: Any) -> ApiError:
    return ApiError(422, top, errors=[error] if error else [])


# GitHub's limit on an issue's, pull request's or comment's body (characters).
MAX_ISSUE_BODY_CHARS = 65536
# ... and on a check run's `output.summary` and `output.text`.
MAX_CHECK_OUTPUT_CHARS = 65535


def refuse_long_body(body: object, resource: str) -> None:
    """422 as GitHub answers a body over its limit (the whole request is refused)."""
    if isinstance(body, str) and len(body) > MAX_ISSUE_BODY_CHARS:
        raise invalid(
            resource=resource,
            code="custom",
            field="body",
            message=f"body is too long (maximum is {MAX_ISSUE_BODY_CHARS} characters)",
        )


def refuse_long_output(output: dict[str, Any]) -> None:
    for key in ("summary", "text"):
        value = output.get(key)
        if isinstance(value, str) and len(value) > MAX_CHECK_OUTPUT_CHARS:
            raise invalid(
                f"Invalid request.\n\nOnly {MAX_CHECK_OUTPUT_CHARS} characters are allowed; "
                f"{len(value)} were supplied."
            )


@dataclass
class Emit:
    event: str
    action: str | None
    repo: str
    sender: str
    objects: dict[str, Any]


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    emits: list[Emit] = field(default_factory=list)


@dataclass
class Ctx:
    fake: FakeGitHub
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    grant: TokenGrant | None
    render: Renderer

    @property
    def actor(self) -> str:
        assert self.grant is not None
        return self.grant.actor

    def repo(self) -> Repo:
        """The repository named in the path, if the token reaches it (GitHub hides it otherwise)."""
        full_name = f"{self.params['owner']}/{self.params['repo']}"
        repo = self.fake.repos.get(full_name)
        if repo is None or self.grant is None or full_name not in self.grant.repos:
            raise not_found()
        return repo

    def field(self, name: str, kind: type | tuple[type, ...], *, required: bool = False) -> Any:
        if not isinstance(self.body, dict):
            raise ApiError(400, "Problems parsing JSON")
        value = self.body.get(name)
        if value is None:
            if required:
                raise invalid(f'Invalid request.\n\n"{name}" wasn\'t supplied.')
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise invalid(f"Invalid request.\n\nFor '{name}', {value!r} is not a valid value.")
        if required and isinstance(value, str) and not value.strip():
            raise invalid("Validation Failed", resource="Body", field=name, code="missing_field")
        return value

    def page(self, items: list[Any], url: str) -> Reply:
        """One page of a list with GitHub's `Link` header."""
        per_page = min(max(int(self.query.get("per_page", "30")), 1), 100)
        page = max(int(self.query.get("page", "1")), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max((len(items) + per_page - 1) // per_page, 1)
        links = []
        if page < last:
            links.append(f'<{url}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{url}?per_page={per_page}&page={last}>; rel="last"')
        return Reply(200, chunk, {"Link": ", ".join(links)} if links else {})


Handler = Callable[[Ctx], Reply]
AuthKind = str  # "token" (installation or workflow token), "jwt" (the app), "none"


def verify_app_jwt(fake: FakeGitHub, token: str) -> None:
    """GitHub's checks: RS256 by the app's key, `iss` the app id, `exp` within 10 minutes."""
    try:
        claims = jwt.decode(
            token,
            fake.app.public_key_pem,
            algorithms=["RS256"],
            options={"require": ["iat", "exp", "iss"], "verify_iss": False},
            leeway=0,
        )
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(
            401,
            "'Expiration time' claim ('exp') must be a numeric value "
            "representing the future time at which the assertion expires",
        ) from exc
    except jwt.PyJWTError as exc:
        raise ApiError(401, "A JSON web token could not be decoded") from exc
    now = time.time()
    if str(claims["iss"]) != str(fake.app.id):
        raise ApiError(401, "'Issuer' claim ('iss') must be an Integer")
    if (
        claims["exp"] > now + JWT_MAX_LIFETIME + CLOCK_LEEWAY
        or claims["exp"] - claims["iat"] > JWT_MAX_LIFETIME
    ):
        raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")
    if claims["iat"] > now + CLOCK_LEEWAY:
        raise ApiError(
            401,
            "'Issued at' claim ('iat') must be an Integer representing the time "
            "that the assertion was issued",
        )


def bearer(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return scheme.lower(), value.strip()


def authenticate(fake: FakeGitHub, request: Request, kind: AuthKind) -> TokenGrant | None:
    if kind == "none":
        return None
    scheme, value = bearer(request)
    if not value:
        raise ApiError(401, "Requires authentication")
    if kind == "jwt":
        if scheme != "bearer":
            raise ApiError(401, "A JSON web token could not be decoded")
        verify_app_jwt(fake, value)
        return None
    if scheme not in ("token", "bearer"):
        raise ApiError(401, "Bad credentials")
    grant = fake.tokens.get(value)
    if grant is None or grant.expires_at <= time.time():
        raise ApiError(401, "Bad credentials")
    return grant


def _auth_label(request: Request) -> str:
    scheme, value = bearer(request)
    if not value:
        return ""
    return "bearer-jwt" if value.count(".") == 2 else scheme


def endpoint(fake: FakeGitHub, handler: Handler, auth: AuthKind) -> Callable[..., Any]:
    async def run(request: Request) -> Response:
        raw = await request.body()
        body: Any = None
        status = 500
        try:
            try:
                body = json.loads(raw) if raw else {}
            except ValueError as exc:
                raise ApiError(400, "Problems parsing JSON") from exc
            if not request.headers.get("user-agent"):
                raise ApiError(
                    403,
                    "Request forbidden by administrative rules. Please make "
                    "sure your request has a User-Agent header",
                )
            fault = fake.take_fault(request.url.path.removeprefix("/api/v3"))
            if fault is not None:
                status = fault.status
                return JSONResponse(fault.body, fault.status, headers=fault.headers)
            reply = await run_in_threadpool(_call, fake, request, handler, auth, body)
            for emit in reply.emits:
                await run_in_threadpool(
                    fake.emit, emit.event, emit.action, emit.repo, emit.sender, **emit.objects
                )
            status = reply.status
            headers = {**_rate_headers(fake), **reply.headers}
            if reply.status == 204:
                return Response(status_code=204, headers=headers)
            return JSONResponse(reply.body, reply.status, headers=headers)
        except ApiError as err:
            status = err.status
            return JSONResponse(
                err.body(), err.status, headers={**_rate_headers(fake), **err.headers}
            )
        finally:
            with fake.lock:
                fake.requests.append(
                    RecordedRequest(
                        request.method,
                        request.url.path.removeprefix("/api/v3"),
                        request.url.query,
                        status,
                        body,
                        _auth_label(request),
                    )
                )

    return run


def _call(fake: FakeGitHub, request: Request, handler: Handler, auth: AuthKind, body: Any) -> Reply:
    with fake.lock:
        grant = authenticate(fake, request, auth)
        query = dict(request.query_params)
        ctx = Ctx(fake, dict(request.path_params), query, body, grant, Renderer(fake))
        if auth == "token":
            fake.rate_remaining = max(fake.rate_remaining - 1, 0)
        return handler(ctx)


def _rate_headers(fake: FakeGitHub) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(fake.rate_limit),
        "x-ratelimit-remaining": str(fake.rate_remaining),
        "x-ratelimit-reset": str(fake.rate_reset),
        "x-ratelimit-used": str(fake.rate_limit - fake.rate_remaining),
        "x-ratelimit-resource": "core",
        "x-github-media-type": "github.v3; format=json",
    }


GRAPHQL_MUTATION = re.compile(r"mutation\s*\w*\s*\(\$input:\s*(\w+)Input!\)\s*\{\s*(\w+)\(")
