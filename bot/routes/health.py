"""/healthz (the process is up), /readyz (every backend answers) and /metrics."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.metrics import Metrics
from bot.readiness import Check, run_checks_async


def health_routes(checks: Sequence[Check], metrics: Metrics) -> list[BaseRoute]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        timed = await run_checks_async(checks)
        ready = all(t.result.ok for t in timed)
        body = {
            "status": "ready" if ready else "unavailable",
            "checks": {
                t.result.name: {
                    "ok": t.result.ok,
                    "detail": t.result.detail,
                    "ms": round(t.elapsed_ms, 1),
                }
                for t in timed
            },
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
