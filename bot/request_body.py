"""Reading a request body with a size limit: the one reader every HTTP route uses
(webhooks, `/api`, `/v1`), each translating `BodyTooLarge` into its own error shape."""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes; send a smaller body")
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it is known to pass `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    # The declared length can lie (or be absent with chunked encoding): count as we read.
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
