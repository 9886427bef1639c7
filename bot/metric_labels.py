"""Label values for the metrics that unauthenticated requests can reach.

Every label value must come from a set the service defines, never from the request: a
client choosing label values creates a new time series per request and grows the
metrics registry (and every scrape) without bound.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from webhooks.events import EVENT_MODELS

# A webhook event the service does not handle, or a malformed header.
OTHER_EVENT = "other"
# A request no route matched.
UNMATCHED_ROUTE = "unmatched"


def webhook_event_label(header: str) -> str:
    """The event name when the service handles it, else `other`."""
    return header if header in EVENT_MODELS else OTHER_EVENT


def route_label(scope: Scope, root_path: str) -> str:
    """The template of the route that served the request (`/api/v1/projects/{project_id:int}`),
    read from the scope after routing; `unmatched` when no route took it.

    `root_path` is the scope's root path before routing; a mount appends its prefix to it,
    and the matched route's template is relative to that prefix.
    """
    route: BaseRoute | None = scope.get("route")
    if not isinstance(route, Route):
        return UNMATCHED_ROUTE
    mounted: str = scope.get("root_path", "")
    prefix = mounted[len(root_path) :] if mounted.startswith(root_path) else ""
    return prefix + route.path
