"""The reply vocabulary every LLM fake understands, and the script/recording they share.

A test pushes replies (text, tool calls, errors, a stream cut mid-way) onto a fake; each
request the fake accepts consumes one reply. Requests the fake rejects as invalid do not
consume a reply, exactly like the real API would not have run the model.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import StreamingResponse

from tests.fakes.llm.prompt_cache import PromptCache


@dataclass(frozen=True)
class Call:
    name: str
    # a dict, or a string sent verbatim (to script invalid JSON arguments)
    arguments: dict[str, Any] | str
    id: str | None = None

    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True)
class Text:
    text: str
    input_tokens: int = 12
    output_tokens: int = 7
    cache_read: int = 0
    cache_write: int = 0


@dataclass(frozen=True)
class Tools:
    calls: tuple[Call, ...]
    text: str = ""
    input_tokens: int = 20
    output_tokens: int = 9
    cache_read: int = 0
    cache_write: int = 0


@dataclass(frozen=True)
class Fail:
    """An HTTP error with the provider's documented body; `kind` overrides the error type."""

    status: int
    message: str = "scripted failure"
    retry_after: float | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Cut:
    """Streaming: send `text` in deltas, then drop the connection. Otherwise: drop it."""

    text: str


@dataclass(frozen=True)
class StreamError:
    """Streaming: send `text`, then the provider's in-stream error event, then end."""

    text: str
    kind: str = "overloaded_error"
    message: str = "Overloaded"


@dataclass(frozen=True)
class BodyError:
    """OpenRouter: HTTP 200 whose body is `{"error": {"code", "message"}}`."""

    code: int
    message: str


@dataclass(frozen=True)
class Hang:
    """Wait `seconds` before answering with `then` (for client timeouts)."""

    seconds: float
    then: Text = Text("too late")


Reply = Text | Tools | Fail | Cut | StreamError | BodyError | Hang


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    # None if the fake accepted the request, else the error it answered with
    rejected: str | None = None


@dataclass
class Script:
    api_key: str = "test-key"
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    models: tuple[str, ...] = ()
    # Chooses each reply from the accepted request body instead of the queue (a team of
    # roles answering in parallel cannot be scripted as one sequence).
    responder: Callable[[Any], Reply] | None = None
    # Set: usage is measured from the request (Anthropic: prompt-cache reads and writes)
    # instead of taken from the scripted reply.
    prompt_cache: PromptCache | None = None

    def push(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def next_reply(
        self, body: Any = None
    ) -> Text | Tools | Fail | Cut | StreamError | BodyError:
        if self.responder is not None and not self.replies:
            chosen = self.responder(body)
            self.replies.appendleft(chosen)
        if not self.replies:
            raise AssertionError("the fake's script is empty: push a reply for every call")
        reply = self.replies.popleft()
        if isinstance(reply, Hang):
            await asyncio.sleep(reply.seconds)
            return reply.then
        return reply

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()
        self.responder = None
        self.prompt_cache = None

    @property
    def accepted(self) -> list[Recorded]:
        return [r for r in self.requests if r.rejected is None]


class ConnectionCut(Exception):
    """Raised inside a streaming body to make the server drop the connection mid-response."""


async def _cut() -> AsyncIterator[bytes]:
    raise ConnectionCut("scripted disconnect")
    yield b""  # pragma: no cover - makes this an async generator


def dropped() -> StreamingResponse:
    """A response that sends its headers and then drops the connection."""
    return StreamingResponse(_cut(), media_type="application/json")


def chunks(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]
