"""The result type of readiness checks (`codemonkey doctor`, `/readyz`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """One component's health: `detail` is a short summary when ok, else the fix."""

    name: str
    ok: bool
    detail: str
