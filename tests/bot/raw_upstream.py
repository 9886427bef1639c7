"""An OpenAI-compatible upstream that answers with exactly the bytes a test scripts, and
records exactly the bytes and headers it was sent: for checking the gateway's raw path."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.llm.server import serve


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a status and body, or (`events`) a 200 event stream whose
    pieces are sent one by one; `hold` pauses after the first piece until released."""

    status: int = 200
    body: bytes = b""
    events: tuple[bytes, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    hold: threading.Event | None = None


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class RawUpstream:
    url: str = ""
    answers: list[Answer] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    async def _chat(self, request: Request) -> Response:
        self.received.append(Received(await request.body(), dict(request.headers)))
        answer = self.answers.pop(0)
        if not answer.events:
            return Response(
                answer.body,
                status_code=answer.status,
                headers=dict(answer.headers),
                media_type="application/json",
            )

        async def pieces() -> AsyncIterator[bytes]:
            for index, piece in enumerate(answer.events):
                yield piece
                while index == 0 and answer.hold is not None and not answer.hold.is_set():
                    await asyncio.sleep(0.005)

        return StreamingResponse(pieces(), media_type="text/event-stream")


@contextmanager
def raw_upstream() -> Iterator[RawUpstream]:
    upstream = RawUpstream()
    app = Starlette(routes=[Route("/v1/chat/completions", upstream._chat, methods=["POST"])])
    with serve(app) as url:
        upstream.url = f"{url}/v1"
        yield upstream
