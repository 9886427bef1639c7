"""Readiness and doctor checks: each backend answers ok, or says what is wrong and the fix."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool


@dataclass(frozen=True)
class Check:
    """A named probe; `probe()` raises when the backend is not usable."""

    name: str
    probe: Callable[[], object]
    fix: str


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str
    elapsed_ms: float


def run_check(check: Check) -> CheckResult:
    started = time.perf_counter()
    try:
        outcome = check.probe()
    except Exception as exc:  # every failure is reported, with its fix
        elapsed = (time.perf_counter() - started) * 1000
        return CheckResult(check.name, False, f"{type(exc).__name__}: {exc}", check.fix, elapsed)
    elapsed = (time.perf_counter() - started) * 1000
    detail = outcome if isinstance(outcome, str) else "ok"
    return CheckResult(check.name, True, detail, "", elapsed)


def run_checks(checks: Sequence[Check]) -> list[CheckResult]:
    return [run_check(check) for check in checks]


async def run_checks_async(checks: Sequence[Check]) -> list[CheckResult]:
    return await run_in_threadpool(run_checks, checks)
