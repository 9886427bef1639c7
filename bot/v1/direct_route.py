"""Serving the gateway's hot route without the router.

`POST /v1/chat/completions` is most of a gateway's traffic and the router's work per
request (matching the path against every route in turn, the exception middleware, the
endpoint wrapper) is a measurable share of what the gateway adds to a call. This
middleware sits inside the request-context middleware (so request ids, log context and
metrics stay as they are) and hands that one route's requests to its endpoint directly.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send


class DirectRoute:
    def __init__(self, app: ASGIApp, route: Route) -> None:
        """`route`: a request-response route (its endpoint takes a Request, returns a
        Response) that answers exceptions itself; anything it raises is a server error."""
        self.app = app
        self._route = route
        self._path = route.path
        self._methods = route.methods or set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if (
            scope["type"] != "http"
            or scope["method"] not in self._methods
            or (path != self._path and path != scope.get("root_path", "") + self._path)
        ):
            await self.app(scope, receive, send)
            return
        # What the router sets: the metrics label the request by this route's template.
        scope["route"] = self._route
        scope["endpoint"] = self._route.endpoint
        response = await self._route.endpoint(Request(scope, receive))
        await response(scope, receive, send)
