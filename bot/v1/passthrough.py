"""Gateway mode's raw path to OpenAI-compatible upstreams (OpenAI, OpenRouter).

The caller's request bytes go upstream with only the model name rewritten (and
`stream_options.include_usage` asked for when streaming); the upstream's answer comes back
byte for byte except the model name, streamed events passed on as each one completes. No
SDK and no re-serialisation: a body is parsed once (to read the usage object) and the
model name spliced in place; a stream event is read whole only when it carries usage or
an error, the others only have their model name swapped.

Retries and the fallback chain apply only until the first byte goes to the caller: a
non-stream answer is read whole first; a stream is committed when its first data event has
arrived. Usage and cost come from the upstream's usage object and are handed to the
background usage writer, so no database work sits on the request path.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.responses import Response

from agents.providers import errors
from agents.providers.model_ids import ModelId
from agents.providers.pricing import cost_usd, find_price
from agents.providers.provider_config import LLMConfig
from agents.providers.resilience import RetryPolicy
from agents.providers.usage_sinks import UsageSink, usage_record
from bot.v1.errors import OpenAIError
from bot.v1.event_stream import EventStreamResponse
from bot.v1.json_members import JsonObject, NotAnObject, find_member, scan_object, splice
from bot.v1.provider_errors import map_provider_error
from bot.v1.sse_frames import Frame, FrameSplitter
from bot.v1.upstream_errors import UpstreamBroken, body_error
from bot.v1.upstream_usage import tokens_of

if TYPE_CHECKING:
    # The client needs the `server` extra; only gateway mode builds one (bot.app).
    from bot.v1.upstream_pool import UpstreamAnswer, UpstreamPool

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")
_DONE = b"[DONE]"
# A usage or error member that is not null, at any depth: only events with one are read
# whole. (`"usage"` followed by `:` cannot occur inside a JSON string: its quotes would be
# escaped.)
_USAGE_OR_ERROR = re.compile(rb'"(?:usage|error)"\s*:\s*[^n\s]')
_STREAM_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


@dataclass(frozen=True)
class RawRequest:
    """A scanned chat request: what the caller named, and how to re-address it."""

    body: JsonObject
    public_model: str
    stream: bool
    client_wants_usage: bool

    @staticmethod
    def of(body: JsonObject, public_model: str) -> RawRequest:
        clashing = body.duplicates & {"model", "stream", "stream_options"}
        if clashing:
            name = sorted(clashing)[0]
            raise OpenAIError(400, f"Invalid request: '{name}' appears twice; send it once.")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise OpenAIError(
                400,
                "Invalid request: messages: send a non-empty list of messages.",
                param="messages",
            )
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise OpenAIError(400, "Invalid request: stream must be true or false.", param="stream")
        options = body.get("stream_options")
        if options is not None and not isinstance(options, dict):
            raise OpenAIError(
                400, "Invalid request: stream_options must be an object.", param="stream_options"
            )
        wants = bool(stream and options and options.get("include_usage") is True)
        return RawRequest(body, public_model, stream, wants)

    def payload(self, upstream_model: str) -> bytes:
        """The caller's bytes addressed to `upstream_model`, asking for usage if streaming."""
        text = self.body.text
        model = self.body.member("model")
        assert model is not None  # the route was chosen by this request's model
        edits = [(model.start, model.end, json.dumps(upstream_model))]
        if self.stream and not self.client_wants_usage:
            options = self.body.member("stream_options")
            if options is None:
                edits.append(
                    (self.body.close, self.body.close, ',"stream_options":{"include_usage":true}')
                )
            else:
                merged = {**(options.value or {}), "include_usage": True}
                edits.append((options.start, options.end, json.dumps(merged)))
        return splice(text, edits).encode()


class Passthrough:
    def __init__(
        self,
        config: LLMConfig,
        pool: UpstreamPool,
        usage: UsageSink | None,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`usage` must not block (the background writer): it is called on the loop."""
        self._config = config
        self._pool = pool
        self._usage = usage
        self._policy = RetryPolicy(config.retry)
        self._sleep = sleep

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def respond(self, chain: list[ModelId], request: RawRequest) -> Response:
        try:
            if request.stream:
                return await self._stream(chain, request)
            return await self._complete(chain, request)
        except errors.ProviderError as exc:
            mapped = map_provider_error(exc)
            assert mapped is not None
            return mapped.response()

    # the fallback chain and retries, up to the first byte

    async def _first_success(
        self, chain: list[ModelId], attempt: Callable[[ModelId], Awaitable[T]]
    ) -> T:
        failures: list[tuple[str, errors.ProviderError]] = []
        for model_id in chain:
            started = time.monotonic()
            tries = 0
            while True:
                try:
                    return await attempt(model_id)
                except errors.ProviderError as error:
                    tries += 1
                    wait = self._policy.delay(tries, error)
                    if wait is None:
                        failure = error
                        break
                    log.warning(
                        "upstream call failed, retrying",
                        extra={"provider": model_id.provider, "attempt": tries, "wait_s": wait},
                    )
                    await self._sleep(wait)
            self._record(model_id, None, started, ok=False)
            failures.append((str(model_id), failure))
            if not failure.fallback:
                break
        if len(failures) == 1:
            raise failures[0][1]
        raise errors.AllModelsFailedError(failures)

    # non-streaming

    async def _complete(self, chain: list[ModelId], request: RawRequest) -> Response:
        async def attempt(model_id: ModelId) -> bytes:
            started = time.monotonic()
            async with self._pool.limit(model_id.provider):
                answer = await self._pool.open(
                    model_id.provider, model_id.model, request.payload(model_id.model), stream=False
                )
                try:
                    raw = await answer.read()
                except UpstreamBroken as exc:
                    raise self._broken(model_id, exc) from None
                finally:
                    answer.close()
            return self._relay_body(model_id, request, raw, started)

        content = await self._first_success(chain, attempt)
        return Response(content, media_type="application/json")

    def _relay_body(
        self, model_id: ModelId, request: RawRequest, raw: bytes, started: float
    ) -> bytes:
        try:
            body = scan_object(raw.decode())
        except (UnicodeDecodeError, NotAnObject):
            raise errors.ServerError(
                f"{model_id.provider} answered 200 with a body that is not a JSON object",
                provider=model_id.provider,
                status=200,
            ) from None
        if body.get("error") is not None:
            raise self._in_body_error(model_id, body.get("error"))
        self._record(model_id, body.get("usage"), started, ok=True)
        return _renamed(body, request.public_model).encode()

    # streaming

    async def _stream(self, chain: list[ModelId], request: RawRequest) -> Response:
        async def attempt(model_id: ModelId) -> _OpenStream:
            started = time.monotonic()
            limit = self._pool.limit(model_id.provider)
            await limit.acquire()
            answer: UpstreamAnswer | None = None
            try:
                answer = await self._pool.open(
                    model_id.provider, model_id.model, request.payload(model_id.model), stream=True
                )
                relay = _StreamRelay(self, model_id, request, started)
                ready = await relay.until_first_data(answer)
            except BaseException:
                if answer is not None:
                    answer.close()
                limit.release()
                raise
            return _OpenStream(answer, relay, ready, limit)

        opened = await self._first_success(chain, attempt)
        return EventStreamResponse(opened.body(), _STREAM_HEADERS)

    # shared

    def _broken(self, model_id: ModelId, exc: BaseException) -> errors.ProviderError:
        cause = str(exc) if isinstance(exc, UpstreamBroken) else type(exc).__name__
        return errors.StreamInterruptedError(
            f"{model_id.provider}'s answer broke off ({cause})",
            provider=model_id.provider,
        )

    def _in_body_error(self, model_id: ModelId, error: Any) -> errors.ProviderError:
        config = self._pool.config(model_id.provider)
        return body_error(
            model_id.provider, error, model=model_id.model, base_url=config.effective_base_url
        )

    def _record(self, model_id: ModelId, usage: Any, started: float, *, ok: bool) -> None:
        if self._usage is None:
            return
        tokens = tokens_of(usage)
        reported = usage.get("cost") if isinstance(usage, dict) else None
        # A cost the upstream reported (OpenRouter does) is the real charge; else our table.
        known = True
        if isinstance(reported, int | float) and not isinstance(reported, bool) and reported:
            cost = float(reported)
        else:
            price = find_price(model_id.provider, model_id.model, self._config.prices)
            cost, known = cost_usd(tokens, price), price is not None
        try:
            self._usage.record(
                usage_record(
                    model_id.provider,
                    model_id.model,
                    tokens,
                    cost=cost,
                    cost_known=known,
                    started=started,
                    ok=ok,
                )
            )
        except Exception:
            # Losing one usage row must not fail a call that already succeeded.
            log.exception("could not record usage", extra={"model": str(model_id)})


class _StreamRelay:
    """Passes each complete event on: model name spliced, usage read, the usage event
    dropped when only we asked for it, an upstream error event replaced by ours."""

    def __init__(
        self, owner: Passthrough, model_id: ModelId, request: RawRequest, started: float
    ) -> None:
        self._owner = owner
        self._model_id = model_id
        self._request = request
        self._started = started
        self._frames = FrameSplitter()
        self._usage: Any = None
        self._model = json.dumps(request.public_model)
        self._prefix = self._renamed_prefix = b""
        self.done = False
        self.recorded = False

    async def until_first_data(self, answer: UpstreamAnswer) -> bytes:
        """Read until the first data event; raise ProviderError if the upstream fails
        first (so the caller can still be answered with a status, or another try made)."""
        ready: list[bytes] = []
        while True:
            try:
                chunk = await answer.next_chunk()
            except UpstreamBroken as exc:
                raise self._owner._broken(self._model_id, exc) from None
            if not chunk:
                raise self._owner._broken(self._model_id, EOFError())
            saw_data = False
            for frame in self._frames.feed(chunk):
                if frame.data is not None and not saw_data:
                    error = _error_of(frame)
                    if error is not None:
                        raise self._owner._in_body_error(self._model_id, error)
                    saw_data = True
                if not self.ended:
                    out = self.relay(frame)
                    if out:
                        ready.append(out)
            if saw_data:
                return b"".join(ready)

    def feed(self, chunk: bytes) -> bytes:
        """The bytes to pass on for `chunk`: the events it completes, relayed. One write
        per upstream read: events that arrived together leave together, in one send."""
        out: list[bytes] = []
        for frame in self._frames.feed(chunk):
            if self.ended:
                break
            out.append(self.relay(frame))
        return b"".join(out)

    @property
    def ended(self) -> bool:
        """[DONE] or an error event has been passed on: nothing more goes to the caller."""
        return self.recorded

    def relay(self, frame: Frame) -> bytes:
        data = frame.data
        if data is None:
            return frame.raw
        if data.strip() == _DONE:
            self.done = True
            self.finish(ok=True)
            return frame.raw
        if _USAGE_OR_ERROR.search(data) is None:
            # Most events: only the model name changes; their choices are never decoded.
            return self._renamed_event(frame, data)
        try:
            body = scan_object(data.decode())
        except (UnicodeDecodeError, NotAnObject):
            return frame.raw
        error = body.get("error")
        if error is not None:
            self.finish(ok=False)
            return _error_event(self._owner._in_body_error(self._model_id, error))
        usage = body.get("usage")
        if isinstance(usage, dict):
            self._usage = usage
            if not self._request.client_wants_usage and body.get("choices") == []:
                return b""
        model = body.member("model")
        if model is None:
            return frame.raw
        return self._spliced(frame, splice(body.text, [(model.start, model.end, self._model)]))

    def _spliced(self, frame: Frame, data: str) -> bytes:
        return frame.raw[: frame.data_start] + data.encode() + frame.raw[frame.data_end :]

    def _renamed_event(self, frame: Frame, data: bytes) -> bytes:
        # A stream's events share their first bytes through the model member (id, object,
        # created, model): once found, the same bytes are swapped for the renamed ones.
        prefix = self._prefix
        if not data.startswith(prefix) or not prefix:
            try:
                text = data.decode()
            except UnicodeDecodeError:
                return frame.raw
            model = find_member(text, "model")
            if model is None:
                return frame.raw
            prefix = self._prefix = text[: model.end].encode()
            self._renamed_prefix = (text[: model.start] + self._model).encode()
        raw = frame.raw
        rest = data[len(prefix) :]
        return raw[: frame.data_start] + self._renamed_prefix + rest + raw[frame.data_end :]

    def finish(self, *, ok: bool) -> None:
        if not self.recorded:
            self.recorded = True
            self._owner._record(self._model_id, self._usage, self._started, ok=ok)


@dataclass
class _OpenStream:
    answer: UpstreamAnswer
    relay: _StreamRelay
    ready: bytes
    limit: asyncio.Semaphore

    async def body(self) -> AsyncGenerator[bytes, None]:
        relay = self.relay
        try:
            yield self.ready
            try:
                while not relay.ended:
                    chunk = await self.answer.next_chunk()
                    if not chunk:
                        break
                    piece = relay.feed(chunk)
                    if piece:
                        yield piece
            except UpstreamBroken as exc:
                log.warning("upstream stream broke off: %s", exc)
            if not relay.ended:
                relay.finish(ok=False)
                yield _error_event(
                    errors.StreamInterruptedError(
                        "the upstream stream ended before [DONE]", provider=""
                    )
                )
        finally:
            # The caller may have gone away mid-stream: still account for the call.
            relay.finish(ok=relay.done)
            self.answer.close()
            self.limit.release()


def _renamed(body: JsonObject, public_model: str) -> str:
    model = body.member("model")
    if model is None:
        return body.text
    return splice(body.text, [(model.start, model.end, json.dumps(public_model))])


def _error_of(frame: Frame) -> Any:
    data = frame.data
    if data is None or b'"error"' not in data:
        return None
    try:
        return scan_object(data.decode()).get("error")
    except (UnicodeDecodeError, NotAnObject):
        return None


def _error_event(error: errors.ProviderError) -> bytes:
    mapped = map_provider_error(error)
    message = mapped.message if mapped else "The stream failed on the server; retry the request."
    kind = mapped.error_type if mapped else "server_error"
    code = mapped.code if mapped else None
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return b"data: " + json.dumps(body).encode() + b"\n\n"
