"""Load phases for the gateway benchmark: sequential latency, throughput, streaming.

Every answer is checked (status 200 and the fake upstream's fixed answer), so a proxy that
fails fast is counted as failing, not as fast. Counts and timeouts are bounded.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import aiohttp

from tests.bench.fake_openai import ANSWER

REQUEST_TIMEOUT = 30.0
# No phase of one target runs longer than this, whatever the target does.
PHASE_TIMEOUT = 300.0
PROMPT = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Say hello to the benchmark."},
]


@dataclass(frozen=True)
class Target:
    name: str
    base_url: str
    api_key: str
    model: str

    @property
    def url(self) -> str:
        return f"{self.base_url}/v1/chat/completions"

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.api_key}"}

    def body(self, stream: bool = False) -> dict[str, object]:
        body: dict[str, object] = {"model": self.model, "messages": PROMPT, "max_tokens": 64}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body


@dataclass
class Outcome:
    """Timings in milliseconds of the requests that succeeded, and the failures."""

    samples: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)
    # Streams: upstream sent -> client received, of the first event and of the first
    # content event (which arrives on a stream already open), when the events say when
    # they were sent (`x_sent_ns`; a proxy that rebuilds events drops it).
    relay_first: list[float] = field(default_factory=list)
    relay_content: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def fail(self, reason: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or reason

    def add(self, other: Outcome) -> None:
        self.samples += other.samples
        self.firsts += other.firsts
        self.relay_first += other.relay_first
        self.relay_content += other.relay_content
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error


def percentile(samples: list[float], pct: int) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def client(concurrency: int) -> aiohttp.ClientSession:
    # aiohttp rather than httpx: on this benchmark's machine httpx.AsyncClient tops out at
    # about 300-1,000 req/s at concurrency 32 (encode/httpx#3215), aiohttp at 4,000-6,000,
    # and the client must not be what limits the throughput figures.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    )


async def one(http: aiohttp.ClientSession, target: Target, outcome: Outcome) -> None:
    started = time.perf_counter()
    try:
        async with http.post(target.url, json=target.body(), headers=target.headers) as resp:
            status, raw = resp.status, await resp.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        outcome.fail(f"{type(exc).__name__}: {exc}")
        return
    elapsed = (time.perf_counter() - started) * 1000
    text = raw.decode(errors="replace")
    if status != 200:
        outcome.fail(f"HTTP {status}: {text[:300]}")
        return
    try:
        content = json.loads(raw)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        outcome.fail(f"not a chat.completion: {text[:300]}")
        return
    if content != ANSWER:
        outcome.fail(f"unexpected answer {content!r}")
        return
    outcome.samples.append(elapsed)


async def one_stream(http: aiohttp.ClientSession, target: Target, outcome: Outcome) -> None:
    started = time.perf_counter()
    first: float | None = None
    text: list[str] = []
    relays: list[tuple[float, bool]] = []
    done = False
    try:
        body = target.body(stream=True)
        async with http.post(target.url, json=body, headers=target.headers) as resp:
            if resp.status != 200:
                detail = (await resp.read()).decode(errors="replace")
                outcome.fail(f"HTTP {resp.status}: {detail[:300]}")
                return
            async for raw_line in resp.content:
                line = raw_line.rstrip(b"\r\n")
                if not line.startswith(b"data: "):
                    continue
                data = line[len(b"data: ") :]
                if data == b"[DONE]":
                    done = True
                    break
                arrived = time.monotonic_ns()
                event = json.loads(data)
                pieces = [(c.get("delta") or {}).get("content") for c in event.get("choices", [])]
                sent = event.get("x_sent_ns")
                if isinstance(sent, int):
                    relays.append(((arrived - sent) / 1e6, any(pieces)))
                for piece in pieces:
                    if piece:
                        first = first or (time.perf_counter() - started) * 1000
                        text.append(piece)
    except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError) as exc:
        outcome.fail(f"{type(exc).__name__}: {exc}")
        return
    if not done or first is None or "".join(text) != ANSWER:
        outcome.fail(f"bad stream: done={done} text={''.join(text)!r}")
        return
    outcome.firsts.append(first)
    outcome.samples.append((time.perf_counter() - started) * 1000)
    if relays:
        outcome.relay_first.append(relays[0][0])
        outcome.relay_content += [ms for ms, content in relays if content][:1]


async def sequential(target: Target, count: int, warmup: int, stream: bool = False) -> Outcome:
    """`count` requests one after another, after `warmup` unrecorded ones."""
    call = one_stream if stream else one
    outcome = Outcome()
    async with asyncio.timeout(PHASE_TIMEOUT), client(1) as http:
        for _ in range(warmup):
            await call(http, target, Outcome())
        for _ in range(count):
            await call(http, target, outcome)
    return outcome


@dataclass(frozen=True)
class Share:
    """One client process's part of a throughput run, with wall-clock start and end."""

    succeeded: int
    errors: int
    first_error: str
    started: float
    ended: float


async def _share(target: Target, count: int, concurrency: int, start_at: float) -> Share:
    async with asyncio.timeout(PHASE_TIMEOUT), client(concurrency) as http:
        # Open the connections before the clock starts.
        await asyncio.gather(*(one(http, target, Outcome()) for _ in range(concurrency)))
        await asyncio.sleep(max(0.0, start_at - time.time()))
        outcome = Outcome()
        remaining = count

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await one(http, target, outcome)

        started = time.time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        ended = time.time()
    return Share(len(outcome.samples), outcome.errors, outcome.first_error, started, ended)


def _run_share(target: Target, count: int, concurrency: int, start_at: float) -> Share:
    return asyncio.run(_share(target, count, concurrency, start_at))


@dataclass(frozen=True)
class Throughput:
    succeeded: int
    errors: int
    first_error: str
    seconds: float

    @property
    def per_second(self) -> float:
        return self.succeeded / self.seconds if self.seconds > 0 else float("nan")

    def __add__(self, other: Throughput) -> Throughput:
        return Throughput(
            self.succeeded + other.succeeded,
            self.errors + other.errors,
            self.first_error or other.first_error,
            self.seconds + other.seconds,
        )


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (i < total % parts) for i in range(parts)]


def throughput(target: Target, count: int, concurrency: int, processes: int) -> Throughput:
    """`count` requests, `concurrency` in flight at once, split over client `processes`."""
    if processes <= 1:
        shares = [_run_share(target, count, concurrency, time.time())]
    else:
        counts, per_process = _split(count, processes), _split(concurrency, processes)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            # Far enough ahead for every process to start and open its connections.
            start_at = time.time() + 3.0
            futures = [
                pool.submit(_run_share, target, n, c, start_at)
                for n, c in zip(counts, per_process, strict=True)
            ]
            shares = [f.result() for f in futures]
    seconds = max(s.ended for s in shares) - min(s.started for s in shares)
    return Throughput(
        sum(s.succeeded for s in shares),
        sum(s.errors for s in shares),
        next((s.first_error for s in shares if s.first_error), ""),
        seconds,
    )
