"""Built-in diagnostic task kinds, for checking a deployment and for tests and benchmarks.

They do nothing useful for users; their names start with `builtin.` so they never clash
with product kinds. `builtin.probe` writes only under `<data_dir>/diagnostics`, under a
name restricted to safe characters, so a payload cannot point it anywhere else.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from bot.queue.handlers import HandlerRegistry, PermanentTaskError, TaskContext

NOOP = "builtin.noop"
SLEEP = "builtin.sleep"
FAIL = "builtin.fail"
PROBE = "builtin.probe"

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAX_SLEEP_SECONDS = 3600.0
_POLL_SECONDS = 0.05


def noop(ctx: TaskContext) -> dict[str, Any]:
    return {"ok": True}


def _sleep(ctx: TaskContext, seconds: float) -> None:
    """Sleep in short slices so a cancel request or a lost lease stops it promptly."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ctx.raise_if_cancelled()
        time.sleep(min(_POLL_SECONDS, left))


def _seconds(ctx: TaskContext, key: str, default: float) -> float:
    value = ctx.task.payload.get(key, default)
    if not isinstance(value, int | float) or not 0 <= value <= _MAX_SLEEP_SECONDS:
        raise PermanentTaskError(
            f"payload {key!r} must be a number of seconds in 0..{_MAX_SLEEP_SECONDS:g}, "
            f"got {value!r}"
        )
    return float(value)


def sleep(ctx: TaskContext) -> dict[str, Any]:
    seconds = _seconds(ctx, "seconds", 1.0)
    _sleep(ctx, seconds)
    return {"slept": seconds}


def fail(ctx: TaskContext) -> dict[str, Any]:
    """Fails on attempts up to `until_attempt` (default: every attempt), then succeeds."""
    payload = ctx.task.payload
    until = int(payload.get("until_attempt", ctx.task.max_attempts))
    if ctx.task.attempt <= until:
        message = str(payload.get("message", "builtin.fail asked to fail"))
        if payload.get("permanent", False):
            raise PermanentTaskError(message)
        raise RuntimeError(f"{message} (attempt {ctx.task.attempt})")
    return {"succeeded_on_attempt": ctx.task.attempt}


def make_probe(data_dir: Path) -> Any:
    """A probe records each attempt, performs one keyed side effect, and may block.

    Payload: `name` (safe file name), `block_on_attempt` (int, default 0 = never),
    `block_seconds` (default 600). Files: `<name>.effects`, one line per time the side
    effect really ran, and `<name>.attempt-<n>`, written by attempt n once past its
    side effect (before it blocks).
    """
    root = data_dir / "diagnostics"

    def probe(ctx: TaskContext) -> dict[str, Any]:
        name = str(ctx.task.payload.get("name", ""))
        if not _SAFE_NAME.match(name):
            raise PermanentTaskError(f"probe name must match {_SAFE_NAME.pattern}, got {name!r}")
        root.mkdir(parents=True, exist_ok=True)

        def effect() -> dict[str, Any]:
            with (root / f"{name}.effects").open("a", encoding="utf-8") as out:
                out.write(f"task {ctx.task.id} attempt {ctx.task.attempt}\n")
            return {"attempt": ctx.task.attempt}

        recorded = ctx.once(f"probe:{name}:{ctx.task.id}", effect)
        # Written after the side effect, so an observer knows the effect is done.
        (root / f"{name}.attempt-{ctx.task.attempt}").write_text("effect done\n", encoding="utf-8")
        if ctx.task.attempt == int(ctx.task.payload.get("block_on_attempt", 0)):
            _sleep(ctx, _seconds(ctx, "block_seconds", 600.0))
        return {"effect": recorded, "attempt": ctx.task.attempt}

    return probe


def register_builtin(registry: HandlerRegistry, data_dir: Path) -> None:
    registry.register(NOOP, noop)
    registry.register(SLEEP, sleep)
    registry.register(FAIL, fail)
    registry.register(PROBE, make_probe(data_dir))
