"""Added latency and throughput of `/v1/chat/completions` in gateway mode.

Run from the repository root: python -m tests.bench.bench_gateway [--skip-litellm] [...]

Starts, on free 127.0.0.1 ports, a fast fake OpenAI upstream, LiteLLM's proxy (from its own
venv, created on first use) and `codemonkey serve` in gateway mode, both proxies pointed at
that upstream. Then, per target: p50/p99 latency of sequential requests (concurrency 1),
requests per second at a fixed concurrency, and a streaming run (time to the first content
chunk and to `[DONE]`). Prints the figures beside the upstream called directly, and stops
everything it started.

Setup of each target:
- upstream: `tests/bench/fake_openai.py` under uvicorn (`--upstream-workers`, default 2).
- LiteLLM: `litellm --config ... --num_workers 1`, model `bench` -> `openai/bench-model` at
  the upstream, a master key (so both proxies authenticate every request), no database;
  `LITELLM_LOCAL_MODEL_COST_MAP=True` (no cost-map download at start), `LITELLM_MODE=
  PRODUCTION` (no `.env` loading), `LITELLM_LOG=ERROR`, telemetry off.
- CodeMonkey: `python -m bot serve` with `CODEMONKEY_GATEWAY_MODE=true`, `OPENAI_BASE_URL`
  at the upstream, a temporary data dir (embedded SQLite) and a key from
  `codemonkey keys create`; model `openai/bench-model`; the per-key rate limit is raised.
Services get only PATH/HOME/locale from the caller's environment.

The load client is aiohttp (see `gateway_load.client`). On a small machine the client,
the proxy and the upstream share the CPUs, so throughput figures are comparisons between
targets on the same machine, not capacities.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import signal
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench.gateway_load import (
    Outcome,
    Target,
    Throughput,
    percentile,
    sequential,
    throughput,
)
from tests.bench.gateway_proxies import (
    LITELLM_MODEL,
    UPSTREAM_MODEL,
    ensure_litellm_venv,
    start_codemonkey,
    start_litellm,
)
from tests.bench.gateway_services import (
    Running,
    ServiceError,
    cpu_seconds,
    start_upstream,
    stop,
)

DEFAULT_LITELLM_VENV = Path("/work/.bench-venvs/litellm")
CODEMONKEY_NAME = "codemonkey gateway"


@dataclass
class Result:
    target: Target
    latency: Outcome = field(default_factory=Outcome)
    rate: Throughput = field(default_factory=lambda: Throughput(0, 0, "", 0.0))
    stream: Outcome = field(default_factory=Outcome)
    # The target's processes' CPU seconds over the throughput and the streaming phases
    # (None: not measured): what one request costs it, whatever else loads the machine.
    service: Running | None = None
    rate_cpu: float = 0.0
    rate_calls: int = 0
    stream_cpu: float = 0.0
    stream_calls: int = 0

    def cpu(self) -> float:
        return cpu_seconds(self.service) if self.service is not None else float("nan")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--requests", type=int, default=300, help="sequential requests")
    parser.add_argument("--warmup", type=int, default=30, help="unrecorded requests first")
    parser.add_argument("--throughput-requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--client-processes",
        type=int,
        default=1,
        help="client processes sharing the throughput run (when one client is the limit)",
    )
    parser.add_argument("--stream-requests", type=int, default=200, help="0 skips streaming")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="each count is split into rounds that take the targets in turn, so that a "
        "burst of load from elsewhere on the machine does not fall on one target only",
    )
    parser.add_argument("--upstream-workers", type=int, default=2)
    parser.add_argument("--litellm-venv", type=Path, default=DEFAULT_LITELLM_VENV)
    parser.add_argument("--skip-litellm", action="store_true")
    parser.add_argument("--skip-codemonkey", action="store_true")
    parser.add_argument(
        "--codemonkey-workers",
        type=int,
        default=1,
        help="`serve --workers N`; above 1 the processes share a fresh PostgreSQL schema "
        "(CODEMONKEY_TEST_POSTGRES_URL) and Redis (CODEMONKEY_TEST_REDIS_URL)",
    )
    parser.add_argument("--work-dir", type=Path, help="keep configs and logs here")
    args = parser.parse_args(argv)
    for name in (
        "requests",
        "throughput_requests",
        "concurrency",
        "client_processes",
        "rounds",
        "codemonkey_workers",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def _share(total: int, rounds: int, index: int) -> int:
    return total // rounds + (index < total % rounds)


def warm_up(target: Target, args: argparse.Namespace) -> None:
    """Warm the target up; raise ServiceError when it does not answer correctly."""
    print(f"warming up {target.name}...", flush=True)
    check = asyncio.run(sequential(target, 1, args.warmup))
    if check.errors:
        hint = ""
        if check.first_error.startswith("HTTP 404"):
            hint = " (the route is not served: is gateway mode wired on this branch?)"
        raise ServiceError(f"{target.name} does not answer correctly: {check.first_error}{hint}")
    streamed = asyncio.run(sequential(target, 1, 0, stream=True))
    if args.stream_requests and streamed.errors:
        raise ServiceError(f"{target.name} does not stream correctly: {streamed.first_error}")


def measure(
    targets: list[Target], args: argparse.Namespace, services: dict[str, Running]
) -> list[Result]:
    results = [Result(target, service=services.get(target.name)) for target in targets]
    for index in range(args.rounds):
        print(f"round {index + 1} of {args.rounds}...", flush=True)
        # Rotate the order so no target always runs first (or last) in a round.
        order = results[index % len(results) :] + results[: index % len(results)]
        for r in order:
            count = _share(args.requests, args.rounds, index)
            r.latency.add(asyncio.run(sequential(r.target, count, min(5, args.warmup))))
        for r in order:
            count = _share(args.throughput_requests, args.rounds, index)
            before = r.cpu()
            r.rate += throughput(r.target, count, args.concurrency, args.client_processes)
            r.rate_cpu += r.cpu() - before
            # Each client process opens its connections with one request apiece first.
            r.rate_calls += count + args.concurrency * args.client_processes
        for r in order:
            count = _share(args.stream_requests, args.rounds, index)
            if count:
                stream = sequential(r.target, count, min(5, args.warmup), stream=True)
                before = r.cpu()
                r.stream.add(asyncio.run(stream))
                r.stream_cpu += r.cpu() - before
                r.stream_calls += count + min(5, args.warmup)
    return results


def _per_call_ms(seconds: float, calls: int) -> float:
    return seconds * 1000 / calls if calls else float("nan")


def _ms(value: float) -> str:
    return f"{value:8.2f}"


def _added(value: float, base: float, first: bool) -> str:
    return f"{'-':>8}" if first else f"{value - base:+8.2f}"


def report(results: list[Result], args: argparse.Namespace) -> None:
    base = results[0]
    print()
    print(
        f"POST /v1/chat/completions, non-streaming. Latency: {args.requests} sequential "
        f"requests after {args.warmup} warm-up. Throughput: {args.throughput_requests} "
        f"requests at concurrency {args.concurrency} from {args.client_processes} aiohttp "
        f"client process(es), in {args.rounds} interleaved rounds. Added = minus the upstream "
        "called directly."
    )
    print(
        f"{'target':<28} {'p50 ms':>8} {'p99 ms':>8} {'+p50 ms':>8} {'+p99 ms':>8} "
        f"{'req/s':>8} {'cpu ms':>7} {'errors':>7}"
    )
    b50, b99 = percentile(base.latency.samples, 50), percentile(base.latency.samples, 99)
    for r in results:
        p50, p99 = percentile(r.latency.samples, 50), percentile(r.latency.samples, 99)
        errors = r.latency.errors + r.rate.errors
        print(
            f"{r.target.name:<28} {_ms(p50)} {_ms(p99)} {_added(p50, b50, r is base)} "
            f"{_added(p99, b99, r is base)} {r.rate.per_second:8.0f} "
            f"{_per_call_ms(r.rate_cpu, r.rate_calls):7.3f} {errors:7d}"
        )
    print(
        "cpu ms = CPU time of the target's own processes per request in the throughput "
        "phase (1000 / cpu ms = requests per second it could serve per core it had alone)."
    )
    by_name = {r.target.name: r for r in results}
    litellm = next((r for name, r in by_name.items() if name.startswith("LiteLLM")), None)
    ours = by_name.get(CODEMONKEY_NAME)
    if litellm is not None and ours is not None:
        theirs = percentile(litellm.latency.samples, 50) - b50
        mine = percentile(ours.latency.samples, 50) - b50
        print(f"CodeMonkey's added p50 is {mine / theirs:.0%} of LiteLLM's.")
    if args.stream_requests > 0:
        print()
        print(
            f"Streaming (stream_options.include_usage): {args.stream_requests} sequential "
            "requests; first = first content chunk, total = through data: [DONE]."
        )
        print(
            f"{'target':<28} {'first p50':>9} {'first p99':>9} {'total p50':>9} "
            f"{'total p99':>9} {'+total p50':>10} {'cpu ms':>7} {'errors':>7}"
        )
        s50 = percentile(base.stream.samples, 50)
        for r in results:
            t50 = percentile(r.stream.samples, 50)
            print(
                f"{r.target.name:<28} {percentile(r.stream.firsts, 50):9.2f} "
                f"{percentile(r.stream.firsts, 99):9.2f} {t50:9.2f} "
                f"{percentile(r.stream.samples, 99):9.2f} "
                f"{'-' if r is base else f'{t50 - s50:+.2f}':>10} "
                f"{_per_call_ms(r.stream_cpu, r.stream_calls):7.3f} {r.stream.errors:7d}"
            )
        report_relay(results)
    for r in results:
        for phase, error in (
            ("latency", r.latency.first_error),
            ("throughput", r.rate.first_error),
            ("streaming", r.stream.first_error),
        ):
            if error:
                print(f"first {phase} error from {r.target.name}: {error}")


def report_relay(results: list[Result]) -> None:
    """Per chunk: the upstream's send stamp to the client's arrival, minus the same for
    the upstream called directly, i.e. what the proxy adds to a chunk it forwards."""
    base = results[0].stream
    print()
    print(
        "Chunk relay (upstream sent -> client received, p50 ms): the first event (the "
        "proxy answers once it has it) and the first content event (mid-stream)."
    )
    print(f"{'target':<28} {'first':>8} {'+first':>8} {'content':>8} {'+content':>8}")
    f50, c50 = percentile(base.relay_first, 50), percentile(base.relay_content, 50)
    for r in results:
        if not r.stream.relay_first:
            print(f"{r.target.name:<28} {'-':>8} (its events do not carry the send stamp)")
            continue
        first, content = (
            percentile(r.stream.relay_first, 50),
            percentile(r.stream.relay_content, 50),
        )
        print(
            f"{r.target.name:<28} {_ms(first)} {_added(first, f50, r is results[0])} "
            f"{_ms(content)} {_added(content, c50, r is results[0])}"
        )


def shared_backends(services: ExitStack) -> tuple[str, str]:
    """A fresh PostgreSQL schema (dropped at the end) and Redis, for several processes."""
    from tests.conftest import REDIS_URL, fresh_postgres_database

    database = services.enter_context(contextmanager(fresh_postgres_database)(create_tables=False))
    return database.url.render_as_string(hide_password=False), REDIS_URL


def run(args: argparse.Namespace, work_dir: Path) -> int:
    problems: list[str] = []
    load_before = os.getloadavg()[0]
    with ExitStack() as services:
        upstream_key = "sk-upstream-" + secrets.token_hex(12)
        upstream = start_upstream(work_dir, upstream_key, args.upstream_workers)
        services.callback(stop, upstream)
        running = {"upstream (direct)": upstream}
        targets = [Target("upstream (direct)", upstream.base_url, upstream_key, UPSTREAM_MODEL)]
        if not args.skip_litellm:
            try:
                version = ensure_litellm_venv(args.litellm_venv)
                litellm, master_key = start_litellm(
                    args.litellm_venv, work_dir, upstream.base_url, upstream_key
                )
                services.callback(stop, litellm)
                name = f"LiteLLM {version}"
                running[name] = litellm
                targets.append(Target(name, litellm.base_url, master_key, LITELLM_MODEL))
            except ServiceError as exc:
                problems.append(f"LiteLLM not measured: {exc}")
        if not args.skip_codemonkey:
            try:
                workers = args.codemonkey_workers
                shared = shared_backends(services) if workers > 1 else None
                codemonkey, key = start_codemonkey(
                    work_dir, upstream.base_url, upstream_key, workers=workers, shared=shared
                )
                services.callback(stop, codemonkey)
                name = CODEMONKEY_NAME if workers == 1 else f"{CODEMONKEY_NAME} ({workers} procs)"
                running[name] = codemonkey
                targets.append(Target(name, codemonkey.base_url, key, f"openai/{UPSTREAM_MODEL}"))
            except ServiceError as exc:
                problems.append(f"CodeMonkey not measured: {exc}")
        answering = []
        for target in targets:
            try:
                warm_up(target, args)
                answering.append(target)
            except (ServiceError, TimeoutError) as exc:
                problems.append(f"{target.name} not measured: {exc}")
        results = measure(answering, args, running) if targets[0] in answering else []
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"upstream: uvicorn, {args.upstream_workers} worker(s); 1-minute load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (others' work skews figures)"
    )
    if results:
        report(results, args)
    for problem in problems:
        print(f"\n{problem}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Turn SIGTERM into SystemExit so the services started here are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        return run(args, args.work_dir.resolve())
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        return run(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
