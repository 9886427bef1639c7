"""Runs a `FakeGitHub` over real HTTP on 127.0.0.1 (uvicorn in a background thread).

REST     http://127.0.0.1:PORT/api/v3/...   (the GitHub Enterprise layout)
GraphQL  http://127.0.0.1:PORT/api/graphql
git      http://127.0.0.1:PORT/{owner}/{repo}.git
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount

from tests.fakegithub.fake import FakeGitHub
from tests.fakegithub.githttp import git_route
from tests.fakegithub.manifests import web_routes
from tests.fakegithub.routes import graphql_route, routes
from tests.fakegithub.shapes import Urls


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest",
            "status": "404",
        },
        404,
    )


def build_app(fake: FakeGitHub) -> Starlette:
    return Starlette(
        routes=[
            Mount("/api/v3", routes=routes(fake)),
            graphql_route(fake),
            *web_routes(fake),
            git_route(fake),
        ],
        exception_handlers={404: _not_found},
    )


class FakeGitHubServer:
    """Context manager: `with FakeGitHubServer(fake) as server: server.api_url ...`."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.fake.urls.web

    @property
    def api_url(self) -> str:
        """The value for `Settings.github_api_url`."""
        return self.fake.urls.api

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.fake.urls = Urls(f"http://127.0.0.1:{port}")
        config = uvicorn.Config(
            build_app(self.fake), log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="fake-github", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake GitHub server did not start within 10 s")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeGitHubServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
