"""A server-sent-events response that sends each piece as its iterator yields it.

Starlette's StreamingResponse opens an anyio task group per response (on servers that
speak ASGI spec < 2.4, uvicorn included) to notice a caller who leaves; that, and its
cancel scopes, cost more per stream than relaying the stream's events does. Here one
plain task waits for the disconnect and cancels the sending task.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping

from starlette.responses import Response
from starlette.types import Receive, Scope, Send


class EventStreamResponse(Response):
    media_type = "text/event-stream"

    def __init__(self, pieces: AsyncGenerator[bytes, None], headers: Mapping[str, str]) -> None:
        self._pieces = pieces
        self.status_code = 200
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sender = asyncio.current_task()
        assert sender is not None
        left = False
        sending = True

        async def watch() -> None:
            nonlocal left
            while (await receive())["type"] != "http.disconnect":
                pass
            if sending:
                left = True
                sender.cancel()

        watcher = asyncio.create_task(watch())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for piece in self._pieces:
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not left:
                raise
            # The caller left: nothing more to send to.
            sender.uncancel()
        finally:
            sending = False
            watcher.cancel()
            # Closed here, on this task, whichever way the sending ended (its cleanup
            # accounts for the call and frees the upstream connection).
            await self._pieces.aclose()
