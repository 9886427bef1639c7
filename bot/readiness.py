"""Readiness and doctor checks: each backend answers ok, or says what is wrong and the fix."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from storage.checks import CheckResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    """A named probe returning a CheckResult (`detail` holds the fix when not ok)."""

    name: str
    run: Callable[[], CheckResult]


@dataclass(frozen=True)
class TimedResult:
    result: CheckResult
    elapsed_ms: float


def run_check(check: Check) -> TimedResult:
    started = time.perf_counter()
    try:
        result = check.run()
    except Exception as exc:  # a probe that crashes is reported as failing, never hidden
        log.exception("check %s crashed", check.name)
        result = CheckResult(check.name, False, f"{type(exc).__name__}: {exc}")
    return TimedResult(result, (time.perf_counter() - started) * 1000)


def run_checks(checks: Sequence[Check]) -> list[TimedResult]:
    return [run_check(check) for check in checks]


async def run_checks_async(checks: Sequence[Check]) -> list[TimedResult]:
    return await run_in_threadpool(run_checks, checks)
